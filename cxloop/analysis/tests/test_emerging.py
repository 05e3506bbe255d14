"""Analytics › Emerging themes: the week's texts that fit no theme are grouped, proposed with keywords, size,
trend and typical texts; analysts adopt them into the taxonomy or dismiss them, and a decided group is not
proposed again. Texts are read by the real local models against the online-retail taxonomy, which has no
theme for a chatbot."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.db.models import Exists, OuterRef
from django.utils import timezone

from cxloop.analysis import emerging, services
from cxloop.analysis.ml import clusters
from cxloop.analysis.models import EmergingRun, EmergingTheme, Enrichment, Theme, ThemeMention
from cxloop.feedback.models import FeedbackItem

pytestmark = pytest.mark.django_db

CHATBOT = [
    "The chatbot goes round in circles and I can't reach a human.",
    "Your chatbot is useless, it never lets me talk to a person.",
    "The chatbot keeps asking the same question over and over.",
    "The chatbot answers nothing useful, please give me a human.",
    "Why does the chatbot never understand my question?",
    "That chatbot is hopeless, I just want a human.",
    "The chatbot kept looping and never put me through to anyone.",
    "Stuck with the chatbot again, no way to reach a person.",
    "The new chatbot is a wall, nobody real ever answers.",
    "Chatbot conversation went nowhere, it just repeats itself.",
    "I asked the chatbot three times and got the same useless reply.",
    "Please let me skip the chatbot and talk to a human.",
    "The chatbot does not understand anything I type. <script>alert(1)</script>",
]
CHATBOT_BEFORE = [  # the week before: the trend's "previous"
    "The chatbot went round in circles, I never reached a human.",
    "That chatbot never lets me talk to a human.",
    "Chatbot useless again, it just loops.",
]
THEMED = [
    "My parcel arrived two weeks late.",
    "The box was crushed and the vase inside was broken.",
    "Lovely dresses, the fabric feels great and the fit is perfect.",
    "The courier left my parcel in the rain.",
]


@pytest.fixture
def read(cast, post_feedback):
    """Acme's retail taxonomy and texts read by the real models: name -> list of item ids."""
    services.taxonomy_from_template(workspace=cast.workspace, template="online_retail")
    now = timezone.now()
    ids: dict[str, list[int]] = {"chatbot": [], "before": [], "themed": []}
    for name, texts, age in (
        ("chatbot", CHATBOT, timedelta(hours=2)),
        ("before", CHATBOT_BEFORE, timedelta(days=9)),
        ("themed", THEMED, timedelta(hours=3)),
    ):
        for n, text in enumerate(texts):
            body = {"external_id": f"{name}-{n}", "text": text, "title": "", "answers": []}
            item_id = post_feedback(**body, occurred_at=(now - age - timedelta(minutes=n)).isoformat()).json()
            ids[name].append(item_id["id"])
    services.enrich_items(item_ids=[i for group in ids.values() for i in group])
    return ids


def unthemed(ids: list[int]) -> set[int]:
    counted = ThemeMention.objects.filter(item_id=OuterRef("pk")).exclude(status="rejected")
    return set(FeedbackItem.objects.filter(pk__in=ids).filter(~Exists(counted)).values_list("pk", flat=True))


def proposed(cast) -> list[EmergingTheme]:
    return list(EmergingTheme.objects.filter(workspace=cast.workspace, status="proposed"))


def chatbot_proposal(cast, read) -> EmergingTheme:
    emerging.emerging_detect(workspace=cast.workspace)
    (proposal,) = proposed(cast)
    return proposal


