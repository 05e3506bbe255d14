"""Reads of dashboards. Every function takes the workspace (or a member of it): a dashboard of another
workspace, or another member's private dashboard, is never found (NotFound, a 404 on the pages)."""

from __future__ import annotations

from django.db.models import Count, Q

from cxloop.accounts.roles import Perm, Role, has_perm
from cxloop.core.exceptions import NotFound

from .models import Dashboard, Widget


def _visible(member) -> Q:
    """Shared dashboards of the member's workspace, and the member's own private ones."""
    return Q(workspace=member.workspace) & (Q(shared=True) | Q(created_by=member.user))


def dashboards_for(*, member) -> list[Dashboard]:
    """The dashboards a member sees, with their widget count and creator (one query)."""
    qs = (
        Dashboard.objects.filter(_visible(member))
        .select_related("created_by")
        .annotate(widget_count=Count("widgets"))
        .order_by("name", "id")  # Meta.ordering does not apply to an aggregated query
    )
    return list(qs)


def dashboards_editable(*, member) -> list[Dashboard]:
    """The dashboards the member may change (what "Save as widget" offers). No query for a member whose
    role cannot edit dashboards."""
    if not has_perm(member.role, Perm.ANALYSE):
        return []
    return [d for d in Dashboard.objects.filter(_visible(member)) if can_edit(d, member)]


def dashboard_get(*, member, dashboard_id: int) -> Dashboard:
    """A dashboard the member may see, or NotFound (another workspace's, another member's private one)."""
    found = Dashboard.objects.filter(_visible(member), pk=dashboard_id).select_related("created_by").first()
    if found is None:
        raise NotFound("No such dashboard.")
    return found


def widgets_of(*, dashboard: Dashboard) -> list[Widget]:
    return list(Widget.objects.filter(dashboard=dashboard))


def can_edit(dashboard: Dashboard, member) -> bool:
    """Analysts and above may edit their own dashboards; a shared dashboard also by an admin or the owner.
    Nobody edits another member's private dashboard (they do not even see it)."""
    if dashboard.workspace_id != member.workspace_id or not has_perm(member.role, Perm.ANALYSE):
        return False
    if dashboard.created_by_id == member.user_id:
        return True
    return dashboard.shared and member.role in (Role.OWNER, Role.ADMIN)
