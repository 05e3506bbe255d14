"""/api/v1/surveys: list, read, and server-to-server responses that land in the feedback store."""

from __future__ import annotations

import pytest

from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.surveys import services
from cxloop.surveys.models import Response

from .helpers import live_survey

pytestmark = pytest.mark.django_db


def test_list_gives_id_name_status_and_public_url(api, cast, acme_key):
    live = live_survey(cast.workspace, template="relationship_nps", name="Quarterly NPS")
    draft = services.survey_create(workspace=cast.workspace, actor=None, name="Draft one", template="pmf")
    resp = api("get", "/api/v1/surveys", key=acme_key)
    assert resp.status_code == 200
    items = {s["id"]: s for s in resp.json()["items"]}
    assert items[live.pk]["status"] == "live" and items[draft.pk]["status"] == "draft"
    assert items[live.pk]["public_url"] == f"http://testserver/s/{live.slug}/"
    assert items[live.pk]["version"] == 1 and items[draft.pk]["version"] is None


def test_detail_lists_questions_with_key_and_type(api, cast, acme_key):
    survey = live_survey(cast.workspace, template="delivery_csat")
    body = api("get", f"/api/v1/surveys/{survey.pk}", key=acme_key).json()
    assert [(q["key"], q["type"]) for q in body["questions"]] == [
        ("csat", "csat"),
        ("on_time", "yes_no"),
        ("aspects", "matrix"),
        ("comment", "text"),
    ]
    assert body["hidden_fields"] == ["order_id", "touchpoint"]
    assert body["questions"][2]["rows"] == ["speed", "packaging", "courier", "tracking"]


def test_response_is_stored_with_typed_answers_and_appears_in_feedback_api(api, cast, acme_key):
    survey = live_survey(cast.workspace, template="delivery_csat", name="Delivery CSAT")
    resp = api(
        "post",
        f"/api/v1/surveys/{survey.pk}/responses",
        key=acme_key,
        json={
            "answers": {"csat": 2, "on_time": False, "aspects": {"speed": 1}, "comment": "Two days late."},
            "hidden": {"order_id": "A-1001", "touchpoint": "delivery"},
            "customer": {"email": "Anna@Example.com"},
        },
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["status"] == "completed" and body["version"] == 1
    listed = api("get", "/api/v1/feedback?channel=survey", key=acme_key).json()["items"]
    assert [i["id"] for i in listed] == [body["feedback_id"]]
    item = listed[0]
    assert item["source"] == "Delivery CSAT" and item["touchpoint"] == "delivery"
    assert item["text"] == "Two days late."
    answers = {a["key"]: a for a in item["answers"]}
    assert answers["csat"]["type"] == "csat" and answers["csat"]["value"] == 2
    assert answers["on_time"]["type"] == "yes_no" and answers["on_time"]["value"] == 0
    assert answers["aspects.speed"]["type"] == "rating"
    assert FeedbackItem.objects.get(pk=body["feedback_id"]).customer.email == "anna@example.com"


@pytest.mark.parametrize(
    ("answers", "where"),
    [
        ({"csat": 9}, "answers.csat"),
        ({"csat": "great"}, "answers.csat"),
        ({}, "answers.csat"),
        ({"csat": 4, "nope": 1}, "answers.nope"),
        ({"csat": 4, "aspects": {"colour": 3}}, "answers.aspects"),
    ],
)
def test_invalid_answers_are_422_with_the_field_and_store_nothing(api, cast, acme_key, answers, where):
    survey = live_survey(cast.workspace, template="delivery_csat")
    resp = api("post", f"/api/v1/surveys/{survey.pk}/responses", key=acme_key, json={"answers": answers})
    assert resp.status_code == 422, resp.content
    assert resp["Content-Type"].startswith("application/problem+json")
    assert resp.json()["field"] == where
    assert not Response.objects.exists() and not FeedbackItem.objects.exists()


def test_answer_the_logic_skips_is_refused(api, cast, acme_key):
    survey = live_survey(cast.workspace, template="relationship_nps")
    resp = api(
        "post",
        f"/api/v1/surveys/{survey.pk}/responses",
        key=acme_key,
        json={"answers": {"nps": 10, "fix_first": "price"}},
    )
    assert resp.status_code == 422
    assert "logic skips" in resp.json()["detail"]


def test_unknown_hidden_field_is_refused(api, cast, acme_key):
    survey = live_survey(cast.workspace, template="delivery_csat")
    resp = api(
        "post",
        f"/api/v1/surveys/{survey.pk}/responses",
        key=acme_key,
        json={"answers": {"csat": 4}, "hidden": {"coupon": "X"}},
    )
    assert resp.status_code == 422 and resp.json()["field"] == "hidden.coupon"


def test_draft_and_closed_surveys_take_no_responses(api, cast, acme_key):
    draft = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    resp = api("post", f"/api/v1/surveys/{draft.pk}/responses", key=acme_key, json={"answers": {}})
    assert resp.status_code == 404
    live = live_survey(cast.workspace, template="pmf")
    services.survey_close(survey=live, actor=None)
    resp = api(
        "post",
        f"/api/v1/surveys/{live.pk}/responses",
        key=acme_key,
        json={"answers": {"disappointed": "very"}},
    )
    assert resp.status_code == 409
    assert not Response.objects.exists()


def test_idempotency_key_replays_the_first_response(api, cast, acme_key):
    survey = live_survey(cast.workspace, template="pmf")
    body = {"answers": {"disappointed": "somewhat"}}
    headers = {"Idempotency-Key": "resp-1"}
    first = api("post", f"/api/v1/surveys/{survey.pk}/responses", key=acme_key, json=body, headers=headers)
    again = api("post", f"/api/v1/surveys/{survey.pk}/responses", key=acme_key, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Response.objects.count() == 1 and Answer.objects.count() == 1


def test_read_key_cannot_post_responses(api, cast, make_key):
    survey = live_survey(cast.workspace, template="pmf")
    key = make_key(cast.workspace, ["read"])
    resp = api(
        "post", f"/api/v1/surveys/{survey.pk}/responses", key=key, json={"answers": {"disappointed": "very"}}
    )
    assert resp.status_code == 403


def test_outsider_key_sees_no_acme_survey_and_cannot_answer_it(api, cast, other_key):
    survey = live_survey(cast.workspace, template="pmf")
    assert api("get", "/api/v1/surveys", key=other_key).json()["items"] == []
    assert api("get", f"/api/v1/surveys/{survey.pk}", key=other_key).status_code == 404
    resp = api(
        "post",
        f"/api/v1/surveys/{survey.pk}/responses",
        key=other_key,
        json={"answers": {"disappointed": "very"}},
    )
    assert resp.status_code == 404
    assert not Response.objects.exists() and not FeedbackItem.objects.exists()
