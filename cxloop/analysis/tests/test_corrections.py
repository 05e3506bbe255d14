"""Analysts correct the themes found in a text, in the Inbox drawer and by API; the corrections become the
models' examples (accepted) and counter-examples (rejected)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cxloop.analysis import services
from cxloop.analysis.ml import pipeline
from cxloop.analysis.models import Theme, ThemeMention
from cxloop.core.exceptions import NotFound, ServiceError
from cxloop.feedback.tests.helpers import assert_problem, feedback_body

pytestmark = pytest.mark.django_db

# The model reads two themes here: checkout (right) and late delivery (wrong: the delivery was quick).
TEXT = "Checkout kept failing when I entered my card. Delivery was quick though."
CHECKOUT_SENTENCE = "Checkout kept failing when I entered my card."
QUICK_SENTENCE = "Delivery was quick though."
HTMX = {"HX-Request": "true"}


def _theme(workspace, name: str) -> Theme:
    return Theme.objects.get(workspace=workspace, name=name)


def _mentions(item_id: int) -> dict[str, tuple[str, str, str]]:
    """{theme name: (status, source, evidence)} of every mention of the item, rejected ones too."""
    return {
        m.theme.name: (m.status, m.source, m.evidence)
        for m in ThemeMention.objects.filter(item_id=item_id).select_related("theme")
    }


def _specs(workspace) -> dict[str, object]:
    return {s.name: s for s in services.theme_specs(workspace.pk)}


def _snapshot() -> list[tuple]:
    return list(
        ThemeMention.objects.order_by("pk").values_list(
            "pk", "workspace_id", "item_id", "theme_id", "status", "source", "evidence", "decided_by_id"
        )
    )


@pytest.fixture
def read(cast, post_feedback):
    """Acme's online-retail taxonomy and one item read by the models, with two suggestions."""
    services.taxonomy_from_template(workspace=cast.workspace, template="online_retail")
    item_id = post_feedback(text=TEXT).json()["id"]
    services.enrich_items(item_ids=[item_id])
    world = SimpleNamespace(
        item_id=item_id,
        checkout=_theme(cast.workspace, "Checkout and payment"),
        late=_theme(cast.workspace, "Late delivery"),
        delivery=_theme(cast.workspace, "Delivery"),
        prices=_theme(cast.workspace, "Prices"),
    )
    found = _mentions(item_id)
    assert found["Checkout and payment"] == ("suggested", "model", CHECKOUT_SENTENCE)
    assert found["Late delivery"] == ("suggested", "model", QUICK_SENTENCE)
    return world


def _decide_url(w, theme, action="decide"):
    return f"/inbox/{w.item_id}/themes/{theme.pk}/{action}/"


# --- In the Inbox drawer ------------------------------------------------------------------------------------
def test_drawer_shows_accept_and_reject_to_analysts_with_how_decisions_are_used(login, cast, read):
    page = login(cast.analyst).get(f"/inbox/{read.item_id}/", headers=HTMX).content.decode()
    suggested = ThemeMention.objects.filter(item_id=read.item_id, status="suggested").count()
    assert page.count('value="accept"') == suggested == page.count('value="reject"')
    assert f'hx-post="/inbox/{read.item_id}/themes/{read.late.pk}/decide/"' in page
    assert "Add or relabel a theme" in page
    assert "accepted sentences become examples of their theme, rejected ones counter-examples" in page


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_drawer_shows_no_correction_controls_to_members_who_may_not_analyse(login, cast, read, role):
    page = login(cast.user(role)).get(f"/inbox/{read.item_id}/", headers=HTMX).content.decode()
    assert "Checkout and payment" in page and "Late delivery" in page  # they see the themes
    for control in ('value="accept"', 'value="reject"', "Add or relabel", "/themes/", "teach the model"):
        assert control not in page


def test_analyst_accepts_a_suggestion_in_place_and_it_becomes_an_example(login, cast, read):
    response = login(cast.analyst).post(
        _decide_url(read, read.checkout), {"decision": "accept"}, headers=HTMX
    )

    assert response.status_code == 200
    assert response.templates[0].name == "analysis/_item_themes.html"
    block = response.content.decode()
    assert f'id="item-themes-{read.item_id}"' in block and "<html" not in block  # the block only
    mention = ThemeMention.objects.get(item_id=read.item_id, theme=read.checkout)
    assert (mention.status, mention.decided_by) == ("accepted", cast.analyst)
    assert CHECKOUT_SENTENCE in _specs(cast.workspace)["Checkout and payment"].examples


