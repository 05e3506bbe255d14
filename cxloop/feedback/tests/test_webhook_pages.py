"""Settings › Webhooks: the endpoint list and form, an endpoint's page, and replaying dead letters.

Owners and admins manage webhooks; analysts, agents and viewers are refused; a member of another workspace
reaches none of Acme's endpoints or deliveries, whatever ids they post.
"""

from __future__ import annotations

import copy
import json
import re
from html import unescape

import pytest

from cxloop.feedback import webhooks
from cxloop.feedback.models import FeedbackItem, WebhookDelivery, WebhookEndpoint
from cxloop.feedback.presets import PRESETS

LIST = "/settings/webhooks/"
REVIEWS = PRESETS["generic_reviews"]["mapping"]


def detail_url(endpoint) -> str:
    return f"/settings/webhooks/{endpoint.pk}/"


def replay_url(delivery) -> str:
    return f"/settings/webhooks/deliveries/{delivery.pk}/replay/"


@pytest.fixture
def endpoint(cast) -> WebhookEndpoint:
    return webhooks.endpoint_create(
        workspace=cast.workspace, name="Acme reviews", mapping=copy.deepcopy(REVIEWS)
    )


@pytest.fixture
def dead_letter(endpoint) -> WebhookDelivery:
    """A delivery of Acme's endpoint that failed mapping (no date), waiting for a replay."""
    delivery = WebhookDelivery.objects.create(
        workspace=endpoint.workspace,
        endpoint=endpoint,
        webhook_id="msg_dead",
        body=json.dumps({"id": "r-1", "created": "2026-01-02T10:00:00Z", "rating": 4}),
        status=WebhookDelivery.Status.FAILED,
        error="occurred_at: Field required",
        attempts=1,
    )
    return delivery


def endpoints_state() -> list:
    return list(
        WebhookEndpoint.objects.order_by("pk").values_list(
            "pk", "workspace_id", "name", "mapping", "is_active"
        )
    )


def deliveries_state() -> list:
    return list(
        WebhookDelivery.objects.order_by("pk").values_list(
            "pk", "status", "error", "attempts", "feedback_item_id"
        )
    )


def textarea(page: str, element_id: str) -> str:
    """The text inside the textarea with this id, unescaped."""
    match = re.search(rf'<textarea id="{element_id}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea #{element_id}"
    return unescape(match.group(1))


def form(**changes) -> dict:
    data = {"name": "Trustpilot", "verification": "standard", "mapping": json.dumps(REVIEWS)}
    data.update(changes)
    return data


# --- Who may see the pages ------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_and_admin_see_the_list_and_an_endpoint(cast, login, endpoint, dead_letter, role):
    client = login(cast.user(role))

    listing = client.get(LIST)
    page = client.get(detail_url(endpoint))

    assert listing.status_code == 200
    assert "Acme reviews" in listing.content.decode()
    assert "(<strong>1</strong> now)" in listing.content.decode()  # the dead-letter count
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/api/v1/hooks/{endpoint.token}" in html
    assert endpoint.secret in html
    assert "msg_dead" in html and "occurred_at: Field required" in html
    assert f'action="{replay_url(dead_letter)}"' in html


@pytest.mark.parametrize("role", ["analyst", "agent", "viewer"])
def test_other_roles_are_refused_every_webhook_page(cast, login, endpoint, dead_letter, role):
    client = login(cast.user(role))
    before = (endpoints_state(), deliveries_state())

    responses = [
        client.get(LIST),
        client.post(LIST, form()),
        client.get(detail_url(endpoint)),
        client.post(detail_url(endpoint), {"mapping": json.dumps({"fields": {"text": "body"}})}),
        client.post(replay_url(dead_letter)),
    ]

    assert [r.status_code for r in responses] == [403] * 5
    assert endpoint.secret not in "".join(r.content.decode() for r in responses)
    assert (endpoints_state(), deliveries_state()) == before


def test_anonymous_visitor_is_sent_to_login(client, endpoint):
    response = client.get(detail_url(endpoint))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- Creating an endpoint -------------------------------------------------------------------------
def test_owner_creates_an_endpoint_through_the_form(cast, login):
    response = login(cast.owner).post(LIST, form(), follow=True)

    endpoint = WebhookEndpoint.objects.get()
    assert response.redirect_chain == [(detail_url(endpoint), 302)]
    assert "Endpoint “Trustpilot” created." in response.content.decode()
    assert (endpoint.workspace, endpoint.name, endpoint.mapping) == (cast.workspace, "Trustpilot", REVIEWS)
    assert endpoint.verification == "standard" and endpoint.secret.startswith("whsec_")


def test_form_offers_the_generic_reviews_mapping_to_start_from(cast, login):
    html = login(cast.admin).get(LIST).content.decode()

    assert json.loads(textarea(html, "wh-map")) == REVIEWS
    for name in PRESETS:
        assert f"<code>{name}</code>" in html


def test_creating_with_shared_secret_verification_and_own_header(cast, login):
    login(cast.owner).post(LIST, form(verification="shared_secret", secret_header="X-Shop-Token"))

    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.verification, endpoint.secret_header) == ("shared_secret", "X-Shop-Token")
    assert not endpoint.secret.startswith("whsec_")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"mapping": '{"kind": "feedback",\n "fields": }'},
            "Mapping is not valid JSON: Expecting value at line 2 column 12.",
        ),
        ({"mapping": ""}, "Mapping is not valid JSON: Expecting value at line 1 column 1."),
        (
            {"mapping": json.dumps({"fields": {"rating": "stars"}})},
            "Mapping: unknown feedback field &#x27;rating&#x27;",
        ),
        ({"mapping": "[1, 2]"}, "Mapping: a mapping is a JSON object"),
        ({"name": "  "}, "Give the endpoint a name."),
        ({"verification": "none"}, "Unknown verification."),
    ],
    ids=["invalid-json", "empty", "unknown-field", "not-an-object", "no-name", "bad-verification"],
)
def test_bad_form_shows_the_error_and_creates_nothing(cast, login, changes, message):
    response = login(cast.owner).post(LIST, form(**changes))

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert not WebhookEndpoint.objects.exists()
    if "mapping" in changes:
        assert textarea(html, "wh-map") == changes["mapping"]  # what was typed is kept, to be fixed


