"""Figures as pages, emails and PDFs print them, one rule for every metric of the engine.

NPS, eNPS and the sentiment index as signed whole points (+23, −12, with a true minus sign); CSAT, theme share
and response rate as whole percentages; CES, ratings and a question's mean with two decimals; volume as a
count with thousands separators. A missing figure is an en dash.
"""

from __future__ import annotations

SIGNED = ("nps", "enps", "sentiment")  # −100…100 points
PERCENT = ("csat", "theme_share", "response_rate")  # 0…100 %
MEANS = ("ces", "rating", "mean")  # on the answers' scale
UNITS = {**dict.fromkeys(SIGNED + PERCENT, "points"), **dict.fromkeys(MEANS, ""), "volume": "items"}
NONE = "–"


def minus(text: str) -> str:
    """Hyphen-minus to the minus sign (−), as typeset figures have it."""
    return text.replace("-", "−")


def fmt(metric: str, value: float | None) -> str:
    if value is None:
        return NONE
    if metric in SIGNED:
        whole = round(value)
        return f"+{whole}" if whole > 0 else minus(str(whole))
    if metric in PERCENT:
        return f"{value:.0f}%"
    if metric in MEANS:
        return minus(f"{value:.2f}")
    return minus(f"{value:,.0f}")


def fmt_interval(metric: str, low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return NONE
    return f"{fmt(metric, low)} to {fmt(metric, high)}"


def fmt_diff(metric: str, value: float | None) -> str:
    """A change, always signed, with its unit: "−5.9 points", "+0.25", "+120 items"."""
    if value is None:
        return NONE
    decimals = 0 if metric == "volume" else 2 if metric in MEANS else 1
    return f"{minus(f'{value:+,.{decimals}f}')} {UNITS.get(metric, '')}".strip()


def fmt_p(p: float | None, *, spaced: bool = False) -> str:
    """A p-value: "p<0.001", "p=0.004", "p=0.51" (spaced: "p = 0.004", for sentences in emails)."""
    if p is None:
        return "p not computable"
    eq, lt = (" = ", " < ") if spaced else ("=", "<")
    if p < 0.001:
        return f"p{lt}0.001"
    return f"p{eq}{p:.3f}" if p < 0.01 else f"p{eq}{p:.2f}"
