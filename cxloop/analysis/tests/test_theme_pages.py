"""Analytics › Themes: each theme's volume, sentiment and weekly trend over a period, its verbatims (the most
typical first, then the newest), and the reading of every text again with the current taxonomy."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from cxloop.analysis import selectors, services, views
from cxloop.analysis.models import Enrichment, Theme, ThemeMention
from cxloop.feedback.models import FeedbackItem
from cxloop.metrics.stats import wilson

pytestmark = pytest.mark.django_db

# every page: session, user, membership, the workspace switcher's memberships (4); the tree: themes, read
# items, mentions per theme and week, per top theme and week (4); the reading progress: the taxonomy as the
# models read it (2) and the counts (1)
TREE_QUERIES = 11

TEXTS = {
    "late": "My parcel arrived two weeks late. Nobody told me why.",
    "late_rude": "The parcel was three days late and the courier was rude.",
    "crushed": "The box was crushed and the vase inside was broken.",
    "dresses": "Lovely dresses, the fabric feels great and the fit is perfect.",
    "script": "I love this dress, beautiful colour. <script>alert(1)</script> Delivery was late though.",
}


@pytest.fixture
def read_items(cast, post_feedback):
    """Acme's retail taxonomy and five items read by the real local models: name -> item id."""
    services.taxonomy_from_template(workspace=cast.workspace, template="online_retail")
    ids = {
        name: post_feedback(external_id=name, text=text, occurred_at=timezone.now().isoformat()).json()["id"]
        for name, text in TEXTS.items()
    }
    services.enrich_items(item_ids=list(ids.values()))
    return ids


def theme(cast, name: str) -> Theme:
    return Theme.objects.get(workspace=cast.workspace, name=name)


def counted(**filters):
    return ThemeMention.objects.exclude(status=ThemeMention.Status.REJECTED).filter(**filters)


def expected_figures(mentions) -> dict:
    """What the page should say, computed from the mention rows themselves."""
    mentions = list(mentions)
    items = {m.item_id for m in mentions}
    rated = {m.item_id for m in mentions if m.sentiment}
    negative = {m.item_id for m in mentions if m.sentiment == "negative"}
    scores = [m.sentiment_score for m in mentions if m.sentiment_score is not None]
    return {
        "items": len(items),
        "rated": len(rated),
        "negative": len(negative),
        "sentiment": sum(scores) / len(scores) if scores else None,
    }


def row_of(tree, name):
    for top in tree.tops:
        for t in (top, *top.subs):
            if t.name == name:
                return t
    raise AssertionError(name)


# -- the tree ------------------------------------------------------------------------------------------------
def test_tree_shows_the_volume_share_and_sentiment_the_mentions_imply(login, cast, read_items, post_feedback):
    services.enrich_items(item_ids=[post_feedback(external_id="score only", text="").json()["id"]])
    response = login(cast.analyst).get("/analytics/")
    tree = response.context["tree"]
    read = Enrichment.objects.filter(workspace=cast.workspace, status="done").exclude(item__text="").count()
    assert tree.read == read == 5 and tree.days == 90  # the item without a text is no part of the base
    delivery = theme(cast, "Delivery")
    for name, mentions in [
        ("Delivery", counted(theme__parent=delivery)),
        ("Late delivery", counted(theme__name="Late delivery")),
        ("Product", counted(theme__parent__name="Product")),
        ("Damaged in transit", counted(theme__name="Damaged in transit")),
    ]:
        want = expected_figures(mentions)
        row = row_of(tree, name)
        assert want["items"] > 0, name
        assert (row.fig.items, row.fig.rated, row.fig.negative) == (
            want["items"],
            want["rated"],
            want["negative"],
        )
        assert row.fig.sentiment == pytest.approx(want["sentiment"])
        assert row.share == wilson(want["items"], read).scaled(100.0)
        assert row.fig.negative_share == wilson(want["negative"], want["rated"]).scaled(100.0)
        assert sum(row.fig.weekly) == want["items"] and row.fig.weekly[-1] == want["items"]  # all this week
    # an item mentioning two sub-themes of Delivery counts once for Delivery
    assert row_of(tree, "Delivery").fig.items < counted(theme__parent=delivery).count()
    # top themes by volume, the silent ones last
    volumes = [t.fig.items for t in tree.tops]
    assert volumes == sorted(volumes, reverse=True) and tree.tops[0].name == "Delivery"
    page = response.content.decode()
    late = row_of(tree, "Late delivery")
    assert f'href="/analytics/themes/{late.pk}/mentions/?period=90">Late delivery</a>' in page
    assert f"{late.fig.sentiment:.2f}" in page and 'class="spark"' in page


