from django.apps import AppConfig


class WidgetConfig(AppConfig):
    name = "cxloop.widget"
    label = "widget"
    verbose_name = "Website widget"
