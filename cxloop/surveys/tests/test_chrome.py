"""The words around a survey's own texts follow the respondent's language."""

from __future__ import annotations

import pytest

from cxloop.surveys.chrome import CHROME, chrome, translate_errors

from .helpers import form, live_survey, resume_path

pytestmark = pytest.mark.django_db


def test_every_language_has_every_word():
    for language, words in CHROME.items():
        assert set(words) == set(CHROME["en"]), language


def test_regional_codes_fall_back_to_their_language_and_unknown_ones_to_english():
    assert chrome("de-AT")["next"] == "Weiter"
    assert chrome("sv")["next"] == "Next"
    assert translate_errors({"q": "This question needs an answer.", "r": "Enter a number."}, "fr") == {
        "q": "Cette question attend une réponse.",
        "r": "Enter a number.",
    }


def test_german_respondent_gets_german_buttons_and_required_message(client, cast):
    survey = live_survey(cast.workspace, template="relationship_nps")
    page = client.get(f"/s/{survey.slug}/?start=1&lang=de").content.decode()
    assert ">Weiter</button>" in page and 'aria-label="Fortschritt"' in page
    refused = client.post(f"/s/{survey.slug}/?start=1&lang=de", form(0)).content.decode()
    assert "Bitte beantworten Sie diese Frage." in refused
    resume = resume_path(client.post(f"/s/{survey.slug}/?start=1&lang=de", form(0, nps="3")))
    client.post(resume, form(1, reason="Zu spät"))
    detractor = client.get(resume).content.decode()
    assert "> Ja</label>" in detractor and "> Nein</label>" in detractor
    assert "Sonstiges" in detractor
    assert "die Adresse dieser Seite behält Ihre Antworten" in detractor


def test_widget_pages_carry_their_words(client, cast):
    from cxloop.widget import services as widget

    survey = live_survey(cast.workspace, template="relationship_nps")
    widget.placement_save(
        survey=survey, enabled=True, mode="popover", url_op="any", url_value="", delay_seconds=0,
        exit_intent=False, events="", sample_rate=100, targeting="", cooldown_days=30, tab_label="Feedback",
    )  # fmt: skip
    site = widget.site_for(cast.workspace)
    data = widget.start(site=site, survey_id=survey.pk, language="de", hidden={})
    assert data["page"]["ui"]["send"] == "Senden" and data["page"]["ui"]["yes"] == "Ja"
