"""The public survey page against bots and misuse, and the respondent's way through it: rate limit,
honeypot, timer, closed and draft surveys, page order, resume by link, repeats, languages, hidden fields,
redirect endings, accessible markup and page weight."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.core import signing
from django.test import Client, override_settings

from cxloop.core import ratelimit
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.surveys import services
from cxloop.surveys.models import Response
from cxloop.surveys.public_views import _SIGNER_SALT, MIN_SECONDS

from .helpers import aged_timer, form, live_survey, resume_path

pytestmark = pytest.mark.django_db


def stored() -> tuple[int, int, int]:
    return Response.objects.count(), FeedbackItem.objects.count(), Answer.objects.count()


# -- rate limit ---------------------------------------------------------------------------------------------
@pytest.fixture
def frozen_window(monkeypatch):
    """The rate limiter's clock held 10 s into a minute, so a test never straddles two windows."""
    now = 60 * 28_333_334 + 10.0
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now))
    return now


@override_settings(SURVEY_SUBMIT_RATE_PER_MINUTE=3)
def test_submits_over_the_limit_per_address_get_429_with_retry_after_and_store_nothing(
    client, cast, frozen_window
):
    survey = live_survey(cast.workspace, template="pmf")
    for n in range(3):
        assert client.post(f"/s/{survey.slug}/", form(0, disappointed="very")).status_code == 303, n
    assert stored()[:2] == (3, 3)
    before = stored()

    over = client.post(f"/s/{survey.slug}/", form(0, disappointed="not"))
    assert over.status_code == 429
    assert over["Retry-After"] == "50"
    assert "Too many answers from your address" in over.content.decode()
    assert stored() == before

    partial = live_survey(cast.workspace, template="relationship_nps")
    Response.objects.create(
        workspace=cast.workspace,
        survey=partial,
        version=partial.current_version,
        token="tok-1",
        page=1,
        state={"answers": {"nps": 4}},
    )
    resumed = client.post(f"/s/{partial.slug}/r/tok-1/", form(1, reason="Slow."))
    assert resumed.status_code == 429 and resumed["Retry-After"] == "50"
    assert Response.objects.get(token="tok-1").state["answers"] == {"nps": 4}

    # another address is counted on its own
    elsewhere = client.post(f"/s/{survey.slug}/", form(0, disappointed="not"), REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 303
    assert Response.objects.count() == before[0] + 2  # the resumed response above, and this one


@override_settings(SURVEY_SUBMIT_RATE_PER_MINUTE=2)
def test_the_limit_counts_again_in_the_next_minute(client, cast, monkeypatch):
    survey = live_survey(cast.workspace, template="pmf")
    clock = SimpleNamespace(now=60 * 28_333_334 + 1.0)
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: clock.now))
    for _ in range(2):
        assert client.post(f"/s/{survey.slug}/", form(0, disappointed="very")).status_code == 303
    assert client.post(f"/s/{survey.slug}/", form(0, disappointed="very")).status_code == 429
    clock.now += 60
    assert client.post(f"/s/{survey.slug}/", form(0, disappointed="very")).status_code == 303
    assert Response.objects.count() == 3


# -- honeypot and timer -------------------------------------------------------------------------------------
def test_a_filled_honeypot_is_refused_and_nothing_is_stored(client, cast):
    survey = live_survey(cast.workspace, template="pmf")
    resp = client.post(f"/s/{survey.slug}/", form(0, disappointed="very", website="http://spam.example"))
    assert resp.status_code == 400
    assert "filled in by a program" in resp.content.decode()
    assert stored() == (0, 0, 0)


def test_a_filled_honeypot_on_a_resumed_page_changes_nothing(client, cast):
    survey = live_survey(cast.workspace, template="relationship_nps")
    resume = resume_path(client.post(f"/s/{survey.slug}/?start=1", form(0, nps="4")))
    before = stored()
    assert client.post(resume, form(1, reason="spam", website="x")).status_code == 400
    assert stored() == before
    assert Response.objects.get().state["answers"] == {"nps": 4}


def test_the_form_carries_an_empty_honeypot_and_a_timer(client, cast):
    survey = live_survey(cast.workspace, template="pmf")
    page = client.get(f"/s/{survey.slug}/").content.decode()
    assert 'name="website"' in page and 'name="_t"' in page