def test_analyst_rejects_a_suggestion_it_disappears_and_becomes_a_counter_example(login, cast, read):
    response = login(cast.analyst).post(_decide_url(read, read.late), {"decision": "reject"}, headers=HTMX)

    assert response.status_code == 200
    block = response.content.decode()
    assert "<strong>Delivery › Late delivery</strong>" not in block  # gone from the list (not from selects)
    assert "<strong>Website and app › Checkout and payment</strong>" in block
    mention = ThemeMention.objects.get(item_id=read.item_id, theme=read.late)
    assert (mention.status, mention.decided_by) == ("rejected", cast.analyst)
    spec = _specs(cast.workspace)["Late delivery"]
    assert QUICK_SENTENCE in spec.rejected and QUICK_SENTENCE not in spec.examples


def test_without_javascript_a_decision_redirects_back_to_the_item(login, cast, read):
    client = login(cast.analyst)
    response = client.post(_decide_url(read, read.late), {"decision": "reject"})

    assert response.status_code == 302 and response["Location"] == f"/inbox/{read.item_id}/"
    page = client.get(response["Location"]).content.decode()
    assert "Theme “Delivery › Late delivery” rejected." in page
    assert _mentions(read.item_id)["Late delivery"][0] == "rejected"


def test_remove_takes_back_an_accepted_theme(login, cast, read):
    client = login(cast.analyst)
    client.post(_decide_url(read, read.checkout), {"decision": "accept"}, headers=HTMX)
    block = client.get(f"/inbox/{read.item_id}/", headers=HTMX).content.decode()
    assert ">Remove</button>" in block

    client.post(_decide_url(read, read.checkout), {"decision": "reject"}, headers=HTMX)

    assert _mentions(read.item_id)["Checkout and payment"][0] == "rejected"
    assert CHECKOUT_SENTENCE in _specs(cast.workspace)["Checkout and payment"].rejected


def test_opening_add_and_relabel_shows_the_active_themes_grouped_by_top_theme(login, cast, read):
    Theme.objects.filter(pk=read.prices.pk).update(is_active=False)
    client = login(cast.analyst)

    block = client.get(f"/inbox/{read.item_id}/themes/", headers=HTMX).content.decode()

    assert '<optgroup label="Delivery">' in block and "Delivery › Courier" in block
    assert "Relabel as" in block and "Add a theme" in block and 'name="evidence"' in block
    assert "Price and value › Prices" not in block  # switched off
    assert "Price and value › Promotions" in block
    page = client.get(f"/inbox/{read.item_id}/themes/")  # without JavaScript: the item's page, selects open
    assert (
        page.status_code == 200 and "Relabel as" in page.content.decode() and "<html" in page.content.decode()
    )


def test_analyst_adds_a_theme_with_its_sentence_and_that_sentences_sentiment(login, cast, read):
    evidence = "The prices are far higher than in the shop down the road."

    response = login(cast.analyst).post(
        f"/inbox/{read.item_id}/themes/add/", {"theme": read.prices.pk, "evidence": evidence}, headers=HTMX
    )

    assert response.status_code == 200 and "Price and value › Prices" in response.content.decode()
    m = ThemeMention.objects.get(item_id=read.item_id, theme=read.prices)
    expected = pipeline.read([evidence])[0]
    assert (m.source, m.status, m.score, m.decided_by) == ("analyst", "accepted", None, cast.analyst)
    assert (m.evidence, m.sentiment, m.sentiment_score) == (
        evidence,
        expected.sentiment,
        expected.sentiment_score,
    )
    assert evidence in _specs(cast.workspace)["Prices"].examples


def test_a_theme_added_without_evidence_takes_the_start_of_the_text(cast, read):
    m = services.mention_add(
        workspace=cast.workspace, user=cast.analyst, item_id=read.item_id, theme_id=read.prices.pk
    )
    assert m.evidence == TEXT[:300] and m.sentiment == pipeline.read([TEXT])[0].sentiment


