"""Shared by the surveys tests: live surveys, and form posts that pass the bot checks as a person would."""

from __future__ import annotations

import re
import time

from django.core import signing

from cxloop.surveys import services
from cxloop.surveys.public_views import _SIGNER_SALT


def live_survey(workspace, *, template=None, definition=None, name="Test survey", actor=None):
    survey = services.survey_create(
        workspace=workspace, actor=actor, name=name, template=template, definition=definition
    )
    return services.survey_publish(survey=survey, actor=actor)


def aged_timer(seconds: float = 10.0) -> str:
    """A form timer issued `seconds` ago (a person's pace)."""
    return signing.dumps(time.time() - seconds, salt=_SIGNER_SALT)


def form(page: int, **fields) -> dict:
    """A page's form body: fields by answer key (lists for checkboxes), plus the hidden bookkeeping."""
    return {"_page": str(page), "_t": aged_timer(), **fields}


def resume_path(response) -> str:
    location = response["Location"]
    assert re.match(r"^/s/[\w-]+/r/[\w-]+/$", location), location
    return location
