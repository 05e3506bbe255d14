"""Background work of the accounts domain: thin wrappers that load an object and call a service."""

from __future__ import annotations

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django_tasks import task

from .models import Invitation


@task()
def send_invitation_email(*, invitation_id: int) -> str:
    from .services import invitation_url

    invitation = Invitation.objects.select_related("workspace", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation.state != "pending":
        return "skipped"
    context = {"invitation": invitation, "url": invitation_url(invitation)}
    send_mail(
        subject=f"You are invited to {invitation.workspace.name} on CX Loop",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
    return "sent"
