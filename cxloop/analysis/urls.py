from django.urls import path

from . import views

urlpatterns = [
    path("analytics/", views.themes, name="analytics"),
    path("analytics/themes/template/", views.taxonomy_template, name="taxonomy_template"),
    path("analytics/themes/new/", views.theme_edit, name="theme_new"),
    path("analytics/themes/<int:theme_id>/", views.theme_edit, name="theme_edit"),
    path("analytics/themes/<int:theme_id>/delete/", views.theme_delete, name="theme_delete"),
]
