from django.urls import include, path

from .api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("cxloop.accounts.urls")),
    path("", include("cxloop.feedback.urls")),
    path("", include("cxloop.customers.urls")),
    path("", include("cxloop.outreach.urls")),
    path("", include("cxloop.surveys.urls")),
    path("", include("cxloop.widget.urls")),
    path("", include("cxloop.analysis.urls")),
    path("", include("cxloop.metrics.urls")),
    path("", include("cxloop.notifications.urls")),
    path("", include("cxloop.boards.urls")),
    # The web shell last: its catch-all area route must not shadow the others.
    path("", include("cxloop.web.urls")),
]

handler403 = "cxloop.web.errors.forbidden"
handler404 = "cxloop.web.errors.not_found"
handler500 = "cxloop.web.errors.server_error"
