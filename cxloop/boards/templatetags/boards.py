"""`{% save_widget_form %}`: the Explorer's "Save as widget" form (cxloop/metrics/templates/metrics/
explorer_results.html), for members who may build dashboards. It reads the Explorer's `selection` from the
context and the member's editable dashboards (one query; none for other roles)."""

from __future__ import annotations

from django import template

from cxloop.accounts.roles import Perm, has_perm

from .. import selectors

register = template.Library()


@register.inclusion_tag("boards/_save_widget.html", takes_context=True)
def save_widget_form(context):
    request = context.get("request")
    member = getattr(request, "membership", None)
    selection = context.get("selection")
    if member is None or selection is None or not has_perm(member.role, Perm.ANALYSE):
        return {"show": False}
    hidden = [
        ("metric", selection.metric),
        ("group_by", selection.group_by or ""),
        ("then_by", selection.then_by or ""),
    ]
    for name in ("channel", "source", "touchpoint", "segment", "region", "sentiment"):
        value = (selection.texts or {}).get(name, "")
        if value:
            hidden.append((name, value))
    if selection.filters.theme_id is not None:
        hidden.append(("theme", str(selection.filters.theme_id)))
    return {
        "show": True,
        "csrf_token": context.get("csrf_token"),
        "hidden": hidden,
        "dashboards": selectors.dashboards_editable(member=member),
    }
