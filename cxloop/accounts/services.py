"""Writes of the accounts domain: users, workspaces, memberships, invitations, API keys, audit.

Every function is keyword-only and checks its own business rules, so a view, an API handler, the CLI
and the demo seed all go through the same door.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from cxloop.core import ratelimit
from cxloop.core.exceptions import Conflict, NotFound, PermissionDenied, ServiceError
from cxloop.core.request_meta import SYSTEM, RequestMeta

from .models import ApiKey, AuditEvent, Invitation, Membership, User, Workspace
from .roles import Perm, Role, can_assign, has_perm

API_KEY_PREFIX = "cxl_"
_INVITATION_SALT = "cxloop.invitation"


# --- Audit -------------------------------------------------------------------------------------
def audit_record(
    *,
    action: str,
    meta: RequestMeta = SYSTEM,
    workspace: Workspace | None = None,
    actor: User | None = None,
    actor_key: ApiKey | None = None,
    subject_user: User | None = None,
    target: str = "",
    data: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        workspace=workspace,
        actor=actor,
        actor_key=actor_key,
        subject_user=subject_user,
        target=target[:200],
        ip=meta.ip,
        user_agent=meta.user_agent,
        data=data or {},
    )


# --- Users and workspaces ----------------------------------------------------------------------
def user_create(*, email: str, password: str | None, name: str = "", is_staff: bool = False) -> User:
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(f"A user with the email {email} already exists.", field="email")
    return User.objects.create_user(email, password, name=name, is_staff=is_staff, is_superuser=is_staff)


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "workspace"
    slug, n = base, 2
    while Workspace.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def workspace_create(
    *, name: str, owner: User, meta: RequestMeta = SYSTEM, slug: str | None = None
) -> Workspace:
    name = name.strip()
    if not name:
        raise ServiceError("The workspace needs a name.", field="name")
    workspace = Workspace.objects.create(name=name[:120], slug=slug or _unique_slug(name))
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    audit_record(
        action=AuditEvent.Action.WORKSPACE_CREATED,
        workspace=workspace,
        actor=owner,
        meta=meta,
        target=workspace.name,
    )
    return workspace


def workspace_privacy(
    *,
    workspace: Workspace,
    actor_membership: Membership,
    keep_original_text: bool,
    meta: RequestMeta = SYSTEM,
) -> Workspace:
    """Whether feedback texts are kept as received. Turning it off also redacts the texts already stored
    (in the background: `analysis.tasks.redact_originals`); that cannot be undone."""
    _require(actor_membership, Perm.MANAGE_WORKSPACE)
    old = workspace.keep_original_text
    if old == keep_original_text:
        return workspace
    workspace.keep_original_text = keep_original_text
    workspace.save(update_fields=["keep_original_text"])
    audit_record(
        action=AuditEvent.Action.WORKSPACE_UPDATED,
        workspace=workspace,
        actor=actor_membership.user,
        meta=meta,
        target=workspace.name,
        data={"keep_original_text": [old, keep_original_text]},
    )
    if not keep_original_text:
        from cxloop.analysis.services import redact_originals_later

        redact_originals_later(workspace_id=workspace.pk)
    return workspace


def workspace_rename(
    *, workspace: Workspace, actor_membership: Membership, name: str, meta: RequestMeta = SYSTEM
) -> Workspace:
    _require(actor_membership, Perm.MANAGE_WORKSPACE)
    name = name.strip()
    if not name:
        raise ServiceError("The workspace needs a name.", field="name")
    old = workspace.name
    workspace.name = name[:120]
    workspace.save(update_fields=["name"])
    audit_record(
        action=AuditEvent.Action.WORKSPACE_UPDATED,
        workspace=workspace,
        actor=actor_membership.user,
        meta=meta,
        target=workspace.name,
        data={"name": [old, workspace.name]},
    )
    return workspace


def _require(membership: Membership, perm: str) -> None:
    if not has_perm(membership.role, perm):
        raise PermissionDenied("Your role in this workspace does not allow this.")


# --- Members -----------------------------------------------------------------------------------
def _owner_count(workspace: Workspace) -> int:
    return Membership.objects.filter(workspace=workspace, role=Role.OWNER).count()


def _lock_memberships(workspace: Workspace) -> None:
    """Serialise membership changes in one workspace until the transaction ends, so two owners demoting
    each other (or both leaving) at once cannot both pass the one-owner check."""
    list(Workspace.objects.select_for_update().filter(pk=workspace.pk).values_list("pk", flat=True))


@transaction.atomic
def membership_set_role(
    *, actor_membership: Membership, member_id: int, role: str, meta: RequestMeta = SYSTEM
) -> Membership:
    workspace = actor_membership.workspace
    if role not in Role.values:
        raise ServiceError(f"Unknown role {role!r}.", field="role")
    _lock_memberships(workspace)
    member = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(workspace=workspace, pk=member_id)
        .first()
    )
    if member is None:
        raise NotFound("No such member in this workspace.")
    if not (can_assign(actor_membership.role, member.role) and can_assign(actor_membership.role, role)):
        raise PermissionDenied("Your role cannot give or take away that role.")
    if member.role == Role.OWNER and role != Role.OWNER and _owner_count(workspace) == 1:
        raise Conflict("A workspace keeps at least one owner: make someone else owner first.")
    old = member.role
    if old == role:
        return member
    member.role = role
    member.save(update_fields=["role"])
    audit_record(
        action=AuditEvent.Action.ROLE_CHANGED,
        workspace=workspace,
        actor=actor_membership.user,
        subject_user=member.user,
        meta=meta,
        target=member.user.email,
        data={"role": [old, role]},
    )
    return member


@transaction.atomic
def membership_remove(*, actor_membership: Membership, member_id: int, meta: RequestMeta = SYSTEM) -> None:
    workspace = actor_membership.workspace
    _lock_memberships(workspace)
    member = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(workspace=workspace, pk=member_id)
        .first()
    )
    if member is None:
        raise NotFound("No such member in this workspace.")
    if member.pk != actor_membership.pk and not can_assign(actor_membership.role, member.role):
        raise PermissionDenied("Your role cannot remove that member.")
    if member.role == Role.OWNER and _owner_count(workspace) == 1:
        raise Conflict("A workspace keeps at least one owner: make someone else owner first.")
    member.delete()
    audit_record(
        action=AuditEvent.Action.MEMBER_REMOVED,
        workspace=workspace,
        actor=actor_membership.user,
        subject_user=member.user,
        meta=meta,
        target=member.user.email,
        data={"role": member.role},
    )


# --- Invitations -------------------------------------------------------------------------------
def invitation_token(invitation: Invitation) -> str:
    """The secret part of an invitation link: signed with SECRET_KEY, never stored."""
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=_INVITATION_SALT)


def invitation_url(invitation: Invitation) -> str:
    return f"{settings.BASE_URL}/invite/{invitation_token(invitation)}/"


@transaction.atomic
def invitation_create(
    *, actor_membership: Membership, email: str, role: str, meta: RequestMeta = SYSTEM
) -> Invitation:
    from .tasks import send_invitation_email

    workspace = actor_membership.workspace
    email = User.objects.normalize_email(email or "").strip().lower()
    if "@" not in email or len(email) > 254:
        raise ServiceError("Enter a valid email address.", field="email")
    if role not in Role.values:
        raise ServiceError(f"Unknown role {role!r}.", field="role")
    if not can_assign(actor_membership.role, role):
        raise PermissionDenied("Your role cannot invite people with that role.")
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise Conflict(f"{email} is already a member of this workspace.", field="email")
    # A new invitation replaces pending ones for the same address.
    Invitation.objects.filter(
        workspace=workspace, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=email,
        role=role,
        nonce=secrets.token_hex(16),
        invited_by=actor_membership.user,
        expires_at=timezone.now() + timedelta(hours=settings.INVITATION_TTL_HOURS),
    )
    audit_record(
        action=AuditEvent.Action.INVITATION_SENT,
        workspace=workspace,
        actor=actor_membership.user,
        meta=meta,
        target=email,
        data={"role": role},
    )
    transaction.on_commit(lambda: send_invitation_email.enqueue(invitation_id=invitation.pk))
    return invitation


def invitation_revoke(
    *, actor_membership: Membership, invitation_id: int, meta: RequestMeta = SYSTEM
) -> None:
    _require(actor_membership, Perm.MANAGE_MEMBERS)
    updated = Invitation.objects.filter(
        workspace=actor_membership.workspace,
        pk=invitation_id,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=timezone.now())
    if not updated:
        raise NotFound("No pending invitation with that id in this workspace.")
    audit_record(
        action=AuditEvent.Action.INVITATION_REVOKED,
        workspace=actor_membership.workspace,
        actor=actor_membership.user,
        meta=meta,
        target=str(invitation_id),
    )


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation behind a link, or ServiceError saying plainly why it cannot be used."""
    try:
        payload = signing.loads(token, salt=_INVITATION_SALT)
    except signing.BadSignature:
        raise NotFound("This invitation link is not valid.") from None
    invitation = (
        Invitation.objects.select_related("workspace")
        .filter(pk=payload.get("i"), nonce=payload.get("n"))
        .first()
    )
    if invitation is None:
        raise NotFound("This invitation link is not valid.")
    state = invitation.state
    if state == "accepted":
        raise Conflict("This invitation has already been used.")
    if state == "revoked":
        raise Conflict("This invitation was withdrawn.")
    if state == "expired":
        raise Conflict("This invitation has expired: ask for a new one.")
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, user: User | None, name: str = "", password: str = "", meta: RequestMeta = SYSTEM
) -> Membership:
    """Use an invitation: `user` is the logged-in person, or None to create the account from the form."""
    invitation = invitation_from_token(token)
    # Lock the row so two concurrent uses of one link cannot both succeed.
    invitation = Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise Conflict("This invitation has already been used.")
    if invitation.revoked_at is not None:
        raise Conflict("This invitation was withdrawn.")
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise Conflict("An account with this email exists: log in first, then open the link again.")
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError

        candidate = User(email=invitation.email, name=name)
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            raise ServiceError(" ".join(exc.messages), field="password") from None
        user = User.objects.create_user(invitation.email, password, name=name.strip()[:150])
    elif user.email.lower() != invitation.email.lower():
        raise PermissionDenied(
            f"This invitation is for {invitation.email}; you are logged in as {user.email}."
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                workspace=invitation.workspace, user=user, role=invitation.role
            )
    except IntegrityError:
        raise Conflict("You are already a member of this workspace.") from None
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        action=AuditEvent.Action.INVITATION_ACCEPTED,
        workspace=invitation.workspace,
        actor=user,
        subject_user=user,
        meta=meta,
        target=user.email,
        data={"role": invitation.role},
    )
    return membership