def timer_from(started: float) -> str:
    return signing.dumps(started, salt=_SIGNER_SALT)


@pytest.mark.parametrize(
    "timer",
    [
        pytest.param(lambda: timer_from(time.time()), id="just-now"),
        pytest.param(lambda: timer_from(time.time() - MIN_SECONDS / 2), id="half-the-minimum"),
        pytest.param(lambda: None, id="missing"),
        pytest.param(lambda: "1700000000.0", id="unsigned"),
        pytest.param(lambda: signing.dumps(time.time() - 60, salt="another.salt"), id="wrong-key"),
        pytest.param(lambda: aged_timer()[:-3] + "abc", id="tampered"),
        pytest.param(lambda: timer_from(time.time() + 3600), id="from-the-future"),
    ],
)
def test_a_first_page_sent_too_fast_or_without_a_good_timer_is_shown_again(client, cast, timer):
    survey = live_survey(cast.workspace, template="pmf")
    body = form(0, disappointed="very", main_benefit="Fast delivery")
    token = timer()
    if token is None:
        del body["_t"]
    else:
        body["_t"] = token
    resp = client.post(f"/s/{survey.slug}/", body)
    page = resp.content.decode()
    assert resp.status_code == 422
    assert "That was very quick. Please check your answers and send them again." in page
    assert 'value="very" checked' in page and 'value="Fast delivery"' in page  # nothing typed is lost
    assert stored() == (0, 0, 0)

    # the same answers at a person's pace are kept
    body["_t"] = aged_timer(MIN_SECONDS + 1)
    assert client.post(f"/s/{survey.slug}/", body).status_code == 303
    assert Response.objects.get().state["answers"] == {
        "disappointed": "very",
        "main_benefit": "Fast delivery",
    }
    assert FeedbackItem.objects.get().answers.count() == 2


# -- closed and draft surveys -------------------------------------------------------------------------------
def test_a_closed_survey_says_so_on_get_and_post(client, cast):
    survey = live_survey(cast.workspace, template="pmf")
    services.survey_update(survey=survey, actor=None, closed_message="We have all the answers we need.")
    services.survey_close(survey=survey, actor=None)
    got = client.get(f"/s/{survey.slug}/")
    assert got.status_code == 410
    assert "This survey is closed" in got.content.decode()
    assert "We have all the answers we need." in got.content.decode()
    posted = client.post(f"/s/{survey.slug}/", form(0, disappointed="very"))
    assert posted.status_code == 410 and "This survey is closed" in posted.content.decode()
    assert stored() == (0, 0, 0)


def test_a_drafts_link_is_not_found(client, cast):
    draft = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    assert client.get(f"/s/{draft.slug}/").status_code == 404
    assert client.post(f"/s/{draft.slug}/", form(0, disappointed="very")).status_code == 404
    assert client.get("/s/no-such-survey/").status_code == 404
    assert stored() == (0, 0, 0)


def test_going_on_after_the_survey_closed_mid_way_is_refused(client, cast):
    survey = live_survey(cast.workspace, template="relationship_nps")
    resume = resume_path(client.post(f"/s/{survey.slug}/?start=1", form(0, nps="4")))
    services.survey_close(survey=survey, actor=None)
    before = stored()
    got = client.get(resume)
    assert got.status_code == 410 and "This survey is closed" in got.content.decode()
    posted = client.post(resume, form(1, reason="Too late?"))
    assert posted.status_code == 410
    assert stored() == before
    response = Response.objects.get()
    assert response.status == "partial" and response.page == 1
    assert response.state["answers"] == {"nps": 4}


# -- page order ---------------------------------------------------------------------------------------------
def test_a_page_beyond_the_respondents_current_page_is_refused(client, cast):
    survey = live_survey(cast.workspace, template="relationship_nps")
    skip_ahead = client.post(f"/s/{survey.slug}/?start=1", form(1, reason="I skipped the score."))
    assert skip_ahead.status_code == 400
    assert stored() == (0, 0, 0)

    resume = resume_path(client.post(f"/s/{survey.slug}/?start=1", form(0, nps="4")))
    before = stored()
    ahead = client.post(resume, form(2, fix_first="price", contact_ok="no"))
    assert ahead.status_code == 400
    assert "reload the survey" in ahead.content.decode()
    assert client.post(resume, form(99, reason="x")).status_code == 400
    assert client.post(resume, form(-1, reason="x")).status_code == 400
    assert client.post(resume, {"_page": "two", "reason": "x"}).status_code == 400
    assert stored() == before
    response = Response.objects.get()
    assert response.page == 1 and response.state["answers"] == {"nps": 4}


