"""Dashboards › Your dashboards (views.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("dashboards/boards/", views.board_list, name="boards"),
    path("dashboards/boards/new/", views.board_new, name="board_new"),
    path("dashboards/boards/from-template/", views.board_from_template, name="board_from_template"),
    path("dashboards/boards/save-widget/", views.board_save_widget, name="board_save_widget"),
    path("dashboards/boards/<int:dashboard_id>/", views.board_detail, name="board_detail"),
    path("dashboards/boards/<int:dashboard_id>/edit/", views.board_edit, name="board_edit"),
    path("dashboards/boards/<int:dashboard_id>/delete/", views.board_delete, name="board_delete"),
    path("dashboards/boards/<int:dashboard_id>/widgets/", views.board_widget_add, name="board_widget_add"),
    path(
        "dashboards/boards/<int:dashboard_id>/widgets/<int:widget_id>/remove/",
        views.board_widget_remove,
        name="board_widget_remove",
    ),
    path(
        "dashboards/boards/<int:dashboard_id>/widgets/<int:widget_id>/move/",
        views.board_widget_move,
        name="board_widget_move",
    ),
]
