"""Roles and what each may do. One table, read by views, the API and the templates alike."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    ANALYST = "analyst", "Analyst"
    AGENT = "agent", "Agent"
    VIEWER = "viewer", "Viewer"


class Perm(models.TextChoices):
    VIEW_DATA = "view_data", "See feedback, customers, dashboards"
    WORK_CASES = "work_cases", "Work on cases and follow up with customers"
    ANALYSE = "analyse", "Build surveys, dashboards, taxonomies and rules"
    MANAGE_MEMBERS = "manage_members", "Invite members and change their roles"
    MANAGE_KEYS = "manage_keys", "Create and revoke API keys, webhooks and imports"
    MANAGE_WORKSPACE = "manage_workspace", "Rename the workspace and change its settings"
    VIEW_AUDIT = "view_audit", "Read the audit log"
    EXPORT = "export", "Export customer data"


ROLE_PERMS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(Perm.values),
    Role.ADMIN: frozenset(Perm.values) - {Perm.VIEW_AUDIT},
    Role.ANALYST: frozenset({Perm.VIEW_DATA, Perm.WORK_CASES, Perm.ANALYSE, Perm.EXPORT}),
    Role.AGENT: frozenset({Perm.VIEW_DATA, Perm.WORK_CASES}),
    Role.VIEWER: frozenset({Perm.VIEW_DATA}),
}

# Rank used for "may this member grant that role": nobody grants a role above their own,
# and only owners grant or take away the owner role.
ROLE_RANK = {Role.VIEWER: 0, Role.AGENT: 1, Role.ANALYST: 2, Role.ADMIN: 3, Role.OWNER: 4}


def has_perm(role: str | None, perm: str) -> bool:
    return role is not None and perm in ROLE_PERMS.get(role, frozenset())


def can_assign(actor_role: str, target_role: str) -> bool:
    if not has_perm(actor_role, Perm.MANAGE_MEMBERS):
        return False
    if target_role == Role.OWNER:
        return actor_role == Role.OWNER
    return ROLE_RANK[actor_role] >= ROLE_RANK[target_role]
