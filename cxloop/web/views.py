"""The web shell: home page and the product areas that later issues fill in."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm

from .areas import AREAS


@workspace_view(Perm.VIEW_DATA)
def home(request):
    from cxloop.accounts.selectors import api_keys_list, members_list

    context = {
        "member_count": members_list(workspace=request.workspace).count(),
        "key_count": api_keys_list(workspace=request.workspace).filter(revoked_at__isnull=True).count(),
        "areas": AREAS,
    }
    return render(request, "web/home.html", context)


@workspace_view(Perm.VIEW_DATA)
def area(request, slug: str):
    found = next((a for a in AREAS if a.slug == slug), None)
    if found is None:
        raise Http404("No such area.")
    return render(request, "web/area_pending.html", {"area": found})