def test_an_earlier_page_can_be_sent_again_and_the_route_follows_the_new_answer(client, cast):
    survey = live_survey(cast.workspace, template="relationship_nps")
    resume = resume_path(client.post(f"/s/{survey.slug}/?start=1", form(0, nps="4")))
    assert client.post(resume, form(1, reason="Slow.")).status_code == 303
    assert Response.objects.get().page == 2  # the detractor block
    assert client.post(resume, form(0, nps="10")).status_code == 303
    response = Response.objects.get()
    assert response.page == 1 and response.state["answers"] == {"nps": 10, "reason": "Slow."}
    assert client.post(resume, form(1, reason="Fast.")).status_code == 303
    assert Response.objects.get().status == "completed"  # a promoter skips the detractor block


# -- resume -------------------------------------------------------------------------------------------------
def test_a_partial_response_resumes_by_link_on_another_device(client, cast):
    survey = live_survey(cast.workspace, template="relationship_nps")
    resume = resume_path(client.post(f"/s/{survey.slug}/?start=1", form(0, nps="3")))
    assert client.post(resume, form(1, reason="The parcel was late.")).status_code == 303
    item = FeedbackItem.objects.get()
    assert item.metadata["response_status"] == "partial"
    assert {a.key for a in item.answers.all()} == {"nps", "reason"}

    other_device = Client()
    page = other_device.get(resume)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_page" value="2"' in html and 'name="fix_first"' in html  # where it stopped
    assert 'name="nps"' not in html

    done = other_device.post(resume, form(2, fix_first="delivery", contact_ok="yes"))
    assert done.status_code == 303 and done["Location"] == resume
    assert "Thank you!" in other_device.get(resume).content.decode()
    response = Response.objects.get()
    assert response.status == "completed"
    assert response.state["answers"] == {
        "nps": 3,
        "reason": "The parcel was late.",
        "fix_first": "delivery",
        "contact_ok": True,
    }
    item.refresh_from_db()
    assert item.metadata["response_status"] == "completed"
    assert {a.key for a in item.answers.all()} == {"nps", "reason", "fix_first", "contact_ok"}
    assert FeedbackItem.objects.count() == 1


def test_an_unknown_resume_link_is_not_found(client, cast):
    survey = live_survey(cast.workspace, template="pmf")
    assert client.get(f"/s/{survey.slug}/r/not-a-token/").status_code == 404
    assert client.post(f"/s/{survey.slug}/r/not-a-token/", form(0, disappointed="very")).status_code == 404
    assert stored() == (0, 0, 0)


# -- repeatable blocks --------------------------------------------------------------------------------------
REPEATING = {
    "blocks": [
        {
            "key": "people",
            "title": "Who lives with you?",
            "repeat": {"max": 3, "label": "Add a person"},
            "questions": [
                {"key": "name", "type": "text", "label": "Name", "required": True},
                {"key": "age", "type": "number", "label": "Age", "minimum": 0, "maximum": 130},
            ],
        },
        {"key": "more", "questions": [{"key": "comment", "type": "text", "label": "Anything else?"}]},
    ]
}


