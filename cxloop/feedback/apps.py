from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "cxloop.feedback"
    label = "feedback"
