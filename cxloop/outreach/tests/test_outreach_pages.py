"""The staff pages: invite (audience, preview, send), a campaign's invitations, Settings › Outreach; who may
use them; and that another workspace's member gets nothing of Acme through any outreach route."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from cxloop.customers.models import Customer
from cxloop.outreach import services
from cxloop.outreach.audience import Audience
from cxloop.outreach.links import unsubscribe_token
from cxloop.outreach.models import Bounce, Campaign, Invitation, OutreachSettings
from cxloop.surveys.models import Response
from cxloop.surveys.tests.helpers import form, live_survey

from .helpers import customer, invitation_link, send

pytestmark = pytest.mark.django_db


def _send_form(**fields):
    return {"action": "send", "audience": "all", "channel": "email", "expires_after_days": "14", **fields}


def test_analyst_previews_sends_and_follows_a_campaign(
    login, cast, nps_survey, django_capture_on_commit_callbacks
):
    customer(cast.workspace, "ana@example.com", name="Ana", segment="enterprise")
    customer(cast.workspace, "ben@example.com", name="Ben", segment="enterprise")
    customer(cast.workspace, "cy@example.com", name="Cy", segment="smb")
    Customer.objects.filter(email="ben@example.com").update(unsubscribed_at=timezone.now())
    client = login(cast.analyst)

    detail = client.get(f"/surveys/{nps_survey.pk}/").content.decode()
    assert (
        f'href="/surveys/{nps_survey.pk}/invite/"' in detail and f"/surveys/{nps_survey.pk}/qr.svg" in detail
    )
    page = client.get(f"/surveys/{nps_survey.pk}/invite/")
    assert (
        page.status_code == 200 and '<option value="enterprise">enterprise</option>' in page.content.decode()
    )

    segment = {"audience": "segment", "segment": "enterprise", "channel": "email", "expires_after_days": "14"}
    preview = client.post(
        f"/surveys/{nps_survey.pk}/invite/", {"action": "preview", **segment}
    ).content.decode()
    assert (
        "<strong>1</strong> of 2 customers would get an invitation; <strong>1</strong> suppressed" in preview
    )
    assert "<td>Unsubscribed</td><td>1</td>" in preview
    assert 'value="send"' in preview and "Send 1 invitation<" in preview
    assert '<option value="enterprise" selected>' in preview  # the choice is kept
    assert not Invitation.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            f"/surveys/{nps_survey.pk}/invite/", {"action": "send", "reminder_after_days": "3", **segment}
        )
    campaign = Campaign.objects.get()
    assert (
        sent.status_code == 302 and sent["Location"] == f"/surveys/{nps_survey.pk}/campaigns/{campaign.pk}/"
    )
    assert [m.to for m in mail.outbox] == [["ana@example.com"]]
    assert campaign.created_by == cast.analyst and campaign.reminder_after_days == 3
    assert campaign.audience == {
        "kind": "segment",
        "segment": "enterprise",
        "plan": "",
        "region": "",
        "country": "",
    }

    Client().post(invitation_link(mail.outbox[0], "nps=6"), form(0, nps="6"))
    assert Response.objects.get().status == "completed"
    status = client.get(sent["Location"]).content.decode()
    assert "Customers with segment enterprise" in status
    assert "<td>2</td><td>1</td><td>1</td><td>1</td>" in status  # audience, suppressed, invited, sent
    assert "100.0%" in status and '<span class="score">answered</span>' in status
    assert "Not invited: Unsubscribed 1" in status
    answered_only = client.get(sent["Location"] + "?status=bounced").content.decode()
    assert "No invitations with this status." in answered_only
    listing = client.get(f"/surveys/{nps_survey.pk}/invite/").content.decode()
    assert f'href="/surveys/{nps_survey.pk}/campaigns/{campaign.pk}/"' in listing


def test_bad_input_is_named_and_what_was_typed_stays(login, cast, nps_survey):
    customer(cast.workspace, "ana@example.com")
    client = login(cast.analyst)
    typed = "ana@example.com\nnot an address"
    page = client.post(
        f"/surveys/{nps_survey.pk}/invite/", _send_form(audience="list", entries=typed, subject="Hi there")
    )
    text = page.content.decode()
    assert page.status_code == 422
    assert "Line 2: &#x27;not&#x27; is neither an email address nor a customer id." in text
    assert f">{typed}</textarea>" in text and 'value="Hi there"' in text
    days = client.post(f"/surveys/{nps_survey.pk}/invite/", _send_form(expires_after_days="two weeks"))
    assert days.status_code == 422
    assert "Links expire after: &#x27;two weeks&#x27; is not a whole number of days." in days.content.decode()
    assert 'value="two weeks"' in days.content.decode()
    assert not Invitation.objects.exists()


def test_a_draft_can_be_previewed_but_not_sent(login, cast):
    from cxloop.surveys.services import survey_create

    draft = survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    customer(cast.workspace, "ana@example.com")
    client = login(cast.analyst)
    preview = client.post(f"/surveys/{draft.pk}/invite/", {"action": "preview", "audience": "all"})
    assert preview.status_code == 200 and 'value="send"' not in preview.content.decode()
    refused = client.post(f"/surveys/{draft.pk}/invite/", _send_form())
    assert refused.status_code == 422 and "Publish the survey first" in refused.content.decode()


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_cannot_invite_or_see_campaigns(login, cast, nps_survey, role):
    customer(cast.workspace, "ana@example.com")
    campaign = send(cast.workspace, nps_survey)
    client = login(cast.user(role))
    assert client.get(f"/surveys/{nps_survey.pk}/invite/").status_code == 403
    assert client.post(f"/surveys/{nps_survey.pk}/invite/", _send_form()).status_code == 403
    assert client.get(f"/surveys/{nps_survey.pk}/campaigns/{campaign.pk}/").status_code == 403
    assert client.get("/settings/outreach/").status_code == 403
    assert client.get(f"/surveys/{nps_survey.pk}/qr.png").status_code == 200  # the link is theirs to print
    assert Campaign.objects.count() == 1
    assert (
        'href="/surveys/' + str(nps_survey.pk) + '/invite/"'
        not in client.get(f"/surveys/{nps_survey.pk}/").content.decode()
    )


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_set_the_cooldown(login, cast, role):
    client = login(cast.user(role))
    page = client.get("/settings/outreach/")
    assert page.status_code == 200 and 'value="30"' in page.content.decode()
    assert 'href="/settings/outreach/"' in client.get("/settings/").content.decode()
    saved = client.post("/settings/outreach/", {"cooldown_days": "14"}, follow=True)
    assert "No customer is asked more than once in 14 days." in saved.content.decode()
    assert OutreachSettings.objects.get(workspace=cast.workspace).cooldown_days == 14
    off = client.post("/settings/outreach/", {"cooldown_days": "0"}, follow=True)
    assert "The contact-frequency rule is off" in off.content.decode()


def test_analysts_cannot_change_the_cooldown_and_bad_values_are_refused(login, cast):
    assert login(cast.analyst).post("/settings/outreach/", {"cooldown_days": "1"}).status_code == 403
    client = login(cast.admin)
    for typed, message in (
        ("soon", "Cooldown: &#x27;soon&#x27; is not a whole number of days."),
        ("400", "The cooldown is 0 (off) to 365 days; 400 is outside that."),
    ):
        page = client.post("/settings/outreach/", {"cooldown_days": typed})
        assert page.status_code == 422 and message in page.content.decode()
        assert f'value="{typed}"' in page.content.decode()
    assert not OutreachSettings.objects.exists()


def test_outsider_cannot_invite_to_or_see_campaigns_of_acme_surveys(login, cast, nps_survey):
    customer(cast.workspace, "ana@example.com")
    acme_campaign = send(cast.workspace, nps_survey)
    own_survey = live_survey(cast.other_workspace, template="pmf", name="Other Co survey")
    client = login(cast.outsider)
    assert client.get(f"/surveys/{nps_survey.pk}/invite/").status_code == 404
    assert client.post(f"/surveys/{nps_survey.pk}/invite/", _send_form()).status_code == 404
    for survey_id in (nps_survey.pk, own_survey.pk):
        page = client.get(f"/surveys/{survey_id}/campaigns/{acme_campaign.pk}/")
        assert page.status_code == 404 and b"ana@example.com" not in page.content
    # inviting to their own survey reaches only their own customers
    listing = client.post(
        f"/surveys/{own_survey.pk}/invite/",
        {
            "action": "preview",
            "audience": "list",
            "entries": f"ana@example.com\n{acme_campaign.invitations.get().customer_id}",
        },
    ).content.decode()
    assert (
        "<strong>0</strong> of 0 customers" in listing and "2 pasted entries matched no customer" in listing
    )
    assert Campaign.objects.count() == 1 and Invitation.objects.count() == 1


def test_outsider_changes_only_their_own_cooldown(login, cast):
    services.outreach_settings_update(workspace=cast.workspace, actor=None, cooldown_days=45)
    client = login(cast.outsider)
    page = client.get("/settings/outreach/")
    assert 'value="30"' in page.content.decode()  # their own default, not Acme's 45
    client.post("/settings/outreach/", {"cooldown_days": "2", "workspace": str(cast.workspace.pk)})
    assert OutreachSettings.objects.get(workspace=cast.workspace).cooldown_days == 45
    assert OutreachSettings.objects.get(workspace=cast.other_workspace).cooldown_days == 2


def test_an_acme_invitation_token_opens_nothing_on_another_survey(client, cast, nps_survey):
    customer(cast.workspace, "ana@example.com")
    send(cast.workspace, nps_survey)
    token = invitation_link(mail.outbox[0]).split("/")[4]
    other = live_survey(cast.other_workspace, definition=nps_survey.definition, name="Other Co NPS")
    assert client.get(f"/s/{other.slug}/i/{token}/?nps=1").status_code == 404
    assert client.post(f"/s/{other.slug}/i/{token}/", form(0, nps="1")).status_code == 404
    assert not Response.objects.exists()
    assert Invitation.objects.get().opened_at is None


def test_an_unsubscribe_link_only_unsubscribes_the_customer_it_was_signed_for(client, cast):
    ana = customer(cast.workspace, "ana@example.com")
    foreign = customer(cast.other_workspace, "ana@example.com")
    own = unsubscribe_token(workspace_id=cast.other_workspace.pk, customer_id=foreign.pk)
    payload, signature = own.rsplit(":", 1)
    acme_payload = unsubscribe_token(workspace_id=cast.workspace.pk, customer_id=ana.pk).rsplit(":", 1)[0]
    assert client.post(f"/unsubscribe/{acme_payload}:{signature}/").status_code == 404
    # a genuine token for another workspace's customer id resolves nothing in that workspace
    cross = unsubscribe_token(workspace_id=cast.other_workspace.pk, customer_id=ana.pk)
    assert client.post(f"/unsubscribe/{cross}/").status_code == 404
    ana.refresh_from_db()
    assert ana.unsubscribed_at is None
    assert client.post(f"/unsubscribe/{payload}:{signature}/").status_code == 200
    foreign.refresh_from_db()
    assert foreign.unsubscribed_at is not None


def test_outsider_bounce_reports_touch_only_their_own_workspace(api, other_key, cast, nps_survey):
    customer(cast.workspace, "ana@example.com")
    send(cast.workspace, nps_survey, expires=30)
    resp = api("post", "/api/v1/outreach/bounces", key=other_key, json={"emails": ["ana@example.com"]})
    assert resp.status_code == 200 and resp.json() == {"addresses": 1, "invitations_marked": 0}
    assert Invitation.objects.get().bounced_at is None
    assert list(Bounce.objects.values_list("workspace_id", flat=True)) == [cast.other_workspace.pk]
    Invitation.objects.update(created_at=timezone.now() - timedelta(days=60))
    services.outreach_settings_update(workspace=cast.workspace, actor=None, cooldown_days=0)
    preview = services.audience_preview(workspace=cast.workspace, audience=Audience(), channel="email")
    assert preview.allowed == 1 and preview.suppressed == {}


def test_the_campaign_page_costs_the_same_queries_for_more_invitations(login, cast, nps_survey):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(cast.analyst)

    def queries_for(count):
        Customer.objects.filter(workspace=cast.workspace).delete()
        for n in range(count):
            customer(cast.workspace, f"c{count}-{n}@example.com", name=f"C{n}")
        campaign = send(cast.workspace, nps_survey)
        Invitation.objects.filter(campaign=campaign).update(opened_at=timezone.now())
        with CaptureQueriesContext(connection) as captured:
            page = client.get(f"/surveys/{nps_survey.pk}/campaigns/{campaign.pk}/")
        assert (
            page.status_code == 200
            and page.content.decode().count('<span class="score">opened</span>') == count
        )
        services.outreach_settings_update(workspace=cast.workspace, actor=None, cooldown_days=0)
        return len(captured)

    assert queries_for(2) == queries_for(6)
