"""cxloop.metrics.stats against values worked out by hand and printed tables (no database)."""

from __future__ import annotations

import math

import pytest

from cxloop.metrics import stats

# Student t quantiles from the printed tables (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2)
T_TABLE = {
    0.975: {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
            10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021, 60: 2.000,
            100: 1.984, 120: 1.980},
    0.95: {1: 6.314, 2: 2.920, 3: 2.353, 4: 2.132, 5: 2.015, 10: 1.812, 20: 1.725, 30: 1.697},
    0.995: {1: 63.657, 2: 9.925, 3: 5.841, 4: 4.604, 5: 4.032, 9: 3.250, 25: 2.787, 60: 2.660},
    0.90: {1: 3.078, 3: 1.638, 4: 1.533, 10: 1.372, 30: 1.310},
}  # fmt: skip


@pytest.mark.parametrize(
    ("p", "df", "expected"), [(p, df, t) for p, row in T_TABLE.items() for df, t in row.items()]
)
def test_t_quantile_matches_the_printed_table_to_three_decimals(p, df, expected):
    assert abs(stats.t_quantile(p, df) - expected) < 0.0005


def test_t_quantile_is_symmetric_and_tends_to_the_normal():
    assert stats.t_quantile(0.025, 10) == pytest.approx(-stats.t_quantile(0.975, 10))
    assert stats.t_quantile(0.5, 7) == 0.0
    assert stats.t_quantile(0.975, 100_000) == pytest.approx(1.95996, abs=1e-4)
    assert stats.z_quantile(0.975) == pytest.approx(1.959964, abs=1e-6)


@pytest.mark.parametrize(("p", "df"), [(0.0, 5), (1.0, 5), (0.5, 0), (0.9, 2.5)])
def test_t_quantile_refuses_what_has_no_quantile(p, df):
    with pytest.raises(ValueError):
        stats.t_quantile(p, df)


# -- Wilson --------------------------------------------------------------------------------------------------
def test_wilson_of_8_in_10():
    est = stats.wilson(8, 10)
    assert est.value == 0.8 and est.n == 10
    assert (round(est.low, 4), round(est.high, 4)) == (0.4902, 0.9433)


def test_wilson_at_the_edges_stays_inside_0_and_1():
    none = stats.wilson(0, 10)
    assert none.low == 0.0 and round(none.high, 4) == 0.2775
    every = stats.wilson(10, 10)
    assert round(every.low, 4) == 0.7225 and every.high == 1.0


def test_wilson_without_answers_has_no_value():
    est = stats.wilson(0, 0)
    assert est.value is None and est.low is None and est.too_few


def test_wilson_refuses_more_successes_than_trials():
    with pytest.raises(ValueError):
        stats.wilson(3, 2)


# -- NPS -----------------------------------------------------------------------------------------------------
def test_nps_of_a_known_sample():
    # scores 10 10 9 9 9 | 8 7 | 6 3 0: 5 promoters, 2 passives, 3 detractors -> NPS = 50% - 30% = +20.
    # Adjusted Wald by hand: n' = 13, pP = 5.75/13, pD = 3.75/13, centre = 2/13 = 0.153846,
    # var = (pP(1-pP) + pD(1-pD) + 2 pP pD) / 13 = 0.0543924, half = 1.959964 * 0.233222 = 0.457107
    result = stats.nps_from_scores({10: 2, 9: 3, 8: 1, 7: 1, 6: 1, 3: 1, 0: 1})
    assert (result.promoters, result.passives, result.detractors, result.n) == (5, 2, 3, 10)
    assert result.value == pytest.approx(20.0)
    assert result.low == pytest.approx(-30.326, abs=0.001)
    assert result.high == pytest.approx(61.095, abs=0.001)
    assert result.promoter_share == 50.0 and result.detractor_share == 30.0
    assert not result.too_few


def test_nps_interval_is_clamped_to_plus_100():
    # 5 promoters: centre 0.625, half 0.450085 -> the upper end 107.5 is clamped to 100
    result = stats.nps(5, 0, 0)
    assert result.value == 100.0 and result.high == 100.0
    assert result.low == pytest.approx(17.491, abs=0.001)
    assert result.too_few


