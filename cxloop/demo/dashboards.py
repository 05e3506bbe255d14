"""What the shop's CX team set up on Dashboards: targets, an alert on the North West's NPS, shared Executive
and Team lead dashboards, and a weekly report (the demo step `dashboards` in steps.py).

The alert's first check is replayed as it ran on the morning after the incident month (month −3, day 1,
07:00): July against June in the North West, a significant drop, so the owner and the analyst find its
notification in their bell and the alert's page says when and why it fired. Demo mail is never sent: the
replay's emails go to an in-memory outbox (the people are at hearthandthread.example, which does not exist).
"""

from __future__ import annotations

from datetime import timedelta

from django.test.utils import override_settings

from .retail import INCIDENT_MONTHS_BACK, INCIDENT_REGION, Calendar

TARGETS = [  # name, metric, target, period, slice
    ("NPS this quarter", "nps", 30.0, "quarter", {}),
    ("NPS in the North West", "nps", 20.0, "90d", {"region": INCIDENT_REGION}),
    ("Post-delivery CSAT", "csat", 75.0, "90d", {"touchpoint": "delivery"}),
    ("Support CES", "ces", 5.0, "90d", {"touchpoint": "support"}),
]


def seed_dashboards(ctx) -> None:
    from cxloop.accounts.roles import Role
    from cxloop.metrics import alerts, reports, targets

    ws, owner, analyst = ctx.workspace, ctx.users[Role.OWNER], ctx.users[Role.ANALYST]
    for name, metric, goal, period, filters in TARGETS:
        targets.target_save(
            workspace=ws, actor=analyst, name=name, metric=metric, target=goal, period=period, filters=filters
        )
    alert = alerts.alert_save(
        workspace=ws,
        actor=analyst,
        name="North West NPS",
        metric="nps",
        filters={"region": INCIDENT_REGION},
        every="month",
        watch="drop",
        recipients=[owner.pk, analyst.pk],
    )
    cal = Calendar.from_now(ctx.now)
    morning_after = cal.month_start(INCIDENT_MONTHS_BACK - 1) + timedelta(hours=alerts.CHECK_HOUR)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        check = alerts.alert_check(alert=alert, now=morning_after)
    if check.status == "fired":  # the notifications carry the moment the check ran, not the seed's
        from cxloop.notifications.models import Notification

        Notification.objects.filter(workspace=ws, created_at__gte=ctx.now - timedelta(hours=1)).update(
            created_at=morning_after
        )
    from cxloop.accounts.models import Membership
    from cxloop.boards.services import dashboard_from_template

    member = Membership.objects.get(workspace=ws, user=analyst)
    for template in ("executive", "team_lead"):  # shared: every member finds them under Your dashboards
        dashboard_from_template(member=member, template=template, shared=True)
    reports.report_save(
        workspace=ws,
        actor=owner,
        name="Weekly CX summary",
        frequency="weekly",
        recipients=[owner.email, analyst.email],
        filters={},
        now=ctx.now,
    )
