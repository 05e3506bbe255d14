"""The website widget: its script, its configuration, answering page by page, and its settings pages."""

from __future__ import annotations

import gzip
import json

import pytest

from cxloop.customers.models import Customer
from cxloop.feedback.models import FeedbackItem
from cxloop.surveys.models import Response
from cxloop.surveys.tests.helpers import live_survey
from cxloop.widget import services
from cxloop.widget.models import Placement, WidgetSite

pytestmark = pytest.mark.django_db

PLACEMENT = {
    "enabled": True,
    "mode": "popover",
    "url_op": "contains",
    "url_value": "/thank-you",
    "delay_seconds": 3,
    "exit_intent": False,
    "events": "checkout_completed, order.paid",
    "sample_rate": 50,
    "targeting": "plan = gold\norders > 3\ncountry in DE, AT",
    "cooldown_days": 30,
    "tab_label": "Feedback",
}


@pytest.fixture
def shop(cast):
    """Acme's widget with the relationship NPS survey placed on its thank-you page."""
    survey = live_survey(cast.workspace, template="relationship_nps", name="Shop NPS")
    services.placement_save(survey=survey, **PLACEMENT)
    return services.site_for(cast.workspace), survey


def post(client, site, path, body, origin="https://shop.example.com"):
    return client.post(
        f"/w/{site.site_key}/{path}",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_ORIGIN=origin,
    )


def test_script_is_small_and_served_for_embedding(client):
    resp = client.get("/widget.js")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/javascript")
    assert len(gzip.compress(resp.content)) < 15 * 1024
    assert b"cxloop" in resp.content and b"import " not in resp.content


def test_config_lists_live_placements_with_triggers_and_targeting(client, shop):
    site, survey = shop
    resp = client.get(f"/w/{site.site_key}/config?lang=de-DE", HTTP_ORIGIN="https://shop.example.com")
    assert resp.status_code == 200
    assert resp["Access-Control-Allow-Origin"] == "https://shop.example.com"
    (p,) = resp.json()["placements"]
    assert p["survey"] == survey.pk and p["mode"] == "popover" and p["language"] == "de"
    assert p["url"] == {"op": "contains", "value": "/thank-you"}
    assert p["events"] == ["checkout_completed", "order.paid"] and p["sample_rate"] == 50
    assert p["targeting"] == [
        {"attribute": "plan", "op": "eq", "value": "gold"},
        {"attribute": "orders", "op": "gt", "value": "3"},
        {"attribute": "country", "op": "in", "value": ["DE", "AT"]},
    ]


def test_closed_or_disabled_surveys_leave_the_config(client, shop):
    from cxloop.surveys import services as surveys

    site, survey = shop
    surveys.survey_close(survey=survey, actor=None)
    assert client.get(f"/w/{site.site_key}/config").json()["placements"] == []


def test_answering_page_by_page_stores_a_widget_response(client, shop):
    site, survey = shop
    started = post(client, site, "start", {"survey": survey.pk, "language": "en"})
    assert started.status_code == 200
    data = started.json()
    assert [q["name"] for q in data["page"]["questions"]] == ["nps"]
    assert not Response.objects.exists()  # nothing stored before the first answer
    token = data["token"]
    first = post(
        client, site, "answer", {"survey": survey.pk, "token": token, "page": 0, "answers": {"nps": 4}}
    )
    assert first.status_code == 200, first.content
    assert [q["name"] for q in first.json()["page"]["questions"]] == ["reason"]
    item = FeedbackItem.objects.get()
    assert item.channel == "web_widget" and item.metadata["response_status"] == "partial"
    second = post(
        client,
        site,
        "answer",
        {"survey": survey.pk, "token": token, "page": 1, "answers": {"reason": "Slow"}},
    )
    assert "fix_first" in [q["name"] for q in second.json()["page"]["questions"]]
    done = post(
        client,
        site,
        "answer",
        {"survey": survey.pk, "token": token, "page": 2, "answers": {"fix_first": "delivery"}},
    )
    assert done.json()["ending"]["title"] == "Thank you!"
    response = Response.objects.get()
    assert response.via == "widget" and response.status == "completed"
    item.refresh_from_db()
    assert item.metadata["response_status"] == "completed" and item.customer is None


def test_invalid_answer_is_422_with_the_question_named(client, shop):
    site, survey = shop
    token = post(client, site, "start", {"survey": survey.pk}).json()["token"]
    resp = post(
        client, site, "answer", {"survey": survey.pk, "token": token, "page": 0, "answers": {"nps": 12}}
    )
    assert resp.status_code == 422
    assert resp.json()["errors"] == {"nps": "12 is outside the scale 0 to 10."}
    assert not Response.objects.exists()