def test_nps_of_nothing_is_empty():
    result = stats.nps(0, 0, 0)
    assert result.value is None and result.n == 0 and result.too_few


def test_nps_interval_narrows_with_more_answers():
    small, large = stats.nps(5, 2, 3), stats.nps(500, 200, 300)
    assert large.value == small.value == 20.0
    assert large.margin < small.margin / 8  # about sqrt(1013 / 13) = 8.8 times narrower
    assert large.low < 20.0 < large.high


def test_nps_category_boundaries():
    assert [stats.nps_category(s) for s in (0, 6, 7, 8, 9, 10)] == [
        "detractor", "detractor", "passive", "passive", "promoter", "promoter",
    ]  # fmt: skip


def test_difference_of_two_periods():
    # before: 2 P, 3 passives, 5 D (-30); after: 6 P, 2 passives, 2 D (+40): +70 points.
    # By hand: before centre (2.75-5.75)/13, after (6.75-2.75)/13; the variances add:
    # half = 1.959964 * sqrt(0.0574 + 0.0552) -> interval -6.605 to 114.298
    before, after = stats.nps(2, 3, 5), stats.nps(6, 2, 2)
    diff = stats.nps_difference(before, after)
    assert diff.value == pytest.approx(70.0)
    assert diff.low == pytest.approx(-6.605, abs=0.001) and diff.high == pytest.approx(114.298, abs=0.001)
    assert stats.nps_difference(stats.nps(0, 0, 0), after).value is None


# -- means, CSAT, CES ----------------------------------------------------------------------------------------
def test_mean_with_t_interval():
    # 1..5: mean 3, s = 1.5811, se = 0.7071, t(0.975, 4) = 2.7764 -> 3 ± 1.9632
    est = stats.mean_from_values([1, 2, 3, 4, 5])
    assert est.value == 3.0
    assert est.low == pytest.approx(1.0368, abs=1e-4) and est.high == pytest.approx(4.9632, abs=1e-4)


def test_mean_from_database_aggregates_equals_mean_from_counts():
    counts = {1: 2, 4: 5, 5: 3}
    n = 10
    mean = (2 * 1 + 5 * 4 + 3 * 5) / n
    var = (2 * (1 - mean) ** 2 + 5 * (4 - mean) ** 2 + 3 * (5 - mean) ** 2) / (n - 1)
    assert stats.mean_interval(n, mean, var) == stats.mean_from_counts(counts)


def test_mean_of_one_answer_has_no_interval():
    est = stats.mean_from_values([4])
    assert est.value == 4 and est.low is None and est.margin is None


def test_csat_counts_the_top_two_boxes():
    summary = stats.csat({5: 3, 4: 3, 3: 2, 2: 1, 1: 1})
    assert summary.top == (4, 5) and summary.n == 10
    assert summary.share.value == pytest.approx(60.0)
    assert summary.share.low == pytest.approx(31.267, abs=0.001)
    assert summary.share.high == pytest.approx(83.182, abs=0.001)
    assert summary.mean.value == pytest.approx(3.6)


def test_csat_on_seven_points_counts_six_and_seven():
    summary = stats.csat({7: 2, 6: 1, 5: 4, 1: 3}, scale=(1, 7))
    assert summary.top == (6, 7) and summary.share.value == pytest.approx(30.0)


def test_ces_easy_share_is_five_to_seven():
    summary = stats.ces({7: 2, 6: 2, 5: 1, 4: 3, 1: 2})
    assert summary.top == (5, 7)
    assert summary.share.value == pytest.approx(50.0)
    assert summary.mean.value == pytest.approx((14 + 12 + 5 + 12 + 2) / 10)


def test_too_few_below_ten():
    assert stats.mean_from_values(range(9)).too_few
    assert not stats.mean_from_values(range(10)).too_few
    assert stats.Estimate(1.0, 0.0, 2.0, 9).note == "too few"


def test_scaled_keeps_n():
    est = stats.wilson(1, 4).scaled(100.0)
    assert est.value == 25.0 and est.n == 4 and math.isclose(est.high, stats.wilson(1, 4).high * 100)