# --- API keys ----------------------------------------------------------------------------------
def _hash_key(raw: str) -> str:
    # Keys are 256-bit random values: a fast hash is enough (nothing to brute-force), and lookups stay O(1).
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    raw: str  # shown once, never stored


def api_key_create(
    *,
    workspace: Workspace,
    name: str,
    scopes: list[str],
    actor: User | None,
    actor_membership: Membership | None = None,
    meta: RequestMeta = SYSTEM,
) -> NewApiKey:
    if actor_membership is not None:
        _require(actor_membership, Perm.MANAGE_KEYS)
    name = (name or "").strip()
    if not name:
        raise ServiceError("Give the key a name that says where it is used.", field="name")
    scopes = sorted(set(scopes))
    if not scopes or any(s not in ApiKey.SCOPES for s in scopes):
        raise ServiceError("Scopes must be 'read', 'write' or both.", field="scopes")
    if "write" in scopes:
        scopes = ["read", "write"]
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        workspace=workspace,
        name=name[:100],
        prefix=raw[:12],
        key_hash=_hash_key(raw),
        scopes=scopes,
        created_by=actor,
    )
    audit_record(
        action=AuditEvent.Action.KEY_CREATED,
        workspace=workspace,
        actor=actor,
        meta=meta,
        target=str(key),
        data={"scopes": scopes},
    )
    return NewApiKey(key=key, raw=raw)