def test_examples_say_the_taxonomys_own_and_the_confirmed_ones(login, cast, read_items):
    late = theme(cast, "Late delivery")
    counted(theme=late).update(status=ThemeMention.Status.ACCEPTED)
    confirmed = counted(theme=late).count()
    page = login(cast.viewer).get("/analytics/").content.decode()
    assert f"<td>{len(late.examples)} + {confirmed} confirmed</td>\n  <td>{confirmed}</td>" in page


def test_the_period_counts_only_items_that_occurred_in_it(login, cast, read_items):
    FeedbackItem.objects.filter(pk=read_items["crushed"]).update(
        occurred_at=timezone.now() - timedelta(days=100)
    )
    client = login(cast.analyst)
    tree = client.get("/analytics/").context["tree"]
    assert row_of(tree, "Damaged in transit").fig.items == 0 and tree.read == 4
    tree = client.get("/analytics/?period=365").context["tree"]
    assert row_of(tree, "Damaged in transit").fig.items == 1 and tree.read == 5
    assert len(tree.weeks) >= 52 and row_of(tree, "Damaged in transit").fig.weekly[-1] == 0
    tree = client.get("/analytics/?period=30").context["tree"]
    assert row_of(tree, "Damaged in transit").fig.items == 0


@pytest.mark.parametrize("junk", ["7", "abc", "-90", "", "90.5", "3650"])
def test_the_period_select_falls_back_to_90_days_on_junk(login, cast, read_items, junk):
    client = login(cast.viewer)
    assert client.get(f"/analytics/?period={junk}").context["days"] == 90
    late = theme(cast, "Late delivery")
    response = client.get(f"/analytics/themes/{late.pk}/mentions/?period={junk}&sentiment=<b>&page=x")
    assert response.status_code == 200
    assert response.context["days"] == 90 and response.context["sentiment"] is None


def test_tree_takes_a_fixed_number_of_queries_whatever_the_themes(
    login, cast, read_items, django_assert_max_num_queries
):
    client = login(cast.analyst)
    with django_assert_max_num_queries(TREE_QUERIES) as few:
        assert client.get("/analytics/?period=365").status_code == 200
    services.taxonomy_from_template(workspace=cast.workspace, template="saas")
    assert Theme.objects.filter(workspace=cast.workspace).count() > 40
    with django_assert_max_num_queries(TREE_QUERIES) as many:
        assert client.get("/analytics/?period=365").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


# -- drill-down ----------------------------------------------------------------------------------------------
def test_drill_down_shows_verbatims_with_the_sentence_highlighted_and_escaped(login, cast, read_items):
    late = theme(cast, "Late delivery")
    response = login(cast.viewer).get(f"/analytics/themes/{late.pk}/mentions/")
    page = response.content.decode()
    mention = ThemeMention.objects.get(theme=late, item_id=read_items["script"])
    assert mention.evidence == "Delivery was late though."
    assert (
        "I love this dress, beautiful colour. &lt;script&gt;alert(1)&lt;/script&gt; "
        "<mark>Delivery was late though.</mark>"
    ) in page
    assert "<script>alert" not in page
    assert f'href="/inbox/{read_items["script"]}/"' in page
    shown = [v.item.pk for v in response.context["verbatims"]]
    assert set(shown) == set(counted(theme=late).values_list("item_id", flat=True))
    assert "Support ticket" in page and f"{mention.sentiment_score:.2f}" in page
    fig = response.context["fig"]
    assert fig.items == len(shown) and sum(fig.weekly) == len(shown)
    assert "Items mentioning Delivery › Late delivery, per week" in page  # the weekly chart
    assert "Sentiment of the sentences about" in page  # the split


