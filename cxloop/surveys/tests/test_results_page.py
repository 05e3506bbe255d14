"""/surveys/<id>/results/: counts, NPS/CSAT/CES with intervals, drop-off, distributions, filters, open
texts, permissions, isolation and a pinned query count."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.utils import timezone

from cxloop.surveys import services
from cxloop.surveys.models import Response, ResultShare
from cxloop.surveys.results import ResultFilter, build_results, open_texts

from .results_helpers import backdate, complete, known_set, partial, results_survey

pytestmark = pytest.mark.django_db


def page_text(resp) -> str:
    """The page as text a person reads (charts and their data tables left out)."""
    html = resp.content.decode()
    html = re.sub(r"<svg.*?</svg>|<details.*?</details>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def by_key(results):
    return {q.key: q for q in results.questions}


# -- numbers on a known set of responses ---------------------------------------------------------------------
def test_counts_nps_and_funnel_of_a_known_set(cast):
    survey = results_survey(cast.workspace)
    known_set(survey)
    r = build_results(survey, ResultFilter())
    assert (r.total, r.completed, r.partial) == (13, 10, 3)
    assert r.completion.value == pytest.approx(100 * 10 / 13)
    nps = by_key(r)["nps"].nps
    # the partial responses answered the NPS question too (4, 9 and 2): 6 promoters, 2 passives, 5 detractors
    assert (nps.promoters, nps.passives, nps.detractors) == (6, 2, 5)
    assert nps.value == pytest.approx(100 * 1 / 13)
    steps = [(s.key, s.reached, s.answered, s.stopped) for s in r.funnel]
    assert steps == [
        ("nps", 13, 13, 2),  # two stopped after the first page (one sent the second page empty)
        ("csat", 11, 7, 0),
        ("ces", 11, 7, 0),
        ("reason", 11, 7, 1),
        ("comment", 10, 1, 0),
        ("grid", 10, 2, 0),
        ("rank", 10, 2, 0),
        ("ok", 10, 2, 0),
        ("age", 10, 2, 0),
        ("when", 10, 1, 0),
    ]
    assert r.funnel_unanswered == 0


def test_completed_only_gives_the_nps_of_the_ten_complete_responses_with_its_interval(login, cast):
    survey = results_survey(cast.workspace)
    known_set(survey)
    resp = login(cast.viewer).get(f"/surveys/{survey.pk}/results/?status=completed")
    assert resp.status_code == 200
    text = page_text(resp)
    # 5 promoters, 2 passives, 3 detractors: +20, adjusted-Wald 95% interval -30.3 to +61.1
    assert "NPS +20 -30 to +61 10" in text
    assert "5 promoters (9–10), 2 passives (7–8), 3 detractors (0–6)" in text
    assert "Responses 10 Completed 10 Partial 0" in text


def test_distributions_of_every_kind_of_question(cast):
    survey = results_survey(cast.workspace)
    known_set(survey)
    q = by_key(build_results(survey, ResultFilter(completed_only=True)))
    assert q["csat"].summary.share.value == pytest.approx(100 * 4 / 6)  # four 5s, two 2s
    assert q["csat"].rows[4] == ("5", 4, pytest.approx(100 * 4 / 6))
    assert q["ces"].summary.mean.value == pytest.approx((3 * 7 + 3 * 4) / 6)
    assert q["ces"].summary.share.value == pytest.approx(50.0)
    assert q["reason"].rows == [
        ("Price", 3, pytest.approx(50.0)),
        ("Speed", 2, pytest.approx(100 / 3)),
        ("Other", 1, pytest.approx(100 / 6)),
    ]
    assert q["reason"].other_texts == ["Cheaper elsewhere"] and q["reason"].other_count == 1
    assert [(label, est.value, est.n) for label, est in q["grid"].matrix] == [
        ("Speed", 4.0, 2),
        ("Care", 3.0, 2),
    ]
    assert q["rank"].ranking == [("X", 1.5, 1), ("Y", 1.5, 1), ("Z", 3.0, 0)]
    assert q["ok"].rows == [("Yes", 1, 50.0), ("No", 1, 50.0)]
    assert q["age"].mean.value == 40.0 and (q["age"].minimum, q["age"].maximum) == (30.0, 50.0)
    assert (q["when"].first_date, q["when"].last_date) == ("2026-01-31", "2026-01-31")
    assert q["comment"].answered == 1


def test_previews_never_count(cast):
    survey = results_survey(cast.workspace)
    complete(survey, {"nps": 9})
    preview = services.response_new(survey=survey, via="link", language="en", hidden={}, preview=True)
    services.response_submit_page(response=preview, page_index=0, submitted={"nps": "0"}, others={})
    assert Response.objects.filter(via=Response.Via.PREVIEW).count() == 1
    r = build_results(survey, ResultFilter())
    assert r.total == 1 and by_key(r)["nps"].nps.detractors == 0
    assert [s.reached for s in r.funnel][:1] == [1]


def test_nps_trend_by_month_with_interval_and_change(cast):
    survey = results_survey(cast.workspace)
    tz = timezone.get_current_timezone()
    for score in (10, 10, 9, 0):
        backdate(complete(survey, {"nps": score}), datetime(2026, 1, 10, 12, tzinfo=tz))
    for score in (10, 2, 3, 4):
        backdate(complete(survey, {"nps": score}), datetime(2026, 3, 5, 12, tzinfo=tz))
    nps = by_key(build_results(survey, ResultFilter()))["nps"]
    assert [p.month.isoformat() for p in nps.trend] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert [p.estimate.value for p in nps.trend] == [50.0, None, -50.0]  # February had no answers
    jan, _, mar = nps.trend
    assert jan.estimate.low < 50.0 < jan.estimate.high and jan.estimate.too_few
    assert nps.change.value == -100.0 and nps.change_months == (jan.month, mar.month)
    assert nps.change.low < -100.0 < nps.change.high
    assert "NPS by month" in nps.trend_chart.title


# -- filters -------------------------------------------------------------------------------------------------
def test_hidden_field_and_customer_filters_apply_to_everything(login, cast):
    survey = results_survey(cast.workspace)
    known_set(survey)
    store = build_results(survey, ResultFilter(hidden=(("touchpoint", "store"),)))
    # the odd responses came from the store: scores 10, 9, 8, 6, 0
    assert store.total == 5 and by_key(store)["nps"].nps.value == 0.0
    assert store.funnel[0].reached == 5
    enterprise = build_results(survey, ResultFilter(segment="enterprise"))
    assert enterprise.total == 5 and by_key(enterprise)["nps"].nps.value == -60.0
    both = login(cast.analyst).get(f"/surveys/{survey.pk}/results/?h_touchpoint=store&segment=enterprise")
    # responses 5, 7, 9: scores 8, 6, 0
    assert "Responses 3 Completed 3 Partial 0" in page_text(both)


def test_date_range_and_version_filters(cast):
    survey = results_survey(cast.workspace)
    tz = timezone.get_current_timezone()
    backdate(complete(survey, {"nps": 10}), datetime(2026, 1, 1, 0, 30, tzinfo=tz))
    backdate(complete(survey, {"nps": 0}), datetime(2026, 1, 31, 23, 30, tzinfo=tz))
    backdate(complete(survey, {"nps": 5}), datetime(2026, 2, 1, 0, 0, tzinfo=tz))
    january = ResultFilter(since=datetime(2026, 1, 1).date(), until=datetime(2026, 1, 31).date())
    assert build_results(survey, january).total == 2  # both ends are whole days
    changed = survey.parsed().dump()
    changed["blocks"][0]["questions"][0]["label"] = "How likely now?"
    services.survey_update(survey=survey, actor=None, definition=changed)
    survey = services.survey_publish(survey=survey, actor=None)
    complete(survey, {"nps": 9})
    assert build_results(survey, ResultFilter(version=1)).total == 3
    v2 = build_results(survey, ResultFilter(version=2))
    assert v2.total == 1 and by_key(v2)["nps"].label == "How likely now?"


def test_bad_filters_are_named_and_what_was_typed_stays(login, cast):
    survey = results_survey(cast.workspace)
    complete(survey, {"nps": 9})
    resp = login(cast.analyst).get(f"/surveys/{survey.pk}/results/?since=31/01/2026&version=7&h_order_id=A-1")
    assert resp.status_code == 422
    html = resp.content.decode()
    assert "From: &#x27;31/01/2026&#x27; is not a date like 2026-01-31." in html
    assert "Version: this survey has no version &#x27;7&#x27;." in html
    assert 'value="31/01/2026"' in html and 'value="A-1"' in html
    # the other filters still apply: no response has order A-1
    assert "No responses match these filters" in page_text(resp)


def test_until_before_since_is_refused(login, cast):
    survey = results_survey(cast.workspace)
    resp = login(cast.analyst).get(f"/surveys/{survey.pk}/results/?since=2026-03-01&until=2026-02-01")
    assert resp.status_code == 422
    assert "To: 2026-02-01 is before the start date 2026-03-01." in resp.content.decode()


# -- open texts ----------------------------------------------------------------------------------------------
def test_open_texts_newest_first_with_inbox_links_and_pages(login, cast):
    survey = results_survey(cast.workspace)
    tz = timezone.get_current_timezone()
    made = []
    for day, text in ((1, "Oldest"), (2, "Middle"), (3, "Newest")):
        r = complete(survey, {"nps": 8, "comment": text})
        backdate(r, datetime(2026, 1, day, tzinfo=tz))
        made.append(r)
    r = build_results(survey, ResultFilter())
    first, cursor = open_texts(survey, ResultFilter(), r.layout, limit=2)
    assert [t.text for t in first] == ["Newest", "Middle"] and cursor
    rest, cursor = open_texts(survey, ResultFilter(), r.layout, cursor=cursor, limit=2)
    assert [t.text for t in rest] == ["Oldest"] and cursor is None
    page = login(cast.viewer).get(f"/surveys/{survey.pk}/results/")
    html = page.content.decode()
    assert f'href="/inbox/{made[2].feedback_item_id}/"' in html
    assert "Sentiment and themes: not analysed yet" in html


def test_older_open_texts_load_with_htmx_or_as_a_whole_page(login, cast):
    survey = results_survey(cast.workspace)
    tz = timezone.get_current_timezone()
    for i in range(27):
        backdate(
            complete(survey, {"nps": 8, "comment": f"Text number {i}"}),
            datetime(2026, 1, 1, i % 24, tzinfo=tz),
        )
    client = login(cast.viewer)
    html = client.get(f"/surveys/{survey.pk}/results/?status=completed").content.decode()
    (more,) = re.findall(
        r'href="(/surveys/\d+/results/\?status=completed&amp;cursor=[\w-]+)#res-texts"', html
    )
    more = more.replace("&amp;", "&")
    assert html.count("Text number") == 25
    fragment = client.get(more, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert (
        fragment.content.decode().count("Text number") == 2
        and "Older answers" not in fragment.content.decode()
    )
    whole = client.get(more)  # without JavaScript: the whole page, at that page of texts
    assert "<html" in whole.content.decode() and whole.content.decode().count("Text number") == 2


def test_a_bad_cursor_is_named(login, cast):
    survey = results_survey(cast.workspace)
    resp = login(cast.viewer).get(f"/surveys/{survey.pk}/results/?cursor=nonsense")
    assert resp.status_code == 422 and "The cursor is not valid" in resp.content.decode()


# -- speed ---------------------------------------------------------------------------------------------------
RESULTS_PAGE_QUERIES = 20  # session, user, memberships ×2, survey, versions, 9 reads, links, 4 menus


def test_query_count_does_not_grow_with_the_responses(login, cast, django_assert_num_queries):
    survey = results_survey(cast.workspace)
    client = login(cast.analyst)
    complete(survey, {"nps": 9, "comment": "one"})
    client.get(f"/surveys/{survey.pk}/results/")  # warm caches (content types, session)
    with django_assert_num_queries(RESULTS_PAGE_QUERIES):
        assert client.get(f"/surveys/{survey.pk}/results/").status_code == 200
    known_set(survey)
    for _ in range(5):
        partial(survey, [{"nps": "3"}], hidden={"touchpoint": "web"})
    with django_assert_num_queries(RESULTS_PAGE_QUERIES):
        resp = client.get(f"/surveys/{survey.pk}/results/")
    assert resp.status_code == 200 and "Responses 19" in page_text(resp)


# -- access --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["owner", "admin", "analyst", "agent", "viewer"])
def test_every_member_sees_results_and_the_pdf(login, cast, role):
    survey = results_survey(cast.workspace)
    complete(survey, {"nps": 9})
    client = login(cast.user(role))
    assert client.get(f"/surveys/{survey.pk}/results/").status_code == 200
    assert client.get(f"/surveys/{survey.pk}/results.pdf").status_code == 200


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_cannot_export_rows_or_share(login, cast, role):
    survey = results_survey(cast.workspace)
    complete(survey, {"nps": 9})
    client = login(cast.user(role))
    assert client.get(f"/surveys/{survey.pk}/results.csv").status_code == 403
    assert client.get(f"/surveys/{survey.pk}/results.xlsx").status_code == 403
    assert client.post(f"/surveys/{survey.pk}/results/share/", {"days": "7"}).status_code == 403
    share = ResultShare.objects.create(
        workspace=cast.workspace,
        survey=survey,
        token_hash="x" * 64,
        expires_at=timezone.now() + timezone.timedelta(days=1),
    )
    assert client.post(f"/surveys/{survey.pk}/results/share/{share.pk}/revoke/").status_code == 403
    share.refresh_from_db()
    assert share.revoked_at is None and ResultShare.objects.count() == 1
    page = client.get(f"/surveys/{survey.pk}/results/").content.decode()
    assert "Export CSV" not in page and "Make a link" not in page


def test_outsider_gets_nothing_of_acme_results(login, cast):
    survey = results_survey(cast.workspace, name="Acme secret survey")
    complete(survey, {"nps": 9, "comment": "Acme secret comment"}, customer={"email": "vip@acme.example"})
    share = ResultShare.objects.create(
        workspace=cast.workspace,
        survey=survey,
        token_hash="y" * 64,
        expires_at=timezone.now() + timezone.timedelta(days=1),
    )
    own = results_survey(cast.other_workspace, name="Other survey")
    client = login(cast.outsider)
    for path in ("results/", "results.csv", "results.xlsx", "results.pdf"):
        assert client.get(f"/surveys/{survey.pk}/{path}").status_code == 404, path
    assert client.post(f"/surveys/{survey.pk}/results/share/", {"days": "7"}).status_code == 404
    assert client.post(f"/surveys/{survey.pk}/results/share/{share.pk}/revoke/").status_code == 404
    # Acme's share id on the outsider's own survey does not reach it either
    assert client.post(f"/surveys/{own.pk}/results/share/{share.pk}/revoke/").status_code == 404
    share.refresh_from_db()
    assert share.revoked_at is None and ResultShare.objects.count() == 1
    mine = client.get(f"/surveys/{own.pk}/results/")
    assert mine.status_code == 200
    text = mine.content.decode()
    assert "Acme secret" not in text and "vip@acme.example" not in text
    assert "Responses 1" not in page_text(mine)
