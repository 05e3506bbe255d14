"""The full demo, seeded once for all the demo's test modules (about 25 s) and removed after them."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from cxloop.customers.models import Customer, Event, Identity
from cxloop.demo.retail import Calendar
from cxloop.demo.seed import seed_demo
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.surveys.models import Response, Survey


def counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "identities": Identity.objects.count(),
        "events": Event.objects.count(),
        "feedback": FeedbackItem.objects.count(),
        "answers": Answer.objects.count(),
        "surveys": Survey.objects.count(),
        "responses": Response.objects.count(),
    }


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The full demo, seeded twice on the same data folder; the counts after each run; its calendar."""
    with django_db_blocker.unblock():
        now = timezone.now()
        folder = tmp_path_factory.mktemp("demo")
        seed_demo(data_dir=folder, now=now)
        first = counts()
        seed_demo(data_dir=folder, now=now)
        yield {"first": first, "second": counts(), "cal": Calendar.from_now(now)}
        call_command("flush", interactive=False, verbosity=0)
