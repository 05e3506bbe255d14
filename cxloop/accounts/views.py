"""Pages of the accounts domain: sign-in, workspace switcher, members, API keys, audit log.

Views parse the form, call one service and render; rules live in services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from cxloop.core.exceptions import ServiceError
from cxloop.core.request_meta import RequestMeta

from . import selectors, services
from .access import workspace_view
from .middleware import SESSION_KEY
from .models import AuditEvent
from .roles import ROLE_PERMS, Perm, Role, can_assign


@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or "home")
    error, email, status = None, "", 200
    if request.method == "POST":
        email = request.POST.get("email", "")[:254]
        result = services.login_attempt(
            request=request,
            email=email,
            password=request.POST.get("password", ""),
            meta=RequestMeta.from_request(request),
        )
        if result.user is not None:
            login(request, result.user)
            return redirect(next_url or "home")
        error = result.error
        status = 429 if result.retry_after else 200
    response = render(
        request, "accounts/login.html", {"error": error, "email": email, "next": next_url}, status=status
    )
    if status == 429:
        response["Retry-After"] = str(result.retry_after)
    return response


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        services.audit_record(
            action=AuditEvent.Action.LOGOUT,
            actor=request.user,
            subject_user=request.user,
            meta=RequestMeta.from_request(request),
            target=request.user.email,
        )
    logout(request)
    return redirect("login")


@require_POST
def switch_workspace(request):
    if not request.user.is_authenticated:
        return redirect("login")
    try:
        wanted = int(request.POST.get("workspace", ""))
    except ValueError:
        wanted = None
    membership = selectors.membership_for(user=request.user, workspace_id=wanted)
    if membership is None or membership.workspace_id != wanted:
        messages.error(request, "You are not a member of that workspace.")
    else:
        request.session[SESSION_KEY] = membership.workspace_id
    return redirect("home")


@require_http_methods(["GET", "POST"])
def workspace_new(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    error = None
    if request.method == "POST":
        try:
            workspace = services.workspace_create(
                name=request.POST.get("name", ""), owner=request.user, meta=RequestMeta.from_request(request)
            )
        except ServiceError as exc:
            error = exc.message
        else:
            request.session[SESSION_KEY] = workspace.pk
            messages.success(request, f"Workspace “{workspace.name}” created. You are its owner.")
            return redirect("home")
    return render(request, "accounts/workspace_new.html", {"error": error})


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    try:
        invitation = services.invitation_from_token(token)
    except ServiceError as exc:
        return render(request, "accounts/invitation.html", {"problem": exc.message}, status=exc.status)
    user = request.user if request.user.is_authenticated else None
    needs_account = user is None and not selectors.user_exists(email=invitation.email)
    error = None
    if request.method == "POST":
        try:
            membership = services.invitation_accept(
                token=token,
                user=user,
                name=request.POST.get("name", ""),
                password=request.POST.get("password", ""),
                meta=RequestMeta.from_request(request),
            )
        except ServiceError as exc:
            error = exc.message
        else:
            if user is None:
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_KEY] = membership.workspace_id
            messages.success(request, f"Welcome to {membership.workspace.name}.")
            return redirect("home")
    return render(
        request,
        "accounts/invitation.html",
        {"invitation": invitation, "needs_account": needs_account, "error": error},
    )


# --- Settings ----------------------------------------------------------------------------------
def _assignable_roles(role: str) -> list[tuple[str, str]]:
    return [(value, label) for value, label in Role.choices if can_assign(role, value)]


@workspace_view(Perm.VIEW_DATA)
def settings_home(request):
    return render(request, "accounts/settings_home.html", {"tab": "general"})


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_POST
def workspace_rename(request):
    try:
        services.workspace_rename(
            workspace=request.workspace,
            actor_membership=request.membership,
            name=request.POST.get("name", ""),
            meta=RequestMeta.from_request(request),
        )
        messages.success(request, "Workspace renamed.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("settings")


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_POST
def workspace_privacy(request):
    keep = request.POST.get("keep_original_text") == "on"
    services.workspace_privacy(
        workspace=request.workspace,
        actor_membership=request.membership,
        keep_original_text=keep,
        meta=RequestMeta.from_request(request),
    )
    messages.success(
        request,
        "Feedback texts are kept as received."
        if keep
        else "Personal data will be replaced in the stored texts, including those already stored.",
    )
    return redirect("settings")


@workspace_view(Perm.VIEW_DATA)
def members(request):
    membership = request.membership
    member_rows = list(selectors.members_list(workspace=request.workspace))
    for m in member_rows:
        m.editable = m.user_id != request.user.id and can_assign(membership.role, m.role)
    context = {
        "tab": "members",
        "members": member_rows,
        "invitations": selectors.invitations_pending(workspace=request.workspace)
        if Perm.MANAGE_MEMBERS in ROLE_PERMS[membership.role]
        else [],
        "assignable_roles": _assignable_roles(membership.role),
    }
    return render(request, "accounts/members.html", context)


@workspace_view(Perm.MANAGE_MEMBERS)
@require_POST
def member_invite(request):
    try:
        invitation = services.invitation_create(
            actor_membership=request.membership,
            email=request.POST.get("email", ""),
            role=request.POST.get("role", ""),
            meta=RequestMeta.from_request(request),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Invitation sent to {invitation.email}. The link works once and expires "
            f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC.",
        )
        messages.info(
            request,
            f"Invitation link (share it if email is not set up): {services.invitation_url(invitation)}",
        )
    return redirect("members")


@workspace_view(Perm.MANAGE_MEMBERS)
@require_POST
def invitation_revoke(request, invitation_id: int):
    try:
        services.invitation_revoke(
            actor_membership=request.membership,
            invitation_id=invitation_id,
            meta=RequestMeta.from_request(request),
        )
        messages.success(request, "Invitation withdrawn.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("members")


@workspace_view(Perm.MANAGE_MEMBERS)
@require_POST
def member_role(request, member_id: int):
    try:
        member = services.membership_set_role(
            actor_membership=request.membership,
            member_id=member_id,
            role=request.POST.get("role", ""),
            meta=RequestMeta.from_request(request),
        )
        messages.success(request, f"{member.user.email} is now {member.get_role_display().lower()}.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("members")


@workspace_view(Perm.VIEW_DATA)
@require_POST
def member_remove(request, member_id: int):
    leaving = member_id == request.membership.pk
    if not leaving and Perm.MANAGE_MEMBERS not in ROLE_PERMS[request.membership.role]:
        return render(request, "web/forbidden.html", {"perm": Perm.MANAGE_MEMBERS.label}, status=403)
    try:
        services.membership_remove(
            actor_membership=request.membership, member_id=member_id, meta=RequestMeta.from_request(request)
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("members")
    if leaving:
        request.session.pop(SESSION_KEY, None)
        messages.success(request, "You left the workspace.")
        return redirect("home")
    messages.success(request, "Member removed.")
    return redirect("members")


@workspace_view(Perm.MANAGE_KEYS)
@require_http_methods(["GET", "POST"])
def api_keys(request):
    created = None
    if request.method == "POST":
        scopes = ["read", "write"] if request.POST.get("scope") == "write" else ["read"]
        try:
            created = services.api_key_create(
                workspace=request.workspace,
                name=request.POST.get("name", ""),
                scopes=scopes,
                actor=request.user,
                actor_membership=request.membership,
                meta=RequestMeta.from_request(request),
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
    context = {
        "tab": "keys",
        "keys": selectors.api_keys_list(workspace=request.workspace),
        "created": created,
    }
    response = render(request, "accounts/api_keys.html", context)
    if created:
        response["Cache-Control"] = "no-store"
    return response


@workspace_view(Perm.MANAGE_KEYS)
@require_POST
def api_key_revoke(request, key_id: int):
    try:
        key = services.api_key_revoke(
            actor_membership=request.membership, key_id=key_id, meta=RequestMeta.from_request(request)
        )
        messages.success(request, f"Key “{key.name}” revoked: it no longer works.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("api_keys")


@workspace_view(Perm.VIEW_AUDIT)
def audit_log(request):
    action = request.GET.get("action") or None
    if action not in AuditEvent.Action.values:
        action = None
    events = selectors.audit_events(workspace=request.workspace, action=action)
    return render(
        request,
        "accounts/audit.html",
        {"tab": "audit", "events": events, "actions": AuditEvent.Action.choices, "action": action},
    )
