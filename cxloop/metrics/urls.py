"""Pages of the metrics app: the dashboards (views.py) and key drivers (views_drivers.py)."""

from django.urls import path

urlpatterns: list = []

# Dashboards › Targets (views_targets.py)
from . import views_targets  # noqa: E402

urlpatterns += [
    path("dashboards/targets/", views_targets.targets_page, name="targets"),
    path("dashboards/targets/<int:target_id>/delete/", views_targets.target_delete, name="target_delete"),
]

# Dashboards › Explorer (views_explorer.py)
from . import views_explorer  # noqa: E402

urlpatterns += [
    path("dashboards/explorer/", views_explorer.explorer, name="explorer"),
    path("dashboards/explorer/export/", views_explorer.explorer_export, name="explorer_export"),
]

# Dashboards › Overview (views.py)
from . import views  # noqa: E402

urlpatterns += [path("dashboards/", views.overview, name="dashboards")]

# Dashboards › Key drivers (views_drivers.py)
from . import views_drivers  # noqa: E402

urlpatterns += [path("dashboards/drivers/", views_drivers.drivers, name="drivers")]