def test_add_another_adds_an_instance_of_a_repeatable_block(client, cast):
    survey = live_survey(cast.workspace, definition=REPEATING)
    first = client.get(f"/s/{survey.slug}/").content.decode()
    assert 'name="_add" value="people"' in first and "Add a person" in first
    assert 'name="name.2"' not in first

    added = client.post(f"/s/{survey.slug}/", form(0, name="Ann", age="34", _add="people"))
    assert added.status_code == 303
    resume = resume_path(added)
    page = client.get(resume).content.decode()
    assert 'name="name.2"' in page and 'name="age.2"' in page and "Name (2)" in page
    assert 'value="Ann"' in page  # what was typed before is still there
    response = Response.objects.get()
    assert response.page == 0 and response.state["repeats"] == {"people": 2}

    client.post(resume, form(0, name="Ann", age="34", **{"name.2": "Bob", "_add": "people"}))
    third = client.get(resume).content.decode()
    assert 'name="name.3"' in third
    assert 'name="_add"' not in third  # the block is at its maximum of 3

    sent = client.post(resume, form(0, name="Ann", age="34", **{"name.2": "Bob", "age.2": "", "name.3": ""}))
    assert sent.status_code == 303
    response.refresh_from_db()
    assert response.page == 1
    assert response.state["answers"] == {"name": "Ann", "age": 34, "name.2": "Bob"}
    assert {a.key: a.text or a.value for a in FeedbackItem.objects.get().answers.all()} == {
        "name": "Ann",
        "age": 34.0,
        "name.2": "Bob",
    }


def test_a_started_instance_needs_its_required_answers(client, cast):
    survey = live_survey(cast.workspace, definition=REPEATING)
    resume = resume_path(client.post(f"/s/{survey.slug}/", form(0, name="Ann", _add="people")))
    missing = client.post(resume, form(0, name="Ann", **{"age.2": "40"}))
    assert missing.status_code == 422
    assert "This question needs an answer." in missing.content.decode()
    assert 'value="40"' in missing.content.decode()
    assert Response.objects.get().page == 0


# -- languages ----------------------------------------------------------------------------------------------
def test_lang_parameter_picks_german_labels(client, cast):
    survey = live_survey(cast.workspace, template="relationship_nps")
    welcome = client.get(f"/s/{survey.slug}/?lang=de").content.decode()
    assert '<html lang="de">' in welcome and "Zwei Minuten für uns?" in welcome
    assert 'name="lang" value="de"' in welcome  # the start button keeps the language
    page = client.get(f"/s/{survey.slug}/?lang=de&start=1").content.decode()
    assert "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?" in page
    assert "Sehr unwahrscheinlich" in page and "How likely" not in page

    resume = resume_path(client.post(f"/s/{survey.slug}/?lang=de&start=1", form(0, nps="3")))
    fresh = Client()  # the response keeps its language, whatever the next browser says
    second = fresh.get(resume, headers={"accept-language": "en"}).content.decode()
    assert "Was ist der wichtigste Grund für Ihre Bewertung von 3?" in second
    assert Response.objects.get().language == "de"
    assert FeedbackItem.objects.get().language == "de"


@pytest.mark.parametrize("header", ["de", "de-DE,de;q=0.9,en;q=0.8", "fr-FR, de-AT;q=0.7"])
def test_the_browsers_language_picks_german_labels(client, cast, header):
    survey = live_survey(cast.workspace, template="relationship_nps")
    page = client.get(f"/s/{survey.slug}/?start=1", headers={"accept-language": header}).content.decode()
    assert "Wie wahrscheinlich ist es" in page


@pytest.mark.parametrize(
    ("query", "header"),
    [("?lang=fr&start=1", ""), ("?start=1", "fr-FR,fr;q=0.9"), ("?lang=xx-YY&start=1", "")],
)
def test_unknown_languages_fall_back_to_english(client, cast, query, header):
    survey = live_survey(cast.workspace, template="relationship_nps")
    page = client.get(f"/s/{survey.slug}/{query}", headers={"accept-language": header}).content.decode()
    assert "How likely are you to recommend us to a friend or colleague?" in page
    assert '<html lang="en">' in page


def test_the_lang_parameter_wins_over_the_browser(client, cast):
    survey = live_survey(cast.workspace, template="relationship_nps")
    page = client.get(
        f"/s/{survey.slug}/?lang=en&start=1", headers={"accept-language": "de"}
    ).content.decode()
    assert "How likely are you" in page


