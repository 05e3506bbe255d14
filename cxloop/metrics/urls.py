"""Pages of the metrics app: the dashboards (views.py) and key drivers (views_drivers.py)."""

from django.urls import path

urlpatterns: list = []

# Dashboards › Explorer (views_explorer.py)
from . import views_explorer  # noqa: E402

urlpatterns += [
    path("dashboards/explorer/", views_explorer.explorer, name="explorer"),
    path("dashboards/explorer/export/", views_explorer.explorer_export, name="explorer_export"),
]

# Dashboards › Key drivers (views_drivers.py)
from . import views_drivers  # noqa: E402

urlpatterns += [path("dashboards/drivers/", views_drivers.drivers, name="drivers")]

# Dashboards › Overview (views.py)
from . import views  # noqa: E402

urlpatterns += [path("dashboards/", views.overview, name="dashboards")]

# Dashboards › Targets (views_targets.py)
from . import views_targets  # noqa: E402

urlpatterns += [
    path("dashboards/targets/", views_targets.targets_page, name="targets"),
    path("dashboards/targets/<int:target_id>/delete/", views_targets.target_delete, name="target_delete"),
]

# Dashboards › Alerts and Reports (views_alerts.py)
from . import views_alerts  # noqa: E402

urlpatterns += [
    path("dashboards/alerts/", views_alerts.alerts_page, name="alerts"),
    path("dashboards/alerts/<int:alert_id>/toggle/", views_alerts.alert_toggle, name="alert_toggle"),
    path("dashboards/alerts/<int:alert_id>/check/", views_alerts.alert_check_now, name="alert_check"),
    path("dashboards/alerts/<int:alert_id>/delete/", views_alerts.alert_delete, name="alert_delete"),
    path("dashboards/reports/", views_alerts.reports_page, name="reports"),
    path("dashboards/reports/<int:report_id>/send/", views_alerts.report_send_now, name="report_send"),
    path("dashboards/reports/<int:report_id>/pdf/", views_alerts.report_pdf, name="report_pdf"),
    path("dashboards/reports/<int:report_id>/delete/", views_alerts.report_delete, name="report_delete"),
]
