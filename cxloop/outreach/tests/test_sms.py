"""SMS invitations through a Twilio-compatible API (a local test server that speaks it), and the channel being
off, with a clear message, when it is not configured."""

from __future__ import annotations

import socket

import pytest
from django.test import override_settings

from cxloop.core.exceptions import ServiceError
from cxloop.outreach import services
from cxloop.outreach.audience import Audience
from cxloop.outreach.models import Invitation
from cxloop.outreach.sms import SmsError, sms_send
from cxloop.surveys.models import Response
from cxloop.surveys.tests.helpers import form

from .helpers import REFUSED_NUMBER, SMS_FROM, SMS_SID, SMS_TOKEN, customer, send

pytestmark = pytest.mark.django_db


def test_sms_invitations_go_through_the_api_and_its_errors_are_kept(client, cast, nps_survey, sms_server):
    ana = customer(cast.workspace, None, phone="+49 151 1234567", name="Ana")
    customer(cast.workspace, None, phone=REFUSED_NUMBER, name="Wrong number")
    customer(cast.workspace, "mail-only@example.com")
    campaign = send(cast.workspace, nps_survey, channel="sms")

    assert campaign.suppressed == {"no_phone": 1}
    assert len(sms_server.requests) == 2
    for request in sms_server.requests:
        assert request["path"] == f"/2010-04-01/Accounts/{SMS_SID}/Messages.json"
        assert request["auth"] == f"{SMS_SID}:{SMS_TOKEN}"
        assert request["form"]["From"] == SMS_FROM
    sent = next(r["form"] for r in sms_server.requests if r["form"]["To"] == "+491511234567")
    assert sent["Body"].startswith("Acme asks: Quick NPS. Answer here: http://localhost:8000/s/")
    assert "Opt out: http://localhost:8000/unsubscribe/" in sent["Body"]

    ok = Invitation.objects.get(customer=ana)
    assert ok.sent_at is not None and ok.error == "" and ok.channel == "sms"
    refused = Invitation.objects.get(address=REFUSED_NUMBER)
    assert refused.sent_at is None
    assert refused.error == (
        "SMS provider answered 400 (code 21211): "
        f"The 'To' number {REFUSED_NUMBER} is not a valid phone number."
    )
    campaign.refresh_from_db()
    assert (campaign.sent, campaign.failed) == (1, 1)

    link = sent["Body"].split("Answer here: http://localhost:8000", 1)[1].split(" ", 1)[0]
    assert client.post(link, form(0, nps="7")).status_code == 303
    response = Response.objects.get()
    assert response.via == "sms" and response.state["customer_id"] == ana.pk


def test_an_unreachable_provider_is_named_in_the_error(cast, nps_survey, sms_server):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    customer(cast.workspace, None, phone="+49 151 1234567")
    with override_settings(SMS_API_URL=f"http://127.0.0.1:{closed_port}"):
        send(cast.workspace, nps_survey, channel="sms")
    error = Invitation.objects.get().error
    assert error.startswith(f"SMS provider not reachable at http://127.0.0.1:{closed_port}")


def test_sms_is_off_when_not_configured(login, cast, nps_survey):
    customer(cast.workspace, None, phone="+49 151 1234567")
    with pytest.raises(ServiceError, match="SMS is not configured: set CXLOOP_SMS_ACCOUNT_SID"):
        services.audience_preview(workspace=cast.workspace, audience=Audience(), channel="sms")
    with pytest.raises(SmsError, match="SMS is not configured"):
        sms_send(to="+491511234567", body="hello")

    client = login(cast.analyst)
    page = client.get(f"/surveys/{nps_survey.pk}/invite/").content.decode()
    assert 'value="sms"' not in page and "SMS is off. SMS is not configured" in page
    refused = client.post(
        f"/surveys/{nps_survey.pk}/invite/", {"action": "send", "audience": "all", "channel": "sms"}
    )
    assert refused.status_code == 422 and "SMS is not configured" in refused.content.decode()
    assert not Invitation.objects.exists()


def test_sms_is_offered_when_configured(login, cast, nps_survey, sms_server):
    page = login(cast.analyst).get(f"/surveys/{nps_survey.pk}/invite/").content.decode()
    assert 'name="channel" value="sms"' in page and "SMS is off" not in page


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"CXLOOP_SMS_ACCOUNT_SID": "AC1"}, "also set CXLOOP_SMS_AUTH_TOKEN, CXLOOP_SMS_FROM"),
        (
            {"CXLOOP_SMS_ACCOUNT_SID": "AC1", "CXLOOP_SMS_AUTH_TOKEN": "t", "CXLOOP_SMS_FROM": "+1500"}
            | {"CXLOOP_SMS_API_URL": "api.example.com"},
            "CXLOOP_SMS_API_URL='api.example.com' must be an http(s) address",
        ),
    ],
)
def test_half_configured_sms_stops_the_start_naming_what_is_missing(variables, message, tmp_path):
    from cxloop.core.tests.test_settings import import_settings

    result = import_settings(tmp_path, **variables)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_sms_settings_are_read_from_the_environment(tmp_path):
    from cxloop.core.tests.test_settings import read_settings

    names = ("SMS_API_URL", "SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM")
    assert read_settings(tmp_path, *names) == {
        "SMS_API_URL": "https://api.twilio.com",
        "SMS_ACCOUNT_SID": "",
        "SMS_AUTH_TOKEN": "",
        "SMS_FROM": "",
    }
    configured = {
        "CXLOOP_SMS_API_URL": "https://sms.example.com/",
        "CXLOOP_SMS_ACCOUNT_SID": "AC1",
        "CXLOOP_SMS_AUTH_TOKEN": "secret",
        "CXLOOP_SMS_FROM": "+15005550006",
    }
    assert read_settings(tmp_path, *names, **configured) == {
        "SMS_API_URL": "https://sms.example.com",
        "SMS_ACCOUNT_SID": "AC1",
        "SMS_AUTH_TOKEN": "secret",
        "SMS_FROM": "+15005550006",
    }
