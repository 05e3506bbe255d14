"""Answering a survey on its public page, as a respondent without JavaScript would."""

from __future__ import annotations

import pytest

from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.surveys.models import Response

from .helpers import form, live_survey, resume_path

pytestmark = pytest.mark.django_db


def test_relationship_nps_answered_page_by_page_lands_in_feedback_store(client, cast):
    survey = live_survey(cast.workspace, template="relationship_nps", name="Relationship NPS")
    page = client.get(f"/s/{survey.slug}/?start=1")
    assert page.status_code == 200
    assert b'name="nps"' in page.content and b"<script" not in page.content

    first = client.post(f"/s/{survey.slug}/?start=1", form(0, nps="3"))
    assert first.status_code == 303
    resume = resume_path(first)
    item = FeedbackItem.objects.get(workspace=cast.workspace)
    assert item.channel == "survey" and item.source == "Relationship NPS"
    assert item.metadata["response_status"] == "partial"
    assert [(a.key, a.type, a.value) for a in item.answers.all()] == [("nps", "nps", 3.0)]

    second = client.get(resume)
    assert "What is the main reason for your score of 3?" in second.content.decode()
    assert client.post(resume, form(1, reason="The parcel came a week late.")).status_code == 303
    third = client.get(resume)
    assert b'name="fix_first"' in third.content  # the detractor block shows for a score of 3
    done = client.post(resume, form(2, fix_first="delivery", contact_ok="yes"))
    assert done.status_code == 303
    ending = client.get(resume)
    assert b"Thank you!" in ending.content

    item.refresh_from_db()
    assert item.metadata["response_status"] == "completed"
    assert item.text == "The parcel came a week late."
    answers = {a.key: a for a in Answer.objects.filter(item=item)}
    assert set(answers) == {"nps", "reason", "fix_first", "contact_ok"}
    assert answers["fix_first"].choices == ["delivery"] and answers["contact_ok"].value == 1.0
    response = Response.objects.get(survey=survey)
    assert response.status == "completed" and response.version.number == 1


def test_promoter_skips_detractor_block(client, cast):
    survey = live_survey(cast.workspace, template="relationship_nps")
    resume = resume_path(client.post(f"/s/{survey.slug}/?start=1", form(0, nps="10")))
    client.post(resume, form(1, reason="Fast and friendly."))
    assert b"Thank you!" in client.get(resume).content
    assert Response.objects.get(survey=survey).status == "completed"


def test_out_of_scale_and_missing_required_answers_are_refused_with_a_message(client, cast):
    survey = live_survey(cast.workspace, template="relationship_nps")
    missing = client.post(f"/s/{survey.slug}/?start=1", form(0))
    assert missing.status_code == 422
    assert "This question needs an answer." in missing.content.decode()
    wrong = client.post(f"/s/{survey.slug}/?start=1", form(0, nps="11"))
    assert wrong.status_code == 422
    assert "11 is outside the scale 0 to 10." in wrong.content.decode()
    assert not Response.objects.exists() and not FeedbackItem.objects.exists()


def test_completed_response_cannot_be_sent_again(client, cast):
    survey = live_survey(cast.workspace, template="pmf")
    resume = resume_path(client.post(f"/s/{survey.slug}/", form(0, disappointed="very")))
    again = client.post(resume, form(0, disappointed="not"))
    assert again.status_code == 409
    assert Answer.objects.get(key="disappointed").choices == ["very"]


def test_a_response_token_only_works_with_its_own_survey(client, cast):
    acme = live_survey(cast.workspace, template="relationship_nps")
    other = live_survey(cast.other_workspace, template="relationship_nps")
    resume = resume_path(client.post(f"/s/{acme.slug}/?start=1", form(0, nps="5")))
    token = resume.rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/s/{other.slug}/r/{token}/").status_code == 404
    assert client.post(f"/s/{other.slug}/r/{token}/", form(1, reason="hijack")).status_code == 404
    assert Response.objects.get().state["answers"] == {"nps": 5}
