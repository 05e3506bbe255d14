from django.urls import path

from . import public_views, views

urlpatterns = [
    # staff pages
    path("surveys/", views.survey_list, name="surveys"),
    path("surveys/new/", views.survey_new, name="survey_new"),
    path("surveys/import/", views.survey_import, name="survey_import"),
    path("surveys/<int:survey_id>/", views.survey_detail, name="survey_detail"),
    path("surveys/<int:survey_id>/publish/", views.survey_publish, name="survey_publish"),
    path("surveys/<int:survey_id>/close/", views.survey_close, name="survey_close"),
    path("surveys/<int:survey_id>/export.json", views.survey_export, name="survey_export"),
    # public pages
    path("s/<slug:slug>/", public_views.survey_start, name="survey_start"),
    path("s/<slug:slug>/r/<str:token>/", public_views.survey_resume, name="survey_resume"),
    path("s/<slug:slug>/theme.css", public_views.survey_theme, name="survey_theme"),
]