def api_key_revoke(*, actor_membership: Membership, key_id: int, meta: RequestMeta = SYSTEM) -> ApiKey:
    _require(actor_membership, Perm.MANAGE_KEYS)
    key = ApiKey.objects.filter(workspace=actor_membership.workspace, pk=key_id).first()
    if key is None:
        raise NotFound("No API key with that id in this workspace.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditEvent.Action.KEY_REVOKED,
            workspace=key.workspace,
            actor=actor_membership.user,
            meta=meta,
            target=str(key),
        )
    return key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key for a presented secret, with its workspace; records when it was last used."""
    if not raw.startswith(API_KEY_PREFIX) or len(raw) > 100:
        return None
    key = (
        ApiKey.objects.select_related("workspace")
        .filter(key_hash=_hash_key(raw), revoked_at__isnull=True)
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    # At most one write a minute per key: the hot path of every API call stays read-only.
    if key.last_used_at is None or now - key.last_used_at > timedelta(seconds=60):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# --- Login -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None = None
    retry_after: int | None = None


GENERIC_LOGIN_ERROR = "Email or password is incorrect."


def login_attempt(*, request, email: str, password: str, meta: RequestMeta) -> LoginResult:
    """Check credentials with throttling (per account and per address) and audit the outcome.

    The error never says whether the account exists. Throttled attempts are refused before the password is
    checked, so a guesser learns nothing from them.
    """
    email = (email or "").strip().lower()
    limit, window = settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS
    keys = [f"login:acct:{email}", f"login:ip:{meta.ip or 'unknown'}"]
    known = User.objects.filter(email__iexact=email).first() if email else None
    states = [ratelimit.peek(k, limit=limit, window_seconds=window) for k in keys]
    blocked = [s for s in states if s.count >= limit]
    if blocked:
        retry = max(s.retry_after for s in blocked)
        audit_record(
            action=AuditEvent.Action.LOGIN_THROTTLED,
            subject_user=known,
            meta=meta,
            target=email,
            data={"retry_after": retry},
        )
        minutes = max(1, (retry + 59) // 60)
        return LoginResult(
            user=None,
            retry_after=retry,
            error=f"Too many failed attempts. Try again in {minutes} minute{'s' * (minutes > 1)}.",
        )
    user = authenticate(request, username=email, password=password) if email and password else None
    if user is None:
        for k in keys:
            ratelimit.hit(k, limit=limit, window_seconds=window)
        audit_record(action=AuditEvent.Action.LOGIN_FAILED, subject_user=known, meta=meta, target=email)
        return LoginResult(user=None, error=GENERIC_LOGIN_ERROR)
    ratelimit.reset(keys[0])
    audit_record(action=AuditEvent.Action.LOGIN, actor=user, subject_user=user, meta=meta, target=user.email)
    return LoginResult(user=user)
