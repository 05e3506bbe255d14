"""Fixtures of the outreach tests, on top of the shared cast and keys in the root conftest."""

from __future__ import annotations

import pytest
from django.test import override_settings

from cxloop.surveys.tests.helpers import live_survey

from . import helpers

ONE_NPS_QUESTION = {
    "blocks": [
        {
            "key": "score",
            "questions": [
                {
                    "key": "nps",
                    "type": "nps",
                    "required": True,
                    "label": "How likely are you to recommend Acme?",
                    "min_label": "Not at all likely",
                    "max_label": "Extremely likely",
                }
            ],
        }
    ]
}


@pytest.fixture
def nps_survey(cast):
    """A live survey of one required NPS question: sending its first page completes a response."""
    return live_survey(cast.workspace, definition=ONE_NPS_QUESTION, name="Quick NPS")


@pytest.fixture
def relationship_nps(cast):
    """The relationship NPS template, live: a welcome screen, then several pages."""
    return live_survey(cast.workspace, template="relationship_nps", name="Relationship NPS")


@pytest.fixture
def sms_server():
    """A local Twilio-compatible API, and the settings that point SMS at it."""
    server, info = helpers.start_sms_server()
    with override_settings(
        SMS_API_URL=info.url,
        SMS_ACCOUNT_SID=helpers.SMS_SID,
        SMS_AUTH_TOKEN=helpers.SMS_TOKEN,
        SMS_FROM=helpers.SMS_FROM,
    ):
        yield info
    server.shutdown()
    server.server_close()
