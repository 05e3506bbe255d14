"""Email invitations: what the email says, the personal link (a clicked score, single use, expiry), the
unsubscribe link, bounces at send time and from the provider's webhook."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from cxloop.core.exceptions import ServiceError
from cxloop.customers.models import Customer
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.outreach import services
from cxloop.outreach.audience import Audience
from cxloop.outreach.links import unsubscribe_token
from cxloop.outreach.models import Bounce, Contact, Invitation
from cxloop.surveys.models import Response
from cxloop.surveys.tests.helpers import form, live_survey, resume_path

from .helpers import customer, html_of, invitation_link, links_in, mail_to, path_of, send, start_smtp_server

pytestmark = pytest.mark.django_db


def test_email_embeds_the_first_question_with_one_link_per_score(cast, relationship_nps):
    customer(cast.workspace, "ana@example.com", name="Ana")
    send(cast.workspace, relationship_nps, subject="How are we doing?")
    (message,) = mail.outbox
    invitation = Invitation.objects.get()
    token = path_of(invitation_link(message)).split("/")[4]
    base = f"http://localhost:8000/s/{relationship_nps.slug}/i/{token}/"

    assert message.to == ["ana@example.com"] and message.subject == "How are we doing?"
    assert "Hello Ana," in message.body
    assert "How likely are you to recommend us to a friend or colleague?" in message.body
    score_links = [u for u in links_in(message.body) if "/i/" in u]
    assert score_links == [f"{base}?nps={n}" for n in range(11)]
    html = html_of(message)
    for n in range(11):
        assert f'href="{base}?nps={n}"' in html
    assert "0 = Not at all likely, 10 = Extremely likely" in message.body

    unsubscribe = next(u for u in links_in(message.body) if "/unsubscribe/" in u)
    assert unsubscribe in html
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the database keeps a hash of the link's token, never the token
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {invitation.token_nonce, invitation.token_hash}
    assert invitation.sent_at is not None and invitation.channel == "email"


def test_a_first_question_that_cannot_be_answered_in_an_email_gets_a_start_link(cast):
    survey = live_survey(cast.workspace, template="pmf", name="PMF")
    customer(cast.workspace, "ana@example.com")
    send(cast.workspace, survey)
    (message,) = mail.outbox
    survey_links = [u for u in links_in(message.body) if "/i/" in u]
    assert len(survey_links) == 1 and "?" not in survey_links[0]
    assert "Start the survey: " in message.body and ">Start</a>" in html_of(message)


def test_a_score_link_prefills_and_sending_the_page_stores_it_with_the_customer(
    client, cast, relationship_nps
):
    ana = customer(cast.workspace, "ana@example.com", name="Ana")
    send(cast.workspace, relationship_nps)
    link = invitation_link(mail.outbox[0], "nps=9")

    page = client.get(link)
    assert page.status_code == 200
    assert 'name="nps" value="9" checked' in page.content.decode()  # shown chosen, welcome screen skipped
    assert not Response.objects.exists() and not FeedbackItem.objects.exists()  # a GET stores nothing
    invitation = Invitation.objects.get()
    assert invitation.opened_at is not None and invitation.response is None

    sent = client.post(link, form(0, nps="9"))
    assert sent.status_code == 303
    resume = resume_path(sent)
    response = Response.objects.get()
    assert response.via == "email" and response.state["customer_id"] == ana.pk
    item = FeedbackItem.objects.get()
    assert item.customer_id == ana.pk and item.channel == "survey"
    assert [(a.key, a.value) for a in item.answers.all()] == [("nps", 9.0)]
    invitation.refresh_from_db()
    assert invitation.response == response and invitation.answered_at is None

    # the invitation link now resumes the response; finishing it on the resume link marks it answered
    assert client.get(link)["Location"] == resume
    client.post(resume, form(1, reason="Fast delivery."))
    response.refresh_from_db()
    assert response.status == "completed"
    invitation.refresh_from_db()
    assert invitation.answered_at == response.completed_at


def test_a_used_link_says_already_answered_and_stores_nothing_more(client, cast, nps_survey):
    customer(cast.workspace, "ana@example.com")
    send(cast.workspace, nps_survey)
    link = invitation_link(mail.outbox[0], "nps=3")
    assert client.post(link, form(0, nps="3")).status_code == 303
    assert Response.objects.get().status == "completed"

    again = client.get(invitation_link(mail.outbox[0], "nps=10"))
    assert again.status_code == 409 and "Already answered" in again.content.decode()
    resent = client.post(link, form(0, nps="10"))
    assert resent.status_code == 409
    assert Response.objects.count() == 1 and FeedbackItem.objects.count() == 1
    assert Answer.objects.get(key="nps").value == 3.0


def test_an_expired_link_says_so_and_takes_no_answer(client, cast, nps_survey):
    customer(cast.workspace, "ana@example.com")
    send(cast.workspace, nps_survey, expires=2)
    link = invitation_link(mail.outbox[0], "nps=8")
    assert "It works once, until" in mail.outbox[0].body
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    page = client.get(link)
    assert page.status_code == 410 and "This link has expired" in page.content.decode()
    assert client.post(link, form(0, nps="8")).status_code == 410
    assert not Response.objects.exists()
    assert Invitation.objects.get().opened_at is None


def test_an_unknown_or_foreign_token_is_not_valid(client, cast, nps_survey):
    customer(cast.workspace, "ana@example.com")
    send(cast.workspace, nps_survey)
    link = invitation_link(mail.outbox[0])
    token = link.split("/")[4]
    other = live_survey(cast.workspace, definition=nps_survey.definition, name="Another")
    for path in (f"/s/{nps_survey.slug}/i/{token[:-2]}xx/", f"/s/{other.slug}/i/{token}/"):
        page = client.get(path)
        assert page.status_code == 404 and "Link not valid" in page.content.decode()


def test_a_bad_clicked_value_is_ignored_and_the_page_asks(client, cast, nps_survey):
    customer(cast.workspace, "ana@example.com")
    send(cast.workspace, nps_survey)
    link = invitation_link(mail.outbox[0]) + "?nps=99"
    page = client.get(link)
    assert page.status_code == 200 and " checked" not in page.content.decode()


def test_unsubscribe_link_asks_then_suppresses_later_sends(cast, nps_survey, relationship_nps):
    ana = customer(cast.workspace, "ana@example.com")
    send(cast.workspace, nps_survey)
    unsubscribe = path_of(next(u for u in links_in(mail.outbox[0].body) if "/unsubscribe/" in u))
    browser = Client(enforce_csrf_checks=True)

    confirm = browser.get(unsubscribe)  # a mail scanner's GET changes nothing
    assert confirm.status_code == 200 and "Stop receiving surveys from Acme?" in confirm.content.decode()
    ana.refresh_from_db()
    assert ana.unsubscribed_at is None

    done = browser.post(
        unsubscribe, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    ana.refresh_from_db()
    assert ana.unsubscribed_at is not None

    services.outreach_settings_update(workspace=cast.workspace, actor=None, cooldown_days=0)
    preview = services.audience_preview(workspace=cast.workspace, audience=Audience(), channel="email")
    assert preview.suppressed == {"unsubscribed": 1}
    with pytest.raises(ServiceError, match="suppressed"):
        send(cast.workspace, relationship_nps)


def test_a_forged_unsubscribe_link_changes_nothing(client, cast, nps_survey):
    ana = customer(cast.workspace, "ana@example.com")
    ben = customer(cast.workspace, "ben@example.com")
    send(cast.workspace, nps_survey, entries="ana@example.com")
    unsubscribe = path_of(next(u for u in links_in(mail.outbox[0].body) if "/unsubscribe/" in u))
    ana_signature = unsubscribe.rstrip("/").rsplit(":", 1)[1]
    ben_payload = unsubscribe_token(workspace_id=cast.workspace.pk, customer_id=ben.pk).rsplit(":", 1)[0]
    assert ana.pk != ben.pk and client.post(f"/unsubscribe/{ben_payload}:{ana_signature}/").status_code == 404
    assert client.post("/unsubscribe/WzEsMl0:not-a-signature/").status_code == 404
    assert not Customer.objects.filter(unsubscribed_at__isnull=False).exists()


def test_hard_bounce_at_send_marks_the_invitation_and_suppresses_the_address(cast, nps_survey):
    customer(cast.workspace, "good@example.com")
    customer(cast.workspace, "gone@example.com")
    smtp = start_smtp_server(refused={"gone@example.com"})
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=smtp.server_address[1],
        ):
            campaign = send(cast.workspace, nps_survey)
    finally:
        smtp.shutdown()
        smtp.server_close()

    assert smtp.accepted == ["good@example.com"] and len(smtp.messages) == 1
    assert "List-Unsubscribe:" in smtp.messages[0]
    bounced = Invitation.objects.get(address="gone@example.com")
    assert bounced.bounced_at is not None and bounced.sent_at is None
    assert "550" in bounced.error and "No such user" in bounced.error
    assert Invitation.objects.get(address="good@example.com").sent_at is not None
    campaign.refresh_from_db()
    assert (campaign.sent, campaign.failed) == (1, 1)
    assert Bounce.objects.get(workspace=cast.workspace).address == "gone@example.com"
    assert not Contact.objects.filter(invitation=bounced).exists()  # not asked after all

    services.outreach_settings_update(workspace=cast.workspace, actor=None, cooldown_days=0)
    preview = services.audience_preview(workspace=cast.workspace, audience=Audience(), channel="email")
    assert preview.suppressed == {"bounced": 1}


def test_bounce_webhook_marks_addresses_so_later_sends_skip_them(api, acme_key, cast, nps_survey):
    customer(cast.workspace, "ana@example.com")
    customer(cast.workspace, "ben@example.com")
    send(cast.workspace, nps_survey)
    resp = api(
        "post", "/api/v1/outreach/bounces", key=acme_key, json={"emails": ["ANA@example.com", "x@y.org"]}
    )
    assert resp.status_code == 200
    assert resp.json() == {"addresses": 2, "invitations_marked": 1}
    assert Invitation.objects.get(address="ana@example.com").bounced_at is not None
    assert Invitation.objects.get(address="ben@example.com").bounced_at is None
    assert set(Bounce.objects.values_list("address", "source")) == {
        ("ana@example.com", "webhook"),
        ("x@y.org", "webhook"),
    }
    again = api("post", "/api/v1/outreach/bounces", key=acme_key, json={"emails": ["ana@example.com"]})
    assert again.json() == {"addresses": 1, "invitations_marked": 0} and Bounce.objects.count() == 2

    services.outreach_settings_update(workspace=cast.workspace, actor=None, cooldown_days=0)
    preview = services.audience_preview(workspace=cast.workspace, audience=Audience(), channel="email")
    assert preview.suppressed == {"bounced": 1} and preview.allowed == 1


def test_bounce_webhook_refuses_bad_input_naming_the_entry(api, acme_key, make_key, cast):
    bad = api("post", "/api/v1/outreach/bounces", key=acme_key, json={"emails": ["ok@example.com", "nope"]})
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"
    assert bad.json()["detail"] == "emails.1: 'nope' is not an email address."
    assert api("post", "/api/v1/outreach/bounces", key=acme_key, json={"emails": []}).status_code == 422
    read_only = make_key(cast.workspace, ["read"])
    assert (
        api("post", "/api/v1/outreach/bounces", key=read_only, json={"emails": ["a@b.co"]}).status_code == 403
    )
    assert api("post", "/api/v1/outreach/bounces", json={"emails": ["a@b.co"]}).status_code == 401
    assert not Bounce.objects.exists()


def test_a_closed_survey_sends_nothing_that_was_still_queued(
    cast, nps_survey, django_capture_on_commit_callbacks
):
    from cxloop.surveys.services import survey_close

    customer(cast.workspace, "ana@example.com")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaign = services.campaign_create_and_send(
            workspace=cast.workspace,
            survey=nps_survey,
            actor=None,
            audience=Audience(),
            channel="email",
            expires_after_days=7,
        )
    survey_close(survey=nps_survey, actor=None)
    for callback in callbacks:
        callback()
    assert mail.outbox == []
    invitation = Invitation.objects.get()
    assert invitation.sent_at is None and "closed" in invitation.error
    campaign.refresh_from_db()
    assert (campaign.sent, campaign.failed) == (0, 1)


def test_only_a_live_survey_can_be_sent_and_reminders_come_before_expiry(cast):
    from cxloop.surveys.services import survey_create

    draft = survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    customer(cast.workspace, "ana@example.com")
    with pytest.raises(ServiceError, match="Publish the survey first"):
        send(cast.workspace, draft)
    live = live_survey(cast.workspace, template="pmf")
    with pytest.raises(ServiceError, match="before the links expire"):
        send(cast.workspace, live, expires=3, reminder=3)
    with pytest.raises(ServiceError, match="Links expire after 1 to 90 days"):
        send(cast.workspace, live, expires=0)
    assert not Invitation.objects.exists() and mail_to("ana@example.com") == []