def test_forged_token_and_bad_bodies_are_refused(client, shop):
    site, survey = shop
    forged = post(
        client, site, "answer", {"survey": survey.pk, "token": "abc", "page": 0, "answers": {"nps": 9}}
    )
    assert forged.status_code == 400 and forged.json()["field"] == "token"
    bad = client.post(f"/w/{site.site_key}/answer", data=b"{not json", content_type="application/json")
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["detail"]
    no_page = post(client, site, "answer", {"survey": survey.pk, "token": "x"})
    assert no_page.status_code == 400 and no_page.json()["field"] == "page"
    assert not Response.objects.exists()


def test_signed_visitor_is_linked_to_their_customer_unsigned_stays_anonymous(client, shop):
    site, survey = shop
    for visitor in ({"id": "CRM-7", "user_hash": "0" * 64}, {"id": "CRM-7"}):
        token = post(client, site, "start", {"survey": survey.pk}).json()["token"]
        post(
            client,
            site,
            "answer",
            {"survey": survey.pk, "token": token, "page": 0, "answers": {"nps": 9}, "visitor": visitor},
        )
    assert not Customer.objects.exists()
    assert list(FeedbackItem.objects.values_list("customer", flat=True)) == [None, None]
    signed = {"id": "CRM-7", "user_hash": services.identity_hash(site, "CRM-7")}
    token = post(client, site, "start", {"survey": survey.pk}).json()["token"]
    post(
        client,
        site,
        "answer",
        {"survey": survey.pk, "token": token, "page": 0, "answers": {"nps": 9}, "visitor": signed},
    )
    customer = Customer.objects.get()
    assert FeedbackItem.objects.filter(customer=customer).count() == 1


def test_origins_outside_the_allowed_list_are_refused(client, shop):
    site, survey = shop
    services.site_update(site=site, allowed_origins="https://shop.example.com", is_active=True)
    evil = client.get(f"/w/{site.site_key}/config", HTTP_ORIGIN="https://evil.example")
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil
    resp = post(client, site, "start", {"survey": survey.pk}, origin="https://evil.example")
    assert resp.status_code == 403
    ok = client.get(f"/w/{site.site_key}/config", HTTP_ORIGIN="https://shop.example.com")
    assert ok.status_code == 200


def test_preflight_answers_with_cors_headers(client, shop):
    site, _ = shop
    resp = client.options(f"/w/{site.site_key}/answer", HTTP_ORIGIN="https://shop.example.com")
    assert resp.status_code == 204
    assert resp["Access-Control-Allow-Headers"] == "Content-Type"


def test_rate_limit_per_address(client, shop, settings):
    settings.SURVEY_SUBMIT_RATE_PER_MINUTE = 2
    site, survey = shop
    token = post(client, site, "start", {"survey": survey.pk}).json()["token"]
    codes = [
        post(
            client, site, "answer", {"survey": survey.pk, "token": token, "page": 0, "answers": {"nps": 99}}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [422, 422, 429]


def test_unknown_or_inactive_site_key_is_404(client, shop):
    site, _ = shop
    assert client.get("/w/ws_nope/config").status_code == 404
    services.site_update(site=site, allowed_origins="", is_active=False)
    assert client.get(f"/w/{site.site_key}/config").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sample_rate": 150}, "sample_rate"),
        ({"url_op": "contains", "url_value": " "}, "url_value"),
        ({"events": "bad event!"}, "events"),
        ({"targeting": "plan is gold"}, "targeting"),
        ({"mode": "banner"}, "mode"),
    ],
)
def test_placement_form_refuses_bad_settings_and_keeps_input(login, cast, change, field):
    survey = live_survey(cast.workspace, template="pmf")
    body = {**PLACEMENT, "enabled": "on", "exit_intent": "", **change}
    resp = login(cast.analyst).post(f"/surveys/{survey.pk}/widget/", body)
    assert resp.status_code == 422
    assert not Placement.objects.exists()
    if field == "targeting":
        assert "plan is gold" in resp.content.decode()


def test_analyst_places_a_survey_and_it_reaches_the_config(login, client, cast):
    survey = live_survey(cast.workspace, template="pmf", name="PMF")
    body = {**PLACEMENT, "enabled": "on", "mode": "tab", "url_op": "any", "url_value": "", "exit_intent": ""}
    resp = login(cast.analyst).post(f"/surveys/{survey.pk}/widget/", body)
    assert resp.status_code == 302
    site = WidgetSite.objects.get(workspace=cast.workspace)
    (p,) = client.get(f"/w/{site.site_key}/config").json()["placements"]
    assert p["mode"] == "tab" and p["survey"] == survey.pk


