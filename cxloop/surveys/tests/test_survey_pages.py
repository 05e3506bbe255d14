"""Staff pages of the surveys area: list, new from a template, publish, close, export and import."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cxloop.accounts.models import AuditEvent
from cxloop.surveys import services
from cxloop.surveys.library import TEMPLATES
from cxloop.surveys.models import Survey

from .helpers import live_survey

pytestmark = pytest.mark.django_db


def test_every_member_sees_the_list(login, cast):
    live_survey(cast.workspace, template="relationship_nps", name="Quarterly NPS")
    for role in ("owner", "admin", "analyst", "agent", "viewer"):
        page = login(cast.user(role)).get("/surveys/")
        assert page.status_code == 200
        assert "Quarterly NPS" in page.content.decode()


@pytest.mark.parametrize("template", [t.key for t in TEMPLATES])
def test_analyst_creates_a_draft_from_each_template(login, cast, template):
    client = login(cast.analyst)
    resp = client.post("/surveys/new/", {"name": f"From {template}", "template": template})
    survey = Survey.objects.get(name=f"From {template}")
    assert resp.status_code == 302 and resp["Location"] == f"/surveys/{survey.pk}/"
    assert survey.status == "draft" and survey.template == template and survey.workspace == cast.workspace
    assert client.get(f"/surveys/{survey.pk}/").status_code == 200


def test_new_survey_needs_a_name(login, cast):
    resp = login(cast.analyst).post("/surveys/new/", {"name": "  ", "template": "pmf"}, follow=True)
    assert "Give the survey a name." in resp.content.decode()
    assert not Survey.objects.exists()


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_cannot_build_or_publish(login, cast, role):
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    client = login(cast.user(role))
    assert client.post("/surveys/new/", {"name": "X", "template": "pmf"}).status_code == 403
    assert client.post(f"/surveys/{survey.pk}/publish/").status_code == 403
    assert client.post("/surveys/import/").status_code == 403
    survey.refresh_from_db()
    assert survey.status == "draft" and Survey.objects.count() == 1


def test_publish_then_close_is_audited_and_the_link_follows(login, client, cast):
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="CES", template="support_ces")
    staff = login(cast.analyst)
    assert client.get(f"/s/{survey.slug}/").status_code == 404  # a draft's link is not open yet
    staff.post(f"/surveys/{survey.pk}/publish/")
    survey.refresh_from_db()
    assert survey.status == "live" and survey.current_version.number == 1
    staff.post(f"/surveys/{survey.pk}/close/")
    survey.refresh_from_db()
    assert survey.status == "closed"
    client.logout()
    closed = client.get(f"/s/{survey.slug}/")
    assert closed.status_code == 410 and "This survey is closed" in closed.content.decode()
    actions = list(AuditEvent.objects.filter(workspace=cast.workspace).values_list("action", flat=True))
    assert "survey.published" in actions and "survey.closed" in actions


def test_changes_to_a_live_survey_wait_for_publish_and_make_a_new_version(login, cast):
    survey = live_survey(cast.workspace, template="pmf")
    changed = survey.parsed().dump()
    changed["blocks"][0]["questions"][1]["required"] = True
    services.survey_update(survey=survey, actor=None, definition=changed)
    survey.refresh_from_db()
    assert survey.current_version.number == 1  # respondents still see version 1
    page = login(cast.analyst).get(f"/surveys/{survey.pk}/")
    assert "Publish changes as v2" in page.content.decode()
    login(cast.analyst).post(f"/surveys/{survey.pk}/publish/")
    survey.refresh_from_db()
    assert survey.current_version.number == 2
    assert survey.current_version.definition["blocks"][0]["questions"][1]["required"] is True


def test_export_then_import_makes_an_equal_draft(login, cast):
    survey = live_survey(cast.workspace, template="relationship_nps", name="Quarterly NPS")
    client = login(cast.analyst)
    exported = client.get(f"/surveys/{survey.pk}/export.json")
    assert exported["Content-Disposition"].startswith("attachment;")
    data = json.loads(exported.content)
    assert data["cxloop_survey"] == 1 and data["name"] == "Quarterly NPS"
    upload = SimpleUploadedFile("nps.json", exported.content, content_type="application/json")
    resp = client.post("/surveys/import/", {"file": upload})
    copy = Survey.objects.exclude(pk=survey.pk).get()
    assert resp.status_code == 302 and copy.status == "draft"
    assert copy.definition == survey.definition and copy.name == "Quarterly NPS"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json", "The file is not valid JSON"),
        (b'{"name": "x"}', "This is not a CX Loop survey file"),
        (
            json.dumps({"cxloop_survey": 1, "name": "x", "definition": {"blocks": []}}).encode(),
            "blocks: List should have at least 1 item",
        ),
        (
            json.dumps(
                {
                    "cxloop_survey": 1,
                    "name": "x",
                    "definition": {
                        "blocks": [
                            {
                                "key": "b",
                                "questions": [{"key": "q", "type": "nps", "label": "?", "scale": [1, 5]}],
                            }
                        ]
                    },
                }
            ).encode(),
            "nps scale 1–5 is not supported",
        ),
    ],
)
def test_bad_survey_files_are_refused_with_the_reason(login, cast, content, message):
    upload = SimpleUploadedFile("s.json", content, content_type="application/json")
    resp = login(cast.analyst).post("/surveys/import/", {"file": upload})
    assert resp.status_code == 422
    assert message in resp.content.decode()
    assert not Survey.objects.exists()


def test_outsider_cannot_see_publish_close_or_export_acme_surveys(login, cast):
    draft = services.survey_create(workspace=cast.workspace, actor=None, name="Secret plan", template="pmf")
    live = live_survey(cast.workspace, template="pmf", name="Live one")
    client = login(cast.outsider)
    assert "Secret plan" not in client.get("/surveys/").content.decode()
    for path in (f"/surveys/{draft.pk}/", f"/surveys/{draft.pk}/export.json"):
        assert client.get(path).status_code == 404
    assert client.post(f"/surveys/{draft.pk}/publish/").status_code == 404
    assert client.post(f"/surveys/{live.pk}/close/").status_code == 404
    draft.refresh_from_db()
    live.refresh_from_db()
    assert draft.status == "draft" and live.status == "live"


def test_outsider_imports_and_creates_only_in_their_own_workspace(login, cast):
    client = login(cast.outsider)
    client.post("/surveys/new/", {"name": "Mine", "template": "pmf"})
    exported = json.dumps(services.survey_export(Survey.objects.get(name="Mine"))).encode()
    client.post("/surveys/import/", {"file": SimpleUploadedFile("s.json", exported)})
    assert set(Survey.objects.values_list("workspace", flat=True)) == {cast.other_workspace.pk}


def test_outsider_cannot_preview_an_acme_draft(login, cast):
    draft = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    assert login(cast.outsider).get(f"/s/{draft.slug}/?preview=1").status_code == 404
    assert login(cast.viewer).get(f"/s/{draft.slug}/?preview=1").status_code == 200