def test_adding_a_suggested_theme_accepts_it_with_the_models_sentence(cast, read):
    m = services.mention_add(
        workspace=cast.workspace, user=cast.analyst, item_id=read.item_id, theme_id=read.checkout.pk
    )
    assert (m.status, m.source, m.evidence, m.decided_by) == (
        "accepted",
        "model",
        CHECKOUT_SENTENCE,
        cast.analyst,
    )
    assert ThemeMention.objects.filter(item_id=read.item_id, theme=read.checkout).count() == 1


def test_adding_a_rejected_theme_accepts_it_again(cast, read):
    kwargs = {"workspace": cast.workspace, "user": cast.analyst, "item_id": read.item_id}
    services.mention_decide(**kwargs, theme_id=read.late.pk, decision="reject")

    m = services.mention_add(**kwargs, theme_id=read.late.pk, evidence="It took three weeks to arrive.")

    assert (m.status, m.source, m.evidence) == ("accepted", "analyst", "It took three weeks to arrive.")
    assert ThemeMention.objects.filter(item_id=read.item_id, theme=read.late).count() == 1


def test_relabel_rejects_one_theme_and_adds_the_other_with_the_same_sentence(login, cast, read):
    response = login(cast.analyst).post(
        _decide_url(read, read.late, "relabel"), {"theme": read.delivery.pk}, headers=HTMX
    )

    assert response.status_code == 200
    found = _mentions(read.item_id)
    assert found["Late delivery"] == ("rejected", "model", QUICK_SENTENCE)
    assert found["Delivery"] == ("accepted", "analyst", QUICK_SENTENCE)
    specs = _specs(cast.workspace)
    assert QUICK_SENTENCE in specs["Delivery"].examples and QUICK_SENTENCE in specs["Late delivery"].rejected


def test_a_failed_relabel_changes_nothing(login, cast, read):
    Theme.objects.filter(pk=read.prices.pk).update(is_active=False)
    before = _snapshot()

    response = login(cast.analyst).post(
        _decide_url(read, read.late, "relabel"), {"theme": read.prices.pk}, headers=HTMX
    )

    assert response.status_code == 200 and "switched off" in response.content.decode()
    assert _snapshot() == before  # the rejection was rolled back with the refused add


def test_an_inactive_theme_cannot_be_added(login, cast, read):
    Theme.objects.filter(pk=read.delivery.pk).update(is_active=False)  # its sub-themes go with it
    with pytest.raises(ServiceError, match="switched off"):
        services.mention_add(
            workspace=cast.workspace, user=cast.analyst, item_id=read.item_id, theme_id=read.late.pk
        )
    client = login(cast.analyst)
    response = client.post(f"/inbox/{read.item_id}/themes/add/", {"theme": read.delivery.pk})
    assert response.status_code == 302
    assert "is switched off" in client.get(response["Location"]).content.decode()
    assert _mentions(read.item_id)["Late delivery"][0] == "suggested"


@pytest.mark.parametrize("body", [{}, {"theme": ""}, {"theme": "x"}])
def test_adding_without_choosing_a_theme_says_so(login, cast, read, body):
    response = login(cast.analyst).post(f"/inbox/{read.item_id}/themes/add/", body, headers=HTMX)
    assert response.status_code == 200 and "Choose a theme to add." in response.content.decode()


def test_a_bad_decision_is_refused(login, cast, read):
    before = _snapshot()
    response = login(cast.analyst).post(_decide_url(read, read.late), {"decision": "maybe"}, headers=HTMX)
    assert response.context["themes_error"] == 'The decision is "accept" or "reject".'
    assert 'role="alert">The decision is &quot;accept&quot;' in response.content.decode()
    assert _snapshot() == before


def test_deciding_on_a_theme_not_found_in_the_item_is_404(login, cast, read):
    with pytest.raises(NotFound, match="is not found in feedback item"):
        services.mention_decide(
            workspace=cast.workspace,
            user=None,
            item_id=read.item_id,
            theme_id=read.prices.pk,
            decision="accept",
        )
    assert login(cast.analyst).post(_decide_url(read, read.prices), {"decision": "accept"}).status_code == 404


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_members_who_may_not_analyse_get_403_and_change_nothing(login, cast, read, role):
    client = login(cast.user(role))
    before = _snapshot()

    assert client.get(f"/inbox/{read.item_id}/themes/").status_code == 403
    assert client.post(_decide_url(read, read.late), {"decision": "reject"}).status_code == 403
    assert (
        client.post(_decide_url(read, read.checkout), {"decision": "accept"}, headers=HTMX).status_code == 403
    )
    assert client.post(f"/inbox/{read.item_id}/themes/add/", {"theme": read.prices.pk}).status_code == 403
    assert (
        client.post(_decide_url(read, read.late, "relabel"), {"theme": read.delivery.pk}).status_code == 403
    )
    assert _snapshot() == before


