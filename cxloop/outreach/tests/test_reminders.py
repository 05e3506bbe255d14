"""Reminders: scheduled with the campaign, sent once after N days to those who have not answered, never after
the link expired, never to someone who answered, unsubscribed or bounced meanwhile."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cxloop.customers.models import Customer
from cxloop.outreach import services, tasks
from cxloop.outreach.audience import Audience
from cxloop.outreach.models import Campaign, Invitation
from cxloop.surveys.tests.helpers import form

from .helpers import customer, invitation_link, mail_to, send

pytestmark = pytest.mark.django_db


def test_reminders_go_once_to_non_responders_only(client, api, acme_key, cast, nps_survey):
    for name in ("answered", "opened", "silent", "unsubscribed", "bounced"):
        customer(cast.workspace, f"{name}@example.com", name=name.title())
    campaign = send(cast.workspace, nps_survey, reminder=3, expires=14)
    assert len(mail.outbox) == 5
    answered_link = invitation_link(mail_to("answered@example.com")[0], "nps=10")
    assert client.post(answered_link, form(0, nps="10")).status_code == 303
    opened_link = invitation_link(mail_to("opened@example.com")[0])
    assert client.get(opened_link).status_code == 200
    Customer.objects.filter(email="unsubscribed@example.com").update(unsubscribed_at=timezone.now())
    api("post", "/api/v1/outreach/bounces", key=acme_key, json={"emails": ["bounced@example.com"]})
    mail.outbox.clear()

    now = timezone.now()
    assert services.campaign_send_reminders(campaign_id=campaign.pk, now=now + timedelta(days=2)) is None
    assert mail.outbox == []  # not due yet

    assert (
        services.campaign_send_reminders(campaign_id=campaign.pk, now=now + timedelta(days=3, hours=1)) == 2
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["opened@example.com", "silent@example.com"]
    reminder = mail_to("silent@example.com")[0]
    assert reminder.subject.startswith("Reminder: ") and "has not heard from you yet" in reminder.body
    assert invitation_link(reminder) == invitation_link(mail_to("silent@example.com")[0])  # the same link
    reminded = Invitation.objects.filter(reminder_sent_at__isnull=False)
    assert set(reminded.values_list("address", flat=True)) == {"opened@example.com", "silent@example.com"}

    mail.outbox.clear()
    assert services.campaign_send_reminders(campaign_id=campaign.pk, now=now + timedelta(days=4)) == 0
    assert tasks.send_reminders.call(campaign_id=campaign.pk) == "reminded 0"
    assert mail.outbox == []
    campaign.refresh_from_db()
    assert campaign.reminders_sent == 2 and campaign.reminders_done_at is not None


def test_no_reminder_after_the_link_expired(cast, nps_survey):
    customer(cast.workspace, "ana@example.com")
    campaign = send(cast.workspace, nps_survey, reminder=3, expires=5)
    mail.outbox.clear()
    later = timezone.now() + timedelta(days=6)
    assert services.campaign_send_reminders(campaign_id=campaign.pk, now=later) == 0
    assert mail.outbox == [] and Invitation.objects.get().reminder_sent_at is None


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}})
def test_the_reminder_is_queued_to_run_after_n_days(cast, nps_survey, django_capture_on_commit_callbacks):
    customer(cast.workspace, "ana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        campaign = services.campaign_create_and_send(
            workspace=cast.workspace,
            survey=nps_survey,
            actor=None,
            audience=Audience(),
            channel="email",
            expires_after_days=14,
            reminder_after_days=4,
        )
    queued = {r.task_path.rsplit(".", 1)[1]: r for r in DBTaskResult.objects.all()}
    assert set(queued) == {"send_campaign", "send_reminders"}
    assert queued["send_reminders"].args_kwargs["kwargs"] == {"campaign_id": campaign.pk}
    assert queued["send_reminders"].run_after == campaign.created_at + timedelta(days=4)
    assert queued["send_campaign"].args_kwargs["kwargs"] == {"campaign_id": campaign.pk}


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}})
def test_a_reminder_task_run_early_waits_for_its_time(cast, nps_survey):
    customer(cast.workspace, "ana@example.com")
    campaign = Campaign.objects.create(
        workspace=cast.workspace,
        survey=nps_survey,
        channel="email",
        audience={"kind": "all"},
        audience_label="All customers",
        expires_after_days=14,
        reminder_after_days=3,
    )
    assert tasks.send_reminders.call(campaign_id=campaign.pk) == "not due yet"
    (again,) = DBTaskResult.objects.all()
    assert again.run_after == campaign.reminder_due_at