# -- hidden fields ------------------------------------------------------------------------------------------
def test_hidden_fields_from_the_link_are_stored_with_the_response(client, cast):
    survey = live_survey(cast.workspace, template="delivery_csat", name="Delivery CSAT")
    link = f"/s/{survey.slug}/?order_id=A-7&touchpoint=delivery&utm_source=mail"
    page = client.get(link).content.decode()
    assert "How satisfied are you with the delivery of order A-7?" in page  # piped into the label

    resume = resume_path(client.post(link, form(0, csat="2")))
    item = FeedbackItem.objects.get()
    assert item.metadata["hidden"] == {"order_id": "A-7", "touchpoint": "delivery"}  # undeclared ones dropped
    assert item.touchpoint == "delivery"
    assert client.post(resume, form(1, on_time="no", comment="Two days late.")).status_code == 303
    item.refresh_from_db()
    assert item.metadata["hidden"] == {"order_id": "A-7", "touchpoint": "delivery"}
    assert item.metadata["response_status"] == "completed" and item.text == "Two days late."


def test_the_touchpoint_hidden_field_overrides_the_surveys_touchpoint(client, cast):
    survey = live_survey(cast.workspace, template="delivery_csat")
    assert survey.touchpoint == "delivery"
    client.post(f"/s/{survey.slug}/?order_id=B-1&touchpoint=click_and_collect", form(0, csat="5"))
    item = FeedbackItem.objects.get()
    assert item.touchpoint == "click_and_collect" and item.metadata["hidden"]["order_id"] == "B-1"


def test_without_hidden_fields_the_surveys_touchpoint_is_used(client, cast):
    survey = live_survey(cast.workspace, template="delivery_csat")
    client.post(f"/s/{survey.slug}/", form(0, csat="4"))
    item = FeedbackItem.objects.get()
    assert item.touchpoint == "delivery" and "hidden" not in item.metadata


# -- endings ------------------------------------------------------------------------------------------------
def test_a_redirect_ending_redirects_after_the_last_page(client, cast):
    definition = {
        "blocks": [
            {"key": "b1", "questions": [{"key": "nps", "type": "nps", "label": "NPS", "required": True}]}
        ],
        "endings": [{"key": "thanks", "redirect_url": "https://shop.example/thanks?from=survey"}],
    }
    survey = live_survey(cast.workspace, definition=definition)
    done = client.post(f"/s/{survey.slug}/", form(0, nps="9"))
    assert done.status_code == 303
    after = client.get(resume_path(done))
    assert after.status_code == 302
    assert after["Location"] == "https://shop.example/thanks?from=survey"
    assert Response.objects.get().status == "completed"


def test_a_branch_ends_at_its_own_ending(client, cast):
    definition = {
        "blocks": [
            {
                "key": "b1",
                "questions": [{"key": "nps", "type": "nps", "label": "NPS", "required": True}],
                "jumps": [{"if": {"q": "nps", "op": "lte", "value": 6}, "to": "end:sorry"}],
            },
            {"key": "b2", "questions": [{"key": "best", "type": "text", "label": "What do you like?"}]},
        ],
        "endings": [{"key": "thanks", "title": "Thanks!"}, {"key": "sorry", "title": "Sorry to hear that."}],
    }
    survey = live_survey(cast.workspace, definition=definition)
    done = client.post(f"/s/{survey.slug}/", form(0, nps="2"))
    assert "Sorry to hear that." in client.get(resume_path(done)).content.decode()
    assert Response.objects.get().ending == "sorry"


# -- markup: labels, no scripts, weight ---------------------------------------------------------------------
EVERY_TYPE = {
    "layout": "single_page",
    "blocks": [
        {
            "key": "all",
            "questions": [
                {"key": "nps", "type": "nps", "label": "NPS", "required": True},
                {"key": "csat", "type": "csat", "label": "CSAT", "style": "emoji"},
                {"key": "ces", "type": "ces", "label": "CES"},
                {"key": "stars", "type": "rating", "label": "Stars", "style": "stars"},
                {
                    "key": "pick",
                    "type": "choice",
                    "label": "Pick one",
                    "allow_other": True,
                    "options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
                },
                {
                    "key": "many",
                    "type": "multi_choice",
                    "label": "Pick many",
                    "allow_other": True,
                    "options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
                },
                {"key": "short", "type": "text", "label": "Short text"},
                {"key": "long", "type": "text", "label": "Long text", "multiline": True},
                {"key": "ok", "type": "yes_no", "label": "Yes or no"},
                {"key": "count", "type": "number", "label": "How many"},
                {"key": "when", "type": "date", "label": "When"},
                {
                    "key": "grid",
                    "type": "matrix",
                    "label": "Grid",
                    "scale": [1, 5],
                    "rows": [{"key": "r1", "label": "Row one"}, {"key": "r2", "label": "Row two"}],
                },
                {
                    "key": "rank",
                    "type": "ranking",
                    "label": "Rank",
                    "options": [
                        {"key": "x", "label": "X"},
                        {"key": "y", "label": "Y"},
                        {"key": "z", "label": "Z"},
                    ],
                },
                {"key": "agree", "type": "consent", "label": "I agree to the terms", "required": True},
            ],
        }
    ],
}