# -- the look ------------------------------------------------------------------------------------------------
def test_texts_that_fit_no_theme_are_proposed_with_keywords_size_and_trend(cast, read):
    lonely = unthemed(read["chatbot"])
    assert len(lonely) >= 10 and not unthemed(read["themed"])  # the taxonomy has no theme for a chatbot
    run = emerging.emerging_detect(workspace=cast.workspace)
    assert (run.items_considered, run.clusters_found, run.proposed) == (len(lonely), 1, 1)
    assert run.ran_at is not None and run.error == ""
    assert run.window_end - run.window_start == timedelta(days=7)
    (p,) = proposed(cast)
    assert "chatbot" in p.keywords and "chatbot" in p.label and len(p.keywords) <= 5
    assert set(p.member_ids) == lonely and p.size == len(lonely)  # every one of them, and nothing else
    assert 3 <= len(p.representative_ids) <= 5 and set(p.representative_ids) <= lonely
    # the week before: its texts that fit no theme and are as close to the centre as the group's own
    assert p.previous_size == len(unthemed(read["before"])) >= 2
    centroid = np.frombuffer(bytes(p.centroid), dtype=np.float16)
    assert centroid.shape == (384,) and abs(float(np.linalg.norm(centroid.astype(np.float32))) - 1) < 1e-2
    assert 0 < p.radius < p.cohesion < 1


def test_representatives_are_the_texts_closest_to_the_centre(cast, read):
    p = chatbot_proposal(cast, read)
    centre = np.frombuffer(bytes(p.centroid), dtype=np.float16).astype(np.float32)
    cosine = {}
    for item_id, blob in Enrichment.objects.filter(item_id__in=p.member_ids).values_list(
        "item_id", "embedding"
    ):
        vector = np.frombuffer(bytes(blob), dtype=np.float16).astype(np.float32)
        cosine[item_id] = float(vector @ centre / np.linalg.norm(vector))
    ranked = sorted(cosine, key=lambda i: -cosine[i])
    assert p.representative_ids == ranked[: len(p.representative_ids)]
    assert p.member_ids == ranked  # kept closest first


def test_a_new_look_replaces_the_open_proposals_and_keeps_the_decided_ones(cast, read):
    first = chatbot_proposal(cast, read)
    decided = EmergingTheme.objects.create(
        workspace=cast.workspace,
        window_start=first.window_start,
        window_end=first.window_end,
        label="delivery",
        size=5,
        centroid=np.eye(384, dtype=np.float16)[0].tobytes(),
        status="dismissed",
    )
    emerging.emerging_detect(workspace=cast.workspace)
    (second,) = proposed(cast)
    assert second.pk != first.pk and not EmergingTheme.objects.filter(pk=first.pk).exists()
    assert set(second.member_ids) == set(first.member_ids)
    assert EmergingTheme.objects.filter(pk=decided.pk, status="dismissed").exists()


def test_a_cluster_like_an_example_of_a_theme_is_not_proposed(cast, read):
    services.theme_save(
        workspace=cast.workspace,
        theme_id=None,
        name="Chatbot",
        description="",
        examples="The chatbot goes round in circles and I can't reach a human.",
        parent_id=None,
    )  # the texts are not read again: they still fit no theme
    run = emerging.emerging_detect(workspace=cast.workspace)
    assert (run.clusters_found, run.proposed) == (1, 0) and not proposed(cast)


def test_fewer_than_min_size_like_texts_propose_nothing(cast, read):
    run = emerging.emerging_detect(workspace=cast.workspace, min_size=len(read["chatbot"]) + 1)
    assert run.items_considered >= 10 and (run.clusters_found, run.proposed) == (0, 0)


def test_texts_outside_the_window_are_not_considered(cast, read):
    later = timezone.now() + timedelta(days=30)
    run = emerging.emerging_detect(workspace=cast.workspace, now=later)
    assert (run.items_considered, run.proposed) == (0, 0)


def test_a_failed_look_is_recorded_and_the_proposals_stay(cast, read, monkeypatch):
    p = chatbot_proposal(cast, read)

    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(clusters, "cluster", broken)
    run = emerging.emerging_detect(workspace=cast.workspace)
    assert run.error == "MemoryError: out of memory" and run.ran_at is not None
    assert [x.pk for x in proposed(cast)] == [p.pk]


