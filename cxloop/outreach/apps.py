from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "cxloop.outreach"
    label = "outreach"
    verbose_name = "Survey outreach"
