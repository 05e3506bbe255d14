from django.urls import path

from . import settings_views, views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:item_id>/", views.item_detail, name="feedback_detail"),
    path("settings/webhooks/", settings_views.webhook_list, name="webhooks"),
    path("settings/webhooks/<int:endpoint_id>/", settings_views.webhook_detail, name="webhook_detail"),
    path("settings/imports/", settings_views.import_list, name="imports"),
    path("settings/imports/<int:job_id>/", settings_views.import_detail, name="import_detail"),
    path("settings/imports/<int:job_id>/report.csv", settings_views.import_report, name="import_report"),
    path(
        "settings/webhooks/deliveries/<int:delivery_id>/replay/",
        settings_views.delivery_replay,
        name="delivery_replay",
    ),
]
