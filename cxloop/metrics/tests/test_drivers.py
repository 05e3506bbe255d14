"""Key driver analysis (cxloop/metrics/drivers.py): a synthetic outcome built from two themes with known
effects, R² against numpy's least squares, the Shapley shares, quadrants, revenue at risk, answers as
drivers, filters and workspace isolation, and the empty and too-few cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from cxloop.analysis.models import Theme, ThemeMention
from cxloop.core.exceptions import ServiceError
from cxloop.customers.models import Customer
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.metrics import drivers, stats
from cxloop.metrics.engine import MetricFilter

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 2, 12, tzinfo=UTC)


def add_items(workspace, rows, *, at=DAY, channel="survey"):
    """rows: dicts with `nps` or `csat` (value, or (value, scale_min, scale_max)), optional `answers`
    {key: (type, value)}, `themes` [(theme, status)], `customer`. Returns the items, in order."""
    items = FeedbackItem.objects.bulk_create(
        [
            FeedbackItem(
                workspace=workspace,
                channel=channel,
                occurred_at=row.get("at", at),
                customer=row.get("customer"),
            )
            for row in rows
        ]
    )
    answers, mentions = [], []
    for item, row in zip(items, rows, strict=True):
        specs = {}
        for kind in ("nps", "csat"):
            if kind in row:
                specs[kind] = (kind, row[kind])
        specs.update(row.get("answers", {}))
        for key, (kind, spec) in specs.items():
            value, *scale = spec if isinstance(spec, tuple) else (spec,)
            answers.append(
                Answer(
                    workspace=workspace,
                    item=item,
                    key=key,
                    type=kind,
                    value=value,
                    scale_min=scale[0] if scale else None,
                    scale_max=scale[1] if scale else None,
                    occurred_at=item.occurred_at,
                    channel=item.channel,
                )
            )
        for theme, status in row.get("themes", ()):
            mentions.append(ThemeMention(workspace=workspace, item=item, theme=theme, status=status))
    Answer.objects.bulk_create(answers)
    ThemeMention.objects.bulk_create(mentions)
    return items


def taxonomy(workspace):
    delivery = Theme.objects.create(workspace=workspace, name="Delivery")
    late = Theme.objects.create(workspace=workspace, name="Late delivery", parent=delivery)
    price = Theme.objects.create(workspace=workspace, name="Price")
    return delivery, late, price


def synthetic(workspace, n=400, seed=3, at=DAY):
    """NPS = 8 − 4·delivery − 1.5·price + noise (clipped to 0–10). Half of the delivery mentions are of
    its sub-theme "Late delivery". Returns (rows as built, design matrix, outcome)."""
    delivery, late, price = taxonomy(workspace)
    rng = np.random.default_rng(seed)
    a = rng.random(n) < 0.4
    b = rng.random(n) < 0.35
    y = np.clip(np.round(8 - 4 * a - 1.5 * b + rng.normal(0, 1.5, n)), 0, 10)
    rows = []
    for i in range(n):
        themes = []
        if a[i]:
            themes.append((late if i % 2 else delivery, "suggested"))
        if b[i]:
            themes.append((price, "accepted"))
        rows.append({"nps": float(y[i]), "themes": themes})
    add_items(workspace, rows, at=at)
    return rows, np.column_stack([a, b]).astype(float), y


def lstsq_r2(x: np.ndarray, y: np.ndarray) -> float:
    design = np.column_stack([np.ones(len(y)), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ beta
    return 1.0 - float(residual @ residual) / float(((y - y.mean()) ** 2).sum())


def by_name(result):
    return {d.name: d for d in result.drivers}


# -- the model -----------------------------------------------------------------------------------------------
def test_bigger_effect_gets_the_larger_importance_and_shares_add_up_to_r2(cast):
    _, x, y = synthetic(cast.workspace)
    result = drivers.key_drivers(workspace=cast.workspace, outcome="nps")
    found = by_name(result)
    assert set(found) == {"Delivery", "Price"}  # "Late delivery" folded into its top theme
    assert result.n == 400 and not result.too_few and result.reason == ""
    assert found["Delivery"].importance > found["Price"].importance > 0
    assert [d.name for d in result.drivers] == ["Delivery", "Price"]  # most important first
    assert sum(d.importance for d in result.drivers) == pytest.approx(result.r2, abs=1e-9)
    assert sum(d.share for d in result.drivers) == pytest.approx(100.0, abs=1e-9)
    assert found["Delivery"].direction == found["Price"].direction == "down"
    assert found["Delivery"].n_with == int(x[:, 0].sum()) and found["Price"].n_with == int(x[:, 1].sum())
    assert result.r2 == pytest.approx(lstsq_r2(x, y), abs=1e-9)
    k = 2
    assert result.adjusted_r2 == pytest.approx(1 - (1 - result.r2) * (400 - 1) / (400 - k - 1), abs=1e-12)
    assert result.method == (
        "Shapley decomposition of R² (LMG) over a least-squares regression of the 0–10 score on 2 drivers"
    )


def test_shapley_of_two_drivers_matches_the_textbook_formula():
    # two drivers: importance_1 = (R²({1}) + R²({1,2}) − R²({2})) / 2
    corr = np.array([[1.0, 0.3], [0.3, 1.0]])
    r = np.array([0.5, 0.2])
    r2 = drivers.subset_r2(corr, r)
    assert r2[0b01] == pytest.approx(0.25) and r2[0b10] == pytest.approx(0.04)
    full = r @ np.linalg.solve(corr, r)
    assert r2[0b11] == pytest.approx(full)
    imp = drivers.shapley(r2, 2)
    assert imp[0] == pytest.approx((0.25 + full - 0.04) / 2)
    assert imp.sum() == pytest.approx(full, abs=1e-12)


def test_shapley_of_many_drivers_adds_up_and_every_subset_matches_lstsq():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(300, 6)) + rng.normal(size=(300, 1))  # correlated columns
    y = x @ np.array([1.0, 0.5, 0.0, -0.7, 0.2, 0.0]) + rng.normal(size=300)
    z = (x - x.mean(0)) / x.std(0)
    zy = (y - y.mean()) / y.std()
    r2 = drivers.subset_r2(z.T @ z / 300, z.T @ zy / 300)
    for mask in (0b000001, 0b101010, 0b111111, 0b011001):
        cols = [j for j in range(6) if mask >> j & 1]
        assert r2[mask] == pytest.approx(lstsq_r2(x[:, cols], y), abs=1e-9)
    assert drivers.shapley(r2, 6).sum() == pytest.approx(r2[-1], abs=1e-9)


def test_performance_is_the_nps_of_the_items_mentioning_the_theme(cast):
    _, x, y = synthetic(cast.workspace)
    found = by_name(drivers.key_drivers(workspace=cast.workspace))
    scores = y[x[:, 0] == 1]
    expected = stats.nps_from_scores({s: int((scores == s).sum()) for s in set(scores)})
    delivery = found["Delivery"]
    assert (delivery.performance, delivery.performance_low, delivery.performance_high) == pytest.approx(
        (expected.value, expected.low, expected.high)
    )
    assert delivery.performance_unit == "NPS points"


def test_quadrants_split_at_the_mean_importance_and_performance():
    assert drivers.quadrant(60, -20, 25, 10) == "Fix now"
    assert drivers.quadrant(60, 40, 25, 10) == "Keep"
    assert drivers.quadrant(5, 40, 25, 10) == "Maintain"
    assert drivers.quadrant(5, -20, 25, 10) == "Low priority"
    assert drivers.quadrant(25, 10, 25, 10) == "Keep"  # at the mean counts as high


def test_every_driver_sits_in_the_quadrant_its_figures_give(cast):
    synthetic(cast.workspace)
    result = drivers.key_drivers(workspace=cast.workspace)
    shares = [d.share for d in result.drivers]
    perfs = [d.performance for d in result.drivers]
    assert result.mean_importance == pytest.approx(sum(shares) / len(shares))
    assert result.mean_performance == pytest.approx(sum(perfs) / len(perfs))
    found = by_name(result)
    # Delivery: more important than average and a lower NPS than Price's items
    assert found["Delivery"].quadrant == "Fix now" and found["Price"].quadrant == "Maintain"


# -- revenue at risk -----------------------------------------------------------------------------------------
def test_revenue_at_risk_sums_distinct_detractor_customers_of_the_theme(cast):
    ws = cast.workspace
    delivery, late, price = taxonomy(ws)
    ann = Customer.objects.create(workspace=ws, lifetime_value=Decimal("1000.50"))
    bob = Customer.objects.create(workspace=ws, lifetime_value=Decimal("200"))
    cat = Customer.objects.create(workspace=ws, lifetime_value=Decimal("5000"))  # a promoter
    dan = Customer.objects.create(workspace=ws)  # no value
    eve = Customer.objects.create(workspace=ws, lifetime_value=Decimal("70"))  # rejected mention only
    rows = [
        {"nps": 2, "customer": ann, "themes": [(late, "suggested")]},
        {"nps": 5, "customer": ann, "themes": [(delivery, "accepted")]},  # ann counted once
        {"nps": 6, "customer": bob, "themes": [(delivery, "suggested"), (price, "suggested")]},
        {"nps": 10, "customer": cat, "themes": [(delivery, "suggested")]},
        {"nps": 0, "customer": dan, "themes": [(delivery, "suggested")]},
        {"nps": 1, "customer": eve, "themes": [(delivery, "rejected")]},
    ]
    rng = np.random.default_rng(5)
    for i in range(90):  # enough items for the model; anonymous, so they add no revenue
        themes = [(delivery, "suggested")] if i % 3 == 0 else []
        themes += [(price, "suggested")] if i % 2 == 0 else []
        rows.append({"nps": float(rng.integers(0, 11)), "themes": themes})
    add_items(ws, rows)
    result = drivers.key_drivers(workspace=ws)
    found = by_name(result)
    assert result.revenue_known
    assert found["Delivery"].revenue_at_risk == pytest.approx(1000.50 + 200)
    assert found["Delivery"].customers_at_risk == 2
    assert found["Price"].revenue_at_risk == pytest.approx(200)


def test_revenue_at_risk_is_none_when_no_customer_has_a_value(cast):
    synthetic(cast.workspace)
    result = drivers.key_drivers(workspace=cast.workspace)
    assert not result.revenue_known
    assert all(d.revenue_at_risk is None for d in result.drivers)


def test_csat_detractors_are_the_bottom_two_points_and_performance_is_top_two_box(cast):
    ws = cast.workspace
    _, _, price = taxonomy(ws)
    rich = Customer.objects.create(workspace=ws, lifetime_value=Decimal("300"))
    poor = Customer.objects.create(workspace=ws, lifetime_value=Decimal("40"))
    rows = []
    for i in range(120):
        mentions = i % 3 == 0
        value = (2 if i % 2 else 5) if mentions else (4 if i % 4 else 3)
        customer = rich if i == 3 else (poor if i == 6 else None)  # 3: csat 2; 6: csat 5
        rows.append(
            {"csat": value, "themes": [(price, "accepted")] if mentions else [], "customer": customer}
        )
    add_items(ws, rows)
    result = drivers.key_drivers(workspace=ws, outcome="csat")
    [only] = result.drivers
    values = [r["csat"] for r in rows if r["themes"]]
    expected = stats.wilson(sum(v >= 4 for v in values), len(values)).scaled(100.0)
    assert (only.performance, only.performance_low) == pytest.approx((expected.value, expected.low))
    assert only.performance_unit == "% top-2-box"
    assert only.revenue_at_risk == pytest.approx(300)  # poor answered 5
    assert "CSAT score (0–100 of its scale)" in result.method


# -- answers and customer attributes as drivers -------------------------------------------------------------
def test_numeric_answers_are_drivers_with_the_mean_imputed_and_r2_as_lstsq(cast):
    ws = cast.workspace
    rng = np.random.default_rng(8)
    n = 200
    ease = rng.integers(1, 8, n).astype(float)  # ces 1–7
    answered = rng.random(n) < 0.6
    rare = rng.random(n) < 0.2  # answered on fewer than 30% of the items: not a driver
    y = np.clip(np.round(2 + ease + rng.normal(0, 1.5, n)), 0, 10)
    rows = []
    for i in range(n):
        answers = {"ease": ("ces", ease[i])} if answered[i] else {}
        if rare[i]:
            answers["extra"] = ("rating", 3.0)
        rows.append({"nps": float(y[i]), "answers": answers})
    add_items(ws, rows)
    result = drivers.key_drivers(workspace=ws)
    [driver] = result.drivers
    assert (driver.name, driver.kind, driver.n_with) == ("ease", "answer", int(answered.sum()))
    assert driver.imputed == n - int(answered.sum())
    scaled = 100 * (ease - 1) / 6
    column = np.where(answered, scaled, scaled[answered].mean())
    assert result.r2 == pytest.approx(lstsq_r2(column[:, None], y), abs=1e-9)
    expected = stats.mean_from_values(list(scaled[answered]))
    assert (driver.performance, driver.performance_high) == pytest.approx((expected.value, expected.high))
    assert driver.direction == "up" and driver.revenue_at_risk is None


def test_a_second_csat_answer_drives_the_first(cast):
    rng = np.random.default_rng(2)
    rows = []
    for _ in range(150):
        agent = int(rng.integers(1, 6))
        rows.append(
            {
                "answers": {
                    "a_overall": ("csat", min(5, agent + int(rng.integers(0, 2)))),
                    "b_agent": ("csat", agent),
                }
            }
        )
    add_items(cast.workspace, rows)
    result = drivers.key_drivers(workspace=cast.workspace, outcome="csat")
    assert [d.name for d in result.drivers] == ["b_agent"]  # the outcome answer is not its own driver
    assert result.drivers[0].direction == "up"


def test_plan_levels_are_compared_with_the_most_frequent_plan(cast):
    ws = cast.workspace
    basic = Customer.objects.create(workspace=ws, plan="basic")
    pro = Customer.objects.create(workspace=ws, plan="pro")
    trial = Customer.objects.create(workspace=ws, plan="trial")  # too few items: merged into the rest
    rows = [{"nps": 9.0 if i % 3 else 6.0, "customer": basic} for i in range(80)]
    rows += [{"nps": 3.0 if i % 3 else 7.0, "customer": pro} for i in range(40)]
    rows += [{"nps": 10.0, "customer": trial} for _ in range(5)]
    add_items(ws, rows)
    found = by_name(drivers.key_drivers(workspace=ws))
    assert set(found) == {"Plan: pro"}
    pro_driver = found["Plan: pro"]
    assert (pro_driver.kind, pro_driver.reference, pro_driver.n_with, pro_driver.direction) == (
        "plan",
        "basic",
        40,
        "down",
    )


def test_a_driver_the_others_already_account_for_is_left_out(cast):
    ws = cast.workspace
    one = Theme.objects.create(workspace=ws, name="Alpha")
    two = Theme.objects.create(workspace=ws, name="Beta")  # always together with Alpha
    rows = [
        {"nps": 2.0 if i % 2 else 9.0, "themes": [(one, "suggested"), (two, "suggested")] if i % 2 else []}
        for i in range(100)
    ]
    add_items(ws, rows)
    result = drivers.key_drivers(workspace=ws)
    assert [d.name for d in result.drivers] == ["Alpha"]
    assert any(note.startswith("Beta:") for note in result.left_out)


def test_at_most_the_fifteen_most_frequent_drivers(cast):
    ws = cast.workspace
    themes = [Theme.objects.create(workspace=ws, name=f"T{j:02d}") for j in range(17)]
    rng = np.random.default_rng(4)
    rows = []
    for _ in range(300):
        on = rng.random(17) < np.linspace(0.5, 0.15, 17)
        rows.append(
            {
                "nps": float(rng.integers(0, 11)),
                "themes": [(t, "suggested") for t, flag in zip(themes, on, strict=True) if flag],
            }
        )
    add_items(ws, rows)
    result = drivers.key_drivers(workspace=ws)
    assert result.k == drivers.MAX_DRIVERS
    assert sum(d.importance for d in result.drivers) == pytest.approx(result.r2, abs=1e-9)
    counts = sorted((sum(1 for r in rows if any(t is th for th, _ in r["themes"])), t.name) for t in themes)
    kept = {d.name for d in result.drivers}
    assert {name for _, name in counts[:2]}.isdisjoint(kept)  # the two least frequent left out


# -- filters, isolation, empty and too few -------------------------------------------------------------------
def test_filters_select_the_items_and_another_workspace_never_counts(cast):
    acme, other = cast.workspace, cast.other_workspace
    synthetic(acme)
    before = drivers.key_drivers(workspace=acme)
    # the other workspace: themes of the same names, opposite effects, many items, same day
    o_delivery, _, o_price = taxonomy(other)
    add_items(
        other,
        [{"nps": 10.0, "themes": [(o_delivery, "accepted")]} for _ in range(200)]
        + [{"nps": 0.0, "themes": [(o_price, "accepted")]} for _ in range(200)],
    )
    after = drivers.key_drivers(workspace=acme)
    assert (after.n, after.r2) == (before.n, before.r2)
    assert [(d.name, d.importance, d.n_with) for d in after.drivers] == [
        (d.name, d.importance, d.n_with) for d in before.drivers
    ]
    other_result = drivers.key_drivers(workspace=other)
    assert other_result.n == 400 and by_name(other_result)["Delivery"].direction == "up"
    # acme's theme id as a filter selects nothing in the other workspace
    acme_delivery = Theme.objects.get(workspace=acme, name="Delivery")
    assert drivers.key_drivers(workspace=other, filters=MetricFilter(theme_id=acme_delivery.pk)).n == 0
    # period and channel
    add_items(acme, [{"nps": 0.0} for _ in range(50)], at=DAY - timedelta(days=40), channel="email")
    assert drivers.key_drivers(workspace=acme).n == 450
    assert drivers.key_drivers(workspace=acme, filters=MetricFilter(since=DAY - timedelta(days=1))).n == 400
    assert drivers.key_drivers(workspace=acme, filters=MetricFilter(channel="email")).reason


def test_theme_filter_keeps_its_items_and_its_own_column_drops_out(cast):
    synthetic(cast.workspace)
    delivery = Theme.objects.get(workspace=cast.workspace, name="Delivery")
    result = drivers.key_drivers(workspace=cast.workspace, filters=MetricFilter(theme_id=delivery.pk))
    assert "Delivery" not in by_name(result)
    assert any(note.startswith("Delivery:") for note in result.left_out)


def test_empty_workspace_gives_a_reason_and_no_drivers(cast):
    result = drivers.key_drivers(workspace=cast.workspace, outcome="csat")
    assert (result.n, result.drivers, result.r2, result.too_few) == (0, [], None, True)
    assert result.reason == "No CSAT answers in this selection."


def test_same_score_everywhere_or_no_qualifying_driver_gives_a_reason(cast):
    ws = cast.workspace
    _, _, price = taxonomy(ws)
    add_items(ws, [{"nps": 9.0, "themes": [(price, "suggested")] if i % 2 else []} for i in range(60)])
    result = drivers.key_drivers(workspace=ws)
    assert result.drivers == [] and "the same" in result.reason
    add_items(ws, [{"nps": 1.0} for _ in range(60)])  # scores vary now; Price on 30 of 120 items
    assert drivers.key_drivers(workspace=ws).drivers
    ThemeMention.objects.filter(item__workspace=ws).order_by("pk").first().delete()  # 29 left
    result = drivers.key_drivers(workspace=ws)
    assert result.drivers == [] and "at least 30" in result.reason and result.n == 120


def test_below_one_hundred_answers_the_result_is_computed_and_flagged(cast):
    synthetic(cast.workspace, n=80)
    result = drivers.key_drivers(workspace=cast.workspace)
    assert result.n == 80 and result.too_few and result.r2 is not None and result.drivers


def test_the_analysis_takes_five_queries_whatever_the_data(cast, django_assert_num_queries):
    synthetic(cast.workspace, n=120)
    gold = Customer.objects.create(workspace=cast.workspace, plan="gold", lifetime_value=Decimal("5"))
    add_items(
        cast.workspace,
        [{"nps": 4.0, "customer": gold, "answers": {"e": ("ces", float(i % 7 + 1))}} for i in range(60)],
    )
    with django_assert_num_queries(5):  # outcome answers, customers, themes, mentions, other answers
        result = drivers.key_drivers(workspace=cast.workspace)
    assert result.k == 4  # Delivery, Price, the ces answer, Plan: gold vs not set


def test_only_the_first_outcome_answer_of_an_item_counts(cast):
    rows = [{"answers": {"a": ("nps", 10.0), "b": ("nps", 0.0)}} for _ in range(3)]
    add_items(cast.workspace, rows)
    result = drivers.key_drivers(workspace=cast.workspace)
    assert result.n == 3 and result.overall == 100.0


def test_unknown_outcome_or_sentiment_is_a_clear_error(cast):
    with pytest.raises(ServiceError, match="choose one of nps, csat"):
        drivers.key_drivers(workspace=cast.workspace, outcome="ces")
    with pytest.raises(ServiceError, match="sentiment"):
        drivers.key_drivers(workspace=cast.workspace, filters=MetricFilter(sentiment="angry"))
