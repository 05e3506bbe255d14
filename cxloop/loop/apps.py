from django.apps import AppConfig


class LoopConfig(AppConfig):
    name = "cxloop.loop"
    label = "loop"