# -- adopting and dismissing ---------------------------------------------------------------------------------
def test_adopting_makes_a_theme_whose_texts_get_it(login, cast, read, django_capture_on_commit_callbacks):
    p = chatbot_proposal(cast, read)
    support = Theme.objects.get(workspace=cast.workspace, name="Customer support")
    client = login(cast.analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/analytics/emerging/{p.pk}/adopt/", {"name": " Chatbot ", "parent": support.pk}, follow=True
        )
    assert response.redirect_chain == [("/analytics/emerging/", 302)]
    assert "Theme “Customer support › Chatbot” added" in response.content.decode()
    theme = Theme.objects.get(workspace=cast.workspace, name="Chatbot")
    assert theme.parent == support and theme.description == ", ".join(p.keywords)
    texts = dict(
        Enrichment.objects.filter(item_id__in=p.representative_ids).values_list("item_id", "redacted_text")
    )
    assert theme.examples == [" ".join(texts[i].split())[:300] for i in p.representative_ids]
    p.refresh_from_db()
    assert (p.status, p.adopted_theme, p.decided_by) == ("adopted", theme, cast.analyst)
    # the texts were read again with the new theme (the inline task backend of the tests)
    got_it = set(ThemeMention.objects.filter(theme=theme).values_list("item_id", flat=True))
    assert len(got_it & set(p.member_ids)) >= len(p.member_ids) - 1
    page = client.get("/analytics/emerging/").content.decode()
    assert (
        f'adopted as <a href="/analytics/themes/{theme.pk}/mentions/">Customer support › Chatbot</a>' in page
    )
    assert "Adopt as theme" not in page  # nothing open any more


def test_adopted_and_dismissed_groups_are_not_proposed_again(login, cast, read):
    p = chatbot_proposal(cast, read)
    client = login(cast.analyst)
    response = client.post(f"/analytics/emerging/{p.pk}/dismiss/", follow=True)
    assert "dismissed: a group like it will not be proposed again" in response.content.decode()
    p.refresh_from_db()
    assert (p.status, p.decided_by) == ("dismissed", cast.analyst) and p.decided_at is not None
    run = emerging.emerging_detect(workspace=cast.workspace)
    assert (run.clusters_found, run.proposed) == (1, 0) and not proposed(cast)
    page = client.get("/analytics/emerging/").content.decode()
    assert "<summary" in page and f"<strong>{p.label}</strong>" in page and "dismissed by Analyst" in page
    # adopted without the texts read again (the worker has not run yet): not proposed again either
    p.status = "adopted"
    p.save(update_fields=["status"])
    assert emerging.emerging_detect(workspace=cast.workspace).proposed == 0


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"name": "  "}, 422, "Give the theme a name."),
        ({"name": "Late delivery", "parent": "DELIVERY"}, 409, "already a theme called"),
        ({"name": "Deep", "parent": "SUB"}, 422, "cannot have sub-themes"),
    ],
)
def test_a_bad_adoption_says_why_and_changes_nothing(login, cast, read, body, status, message):
    p = chatbot_proposal(cast, read)
    parents = {
        "DELIVERY": Theme.objects.get(workspace=cast.workspace, name="Delivery").pk,
        "SUB": Theme.objects.get(workspace=cast.workspace, name="Late delivery").pk,
    }
    body = {k: parents.get(v, v) for k, v in body.items()}
    themes = set(Theme.objects.values_list("pk", "name", "parent_id"))
    response = login(cast.analyst).post(f"/analytics/emerging/{p.pk}/adopt/", body)
    assert response.status_code == status
    page = response.content.decode()
    assert message in page and 'role="alert"' in page
    assert f'value="{body["name"]}"' in page  # what was typed is kept
    assert set(Theme.objects.values_list("pk", "name", "parent_id")) == themes
    p.refresh_from_db()
    assert p.status == "proposed" and p.adopted_theme is None


def test_a_decided_proposal_cannot_be_decided_again(login, cast, read):
    p = chatbot_proposal(cast, read)
    client = login(cast.analyst)
    client.post(f"/analytics/emerging/{p.pk}/dismiss/")
    response = client.post(f"/analytics/emerging/{p.pk}/adopt/", {"name": "Chatbot"})
    assert response.status_code == 409 and "is already dismissed" in response.content.decode()
    assert not Theme.objects.filter(name="Chatbot").exists()
    assert client.post("/analytics/emerging/999999/dismiss/").status_code == 404


