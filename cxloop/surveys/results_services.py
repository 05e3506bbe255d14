"""Writes of the results area: read-only results links (create, revoke) and the audit of results exports.

A results link is a random token; only its sha256 is stored, so the database alone cannot open a link.
The raw token is returned once, to be shown to whoever made the link.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from cxloop.accounts.models import AuditEvent, User
from cxloop.accounts.roles import Perm, has_perm
from cxloop.accounts.services import audit_record
from cxloop.core.exceptions import Conflict, NotFound, PermissionDenied, ServiceError
from cxloop.core.request_meta import SYSTEM, RequestMeta

from .models import ResultShare, Survey

MAX_SHARE_DAYS = 365
TOKEN_PREFIX = "res_"


class ShareGone(ServiceError):
    """A results link that existed but no longer opens (revoked or expired)."""

    status = 410


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _role(survey: Survey, actor: User | None) -> str | None:
    if actor is None:
        return None
    membership = actor.memberships.filter(workspace_id=survey.workspace_id).first()
    return membership.role if membership else None


@transaction.atomic
def result_share_create(
    *,
    survey: Survey,
    actor: User,
    days: int,
    hidden_questions: list[str],
    hide_open_texts: bool,
    hide_hidden_fields: bool,
    label: str = "",
    meta: RequestMeta = SYSTEM,
) -> tuple[ResultShare, str]:
    """A new read-only results link; returns it and its raw token (shown once, never stored)."""
    if not has_perm(_role(survey, actor), Perm.ANALYSE):
        raise PermissionDenied("Sharing results needs the analyst role or above.")
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise ServiceError(f"Expires after: choose 1 to {MAX_SHARE_DAYS} days (got {days}).", field="days")
    known = {q.key for q in survey.parsed().questions()}
    if survey.current_version_id:
        known |= {q.key for q in survey.current_version.parsed().questions()}
    unknown = sorted(set(hidden_questions) - known)
    if unknown:
        raise ServiceError(f"Hide questions: {unknown[0]!r} is not a question of this survey.", field="hide")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    share = ResultShare.objects.create(
        workspace_id=survey.workspace_id,
        survey=survey,
        token_hash=token_hash(raw),
        label=label.strip()[:100],
        hidden_questions=sorted(set(hidden_questions)),
        hide_open_texts=hide_open_texts,
        hide_hidden_fields=hide_hidden_fields,
        expires_at=now + timedelta(days=days),
        created_by=actor,
        created_at=now,
    )
    audit_record(
        action=AuditEvent.Action.RESULTS_SHARED,
        workspace=survey.workspace,
        actor=actor,
        meta=meta,
        target=f"survey {survey.pk} {survey.name}",
        data={
            "share": share.pk,
            "expires_at": share.expires_at.isoformat(),
            "hidden_questions": share.hidden_questions,
            "hide_open_texts": hide_open_texts,
            "hide_hidden_fields": hide_hidden_fields,
        },
    )
    return share, raw


@transaction.atomic
def result_share_revoke(
    *, survey: Survey, share_id: int, actor: User, meta: RequestMeta = SYSTEM
) -> ResultShare:
    """Stop a results link from opening (it answers 410 Gone from then on)."""
    if not has_perm(_role(survey, actor), Perm.ANALYSE):
        raise PermissionDenied("Revoking a results link needs the analyst role or above.")
    share = ResultShare.objects.select_for_update().filter(survey=survey, pk=share_id).first()
    if share is None:
        raise NotFound("No such results link for this survey.")
    if share.revoked_at is not None:
        raise Conflict("This results link was revoked already.")
    share.revoked_at = timezone.now()
    share.save(update_fields=["revoked_at"])
    audit_record(
        action=AuditEvent.Action.RESULTS_SHARE_REVOKED,
        workspace=survey.workspace,
        actor=actor,
        meta=meta,
        target=f"survey {survey.pk} {survey.name}",
        data={"share": share.pk},
    )
    return share


def result_share_open(raw: str) -> ResultShare:
    """The link for a raw token: NotFound for no such link, ShareGone when revoked or expired."""
    share = (
        ResultShare.objects.filter(token_hash=token_hash(raw or ""))
        .select_related("survey", "survey__current_version")
        .first()
    )
    if share is None:
        raise NotFound("This results link does not exist (it may have been mistyped).")
    if share.revoked_at is not None:
        raise ShareGone("This results link was revoked by the people who shared it.")
    if share.is_expired:
        raise ShareGone(f"This results link expired on {share.expires_at:%Y-%m-%d}.")
    return share


def results_export_audit(
    *, survey: Survey, actor: User, kind: str, filters: list[str], meta: RequestMeta = SYSTEM
) -> None:
    """Record a results export (it holds per-response data: customer ids, hidden fields, answers)."""
    audit_record(
        action=AuditEvent.Action.EXPORT,
        workspace=survey.workspace,
        actor=actor,
        meta=meta,
        target=f"survey {survey.pk} {survey.name} results ({kind})",
        data={"filters": filters},
    )
