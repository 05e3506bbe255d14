from django.apps import AppConfig


class BoardsConfig(AppConfig):
    name = "cxloop.boards"
    label = "boards"
    verbose_name = "Dashboards built by users"