# -- the page ------------------------------------------------------------------------------------------------
def test_viewers_see_proposals_with_typical_texts_but_no_actions(login, cast, read):
    p = chatbot_proposal(cast, read)
    page = login(cast.viewer).get("/analytics/emerging/").content.decode()
    assert p.label in page and ", ".join(p.keywords) in page
    assert f"{p.previous_size} → {p.size}" in page and "up" in page
    for item_id in p.representative_ids:
        assert f'href="/inbox/{item_id}/"' in page
    assert "<script>alert" not in page
    if read["chatbot"][-1] in p.representative_ids:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert (
        "Adopt as theme" not in page and "Dismiss" not in page and "Look for emerging themes now" not in page
    )
    assert f"{emerging.last_run(workspace=cast.workspace).items_considered} texts of" in page


def test_analysts_get_the_adopt_form_prefilled_and_the_parents(login, cast, read):
    p = chatbot_proposal(cast, read)
    page = login(cast.analyst).get("/analytics/emerging/").content.decode()
    assert f'action="/analytics/emerging/{p.pk}/adopt/"' in page and "Adopt as theme" in page
    assert f'name="name" maxlength="80" required value="{p.label}"' in page
    delivery = Theme.objects.get(workspace=cast.workspace, name="Delivery")
    assert f'<option value="{delivery.pk}">Delivery</option>' in page
    late = Theme.objects.get(workspace=cast.workspace, name="Late delivery")
    assert f'<option value="{late.pk}">' not in page  # only top themes take sub-themes
    assert f'action="/analytics/emerging/{p.pk}/dismiss/"' in page and "Look for emerging themes now" in page


def test_the_page_says_what_to_do_when_there_is_nothing(login, cast):
    client = login(cast.analyst)
    page = client.get("/analytics/emerging/").content.decode()
    assert "No look yet" in page and "press “Look for emerging themes now”" in page
    emerging.emerging_detect(workspace=cast.workspace)
    page = client.get("/analytics/emerging/").content.decode()
    assert (
        "Nothing to propose: every text of the period that is read fits a theme, or none is read yet" in page
    )
    viewer = login(cast.viewer).get("/analytics/emerging/").content.decode()
    assert "Nothing to propose" in viewer and "Look again" not in viewer


def test_the_page_takes_a_fixed_number_of_queries(login, cast, read, django_assert_max_num_queries):
    chatbot_proposal(cast, read)
    client = login(cast.analyst)
    # session, user, membership, switcher (4); proposals, their texts, decided, last run, waiting run,
    # top themes (6)
    with django_assert_max_num_queries(10):
        assert client.get("/analytics/emerging/").status_code == 200


def test_the_analytics_pages_link_to_each_other(login, cast):
    client = login(cast.viewer)
    for url in ("/analytics/", "/analytics/emerging/", "/analytics/lab/"):
        page = client.get(url).content.decode()
        assert 'href="/analytics/emerging/"' in page and 'href="/analytics/lab/"' in page, url
    assert 'aria-current="page">Emerging themes</a>' in client.get("/analytics/emerging/").content.decode()


# -- asking for a look ---------------------------------------------------------------------------------------
def test_look_now_queues_one_look_that_the_worker_runs(login, cast, read, django_capture_on_commit_callbacks):
    client = login(cast.analyst)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post("/analytics/emerging/look/")
    assert len(queued) == 1
    waiting = EmergingRun.objects.get(workspace=cast.workspace)
    assert waiting.ran_at is None
    page = client.get("/analytics/emerging/").content.decode()
    assert "waits for the worker" in page and "Look for emerging themes now" not in page
    with django_capture_on_commit_callbacks(execute=True) as again:
        response = client.post("/analytics/emerging/look/", follow=True)
    assert again == [] and "already waiting for the worker" in response.content.decode()
    queued[0]()  # the worker runs it
    waiting.refresh_from_db()
    assert waiting.ran_at is not None and waiting.proposed == 1
    assert EmergingRun.objects.filter(workspace=cast.workspace).count() == 1


def test_viewers_and_agents_cannot_look_adopt_or_dismiss(
    login, cast, read, django_capture_on_commit_callbacks
):
    p = chatbot_proposal(cast, read)
    runs = EmergingRun.objects.count()
    for role in ("viewer", "agent"):
        client = login(cast.user(role))
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert client.post("/analytics/emerging/look/").status_code == 403
            assert client.post(f"/analytics/emerging/{p.pk}/adopt/", {"name": "X"}).status_code == 403
            assert client.post(f"/analytics/emerging/{p.pk}/dismiss/").status_code == 403
        assert callbacks == []
    assert login(cast.analyst).get("/analytics/emerging/look/").status_code == 405
    p.refresh_from_db()
    assert p.status == "proposed" and EmergingRun.objects.count() == runs
    assert not Theme.objects.filter(name="X").exists()