class _Markup(HTMLParser):
    """Every form control with whether a <label> names it, every fieldset with whether it has a legend, and
    every resource the page loads."""

    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.open_labels = 0
        self.label_texts: list[str] = []
        self.fieldsets: list[dict] = []
        self.open_fieldsets = 0
        self.scripts = 0
        self.resources: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if (tag == "link" and a.get("rel") == "stylesheet") or (tag == "script" and a.get("src")):
            self.resources.append(a.get("href") or a["src"])
        if tag == "img":
            self.resources.append(a["src"])
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag == "fieldset":
            self.fieldsets.append({"legend": False})
            self.open_fieldsets += 1
        if tag == "legend" and self.fieldsets:
            self.fieldsets[-1]["legend"] = True
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append(
                {
                    "name": a.get("name"),
                    "id": a.get("id"),
                    "in_label": self.open_labels > 0,
                    "in_fieldset": self.open_fieldsets > 0,
                }
            )

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1
        if tag == "fieldset":
            self.open_fieldsets -= 1


def markup(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(html)
    return parser


def test_every_input_has_a_label_and_every_question_a_legend(client, cast):
    survey = live_survey(cast.workspace, definition=EVERY_TYPE)
    page = client.get(f"/s/{survey.slug}/")
    assert page.status_code == 200
    m = markup(page.content.decode())
    names = {c["name"] for c in m.controls}
    assert {
        "nps",
        "csat",
        "ces",
        "stars",
        "pick",
        "pick__other",
        "many",
        "many__other",
        "short",
        "long",
        "ok",
        "count",
        "when",
        "grid__r1",
        "grid__r2",
        "rank__rank__x",
        "agree",
        "website",
    } <= names
    unlabelled = [c["name"] for c in m.controls if not c["in_label"] and c["id"] not in m.label_for]
    assert unlabelled == []
    assert len(m.fieldsets) == len(EVERY_TYPE["blocks"][0]["questions"])
    assert all(f["legend"] for f in m.fieldsets)
    assert all(c["in_fieldset"] for c in m.controls if c["name"] != "website")


def test_error_messages_are_tied_to_their_question(client, cast):
    survey = live_survey(cast.workspace, definition=EVERY_TYPE)
    resp = client.post(f"/s/{survey.slug}/", form(0, nps="12"))
    html = resp.content.decode()
    assert resp.status_code == 422
    assert 'id="q-nps" aria-describedby="err-nps"' in html
    assert '<p class="sv-error" id="err-nps">12 is outside the scale 0 to 10.</p>' in html
    assert 'href="#q-agree"' in html  # the summary links to each question that needs a look
    assert 'role="alert"' in html


def test_no_page_a_respondent_sees_has_a_script(client, cast):
    survey = live_survey(cast.workspace, template="relationship_nps")
    pages = [client.get(f"/s/{survey.slug}/"), client.get(f"/s/{survey.slug}/?start=1")]
    pages.append(client.post(f"/s/{survey.slug}/?start=1", form(0, nps="12")))  # with errors
    resume = resume_path(client.post(f"/s/{survey.slug}/?start=1", form(0, nps="9")))
    pages.append(client.get(resume))
    client.post(resume, form(1, reason="Good."))
    pages.append(client.get(resume))  # the ending
    closed = live_survey(cast.workspace, template="pmf")
    services.survey_close(survey=closed, actor=None)
    pages.append(client.get(f"/s/{closed.slug}/"))
    every = live_survey(cast.workspace, definition=EVERY_TYPE)
    pages.append(client.get(f"/s/{every.slug}/"))
    for page in pages:
        html = page.content.decode()
        assert "<html" in html
        assert markup(html).scripts == 0 and "<script" not in html.lower()
        assert " style=" not in html and " on" + "click=" not in html.lower()


def _fetch(client, url: str) -> bytes:
    resp = client.get(url)
    assert resp.status_code == 200, url
    return b"".join(resp.streaming_content) if resp.streaming else resp.content


@pytest.mark.parametrize("which", ["relationship_nps", "every_type"])
def test_the_public_page_weighs_under_50_kb(client, cast, which):
    if which == "every_type":
        survey = live_survey(cast.workspace, definition=EVERY_TYPE)
        url = f"/s/{survey.slug}/"
    else:
        survey = live_survey(cast.workspace, template=which)
        url = f"/s/{survey.slug}/?start=1"
    html = _fetch(client, url)
    resources = markup(html.decode()).resources
    assert sorted(r.split("?")[0].rsplit("/", 1)[-1] for r in resources) == ["public.css", "theme.css"]
    sizes = {url: len(html), **{r: len(_fetch(client, r)) for r in resources}}
    assert all(size > 0 for size in sizes.values())
    assert sum(sizes.values()) < 50_000, sizes


# -- answers the route no longer passes ---------------------------------------------------------------------
BRANCHES = {
    "blocks": [
        {"key": "score", "questions": [{"key": "nps", "type": "nps", "label": "NPS", "required": True}]},
        {
            "key": "detractor",
            "show_if": {"q": "nps", "op": "lte", "value": 6},
            "questions": [
                {
                    "key": "fix_first",
                    "type": "choice",
                    "label": "Fix first?",
                    "options": [{"key": "price", "label": "Price"}, {"key": "speed", "label": "Speed"}],
                },
            ],
        },
        {
            "key": "price_detail",
            "show_if": {"q": "fix_first", "op": "eq", "value": "price"},
            "questions": [{"key": "fair_price", "type": "number", "label": "A fair price?"}],
        },
        {"key": "last", "questions": [{"key": "comment", "type": "text", "label": "Anything else?"}]},
    ]
}


def test_answers_on_a_branch_left_by_changing_an_earlier_answer_are_not_kept(client, cast):
    survey = live_survey(cast.workspace, definition=BRANCHES)
    resume = resume_path(client.post(f"/s/{survey.slug}/", form(0, nps="3")))
    client.post(resume, form(1, fix_first="price"))
    client.post(resume, form(2, fair_price="20"))
    assert Response.objects.get().state["answers"] == {"nps": 3, "fix_first": "price", "fair_price": 20}

    client.post(resume, form(0, nps="10"))  # back to the first page: now a promoter
    response = Response.objects.get()
    assert response.page == 3
    assert response.state["answers"] == {"nps": 10}
    assert {a.key for a in FeedbackItem.objects.get().answers.all()} == {"nps"}
    client.post(resume, form(3, comment="Great."))
    response.refresh_from_db()
    assert response.status == "completed" and response.state["answers"] == {"nps": 10, "comment": "Great."}
    assert {a.key for a in FeedbackItem.objects.get().answers.all()} == {"nps", "comment"}


def test_answers_later_on_the_route_are_kept_when_an_earlier_page_is_sent_again(client, cast):
    survey = live_survey(cast.workspace, definition=BRANCHES)
    resume = resume_path(client.post(f"/s/{survey.slug}/", form(0, nps="3")))
    client.post(resume, form(1, fix_first="speed"))
    client.post(resume, form(0, nps="5"))  # still a detractor: the detractor page is on the route
    response = Response.objects.get()
    assert response.page == 1 and response.state["answers"] == {"nps": 5, "fix_first": "speed"}
    assert 'value="speed" checked' in client.get(resume).content.decode()


# -- ranking ------------------------------------------------------------------------------------------------
RANKING = {
    "blocks": [
        {
            "key": "b1",
            "questions": [
                {
                    "key": "rank",
                    "type": "ranking",
                    "label": "Rank",
                    "required": True,
                    "options": [
                        {"key": "price", "label": "Price"},
                        {"key": "speed", "label": "Speed"},
                        {"key": "quality", "label": "Quality"},
                    ],
                }
            ],
        },
    ]
}


def test_a_ranking_is_stored_in_the_order_given(client, cast):
    survey = live_survey(cast.workspace, definition=RANKING)
    sent = client.post(
        f"/s/{survey.slug}/", form(0, rank__rank__price="3", rank__rank__speed="1", rank__rank__quality="2")
    )
    assert sent.status_code == 303
    assert Response.objects.get().state["answers"] == {"rank": ["speed", "quality", "price"]}
    assert Answer.objects.get(key="rank").choices == ["speed", "quality", "price"]


DIFFERENT = "Give each option a different number from 1 to 3."


@pytest.mark.parametrize(
    ("ranks", "message"),
    [
        (("1", "1", "2"), DIFFERENT),
        (("1", "2", "5"), DIFFERENT),
        (("0", "1", "2"), DIFFERENT),
        (("1", "2", ""), "Rank every option."),
    ],
    ids=["tie", "beyond", "zero", "gap"],
)
def test_a_ranking_needs_each_number_once(client, cast, ranks, message):
    survey = live_survey(cast.workspace, definition=RANKING)
    body = form(
        0, **dict(zip(("rank__rank__price", "rank__rank__speed", "rank__rank__quality"), ranks, strict=True))
    )
    resp = client.post(f"/s/{survey.slug}/", body)
    assert resp.status_code == 422
    assert f'<p class="sv-error" id="err-rank">{message}</p>' in resp.content.decode()
    assert stored() == (0, 0, 0)


def test_ranks_typed_are_shown_again_as_typed_when_refused(client, cast):
    survey = live_survey(cast.workspace, definition=RANKING)
    body = form(0, rank__rank__price="2", rank__rank__speed="2", rank__rank__quality="1")
    html = client.post(f"/s/{survey.slug}/", body).content.decode()
    assert "Give each option a different number from 1 to 3." in html
    selected = re.findall(r'name="rank__rank__(\w+)">.*?<option value="(\d)" selected>', html)
    assert sorted(selected) == [("price", "2"), ("quality", "1"), ("speed", "2")]


def test_a_ranking_of_carried_forward_options(client, cast):
    definition = {
        "blocks": [
            {
                "key": "b1",
                "questions": [
                    {
                        "key": "used",
                        "type": "multi_choice",
                        "label": "Used",
                        "options": [
                            {"key": "app", "label": "App"},
                            {"key": "web", "label": "Web"},
                            {"key": "shop", "label": "Shop"},
                        ],
                    }
                ],
            },
            {
                "key": "b2",
                "questions": [
                    {
                        "key": "best",
                        "type": "ranking",
                        "label": "Rank them",
                        "carry_forward": {"from": "used"},
                    }
                ],
            },
        ]
    }
    survey = live_survey(cast.workspace, definition=definition)
    resume = resume_path(client.post(f"/s/{survey.slug}/", form(0, used=["web", "app"])))
    page = client.get(resume).content.decode()
    assert 'name="best__rank__app"' in page and 'name="best__rank__web"' in page
    assert 'name="best__rank__shop"' not in page
    refused = client.post(resume, form(1, best__rank__app="1", best__rank__web="1"))
    assert refused.status_code == 422
    assert (
        'name="best__rank__web"><option value="">–</option><option value="1" selected>'
        in refused.content.decode()
    )
    assert client.post(resume, form(1, best__rank__app="2", best__rank__web="1")).status_code == 303
    assert Response.objects.get().state["answers"] == {"used": ["web", "app"], "best": ["web", "app"]}


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400", "9" * 400])
def test_numbers_too_big_or_not_finite_are_refused_with_a_message(client, cast, value):
    survey = live_survey(cast.workspace, template="delivery_csat")
    scored = client.post(f"/s/{survey.slug}/", form(0, csat=value))
    assert scored.status_code == 422 and "Choose a whole number from 1 to 5." in scored.content.decode()
    resume = resume_path(client.post(f"/s/{survey.slug}/", form(0, csat="4")))
    grid = client.post(resume, form(1, aspects__speed=value, aspects__packaging="3"))
    assert grid.status_code == 422 and "Choose a whole number from 1 to 5." in grid.content.decode()
    assert client.post(resume, form(value, comment="x")).status_code == 400
    assert Response.objects.get().state["answers"] == {"csat": 4}
