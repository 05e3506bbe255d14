"""Read-only results links: made and revoked by analysts (audited), opened without login at /r/<token>/,
with the chosen parts redacted and no customer identity; expired and revoked links do not open."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cxloop.accounts.models import AuditEvent
from cxloop.surveys.models import ResultShare

from .results_helpers import complete, known_set, results_survey

pytestmark = pytest.mark.django_db


def make_link(client, survey, **fields) -> str:
    resp = client.post(f"/surveys/{survey.pk}/results/share/", {"days": "30", **fields})
    assert resp.status_code == 200, resp.content[:500]
    assert resp["Cache-Control"] == "no-store"
    # the page is the answer to the POST: its filter form still goes to the results page
    assert f'action="/surveys/{survey.pk}/results/"' in resp.content.decode()
    (path,) = re.findall(r"http://testserver(/r/[\w-]+/)", resp.content.decode())
    return path


def test_analyst_makes_a_link_shown_once_and_stored_as_a_hash(login, cast):
    survey = results_survey(cast.workspace)
    complete(survey, {"nps": 9})
    client = login(cast.analyst)
    path = make_link(client, survey, label="The board", hide=["comment"])
    raw = path.split("/")[2]
    share = ResultShare.objects.get()
    assert share.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ResultShare.objects.values().get())
    assert share.hidden_questions == ["comment"] and share.hide_open_texts and share.hide_hidden_fields
    assert share.created_by == cast.analyst and share.label == "The board"
    assert timedelta(days=29) < share.expires_at - timezone.now() <= timedelta(days=30)
    later = client.get(f"/surveys/{survey.pk}/results/").content.decode()
    assert raw not in later and "The board" in later  # listed, but the token itself is never shown again
    event = AuditEvent.objects.get(action=AuditEvent.Action.RESULTS_SHARED)
    assert event.actor == cast.analyst and event.workspace == cast.workspace
    assert event.data["hidden_questions"] == ["comment"]


def test_the_public_page_leaves_out_what_was_redacted_and_every_identity(login, client, cast):
    survey = results_survey(cast.workspace, name="Delivery survey")
    known_set(survey)
    path = make_link(login(cast.analyst), survey, hide=["reason"])
    client.logout()
    page = client.get(path)
    assert page.status_code == 200
    assert page["X-Robots-Tag"] == "noindex" and page["Referrer-Policy"] == "no-referrer"
    html = page.content.decode()
    assert "Results: Delivery survey" in html and "How likely?" in html
    assert "This link expires on" in html
    assert "Main reason" not in html and "Cheaper elsewhere" not in html  # the redacted question
    assert "Lovely people" not in html  # open texts are hidden unless asked for
    assert "A-0" not in html and "Hidden fields" not in html  # hidden field values too
    for i in range(10):  # no customer: names, emails, links to the inbox or customer pages
        assert f"person{i}@example.com" not in html and f"Person {i}" not in html
    assert "/inbox/" not in html and "/customers/" not in html
    assert "Filters" not in html and "Export CSV" not in html and "Make a link" not in html
    whole = make_link(login(cast.analyst), survey)
    client.logout()
    html = client.get(whole).content.decode()
    assert "Main reason" in html and "Cheaper elsewhere" not in html  # "other" texts are open texts too
    assert "“other” answer; their texts are not shared on this link" in html


def test_open_texts_and_hidden_fields_are_shown_when_asked(login, client, cast):
    survey = results_survey(cast.workspace)
    known_set(survey)
    path = make_link(login(cast.analyst), survey, show_texts="on", show_hidden="on")
    client.logout()
    html = client.get(path).content.decode()
    assert "Lovely people" in html and "Cheaper elsewhere" in html
    assert "A-0" in html and "/inbox/" not in html and "person0@example.com" not in html


def test_expired_and_revoked_links_are_gone_and_unknown_ones_not_found(login, client, cast):
    survey = results_survey(cast.workspace)
    complete(survey, {"nps": 9})
    analyst = login(cast.analyst)
    expired_path = make_link(analyst, survey)
    revoked_path = make_link(analyst, survey)
    expired, revoked = ResultShare.objects.order_by("id")
    ResultShare.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    resp = analyst.post(f"/surveys/{survey.pk}/results/share/{revoked.pk}/revoke/")
    assert resp.status_code == 302
    revoked.refresh_from_db()
    assert revoked.revoked_at is not None
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RESULTS_SHARE_REVOKED).count() == 1
    client.logout()
    gone = client.get(expired_path)
    assert gone.status_code == 410 and "expired on" in gone.content.decode()
    gone = client.get(revoked_path)
    assert gone.status_code == 410 and "revoked" in gone.content.decode()
    assert client.get("/r/res_not-a-real-token/").status_code == 404


def test_revoking_twice_says_so(login, cast):
    survey = results_survey(cast.workspace)
    client = login(cast.analyst)
    make_link(client, survey)
    share = ResultShare.objects.get()
    client.post(f"/surveys/{survey.pk}/results/share/{share.pk}/revoke/")
    again = client.post(f"/surveys/{survey.pk}/results/share/{share.pk}/revoke/", follow=True)
    assert "This results link was revoked already." in again.content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"days": "0"}, "Expires after: choose 1 to 365 days (got 0)."),
        ({"days": "lots"}, "Expires after: &#x27;lots&#x27; is not a number of days."),
        (
            {"days": "7", "hide": ["nope"]},
            "Hide questions: &#x27;nope&#x27; is not a question of this survey.",
        ),
    ],
)
def test_bad_link_settings_are_refused_with_the_reason(login, cast, fields, message):
    survey = results_survey(cast.workspace)
    resp = login(cast.analyst).post(f"/surveys/{survey.pk}/results/share/", fields, follow=True)
    assert message in resp.content.decode()
    assert not ResultShare.objects.exists()


def test_a_link_is_bound_to_its_own_survey(login, client, cast):
    """The token alone selects the survey: another workspace's link shows that survey only, and a link of
    one survey cannot be revoked through another survey's address."""
    acme = results_survey(cast.workspace, name="Acme only")
    complete(acme, {"nps": 10, "comment": "Acme words"})
    other = results_survey(cast.other_workspace, name="Other only")
    complete(other, {"nps": 1})
    other_path = make_link(login(cast.outsider), other, show_texts="on")
    acme_share_path = make_link(login(cast.analyst), acme)
    acme_share = ResultShare.objects.get(survey=acme)
    # the outsider cannot revoke Acme's link, whatever survey address they use
    outsider = login(cast.outsider)
    assert outsider.post(f"/surveys/{other.pk}/results/share/{acme_share.pk}/revoke/").status_code == 404
    assert outsider.post(f"/surveys/{acme.pk}/results/share/{acme_share.pk}/revoke/").status_code == 404
    acme_share.refresh_from_db()
    assert acme_share.revoked_at is None
    client.logout()
    html = client.get(other_path).content.decode()
    assert "Other only" in html and "Acme" not in html
    assert "Acme only" in client.get(acme_share_path).content.decode()
