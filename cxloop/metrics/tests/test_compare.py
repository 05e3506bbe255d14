"""Changes and their tests (cxloop/metrics/significance.py, engine.compare), a second group-by, the
customer's region/country/plan, and the share of read texts that mention a theme."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from scipy import stats as sp

from cxloop.analysis.models import Theme
from cxloop.core.exceptions import ServiceError
from cxloop.customers.models import Customer
from cxloop.metrics import significance, stats
from cxloop.metrics.engine import MetricFilter, compare, metric
from cxloop.metrics.tests.test_engine import make

MAR1 = datetime(2026, 3, 1, tzinfo=UTC)
APR1 = datetime(2026, 4, 1, tzinfo=UTC)
MAY1 = datetime(2026, 5, 1, tzinfo=UTC)
IN_MARCH = datetime(2026, 3, 10, 12, tzinfo=UTC)
IN_APRIL = datetime(2026, 4, 10, 12, tzinfo=UTC)
APRIL = MetricFilter(since=APR1, until=MAY1)  # 30 days; the previous period is 2026-03-02 … 04-01


# -- the tests themselves, against scipy and published figures -----------------------------------------------
def test_newcombe_interval_matches_newcombes_published_example():
    # Newcombe (1998), Statistics in Medicine 17, table II: 56/70 − 48/80, method 10 → 0.0524 to 0.3339
    d = significance.proportion_change(48, 80, 56, 70)
    assert d.value == pytest.approx(20.0)
    assert d.low == pytest.approx(5.24, abs=0.01)
    assert d.high == pytest.approx(33.39, abs=0.01)


def test_two_proportion_z_test_matches_the_chi_square_test_without_correction():
    d = significance.proportion_change(48, 80, 56, 70)
    _chi2, p, _, _ = sp.chi2_contingency([[48, 32], [56, 14]], correction=False)
    assert d.p_value == pytest.approx(p, rel=1e-9)


def test_welch_t_test_matches_scipy_on_random_samples():
    rng = random.Random(7)
    a = [rng.randint(1, 7) for _ in range(40)]
    b = [rng.randint(2, 7) for _ in range(55)]
    ea, eb = stats.mean_from_values(a), stats.mean_from_values(b)
    va = sum((x - ea.value) ** 2 for x in a) / (len(a) - 1)
    vb = sum((x - eb.value) ** 2 for x in b) / (len(b) - 1)
    d = significance.mean_change(len(a), ea.value, va, len(b), eb.value, vb)
    ref = sp.ttest_ind(b, a, equal_var=False)
    assert d.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    ci = ref.confidence_interval(0.95)
    assert (d.low, d.high) == (pytest.approx(ci.low, rel=1e-9), pytest.approx(ci.high, rel=1e-9))


def test_nps_z_test_is_the_unpooled_test_on_the_plus_one_zero_minus_one_score():
    before, after = stats.nps(20, 30, 50), stats.nps(45, 30, 25)
    d = significance.nps_change(before, after)
    scores_b = [1] * 20 + [0] * 30 + [-1] * 50
    scores_a = [1] * 45 + [0] * 30 + [-1] * 25

    def mean_var(xs):
        m = sum(xs) / len(xs)
        return m, sum((x - m) ** 2 for x in xs) / len(xs)

    (mb, vb), (ma, va) = mean_var(scores_b), mean_var(scores_a)
    z = (ma - mb) / math.sqrt(vb / 100 + va / 100)
    assert d.p_value == pytest.approx(2 * sp.norm.sf(abs(z)), rel=1e-9)
    assert d.value == pytest.approx(50.0)
    ref = stats.nps_difference(before, after)
    assert (d.low, d.high) == (ref.low, ref.high)


def test_count_test_is_the_exact_binomial_test_given_the_total():
    d = significance.count_change(30, 52)
    assert d.p_value == pytest.approx(sp.binomtest(52, 82, 0.5).pvalue)
    assert d.value == 22.0
    assert significance.count_change(0, 0).p_value is None


def test_identical_samples_are_no_change():
    d = significance.proportion_change(10, 10, 20, 20)
    assert d.p_value == 1.0 and d.value == 0.0
    assert significance.nps_change(stats.nps(5, 0, 0), stats.nps(9, 0, 0)).p_value == 1.0


# -- engine.compare ------------------------------------------------------------------------------------------
def test_previous_period_nps_drop_is_significant_and_named(cast):
    ws = cast.workspace
    for _ in range(40):
        make(ws, ("nps", 10), at=IN_MARCH)
        make(ws, ("nps", 2), at=IN_APRIL)
    [change] = compare(workspace=ws, metric="nps", filters=APRIL)
    assert change.baseline.value == 100.0 and change.current.value == -100.0
    assert change.difference == pytest.approx(-200.0)
    assert change.significant and change.direction == "down"
    assert change.test == significance.NPS_TEST and change.p_value < 1e-6


def test_a_change_between_too_few_answers_is_never_called_a_change(cast):
    ws = cast.workspace
    for _ in range(8):
        make(ws, ("nps", 10), at=IN_MARCH)
        make(ws, ("nps", 0), at=IN_APRIL)
    [change] = compare(workspace=ws, metric="nps", filters=APRIL)
    assert change.p_value < 0.05  # the test alone would say so …
    assert not change.significant and change.direction == "flat"  # … but 8 answers are too few


def test_previous_needs_a_period_and_time_groups_are_refused(cast):
    with pytest.raises(ServiceError, match="since and until"):
        compare(workspace=cast.workspace, metric="nps")
    with pytest.raises(ServiceError, match="time group_by"):
        compare(workspace=cast.workspace, metric="nps", filters=APRIL, group_by="month")
    with pytest.raises(ServiceError, match="previous, rest"):
        compare(workspace=cast.workspace, metric="nps", filters=APRIL, against="last year")
    with pytest.raises(ServiceError, match="no 'rest'"):
        compare(workspace=cast.workspace, metric="volume", group_by="channel", against="rest")


def test_segment_versus_rest_subtracts_the_group_from_the_selection(cast):
    ws = cast.workspace
    north = Customer.objects.create(workspace=ws, region="North West", country="GB", plan="Free")
    south = Customer.objects.create(workspace=ws, region="South", country="GB", plan="Plus")
    for i in range(60):
        make(ws, ("csat", 1 if i < 45 else 5, 1, 5), at=IN_APRIL, customer=north)
        make(ws, ("csat", 5 if i < 50 else 2, 1, 5), at=IN_APRIL, customer=south)
    changes = {c.group: c for c in compare(workspace=ws, metric="csat", group_by="region", against="rest")}
    nw = changes["North West"]
    assert (nw.current.n, nw.baseline.n) == (60, 60)
    assert nw.current.value == pytest.approx(25.0) and nw.baseline.value == pytest.approx(100 * 50 / 60)
    ref = significance.proportion_change(50, 60, 15, 60)
    assert nw.p_value == pytest.approx(ref.p_value) and nw.direction == "down"
    assert changes["South"].direction == "up"


def test_means_compare_with_welch_through_the_engine(cast):
    ws = cast.workspace
    march = [4, 5, 6, 7, 5, 6] * 6
    april = [2, 3, 4, 3, 2, 5] * 6
    for v in march:
        make(ws, ("ces", v), at=IN_MARCH)
    for v in april:
        make(ws, ("ces", v), at=IN_APRIL)
    [change] = compare(workspace=ws, metric="ces", filters=APRIL)
    ref = sp.ttest_ind(april, march, equal_var=False)
    assert change.p_value == pytest.approx(ref.pvalue, rel=1e-6)
    assert change.difference == pytest.approx(sum(april) / 36 - sum(march) / 36)
    assert change.test == significance.MEAN_TEST


def test_themes_rising_and_falling_by_share_of_read_texts(cast):
    ws = cast.workspace
    linen = Theme.objects.create(workspace=ws, name="Sizing")
    price = Theme.objects.create(workspace=ws, name="Price")
    for i in range(100):  # March: 5 of 100 read texts on sizing, 30 on price; April: 40 and 30
        make(ws, at=IN_MARCH, sentiment="neutral", themes=[(linen, "auto")] if i < 5 else [])
        make(ws, at=IN_APRIL, sentiment="neutral", themes=[(linen, "auto")] if i < 40 else [])
    for _ in range(30):
        make(ws, at=IN_MARCH, sentiment="negative", themes=[(price, "auto")])
        make(ws, at=IN_APRIL, sentiment="negative", themes=[(price, "auto")])
    changes = {
        c.group: c for c in compare(workspace=ws, metric="theme_share", filters=APRIL, group_by="theme")
    }
    assert changes["Sizing"].direction == "up"
    assert changes["Sizing"].current.value == pytest.approx(100 * 40 / 130)
    assert changes["Sizing"].baseline.value == pytest.approx(100 * 5 / 130)
    assert changes["Price"].direction == "flat"
    volume = {c.group: c for c in compare(workspace=ws, metric="volume", filters=APRIL, group_by="theme")}
    assert volume["Sizing"].difference == 35.0 and volume["Sizing"].test == significance.COUNT_TEST


def test_a_theme_present_in_one_period_only_is_compared_with_zero(cast):
    ws = cast.workspace
    gone = Theme.objects.create(workspace=ws, name="Old bug")
    for i in range(40):
        make(ws, at=IN_MARCH, sentiment="neutral", themes=[(gone, "auto")] if i < 20 else [])
        make(ws, at=IN_APRIL, sentiment="neutral")
    [change] = compare(workspace=ws, metric="theme_share", filters=APRIL, group_by="theme")
    assert change.group == "Old bug" and change.current.value == 0.0 and change.current.n == 40
    assert change.direction == "down"


# -- a second group-by, customer columns, theme share --------------------------------------------------------
def test_then_by_splits_each_group_and_orders_time_first(cast):
    ws = cast.workspace
    for at, channel, v in [
        (IN_MARCH, "chat", 10),
        (IN_MARCH, "email", 0),
        (IN_APRIL, "chat", 9),
        (IN_APRIL, "chat", 6),
    ]:
        make(ws, ("nps", v), at=at, channel=channel)
    res = metric(workspace=ws, metric="nps", group_by="month", then_by="channel").results
    assert [(r.group, r.group2, r.value, r.n) for r in res] == [
        ("2026-03", "chat", 100.0, 1),
        ("2026-03", "email", -100.0, 1),
        ("2026-04", "chat", 0.0, 2),
    ]
    assert res[0].key == "2026-03-01" and res[0].as_dict()["group2"] == "chat"
    with pytest.raises(ServiceError, match="two different groups"):
        metric(workspace=ws, metric="nps", group_by="month", then_by="month")
    with pytest.raises(ServiceError, match="needs a group_by"):
        metric(workspace=ws, metric="nps", then_by="month")


def test_region_country_and_plan_filter_and_group(cast):
    ws = cast.workspace
    nw = Customer.objects.create(workspace=ws, region="North West", country="GB", plan="Hearth+")
    de = Customer.objects.create(workspace=ws, region="Bayern", country="DE", plan="Free")
    make(ws, ("nps", 0), customer=nw)
    make(ws, ("nps", 10), customer=de)
    make(ws, ("nps", 10))  # anonymous
    by_region = {r.group: r.value for r in metric(workspace=ws, metric="nps", group_by="region").results}
    assert by_region == {"North West": -100.0, "Bayern": 100.0, "": 100.0}
    assert metric(workspace=ws, metric="nps", filters=MetricFilter(country="GB")).results[0].n == 1
    assert metric(workspace=ws, metric="nps", filters=MetricFilter(plan="Free")).results[0].value == 100.0
    other = Customer.objects.create(workspace=cast.other_workspace, region="North West")
    make(cast.other_workspace, ("nps", 10), customer=other)
    assert metric(workspace=ws, metric="nps", filters=MetricFilter(region="North West")).results[0].n == 1


def test_theme_share_by_month_with_a_theme_id(cast):
    ws = cast.workspace
    sizing = Theme.objects.create(workspace=ws, name="Sizing")
    small = Theme.objects.create(workspace=ws, name="Runs small", parent=sizing)
    make(ws, at=IN_MARCH, sentiment="neutral", themes=[(small, "auto")])
    make(ws, at=IN_MARCH, sentiment="neutral")
    make(ws, at=IN_APRIL, sentiment="neutral", themes=[(small, "rejected")])
    make(ws, at=IN_APRIL)  # not read: not counted
    res = metric(
        workspace=ws, metric="theme_share", filters=MetricFilter(theme_id=sizing.pk), group_by="month"
    )
    assert [(r.group, r.value, r.n) for r in res.results] == [("2026-03", 50.0, 2), ("2026-04", 0.0, 1)]
    with pytest.raises(ServiceError, match="give a theme_id or group by theme"):
        metric(workspace=ws, metric="theme_share")


def test_every_group_takes_one_query_and_then_by_too(cast, django_assert_num_queries):
    ws = cast.workspace
    theme = Theme.objects.create(workspace=ws, name="Price")
    make(ws, ("nps", 9), sentiment="positive", themes=[(theme, "auto")])
    for group in ("region", "country", "plan", "day"):
        with django_assert_num_queries(1):
            metric(workspace=ws, metric="nps", group_by=group, then_by="theme")
    with django_assert_num_queries(2):
        metric(workspace=ws, metric="theme_share", group_by="theme", then_by="month")


# -- the API -------------------------------------------------------------------------------------------------
def test_api_changes_and_then_by(cast, api, acme_key, other_key):
    ws = cast.workspace
    for _ in range(35):
        make(ws, ("nps", 10), at=IN_MARCH, channel="chat")
        make(ws, ("nps", 3), at=IN_APRIL, channel="chat")
    make(cast.other_workspace, ("nps", 10), at=IN_APRIL, channel="chat")
    url = "/api/v1/metrics/changes?metric=nps&since=2026-04-01T00:00:00Z&until=2026-05-01T00:00:00Z"
    body = api("get", url + "&group_by=channel", key=acme_key).json()
    [chat] = body["results"]
    assert body["against"] == "previous" and chat["group"] == "chat"
    assert chat["direction"] == "down" and chat["significant"] and chat["test"] == significance.NPS_TEST
    assert (chat["current"]["n"], chat["baseline"]["n"]) == (35, 35)
    theirs = api("get", url, key=other_key).json()["results"]
    assert [(c["current"]["n"], c["baseline"]["n"]) for c in theirs] == [(1, 0)]
    r = api("get", "/api/v1/metrics?metric=nps&group_by=month&then_by=channel", key=acme_key).json()
    assert r["then_by"] == "channel" and [x["group2"] for x in r["results"]] == ["chat", "chat"]
    assert api("get", "/api/v1/metrics/changes?metric=nps", key=acme_key).status_code == 400


# -- weighting by the customer's lifetime value --------------------------------------------------------------
def test_weighted_nps_counts_each_answer_by_its_customers_value(cast):
    ws = cast.workspace
    big = Customer.objects.create(workspace=ws, lifetime_value=900)
    small = Customer.objects.create(workspace=ws, lifetime_value=100)
    nobody = Customer.objects.create(workspace=ws)  # no value: left out of a weighted figure
    make(ws, ("nps", 0), customer=big)
    make(ws, ("nps", 10), customer=small)
    make(ws, ("nps", 10), customer=nobody)
    [row] = metric(workspace=ws, metric="nps", weight="lifetime_value").results
    assert row.value == pytest.approx(100 * (100 - 900) / 1000)
    assert row.n == 2 and row.extra["weight_total"] == pytest.approx(1000.0)
    assert row.extra["n_effective"] == pytest.approx(1000**2 / (900**2 + 100**2))
    assert row.too_few
    [volume] = metric(workspace=ws, metric="volume", weight="lifetime_value").results
    assert volume.value == pytest.approx(1000.0)


def test_equal_weights_give_the_plain_figure_and_the_plug_in_interval(cast):
    ws = cast.workspace
    rng = random.Random(3)
    scores = [rng.randint(0, 10) for _ in range(80)]
    for v in scores:
        make(
            ws,
            ("nps", v),
            ("csat", rng.randint(1, 5), 1, 5),
            customer=Customer.objects.create(workspace=ws, lifetime_value=50),
        )
    plain = metric(workspace=ws, metric="nps").results[0]
    [w] = metric(workspace=ws, metric="nps", weight="lifetime_value").results
    assert w.value == pytest.approx(plain.value)
    s = [1 if v >= 9 else -1 if v < 7 else 0 for v in scores]
    m = sum(s) / len(s)
    half = 1.959964 * math.sqrt(sum((x - m) ** 2 for x in s) / len(s) ** 2)
    assert (w.ci_low, w.ci_high) == (
        pytest.approx(100 * (m - half), abs=1e-3),
        pytest.approx(100 * (m + half), abs=1e-3),
    )
    assert w.extra["n_effective"] == pytest.approx(80.0) and not w.too_few
    plain_csat = metric(workspace=ws, metric="csat").results[0]
    assert metric(workspace=ws, metric="csat", weight="lifetime_value").results[0].value == pytest.approx(
        plain_csat.value
    )


def test_weighted_mean_and_group_by(cast, django_assert_num_queries):
    ws = cast.workspace
    gb = Customer.objects.create(workspace=ws, region="North West", lifetime_value=300)
    de = Customer.objects.create(workspace=ws, region="Bayern", lifetime_value=100)
    make(ws, ("rating", 5), customer=gb)
    make(ws, ("rating", 1), customer=gb)
    make(ws, ("rating", 2), customer=de)
    with django_assert_num_queries(1):
        res = metric(workspace=ws, metric="rating", group_by="region", weight="lifetime_value")
    assert {r.group: r.value for r in res.results} == {"North West": 3.0, "Bayern": 2.0}
    assert res.weighted_by == "lifetime_value"
    [all_] = metric(workspace=ws, metric="rating", weight="lifetime_value").results
    assert all_.value == pytest.approx((300 * 5 + 300 * 1 + 100 * 2) / 700)
    with pytest.raises(ServiceError, match="lifetime_value"):
        metric(workspace=ws, metric="nps", weight="age")


def test_api_weight(cast, api, acme_key):
    ws = cast.workspace
    make(ws, ("nps", 0), customer=Customer.objects.create(workspace=ws, lifetime_value=900))
    make(ws, ("nps", 10), customer=Customer.objects.create(workspace=ws, lifetime_value=100))
    body = api("get", "/api/v1/metrics?metric=nps&weight=lifetime_value", key=acme_key).json()
    assert body["weighted_by"] == "lifetime_value" and body["results"][0]["value"] == pytest.approx(-80.0)
    assert api("get", "/api/v1/metrics?metric=nps&weight=age", key=acme_key).status_code == 400


# -- eNPS and the response rate ------------------------------------------------------------------------------
def test_enps_is_the_enps_question_and_stays_out_of_customer_nps(cast):
    from cxloop.feedback.models import Answer

    ws = cast.workspace
    make(ws, ("nps", 10))
    staff = make(ws, ("nps", 0))
    Answer.objects.filter(item=staff).update(key="enps")  # the eNPS template's question key
    assert [(r.value, r.n) for r in metric(workspace=ws, metric="nps").results] == [(100.0, 1)]
    assert [(r.value, r.n) for r in metric(workspace=ws, metric="enps").results] == [(-100.0, 1)]


def _invite(ws, survey, customer, *, at, channel="email", completed=False, bounced=False):
    import secrets

    from cxloop.outreach.models import Invitation
    from cxloop.surveys.models import Response

    response = None
    if completed is not None:
        response = Response.objects.create(
            workspace=ws,
            survey=survey,
            token=secrets.token_hex(16),
            status=Response.Status.COMPLETED if completed else Response.Status.PARTIAL,
        )
    return Invitation.objects.create(
        workspace=ws,
        survey=survey,
        customer=customer,
        channel=channel,
        address="x@example.com",
        token_nonce=secrets.token_hex(8),
        token_hash=secrets.token_hex(32),
        sent_at=at,
        expires_at=at + timedelta(days=30),
        bounced_at=at if bounced else None,
        response=response,
    )


def test_response_rate_counts_completed_responses_of_delivered_invitations(cast, django_assert_num_queries):
    from cxloop.surveys.services import survey_create

    ws = cast.workspace
    survey = survey_create(workspace=ws, actor=None, name="Post-delivery")
    nw = Customer.objects.create(workspace=ws, region="North West")
    south = Customer.objects.create(workspace=ws, region="South")
    for i in range(10):
        _invite(ws, survey, nw, at=IN_MARCH, completed=i < 3)  # 3 of 10
    for i in range(4):
        _invite(ws, survey, south, at=IN_APRIL, channel="sms", completed=i < 2 if i < 3 else None)
    _invite(ws, survey, south, at=IN_APRIL, bounced=True, completed=None)  # bounced: not delivered
    [all_] = metric(workspace=ws, metric="response_rate").results
    assert (all_.n, all_.extra["answered"]) == (14, 5.0)
    w = stats.wilson(5, 14)
    assert all_.value == pytest.approx(100 * 5 / 14) and all_.ci_low == pytest.approx(100 * w.low)
    with django_assert_num_queries(1):
        by = metric(workspace=ws, metric="response_rate", group_by="month", then_by="channel").results
    assert [(r.group, r.group2, r.n) for r in by] == [("2026-03", "email", 10), ("2026-04", "sms", 4)]
    nw_only = metric(workspace=ws, metric="response_rate", filters=MetricFilter(region="North West"))
    assert nw_only.results[0].value == pytest.approx(30.0)
    with pytest.raises(ServiceError, match="invitations"):
        metric(workspace=ws, metric="response_rate", filters=MetricFilter(touchpoint="delivery"))
    with pytest.raises(ServiceError, match="groups by channel"):
        metric(workspace=ws, metric="response_rate", group_by="theme")
    other_survey = survey_create(workspace=cast.other_workspace, actor=None, name="Theirs")
    theirs = Customer.objects.create(workspace=cast.other_workspace)
    _invite(cast.other_workspace, other_survey, theirs, at=IN_MARCH, completed=True)
    assert metric(workspace=ws, metric="response_rate").results[0].n == 14


def test_a_change_against_the_previous_period_takes_one_query(cast, django_assert_num_queries):
    ws = cast.workspace
    for _ in range(3):
        make(ws, ("nps", 10), at=IN_MARCH, channel="chat")
        make(ws, ("nps", 0), at=IN_APRIL, channel="email")
    for group_by in (None, "channel", "region", "theme"):
        with django_assert_num_queries(1):
            compare(workspace=ws, metric="nps", filters=APRIL, group_by=group_by)
    with django_assert_num_queries(1):
        changes = compare(workspace=ws, metric="volume", filters=APRIL, group_by="channel")
    assert {(c.group, c.baseline.n, c.current.n) for c in changes} == {("chat", 3, 0), ("email", 0, 3)}


@pytest.mark.parametrize("name", ["nps", "csat", "ces", "volume"])
def test_totals_of_two_groups_equal_the_first_group_alone(cast, name):
    ws = cast.workspace
    rng = random.Random(name)
    regions = [
        Customer.objects.create(workspace=ws, region=r, lifetime_value=rng.randint(1, 500)) for r in "ABC"
    ]
    for _ in range(90):
        at = rng.choice([IN_MARCH, IN_APRIL, datetime(2026, 5, 3, tzinfo=UTC)])
        value = rng.randint(0, 10) if name in ("nps", "volume") else rng.randint(1, 5)
        make(ws, ("nps" if name == "volume" else name, value, 1, 5), at=at, customer=rng.choice(regions))
    for weight in (None, "lifetime_value"):
        two = metric(workspace=ws, metric=name, group_by="region", then_by="month", weight=weight)
        one = metric(workspace=ws, metric=name, group_by="region", weight=weight).results
        assert [(t.group, t.n) for t in two.totals] == [(o.group, o.n) for o in one]
        for t, o in zip(two.totals, one, strict=True):
            assert t.value == pytest.approx(o.value) and t.ci_low == pytest.approx(o.ci_low)
            assert t.ci_high == pytest.approx(o.ci_high)


# -- one question's answers: mean and distribution -----------------------------------------------------------
def test_mean_of_any_question_and_the_answer_key_filter(cast):
    from cxloop.feedback.models import Answer

    ws = cast.workspace
    for v in (2, 4, 9):
        item = make(ws, ("number", v), ("rating", 5))
        Answer.objects.filter(item=item, type="number").update(key="items_bought")
    [row] = metric(workspace=ws, metric="mean", filters=MetricFilter(answer_key="items_bought")).results
    assert (row.value, row.n) == (5.0, 3)
    assert (
        metric(workspace=ws, metric="rating", filters=MetricFilter(answer_key="items_bought")).results == []
    )
    assert (
        metric(workspace=ws, metric="volume", filters=MetricFilter(answer_key="items_bought")).results[0].n
        == 3
    )
    with pytest.raises(ServiceError, match="answer_key"):
        metric(workspace=ws, metric="mean")


def test_distribution_of_scores_and_choices(cast, api, acme_key, other_key):
    from cxloop.feedback.models import Answer, FeedbackItem

    ws = cast.workspace
    for v in (9, 9, 10, 3):
        make(ws, ("nps", v))
    for picked in (["Price"], ["Price", "Speed"], ["Speed"], ["Quality", "Price"]):
        item = FeedbackItem.objects.create(workspace=ws, channel="survey", occurred_at=IN_APRIL)
        Answer.objects.create(
            workspace=ws,
            item=item,
            key="why",
            type="multi_choice",
            choices=picked,
            occurred_at=IN_APRIL,
            channel="survey",
        )
    scores = {s.value: s.count for s in engine_distribution(ws, "nps0").shares}
    assert scores == {"3": 1, "9": 2, "10": 1}
    d = engine_distribution(ws, "why")
    assert d.n == 4 and d.types == ["multi_choice"] and d.mean is None
    assert [(s.value, s.count, s.share) for s in d.shares] == [
        ("Price", 3, 75.0),
        ("Speed", 2, 50.0),
        ("Quality", 1, 25.0),
    ]
    w = stats.wilson(3, 4)
    assert (d.shares[0].ci_low, d.shares[0].ci_high) == (
        pytest.approx(100 * w.low),
        pytest.approx(100 * w.high),
    )
    body = api("get", "/api/v1/metrics/distribution?key=nps0", key=acme_key).json()
    assert body["n"] == 4 and body["mean"]["value"] == pytest.approx(7.75) and body["types"] == ["nps"]
    assert api("get", "/api/v1/metrics/distribution?key=why", key=other_key).json()["n"] == 0
    assert api("get", "/api/v1/metrics/distribution?key=", key=acme_key).status_code == 400


def engine_distribution(ws, key):
    from cxloop.metrics.engine import distribution

    return distribution(workspace=ws, key=key)