# --- Reading again ------------------------------------------------------------------------------------------
def test_reading_again_keeps_decisions_and_never_suggests_a_rejected_theme_again(cast, read, api, acme_key):
    kwargs = {"workspace": cast.workspace, "user": cast.analyst, "item_id": read.item_id}
    services.mention_decide(**kwargs, theme_id=read.late.pk, decision="reject")
    services.mention_decide(**kwargs, theme_id=read.checkout.pk, decision="accept")

    services.enrich_items(item_ids=[read.item_id])

    found = _mentions(read.item_id)
    assert found["Late delivery"] == ("rejected", "model", QUICK_SENTENCE)
    assert found["Checkout and payment"] == ("accepted", "model", CHECKOUT_SENTENCE)
    assert ThemeMention.objects.get(item_id=read.item_id, theme=read.checkout).decided_by == cast.analyst
    themes = api("get", f"/api/v1/feedback/{read.item_id}", key=acme_key).json()["themes"]
    assert {t["path"] for t in themes} >= {"Website and app › Checkout and payment"}
    assert "Delivery › Late delivery" not in {t["path"] for t in themes}


def test_an_analysts_theme_survives_reading_again(cast, read):
    services.mention_add(
        workspace=cast.workspace,
        user=cast.analyst,
        item_id=read.item_id,
        theme_id=read.prices.pk,
        evidence="x",
    )
    services.enrich_items(item_ids=[read.item_id])
    assert _mentions(read.item_id)["Prices"] == ("accepted", "analyst", "x")


# --- By API -------------------------------------------------------------------------------------------------
def test_api_adds_a_theme_and_answers_the_items_themes(api, acme_key, read):
    response = api(
        "post",
        f"/api/v1/feedback/{read.item_id}/themes",
        key=acme_key,
        json={"theme_id": read.prices.pk, "evidence": "Far too expensive."},
    )

    assert response.status_code == 201, response.content
    themes = {t["path"]: t for t in response.json()}
    added = themes["Price and value › Prices"]
    assert added["source"] == "analyst" and added["status"] == "accepted" and added["score"] is None
    assert added["evidence"] == "Far too expensive." and added["theme_id"] == read.prices.pk
    assert added["sentiment"] == pipeline.read(["Far too expensive."])[0].sentiment
    assert response.json() == api("get", f"/api/v1/feedback/{read.item_id}", key=acme_key).json()["themes"]
    assert ThemeMention.objects.get(item_id=read.item_id, theme=read.prices).decided_by is None  # a key


def test_api_accepts_and_rejects(api, acme_key, read, cast):
    url = f"/api/v1/feedback/{read.item_id}/themes/{{}}/decision"

    accepted = api("post", url.format(read.checkout.pk), key=acme_key, json={"decision": "accept"})
    rejected = api("post", url.format(read.late.pk), key=acme_key, json={"decision": "reject"})

    assert accepted.status_code == 200 and rejected.status_code == 200
    listed = {t["path"]: t["status"] for t in rejected.json()}
    assert listed["Website and app › Checkout and payment"] == "accepted"
    assert "Delivery › Late delivery" not in listed
    specs = _specs(cast.workspace)
    assert CHECKOUT_SENTENCE in specs["Checkout and payment"].examples
    assert QUICK_SENTENCE in specs["Late delivery"].rejected