def test_a_top_themes_page_lists_its_sub_themes_and_every_item_once(login, cast, read_items):
    delivery = theme(cast, "Delivery")
    response = login(cast.viewer).get(f"/analytics/themes/{delivery.pk}/mentions/")
    subs = {s.name: s.fig.items for s in response.context["subs"]}
    for name in ("Late delivery", "Courier", "Damaged in transit"):
        assert subs[name] == counted(theme__name=name).count()
    shown = [v.item.pk for v in response.context["verbatims"]]
    assert len(shown) == len(set(shown)) == response.context["fig"].items
    two = next(v for v in response.context["verbatims"] if v.item.pk == read_items["late_rude"])
    assert {m.theme.name for m in two.mentions} == {"Late delivery", "Courier"}


def test_verbatims_filter_by_sentiment(login, cast, read_items):
    product = theme(cast, "Product")
    client = login(cast.viewer)
    positive = client.get(f"/analytics/themes/{product.pk}/mentions/?sentiment=positive").context
    want = set(counted(theme__parent=product, sentiment="positive").values_list("item_id", flat=True))
    assert {v.item.pk for v in positive["verbatims"]} == want and want
    negative = client.get(f"/analytics/themes/{product.pk}/mentions/?sentiment=negative")
    assert not negative.context["verbatims"] and not negative.context["representative"]
    assert "No item of the last 90 days mentions it with a negative sentence" in negative.content.decode()


def test_verbatims_are_paged_fifty_at_a_time_newest_first(login, cast):
    services.taxonomy_from_template(workspace=cast.workspace, template="online_retail")
    late = theme(cast, "Late delivery")
    now = timezone.now()
    items = FeedbackItem.objects.bulk_create(
        FeedbackItem(
            workspace=cast.workspace,
            channel="email",
            occurred_at=now - timedelta(hours=i),
            text=f"Parcel {i} was late.",
        )
        for i in range(55)
    )
    ThemeMention.objects.bulk_create(
        ThemeMention(workspace=cast.workspace, item=item, theme=late, evidence=item.text) for item in items
    )
    client = login(cast.viewer)
    first = client.get(f"/analytics/themes/{late.pk}/mentions/").context
    assert [v.item.pk for v in first["verbatims"]] == [i.pk for i in items[:50]]
    second = client.get(f"/analytics/themes/{late.pk}/mentions/?period=90&page=2").context
    assert [v.item.pk for v in second["verbatims"]] == [i.pk for i in items[50:]]
    assert second["representative"] == []  # the most typical lead the first page only


def test_the_most_typical_verbatim_is_the_one_nearest_the_centre(login, cast, monkeypatch):
    services.taxonomy_from_template(workspace=cast.workspace, template="online_retail")
    late = theme(cast, "Late delivery")

    def unit(x, y):
        v = np.zeros(384, dtype=np.float32)
        v[0], v[1] = x, y
        return (v / np.linalg.norm(v)).astype(np.float16).tobytes()

    # centre of the four: direction (2.69, 1.90); cosines c .985 > d .913 > a .816 > b .578
    vectors = {"a": unit(1, 0), "b": unit(0, 1), "c": unit(1, 1), "d": unit(1, 0.2)}
    now = timezone.now()
    ids = {}
    for age, (name, blob) in enumerate(reversed(list(vectors.items()))):  # d the newest, a the oldest
        item = FeedbackItem.objects.create(
            workspace=cast.workspace,
            channel="chat",
            occurred_at=now - timedelta(days=age),
            text=f"late {name}",
        )
        Enrichment.objects.create(workspace=cast.workspace, item=item, status="done", embedding=blob)
        ThemeMention.objects.create(workspace=cast.workspace, item=item, theme=late, evidence="late")
        ids[name] = item.pk
    mentions = selectors.theme_mentions(workspace=cast.workspace, theme=late, since=now - timedelta(days=90))
    assert selectors.representative_item_ids(mentions) == [ids["c"], ids["d"], ids["a"], ids["b"]]
    client = login(cast.viewer)
    assert client.get(f"/analytics/themes/{late.pk}/mentions/").context["representative"] == []  # all shown
    monkeypatch.setattr(selectors, "REPRESENTATIVE", 3)
    context = client.get(f"/analytics/themes/{late.pk}/mentions/").context
    assert [v.item.pk for v in context["representative"]] == [ids["c"], ids["d"], ids["a"]]
    assert [v.item.pk for v in context["verbatims"]] == [ids["d"], ids["c"], ids["b"], ids["a"]]


