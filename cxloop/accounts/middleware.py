from __future__ import annotations

from .selectors import membership_for

SESSION_KEY = "cxloop_workspace_id"


class WorkspaceMiddleware:
    """Sets request.membership / request.workspace for a logged-in user.

    The session only remembers which of the user's own workspaces they last chose; the membership is looked
    up for the authenticated user every time, so a forged or stale id can never reach another workspace.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.workspace = None
        if request.user.is_authenticated and not request.path.startswith(("/api/", "/static/")):
            membership = membership_for(user=request.user, workspace_id=request.session.get(SESSION_KEY))
            if membership is not None:
                request.membership = membership
                request.workspace = membership.workspace
        return self.get_response(request)
