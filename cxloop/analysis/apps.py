from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "cxloop.analysis"
    label = "analysis"
