from django.urls import path

from . import views

urlpatterns = [
    path("widget.js", views.widget_js, name="widget_js"),
    path("w/<str:site_key>/config", views.site_config, name="widget_config"),
    path("w/<str:site_key>/start", views.survey_begin, name="widget_start"),
    path("w/<str:site_key>/answer", views.survey_answer, name="widget_answer"),
    path("settings/widget/", views.widget_settings, name="widget_settings"),
    path("surveys/<int:survey_id>/widget/", views.placement_edit, name="widget_placement"),
]