def test_an_item_without_a_usable_embedding_is_left_out_of_the_centre(cast):
    services.taxonomy_from_template(workspace=cast.workspace, template="online_retail")
    late = theme(cast, "Late delivery")
    good = np.ones(384, dtype=np.float16).tobytes()
    for n, blob in enumerate([good, None, b"\x00" * 768, b"short"]):
        item = FeedbackItem.objects.create(
            workspace=cast.workspace, channel="chat", occurred_at=timezone.now(), text=f"t{n}"
        )
        Enrichment.objects.create(workspace=cast.workspace, item=item, status="done", embedding=blob)
        ThemeMention.objects.create(workspace=cast.workspace, item=item, theme=late)
        if n == 0:
            keep = item.pk
    mentions = selectors.theme_mentions(
        workspace=cast.workspace, theme=late, since=timezone.now() - timedelta(days=1)
    )
    assert selectors.representative_item_ids(mentions) == [keep]


@pytest.mark.parametrize(
    ("text", "sentences", "parts"),
    [
        (
            "Good. Late again. Bye.",
            ["Late again."],
            [("Good. ", False), ("Late again.", True), (" Bye.", False)],
        ),
        ("Late\n\nagain,  really", ["late again, really"], [("Late\n\nagain,  really", True)]),
        (
            "A b. C d. E f.",
            ["C d.", "A b."],
            [("A b.", True), (" ", False), ("C d.", True), (" E f.", False)],
        ),
        ("One long sentence here", ["One long sent…"], [("One long sent", True), ("ence here", False)]),
        ("Nothing to see", ["elsewhere"], [("Nothing to see", False)]),
        (
            "x" * 300 + " Late. " + "y" * 300,
            ["Late."],
            [("…" + "x" * 239 + " ", False), ("Late.", True), (" " + "y" * 239 + "…", False)],
        ),
    ],
)
def test_highlight_cuts_the_text_around_the_sentences(text, sentences, parts):
    assert views.highlight(text, sentences) == parts


def test_a_sentence_of_the_title_is_highlighted_in_the_title(login, cast, post_feedback):
    services.taxonomy_from_template(workspace=cast.workspace, template="online_retail")
    late = theme(cast, "Late delivery")
    item_id = post_feedback(
        title="Parcel <late> again", text="Hello, it is me.", occurred_at=timezone.now().isoformat()
    ).json()["id"]
    for n, name in enumerate(("Late delivery", "Tracking")):  # two mentions carried by one sentence
        ThemeMention.objects.create(
            workspace=cast.workspace,
            item_id=item_id,
            theme=theme(cast, name),
            evidence="Parcel <late>" + n * " ",
        )
    page = login(cast.viewer).get(f"/analytics/themes/{late.parent_id}/mentions/").content.decode()
    assert "<strong><mark>Parcel &lt;late&gt;</mark> again</strong>" in page
    assert "Hello, it is me." in page and "Sentence read" not in page


def test_a_sentence_not_found_in_the_text_is_shown_apart(login, cast, read_items):
    late = theme(cast, "Late delivery")
    ThemeMention.objects.filter(theme=late, item_id=read_items["late"]).update(
        evidence="Said on the phone <b>"
    )
    page = login(cast.viewer).get(f"/analytics/themes/{late.pk}/mentions/").content.decode()
    assert "Sentence read: <q>Said on the phone &lt;b&gt;</q>" in page


