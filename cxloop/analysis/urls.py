from django.urls import path

from . import views, views_corrections, views_lab

urlpatterns = [
    path("analytics/", views.themes, name="analytics"),
    path("analytics/themes/template/", views.taxonomy_template, name="taxonomy_template"),
    path("analytics/themes/new/", views.theme_edit, name="theme_new"),
    path("analytics/themes/<int:theme_id>/", views.theme_edit, name="theme_edit"),
    path("analytics/themes/<int:theme_id>/delete/", views.theme_delete, name="theme_delete"),
    # what the texts say about each theme (views.py): drill-down, and reading again after a change
    path("analytics/themes/<int:theme_id>/mentions/", views.theme_mentions, name="theme_mentions"),
    path("analytics/themes/progress/", views.theme_progress, name="theme_progress"),
    path("analytics/themes/reread/", views.theme_reread, name="theme_reread"),
    # analysts' corrections of an item's themes, in the Inbox drawer (views_corrections.py)
    path("inbox/<int:item_id>/themes/", views_corrections.item_themes, name="item_themes"),
    path("inbox/<int:item_id>/themes/add/", views_corrections.item_theme_add, name="item_theme_add"),
    path(
        "inbox/<int:item_id>/themes/<int:theme_id>/decide/",
        views_corrections.item_theme_decide,
        name="item_theme_decide",
    ),
    path(
        "inbox/<int:item_id>/themes/<int:theme_id>/relabel/",
        views_corrections.item_theme_relabel,
        name="item_theme_relabel",
    ),
    # paste a text, see every label (views_lab.py)
    path("analytics/lab/", views_lab.text_lab, name="text_lab"),
]
