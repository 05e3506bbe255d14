from django.urls import path

from . import builder_views, public_views, results_views, views

urlpatterns = [
    # staff pages
    path("surveys/", views.survey_list, name="surveys"),
    path("surveys/new/", views.survey_new, name="survey_new"),
    path("surveys/import/", views.survey_import, name="survey_import"),
    path("surveys/<int:survey_id>/", views.survey_detail, name="survey_detail"),
    path("surveys/<int:survey_id>/publish/", views.survey_publish, name="survey_publish"),
    path("surveys/<int:survey_id>/close/", views.survey_close, name="survey_close"),
    path("surveys/<int:survey_id>/export.json", views.survey_export, name="survey_export"),
    path("surveys/<int:survey_id>/edit/", builder_views.survey_edit, name="survey_edit"),
    path("surveys/<int:survey_id>/edit/json/", builder_views.survey_edit_json, name="survey_edit_json"),
    path(
        "surveys/<int:survey_id>/edit/preview/", builder_views.survey_edit_preview, name="survey_edit_preview"
    ),
    # results (results_views.py)
    path("surveys/<int:survey_id>/results/", results_views.survey_results, name="survey_results"),
    path("surveys/<int:survey_id>/results.csv", results_views.survey_results_csv, name="survey_results_csv"),
    path(
        "surveys/<int:survey_id>/results.xlsx", results_views.survey_results_xlsx, name="survey_results_xlsx"
    ),
    path("surveys/<int:survey_id>/results.pdf", results_views.survey_results_pdf, name="survey_results_pdf"),
    path(
        "surveys/<int:survey_id>/results/share/",
        results_views.survey_results_share,
        name="survey_results_share",
    ),
    path(
        "surveys/<int:survey_id>/results/share/<int:share_id>/revoke/",
        results_views.survey_results_share_revoke,
        name="survey_results_share_revoke",
    ),
    path("r/<str:token>/", results_views.results_shared, name="results_shared"),
    # public pages
    path("s/<slug:slug>/", public_views.survey_start, name="survey_start"),
    path("s/<slug:slug>/r/<str:token>/", public_views.survey_resume, name="survey_resume"),
    path("s/<slug:slug>/theme.css", public_views.survey_theme, name="survey_theme"),
]
