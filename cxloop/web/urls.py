from django.urls import path

from . import views
from .areas import AREAS

# One route per area (not a catch-all), so unknown paths such as /api/ stay 404s.
urlpatterns = [
    path("", views.home, name="home"),
    *[path(f"{a.slug}/", views.area, {"slug": a.slug}, name=f"area_{a.slug}") for a in AREAS if not a.ready],
]