def test_api_refuses_bad_decisions_unknown_ids_and_read_keys(api, acme_key, make_key, cast, read):
    before = _snapshot()
    url = f"/api/v1/feedback/{read.item_id}/themes"
    bad = api("post", f"{url}/{read.late.pk}/decision", key=acme_key, json={"decision": "maybe"})
    assert assert_problem(bad, 422)["errors"][0]["loc"] == ["body", "decision"]
    assert_problem(
        api("post", f"{url}/{read.prices.pk}/decision", key=acme_key, json={"decision": "accept"}), 404
    )
    assert_problem(api("post", f"{url}/999999/decision", key=acme_key, json={"decision": "accept"}), 404)
    assert_problem(api("post", url, key=acme_key, json={"theme_id": 999999}), 404)
    assert_problem(
        api("post", "/api/v1/feedback/999999/themes", key=acme_key, json={"theme_id": read.prices.pk}), 404
    )
    Theme.objects.filter(pk=read.prices.pk).update(is_active=False)
    off = assert_problem(api("post", url, key=acme_key, json={"theme_id": read.prices.pk}), 400)
    assert "switched off" in off["detail"] and off["field"] == "theme_id"
    read_key = make_key(cast.workspace, ["read"])
    assert_problem(api("post", url, key=read_key, json={"theme_id": read.delivery.pk}), 403)
    assert_problem(
        api("post", f"{url}/{read.late.pk}/decision", key=read_key, json={"decision": "reject"}), 403
    )
    assert _snapshot() == before


def test_api_operations_are_documented(api):
    schema = api("get", "/api/v1/openapi.json").json()
    add = schema["paths"]["/api/v1/feedback/{item_id}/themes"]["post"]
    decide = schema["paths"]["/api/v1/feedback/{item_id}/themes/{theme_id}/decision"]["post"]
    assert add["summary"].startswith("Add a theme") and "counter-examples" in add["description"]
    assert decide["summary"].startswith("Accept or reject") and "404" in decide["description"]
    assert "201" in add["responses"] and "200" in decide["responses"]


# --- Workspace isolation ------------------------------------------------------------------------------------
def test_outsider_cannot_see_or_correct_acme_themes(login, cast, read, api, other_key):
    """Another workspace's member and key, with Acme's item and theme ids (and their own ids mixed with
    Acme's), get 404 everywhere; no mention of either workspace changes."""
    services.taxonomy_from_template(workspace=cast.other_workspace, template="online_retail")
    own_theme = _theme(cast.other_workspace, "Prices")
    own_item = api("post", "/api/v1/feedback", key=other_key, json=feedback_body(text="Too dear.")).json()[
        "id"
    ]
    before = _snapshot()
    client = login(cast.outsider)

    for headers in ({}, HTMX):
        response = client.get(f"/inbox/{read.item_id}/themes/", headers=headers)
        assert response.status_code == 404 and "Checkout" not in response.content.decode()
        assert (
            client.post(_decide_url(read, read.late), {"decision": "reject"}, headers=headers).status_code
            == 404
        )
        assert (
            client.post(_decide_url(read, read.checkout), {"decision": "accept"}, headers=headers).status_code
            == 404
        )
        for theme_id in (read.prices.pk, own_theme.pk):
            add = client.post(f"/inbox/{read.item_id}/themes/add/", {"theme": theme_id}, headers=headers)
            assert add.status_code == 404
        relabel = client.post(
            _decide_url(read, read.late, "relabel"), {"theme": own_theme.pk}, headers=headers
        )
        assert relabel.status_code == 404
        mine = client.post(f"/inbox/{own_item}/themes/add/", {"theme": read.prices.pk}, headers=headers)
        assert mine.status_code == 404  # their own item, Acme's theme
    block = client.get(f"/inbox/{own_item}/themes/", headers=HTMX).content.decode()
    assert f'value="{read.prices.pk}"' not in block and f'value="{own_theme.pk}"' in block  # own themes only

    url = f"/api/v1/feedback/{read.item_id}/themes"
    assert_problem(api("post", url, key=other_key, json={"theme_id": read.prices.pk}), 404)
    assert_problem(api("post", url, key=other_key, json={"theme_id": own_theme.pk}), 404)
    assert_problem(
        api("post", f"/api/v1/feedback/{own_item}/themes", key=other_key, json={"theme_id": read.prices.pk}),
        404,
    )
    for theme in (read.late, read.checkout):
        response = api("post", f"{url}/{theme.pk}/decision", key=other_key, json={"decision": "reject"})
        body = assert_problem(response, 404)
        assert "Late" not in body["detail"] and "Checkout" not in body["detail"]
    assert _snapshot() == before
