"""Background work of survey outreach: thin wrappers that call a service."""

from __future__ import annotations

from django_tasks import task


@task()
def send_campaign(*, campaign_id: int) -> str:
    from .services import campaign_send

    campaign = campaign_send(campaign_id=campaign_id)
    return "gone" if campaign is None else f"sent {campaign.sent}, failed {campaign.failed}"


@task()
def send_reminders(*, campaign_id: int) -> str:
    from .models import Campaign
    from .services import campaign_send_reminders

    reminded = campaign_send_reminders(campaign_id=campaign_id)
    if reminded is None:  # run early (a clock or queue hiccup): wait until it is due
        campaign = Campaign.objects.get(pk=campaign_id)
        send_reminders.using(run_after=campaign.reminder_due_at).enqueue(campaign_id=campaign_id)
        return "not due yet"
    return f"reminded {reminded}"
