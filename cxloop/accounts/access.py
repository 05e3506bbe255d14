"""One helper for page access: logged in, a member of a workspace, and a role that allows the page."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from .roles import Perm, has_perm


def workspace_view(perm: str = Perm.VIEW_DATA):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None:
                return render(request, "accounts/no_workspace.html", status=403)
            if not has_perm(request.membership.role, perm):
                return render(request, "web/forbidden.html", {"perm": Perm(perm).label}, status=403)
            return view(request, *args, **kwargs)

        wrapper.required_perm = perm
        return wrapper

    return decorator