# --- An endpoint's mapping ------------------------------------------------------------------------
def test_saving_a_mapping_on_the_endpoint_page(cast, login, endpoint):
    mapping = copy.deepcopy(REVIEWS)
    mapping["fields"]["occurred_at"] = "created"

    response = login(cast.admin).post(detail_url(endpoint), {"mapping": json.dumps(mapping)}, follow=True)

    assert response.redirect_chain == [(detail_url(endpoint), 302)]
    assert "Mapping saved. Replay dead letters to apply it to them." in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.mapping["fields"]["occurred_at"] == "created"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{not json",
            "Mapping is not valid JSON: Expecting property name enclosed in double quotes at line 1",
        ),
        (json.dumps({"fields": {"text": 5}}), "source of &#x27;text&#x27; must be a path"),
    ],
)
def test_bad_mapping_on_the_endpoint_page_is_shown_and_not_saved(cast, login, endpoint, text, message):
    response = login(cast.owner).post(detail_url(endpoint), {"mapping": text})

    assert response.status_code == 200
    assert message in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.mapping == REVIEWS


def test_replaying_after_the_fix_on_the_pages_stores_the_item(cast, login, endpoint, dead_letter):
    client = login(cast.owner)
    mapping = copy.deepcopy(REVIEWS)
    mapping["fields"]["occurred_at"] = "created"
    client.post(detail_url(endpoint), {"mapping": json.dumps(mapping)})

    response = client.post(replay_url(dead_letter), follow=True)

    assert response.redirect_chain == [(detail_url(endpoint), 302)]
    dead_letter.refresh_from_db()
    assert (dead_letter.status, dead_letter.attempts) == ("stored", 2)
    assert FeedbackItem.objects.get(workspace=cast.workspace).external_id == "r-1"


def test_replay_is_post_only(cast, login, dead_letter):
    response = login(cast.owner).get(replay_url(dead_letter))

    assert response.status_code == 405
    dead_letter.refresh_from_db()
    assert dead_letter.attempts == 1


# --- Another workspace's member -------------------------------------------------------------------
def test_outsider_sees_only_their_own_endpoints(cast, login, endpoint, dead_letter):
    own = webhooks.endpoint_create(workspace=cast.other_workspace, name="Other hooks", mapping=REVIEWS)
    client = login(cast.outsider)

    html = client.get(LIST).content.decode()
    client.post(LIST, form(name="Made by outsider"))

    assert "Other hooks" in html
    assert "Acme reviews" not in html and endpoint.token not in html
    assert "(<strong>1</strong> now)" not in html  # Acme's dead letter is not counted
    made = WebhookEndpoint.objects.get(name="Made by outsider")
    assert made.workspace == cast.other_workspace
    assert set(WebhookEndpoint.objects.filter(workspace=cast.workspace)) == {endpoint}
    assert own.workspace == cast.other_workspace


def test_outsider_gets_404_for_acme_endpoint_and_cannot_change_its_mapping(
    cast, login, endpoint, dead_letter
):
    client = login(cast.outsider)
    before = (endpoints_state(), deliveries_state())

    page = client.get(detail_url(endpoint))
    change = client.post(detail_url(endpoint), {"mapping": json.dumps({"fields": {"text": "x"}})})

    assert (page.status_code, change.status_code) == (404, 404)
    for response in (page, change):
        html = response.content.decode()
        assert endpoint.token not in html and endpoint.secret not in html and "msg_dead" not in html
    assert (endpoints_state(), deliveries_state()) == before


def test_outsider_cannot_replay_acme_delivery_by_posting_its_id(cast, login, endpoint, dead_letter):
    # Even with a mapping that would now store it: the replay must not run at all.
    mapping = copy.deepcopy(REVIEWS)
    mapping["fields"]["occurred_at"] = "created"
    webhooks.endpoint_update_mapping(workspace=cast.workspace, endpoint_id=endpoint.pk, mapping=mapping)
    before = (endpoints_state(), deliveries_state())

    response = login(cast.outsider).post(replay_url(dead_letter))

    assert response.status_code == 404
    assert (endpoints_state(), deliveries_state()) == before
    assert not FeedbackItem.objects.exists()


def test_unknown_ids_are_404(cast, login):
    client = login(cast.owner)

    assert client.get("/settings/webhooks/999999/").status_code == 404
    assert client.post("/settings/webhooks/deliveries/999999/replay/").status_code == 404