def test_a_draft_cannot_be_placed(login, cast):
    from cxloop.surveys import services as surveys

    draft = surveys.survey_create(workspace=cast.workspace, actor=None, name="D", template="pmf")
    resp = login(cast.analyst).post(f"/surveys/{draft.pk}/widget/", {**PLACEMENT, "enabled": "on"})
    assert resp.status_code == 422 and "Publish the survey" in resp.content.decode()


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_cannot_place_surveys(login, cast, role):
    survey = live_survey(cast.workspace, template="pmf")
    client = login(cast.user(role))
    assert client.post(f"/surveys/{survey.pk}/widget/", {**PLACEMENT, "enabled": "on"}).status_code == 403
    assert client.get("/settings/widget/").status_code == 403
    assert not Placement.objects.exists()


def test_owner_sets_allowed_origins_and_rotates_the_secret(login, cast):
    client = login(cast.owner)
    page = client.get("/settings/widget/")
    site = WidgetSite.objects.get(workspace=cast.workspace)
    assert site.site_key in page.content.decode()
    client.post(
        "/settings/widget/",
        {"allowed_origins": "https://Shop.example.com/\nhttp://localhost:3000", "is_active": "on"},
    )
    site.refresh_from_db()
    assert site.allowed_origins == ["http://localhost:3000", "https://shop.example.com"]
    bad = client.post(
        "/settings/widget/", {"allowed_origins": "shop.example.com/path", "is_active": "on"}, follow=True
    )
    assert "is not an origin" in bad.content.decode()
    old = site.identity_secret
    client.post("/settings/widget/", {"action": "rotate"})
    site.refresh_from_db()
    assert site.identity_secret != old


def test_outsider_cannot_place_acme_surveys_or_answer_them_through_their_own_widget(
    login, client, cast, shop
):
    acme_site, survey = shop
    outsider = login(cast.outsider)
    assert outsider.get(f"/surveys/{survey.pk}/widget/").status_code == 404
    assert outsider.post(f"/surveys/{survey.pk}/widget/", {**PLACEMENT, "enabled": "on"}).status_code == 404
    page = outsider.get("/settings/widget/").content.decode()
    assert acme_site.site_key not in page and "Shop NPS" not in page
    their_site = services.site_for(cast.other_workspace)
    assert client.get(f"/w/{their_site.site_key}/config").json()["placements"] == []
    started = post(client, their_site, "start", {"survey": survey.pk})
    assert started.status_code == 404
    assert not Response.objects.exists()


def test_signed_visitor_asked_recently_on_another_channel_is_not_shown_the_survey(client, shop):
    from cxloop.customers.models import Customer
    from cxloop.outreach.services import contact_record

    site, survey = shop
    signed = {"id": "CRM-9", "user_hash": services.identity_hash(site, "CRM-9")}
    first = post(client, site, "start", {"survey": survey.pk, "visitor": signed})
    assert first.status_code == 200  # shown, and logged as a contact
    again = post(client, site, "start", {"survey": survey.pk, "visitor": signed})
    assert again.status_code == 409 and "cooldown" in again.json()["detail"]
    other = Customer.objects.create(workspace=site.workspace, name="Asked by email")
    from cxloop.customers.models import Identity

    Identity.objects.create(workspace=site.workspace, customer=other, kind="external_id", value="CRM-10")
    contact_record(workspace=site.workspace, customer_id=other.pk, channel="email", survey=survey)
    emailed = {"id": "CRM-10", "user_hash": services.identity_hash(site, "CRM-10")}
    assert post(client, site, "start", {"survey": survey.pk, "visitor": emailed}).status_code == 409
    anonymous = post(client, site, "start", {"survey": survey.pk})
    assert anonymous.status_code == 200


def test_unsubscribed_signed_visitor_is_not_shown_the_survey(client, shop):
    from cxloop.customers.models import Customer

    site, survey = shop
    signed = {"id": "CRM-11", "user_hash": services.identity_hash(site, "CRM-11")}
    services.verified_customer_id(site, signed)
    Customer.objects.filter(workspace=site.workspace).update(unsubscribed_at="2026-01-01T00:00:00Z")
    resp = post(client, site, "start", {"survey": survey.pk, "visitor": signed})
    assert resp.status_code == 409 and "unsubscribed" in resp.json()["detail"]