def test_outsider_sees_and_changes_nothing_of_acme_emerging_themes(
    login, cast, read, django_capture_on_commit_callbacks
):
    p = chatbot_proposal(cast, read)
    before = list(EmergingTheme.objects.values_list("pk", "status", "label", "adopted_theme_id"))
    acme_runs = EmergingRun.objects.filter(workspace=cast.workspace).count()
    client = login(cast.outsider)
    page = client.get("/analytics/emerging/").content.decode()
    assert p.label not in page and "chatbot" not in page.lower() and "No look yet" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/analytics/emerging/{p.pk}/adopt/", {"name": "Mine"}).status_code == 404
        assert client.post(f"/analytics/emerging/{p.pk}/dismiss/").status_code == 404
        client.post("/analytics/emerging/look/")  # looks in Other Co only
    assert list(EmergingTheme.objects.values_list("pk", "status", "label", "adopted_theme_id")) == before
    assert not Theme.objects.filter(name="Mine").exists()
    assert EmergingRun.objects.filter(workspace=cast.workspace).count() == acme_runs
    other = EmergingRun.objects.get(workspace=cast.other_workspace)
    assert other.ran_at is not None and other.items_considered == 0
    # an analyst of Other Co cannot put Acme's theme as the parent of an adoption either
    services.taxonomy_from_template(workspace=cast.other_workspace, template="online_retail")
    own = EmergingTheme.objects.create(
        workspace=cast.other_workspace,
        window_start=p.window_start,
        window_end=p.window_end,
        label="own",
        size=5,
        centroid=p.centroid,
    )
    acme_top = Theme.objects.get(workspace=cast.workspace, name="Delivery")
    response = client.post(f"/analytics/emerging/{own.pk}/adopt/", {"name": "Mine", "parent": acme_top.pk})
    assert response.status_code == 404 and not Theme.objects.filter(name="Mine").exists()


# -- the weekly schedule -------------------------------------------------------------------------------------
def test_reading_texts_queues_a_look_once_a_week_at_most_once_a_day(
    cast, read, monkeypatch, django_capture_on_commit_callbacks
):
    ids = read["chatbot"][:2]
    with django_capture_on_commit_callbacks(execute=True):
        services.enrich_items(item_ids=ids)
    assert not EmergingRun.objects.exists()  # not on the inline backend of the tests, unless asked
    monkeypatch.setattr(emerging, "SCHEDULE_INLINE", True)
    with django_capture_on_commit_callbacks(execute=True):
        services.enrich_items(item_ids=ids)
    run = EmergingRun.objects.get()
    assert run.workspace == cast.workspace and run.ran_at is not None and run.proposed == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.enrich_items(item_ids=ids)
    assert callbacks == [] and EmergingRun.objects.count() == 1  # looked this week
    EmergingRun.objects.update(
        queued_at=run.queued_at - timedelta(days=2), ran_at=run.ran_at - timedelta(days=6)
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.enrich_items(item_ids=ids)
    assert callbacks == [] and EmergingRun.objects.count() == 1  # six days ago: not yet
    EmergingRun.objects.update(ran_at=run.ran_at - timedelta(days=8))
    with django_capture_on_commit_callbacks(execute=True):
        services.enrich_items(item_ids=ids)
    assert EmergingRun.objects.count() == 2 and not EmergingRun.objects.filter(ran_at=None).exists()
    EmergingRun.objects.update(ran_at=None, queued_at=timezone.now() - timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.enrich_items(item_ids=ids)
    assert callbacks == []  # one waits already: asked for at most once a day


def test_the_task_looks_in_the_workspace_and_skips_a_deleted_one(cast, read):
    from cxloop.analysis.tasks import detect_emerging

    result = detect_emerging.enqueue(workspace_id=cast.workspace.pk)
    assert result.return_value == 1 and EmergingRun.objects.get().proposed == 1
    assert detect_emerging.enqueue(workspace_id=999_999).return_value == 0