# -- reading again -------------------------------------------------------------------------------------------
def test_progress_counts_current_failed_and_waiting_and_the_button_reads_them_again(
    login, cast, post_feedback, django_capture_on_commit_callbacks
):
    services.taxonomy_from_template(workspace=cast.workspace, template="online_retail")
    ids = [post_feedback(external_id=f"r{i}", text=t).json()["id"] for i, t in enumerate(TEXTS.values())]
    post_feedback(external_id="empty", text="", title="")  # nothing to read: not counted
    services.enrich_items(item_ids=ids[:4])
    Enrichment.objects.filter(item_id=ids[0]).update(status="failed", error="ValueError: x")
    Enrichment.objects.filter(item_id=ids[1]).update(model_version="an older reading")
    client = login(cast.analyst)
    page = client.get("/analytics/").content.decode()
    assert "<strong>2 of 5</strong> items are read with the current models and taxonomy" in page
    assert "2 wait to be read" in page and "1 failed" in page
    assert 'hx-trigger="every 5s"' in page and "Read again with the current taxonomy" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/analytics/themes/reread/?period=30", follow=True)
    assert response.redirect_chain == [("/analytics/?period=30", 302)]
    # failed, older and unread; the item without text has nothing to read
    assert "3 items queued to be read again" in response.content.decode()
    current = services.reading_version(services.theme_model(cast.workspace.pk))
    assert set(Enrichment.objects.filter(item_id__in=ids).values_list("status", "model_version")) == {
        ("done", current)
    }
    fragment = client.get("/analytics/themes/progress/", headers={"HX-Request": "true"}).content.decode()
    assert "<strong>5 of 5</strong>" in fragment and "hx-trigger" not in fragment
    assert "Read again" not in fragment and "failed" not in fragment


def test_progress_stops_asking_after_a_minute_without_change(login, cast, post_feedback):
    post_feedback(external_id="w", text="Where is my parcel?")  # queued, never read here
    client = login(cast.viewer)
    fragment = client.get("/analytics/themes/progress/?seen=0&still=3").content.decode()
    assert 'hx-trigger="every 5s"' in fragment and "seen=0&amp;still=4" in fragment
    fragment = client.get(
        f"/analytics/themes/progress/?seen=0&still={views.STALLED_POLLS - 1}"
    ).content.decode()
    assert "hx-trigger" not in fragment and "check that the worker runs" in fragment
    fragment = client.get("/analytics/themes/progress/?seen=junk&still=-5").content.decode()
    assert "still=0" in fragment


def test_viewers_see_everything_read_only_and_cannot_read_again(
    login, cast, read_items, django_capture_on_commit_callbacks
):
    Enrichment.objects.update(model_version="old")
    client = login(cast.viewer)
    page = client.get("/analytics/").content.decode()
    assert "Late delivery" in page and "5 wait to be read" in page
    assert "Read again" not in page and 'class="theme-edit"' not in page and "New theme" not in page
    late = theme(cast, "Late delivery")
    drill = client.get(f"/analytics/themes/{late.pk}/mentions/").content.decode()
    assert "<mark>" in drill and "Edit the theme" not in drill
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.post("/analytics/themes/reread/").status_code == 403
    assert callbacks == [] and set(Enrichment.objects.values_list("model_version", flat=True)) == {"old"}
    assert client.get("/analytics/themes/reread/").status_code == 405


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_only_analysts_get_the_edit_links(login, cast, read_items, role):
    late = theme(cast, "Late delivery")
    assert f'/analytics/themes/{late.pk}/"' not in login(cast.user(role)).get("/analytics/").content.decode()
    page = login(cast.analyst).get("/analytics/").content.decode()
    assert f'href="/analytics/themes/{late.pk}/" aria-label="Edit Late delivery"' in page


def test_outsider_sees_nothing_of_acme_theme_figures_or_verbatims(
    login, cast, read_items, django_capture_on_commit_callbacks
):
    Enrichment.objects.filter(item_id=read_items["late"]).update(model_version="old")
    before = set(Enrichment.objects.values_list("item_id", "model_version", "status"))
    late = theme(cast, "Late delivery")
    client = login(cast.outsider)
    for path in (f"/analytics/themes/{late.pk}/mentions/", f"/analytics/themes/{late.pk}/mentions/?page=2"):
        assert client.get(path).status_code == 404
    page = client.get("/analytics/").content.decode()
    assert "Late delivery" not in page and "parcel" not in page
    assert "<strong>0 of 0</strong>" in page
    fragment = client.get("/analytics/themes/progress/").content.decode()
    assert "<strong>0 of 0</strong>" in fragment
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/analytics/themes/reread/", follow=True)
    assert "Every item is already read" in response.content.decode() and callbacks == []
    assert set(Enrichment.objects.values_list("item_id", "model_version", "status")) == before
