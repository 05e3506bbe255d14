"""Small SVG charts drawn on the server: no JavaScript, nothing downloaded, allowed by the page's CSP.

Each chart is a `Chart`: its SVG (with <title> and <desc>, text labels, only presentation attributes such
as fill=, never style="") and the same numbers as a data table. In a template `{{ chart }}` renders both:
the SVG, then the table inside <details> for screen readers and anyone who wants the exact figures. The
output depends only on the input (same data, same bytes), and every text is escaped.

Kinds: bar_chart (a distribution), hbar_chart (labelled horizontal bars: choices, matrix rows, a funnel),
line_chart (a trend with a shaded confidence band), stacked_bar_chart (e.g. completed vs partial per week).
quadrant_chart: labelled points split into four named quadrants (the key-driver matrix).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from django.utils.safestring import mark_safe

FONT = "Helvetica, Arial, sans-serif"
INK = "#1b1f24"
MUTED = "#57606a"
GRID = "#d0d7de"
PALETTE = ("#0b5cad", "#9a6700", "#1a7f37", "#b42318", "#6e40c9", "#0f766e", "#57606a")
BAND = "#0b5cad"


def esc(value: object) -> str:
    """Text for SVG/HTML text and attribute values."""
    return escape(str(value), quote=True)


def num(value: float | None, decimals: int = 0) -> str:
    """A number as charts print it; a dash when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    return "0" if text in ("-0", "-0.0", "-0.00") else text


def _c(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros (deterministic and short)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass
class Chart:
    svg: str
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def table_html(self) -> str:
        head = "".join(f'<th scope="col">{esc(h)}</th>' for h in self.headers)
        body = "".join(
            "<tr>"
            + "".join(
                (f'<th scope="row">{esc(cell)}</th>' if i == 0 else f"<td>{esc(cell)}</td>")
                for i, cell in enumerate(row)
            )
            + "</tr>"
            for row in self.rows
        )
        return (
            f'<details class="chart-data"><summary>Data table: {esc(self.title)}</summary>'
            f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
            "</details>"
        )

    def __html__(self) -> str:
        return f'<figure class="chart">{self.svg}{self.table_html()}</figure>'

    def __str__(self) -> str:
        # templates print a chart as it is: every text inside was escaped when the chart was drawn
        return mark_safe(self.__html__())  # noqa: S308


def _ident(kind: str, title: str, extra: str) -> str:
    digest = hashlib.sha256(f"{kind}\n{title}\n{extra}".encode()).hexdigest()[:10]
    return f"chart-{digest}"


def _svg(kind: str, title: str, desc: str, width: int, height: int, body: list[str], key: str) -> str:
    ident = _ident(kind, title, key)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'font-family="{FONT}" font-size="12" fill="{INK}">'
        f'<title id="{ident}-t">{esc(title)}</title><desc id="{ident}-d">{esc(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _text(
    x: float, y: float, text: str, *, anchor: str = "start", size: int = 12, fill: str = INK, bold=False
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{_c(x)}" y="{_c(y)}" text-anchor="{anchor}" font-size="{size}" fill="{fill}"{weight}>'
        f"{esc(text)}</text>"
    )


def _clip(label: str, chars: int) -> str:
    label = " ".join(str(label).split())
    return label if len(label) <= chars else label[: chars - 1] + "…"


def _nice_max(value: float) -> float:
    """A round upper end for an axis (1, 2, 2.5, 5 × 10^k)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _nice_step(raw: float) -> float:
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if raw <= m * power + 1e-12)


def _ticks(lo: float, hi: float) -> list[float]:
    """Grid lines at round steps (1, 2, 2.5 or 5 × 10^k), at most seven, starting at `lo`."""
    span = hi - lo
    if span <= 0:
        return [lo]
    step = _nice_step(span / 6)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]
    if ticks[0] - lo > 1e-9:
        ticks.insert(0, lo)
    return ticks


def _tick_decimals(lo: float, hi: float) -> int:
    return 0 if all(abs(t - round(t)) < 1e-9 for t in _ticks(lo, hi)) else 1


# -- bar chart (vertical): a distribution --------------------------------------------------------------------
def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float]],
    *,
    desc: str = "",
    colors: Sequence[str] | None = None,
    value_label: str = "Answers",
    percent_of: float | None = None,
    width: int = 560,
    height: int = 220,
) -> Chart:
    """Vertical bars, one per category (e.g. each score 0–10), with the count above each bar.
    `percent_of` adds each bar's share of that total to the table."""
    left, right, top, bottom = 40, 28, 18, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    ymax = _nice_max(max([5, *(v for _, v in bars)]))
    body: list[str] = []
    for tick in _ticks(0, ymax):
        y = top + plot_h - plot_h * tick / ymax
        body.append(f'<line x1="{left}" y1="{_c(y)}" x2="{width - right}" y2="{_c(y)}" stroke="{GRID}"/>')
        body.append(
            _text(left - 6, y + 4, num(tick, _tick_decimals(0, ymax)), anchor="end", size=10, fill=MUTED)
        )
    slot = plot_w / max(len(bars), 1)
    bar_w = max(2.0, slot * 0.7)
    for i, (label, value) in enumerate(bars):
        h = plot_h * value / ymax
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h - h
        color = colors[i] if colors and i < len(colors) else PALETTE[0]
        body.append(
            f'<rect x="{_c(x)}" y="{_c(y)}" width="{_c(bar_w)}" height="{_c(h)}" fill="{color}">'
            f"<title>{esc(label)}: {esc(num(value))}</title></rect>"
        )
        body.append(_text(x + bar_w / 2, y - 4, num(value), anchor="middle", size=10))
        body.append(_text(x + bar_w / 2, top + plot_h + 16, _clip(label, 12), anchor="middle", size=11))
    body.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{MUTED}"/>'
    )
    desc = desc or f"{value_label} per category: " + ", ".join(f"{lbl} {num(v)}" for lbl, v in bars)
    headers = ["Category", value_label] + (["Share"] if percent_of else [])
    rows = [
        [str(lbl), num(v)] + ([f"{num(100 * v / percent_of, 1)}%"] if percent_of else []) for lbl, v in bars
    ]
    svg = _svg("bar", title, desc, width, height, body, repr(list(bars)))
    return Chart(svg=svg, title=title, headers=headers, rows=rows)


# -- horizontal bars: choices, matrix rows, the drop-off funnel ----------------------------------------------
@dataclass(frozen=True)
class HBar:
    label: str
    value: float
    text: str = ""  # printed after the bar (defaults to the value)
    back: float | None = None  # a lighter bar behind (the funnel: reached, with answered in front)
    low: float | None = None  # an interval drawn as a whisker (means)
    high: float | None = None
    extra: tuple[str, ...] = ()  # more table cells


def hbar_chart(
    title: str,
    bars: Sequence[HBar],
    *,
    desc: str = "",
    headers: Sequence[str] = ("Category", "Value"),
    scale: tuple[float, float] | None = None,
    width: int = 560,
    label_chars: int = 28,
) -> Chart:
    """Horizontal bars with their labels on the left; a bar may have a lighter bar behind it (funnel:
    reached behind answered) and a whisker for an interval."""
    row_h, top, bottom = 26, 8, 8
    label_w = min(220, 7 * label_chars)
    text_w = 70
    left, right = label_w + 8, text_w
    plot_w = width - left - right
    height = top + bottom + row_h * max(len(bars), 1)
    lo, hi = scale or (0.0, _nice_max(max((max(b.value, b.back or 0, b.high or 0) for b in bars), default=0)))
    span = (hi - lo) or 1.0

    def xpos(v: float) -> float:
        return left + plot_w * (min(max(v, lo), hi) - lo) / span

    body: list[str] = []
    for i, b in enumerate(bars):
        y = top + i * row_h
        body.append(_text(left - 8, y + row_h / 2 + 4, _clip(b.label, label_chars), anchor="end"))
        if b.back is not None:
            body.append(
                f'<rect x="{left}" y="{_c(y + 4)}" width="{_c(xpos(b.back) - left)}" height="{row_h - 8}" '
                f'fill="{PALETTE[0]}" fill-opacity="0.25"/>'
            )
        body.append(
            f'<rect x="{left}" y="{_c(y + 4)}" width="{_c(xpos(b.value) - left)}" height="{row_h - 8}" '
            f'fill="{PALETTE[0]}"><title>{esc(b.label)}: {esc(b.text or num(b.value))}</title></rect>'
        )
        if b.low is not None and b.high is not None:
            mid = y + row_h / 2
            body.append(
                f'<path d="M{_c(xpos(b.low))} {_c(mid)}H{_c(xpos(b.high))}M{_c(xpos(b.low))} {_c(mid - 5)}'
                f'V{_c(mid + 5)}M{_c(xpos(b.high))} {_c(mid - 5)}V{_c(mid + 5)}" stroke="{INK}" '
                'stroke-width="1.5" fill="none"/>'
            )
        end = max(xpos(b.value), xpos(b.back) if b.back is not None else 0, xpos(b.high) if b.high else 0)
        body.append(_text(end + 6, y + row_h / 2 + 4, b.text or num(b.value), size=11))
    desc = desc or "; ".join(f"{b.label}: {b.text or num(b.value)}" for b in bars)
    rows = [[b.label, b.text or num(b.value), *b.extra] for b in bars]
    svg = _svg("hbar", title, desc, width, height, body, repr(bars))
    return Chart(svg=svg, title=title, headers=list(headers), rows=rows)


# -- line chart with a confidence band -----------------------------------------------------------------------
@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    n: int | None = None


def line_chart(
    title: str,
    points: Sequence[Point],
    *,
    desc: str = "",
    y_range: tuple[float, float] | None = None,
    value_label: str = "Value",
    decimals: int = 0,
    width: int = 560,
    height: int = 220,
) -> Chart:
    """A line through the points' values with the band between their lows and highs shaded (the 95%
    interval). Points without a value leave a gap."""
    left, right, top, bottom = 44, 28, 14, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [p for p in points if p.value is not None]
    if y_range is None:
        vals = [v for p in known for v in (p.value, p.low, p.high) if v is not None] or [0.0, 1.0]
        lo, hi = min(vals), max(vals)
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        y_range = (math.floor(lo), math.ceil(hi))
    ylo, yhi = y_range
    span = (yhi - ylo) or 1.0
    slot = plot_w / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        v = min(max(v, ylo), yhi)
        return left + (i * slot if len(points) > 1 else plot_w / 2), top + plot_h - plot_h * (v - ylo) / span

    body: list[str] = []
    for tick in _ticks(ylo, yhi):
        _, y = xy(0, tick)
        body.append(f'<line x1="{left}" y1="{_c(y)}" x2="{width - right}" y2="{_c(y)}" stroke="{GRID}"/>')
        body.append(
            _text(left - 6, y + 4, num(tick, _tick_decimals(ylo, yhi)), anchor="end", size=10, fill=MUTED)
        )
    # the band and the line, one segment per run of consecutive points with values
    runs: list[list[int]] = []
    for i, p in enumerate(points):
        if p.value is None:
            runs.append([])
        elif runs and runs[-1] and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in (r for r in runs if r):
        banded = [i for i in run if points[i].low is not None and points[i].high is not None]
        if len(banded) == len(run) and len(run) > 1:
            upper = [xy(i, points[i].high) for i in run]
            lower = [xy(i, points[i].low) for i in reversed(run)]
            d = " ".join(f"{_c(x)},{_c(y)}" for x, y in upper + lower)
            body.append(f'<polygon points="{d}" fill="{BAND}" fill-opacity="0.15" stroke="none"/>')
        if len(run) > 1:
            d = " ".join(f"{_c(x)},{_c(y)}" for x, y in (xy(i, points[i].value) for i in run))
            body.append(f'<polyline points="{d}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    for i, p in enumerate(points):
        if p.value is None:
            continue
        x, y = xy(i, p.value)
        if p.low is not None and p.high is not None:
            _, y1 = xy(i, p.low)
            _, y2 = xy(i, p.high)
            body.append(
                f'<line x1="{_c(x)}" y1="{_c(y1)}" x2="{_c(x)}" y2="{_c(y2)}" '
                f'stroke="{BAND}" stroke-opacity="0.5"/>'
            )
        tip = f"{p.label}: {num(p.value, decimals)}" + (
            f" (95% CI {num(p.low, decimals)} to {num(p.high, decimals)})" if p.low is not None else ""
        )
        body.append(
            f'<circle cx="{_c(x)}" cy="{_c(y)}" r="3.5" fill="{PALETTE[0]}">'
            f"<title>{esc(tip)}</title></circle>"
        )
    every = max(1, math.ceil(len(points) / 8))
    for i, p in enumerate(points):
        if i % every == 0 or i == len(points) - 1:
            x, _ = xy(i, ylo)
            body.append(_text(x, top + plot_h + 16, _clip(p.label, 10), anchor="middle", size=10, fill=MUTED))
    body.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{MUTED}"/>'
    )
    if not desc:
        desc = f"{value_label} over time with its 95% confidence band: " + ", ".join(
            f"{p.label} {num(p.value, decimals)}" for p in points
        )
    rows = [
        [
            p.label,
            num(p.value, decimals),
            num(p.low, decimals) if p.low is not None else "–",
            num(p.high, decimals) if p.high is not None else "–",
            "" if p.n is None else str(p.n),
        ]
        for p in points
    ]
    svg = _svg("line", title, desc, width, height, body, repr(list(points)))
    return Chart(
        svg=svg, title=title, headers=["Period", value_label, "95% CI low", "95% CI high", "n"], rows=rows
    )


# -- stacked bars: parts of a whole per period ---------------------------------------------------------------
def stacked_bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    desc: str = "",
    colors: Sequence[str] | None = None,
    width: int = 560,
    height: int = 240,
) -> Chart:
    """One bar per category (e.g. a week), split into the series (e.g. completed, partial), with a legend."""
    left, right, top, bottom = 40, 28, 26, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    colors = list(colors or PALETTE)
    totals = [sum(s[1][i] for s in series) for i in range(len(categories))]
    ymax = _nice_max(max([5, *totals]))
    body: list[str] = []
    x = left
    for k, (name, _) in enumerate(series):  # legend
        body.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colors[k % len(colors)]}"/>')
        body.append(_text(x + 14, 13, name, size=11))
        x += 24 + 7 * len(name)
    for tick in _ticks(0, ymax):
        y = top + plot_h - plot_h * tick / ymax
        body.append(f'<line x1="{left}" y1="{_c(y)}" x2="{width - right}" y2="{_c(y)}" stroke="{GRID}"/>')
        body.append(
            _text(left - 6, y + 4, num(tick, _tick_decimals(0, ymax)), anchor="end", size=10, fill=MUTED)
        )
    slot = plot_w / max(len(categories), 1)
    bar_w = max(1.0, slot * 0.75)
    for i, cat in enumerate(categories):
        base = top + plot_h
        bx = left + i * slot + (slot - bar_w) / 2
        for k, (name, values) in enumerate(series):
            h = plot_h * values[i] / ymax
            if h <= 0:
                continue
            base -= h
            body.append(
                f'<rect x="{_c(bx)}" y="{_c(base)}" width="{_c(bar_w)}" height="{_c(h)}" '
                f'fill="{colors[k % len(colors)]}">'
                f"<title>{esc(cat)}: {esc(name)} {esc(num(values[i]))}</title></rect>"
            )
    every = max(1, math.ceil(len(categories) / 10))
    for i, cat in enumerate(categories):
        if i % every == 0:
            body.append(
                _text(
                    left + i * slot + slot / 2,
                    top + plot_h + 16,
                    _clip(cat, 10),
                    anchor="middle",
                    size=10,
                    fill=MUTED,
                )
            )
    body.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{MUTED}"/>'
    )
    if not desc:
        desc = f"{' and '.join(s[0] for s in series)} per period; " + ", ".join(
            f"{cat}: " + ", ".join(f"{name} {num(vals[i])}" for name, vals in series)
            for i, cat in enumerate(categories)
        )
    rows = [[cat, *(num(vals[i]) for _, vals in series), num(totals[i])] for i, cat in enumerate(categories)]
    svg = _svg(
        "stacked",
        title,
        desc,
        width,
        height,
        body,
        repr((list(categories), [(n, list(v)) for n, v in series])),
    )
    return Chart(svg=svg, title=title, headers=["Period", *(s[0] for s in series), "Total"], rows=rows)


# -- quadrant chart: a scatter of labelled points split into four quadrants (the key-driver matrix) ---------
@dataclass(frozen=True)
class ScatterPoint:
    label: str
    x: float
    y: float | None
    low: float | None = None  # an interval of y, drawn as a whisker
    high: float | None = None
    extra: tuple[str, ...] = ()  # more table cells


def _padded_range(values: Sequence[float]) -> tuple[float, float]:
    """A round range around the values (a small margin, ends on the grid's steps)."""
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.05
    step = _nice_step((hi - lo + 2 * pad) / 6)
    return math.floor((lo - pad) / step) * step, math.ceil((hi + pad) / step) * step


def quadrant_chart(
    title: str,
    points: Sequence[ScatterPoint],
    *,
    x_split: float,
    y_split: float,
    x_label: str = "x",
    y_label: str = "y",
    corners: tuple[str, str, str, str] = ("", "", "", ""),
    desc: str = "",
    headers: Sequence[str] | None = None,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    decimals: int = 1,
    width: int = 640,
    height: int = 400,
) -> Chart:
    """Labelled points on two axes, split by a dashed line at `x_split` and one at `y_split` into four
    quadrants named by `corners` (top left, top right, bottom left, bottom right). A point's y interval, if
    it has one, is a whisker. Labels are placed beside their points and moved down when they would overlap
    one placed before (in the order given). Points without a y are listed in the table only."""
    left, right, top, bottom = 52, 16, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    shown = [p for p in points if p.y is not None]
    if x_range is None:
        x_range = (0.0, _nice_max(max([x_split, *(p.x for p in shown)], default=1.0) * 1.05))
    if y_range is None:
        ys = [v for p in shown for v in (p.y, p.low, p.high) if v is not None]
        y_range = _padded_range([*ys, y_split])
    xlo, xhi = x_range
    ylo, yhi = y_range
    xspan, yspan = (xhi - xlo) or 1.0, (yhi - ylo) or 1.0

    def px(v: float) -> float:
        return left + plot_w * (min(max(v, xlo), xhi) - xlo) / xspan

    def py(v: float) -> float:
        return top + plot_h - plot_h * (min(max(v, ylo), yhi) - ylo) / yspan

    body: list[str] = []
    for tick in _ticks(ylo, yhi):
        y = py(tick)
        body.append(f'<line x1="{left}" y1="{_c(y)}" x2="{width - right}" y2="{_c(y)}" stroke="{GRID}"/>')
        body.append(
            _text(left - 6, y + 4, num(tick, _tick_decimals(ylo, yhi)), anchor="end", size=10, fill=MUTED)
        )
    for tick in _ticks(xlo, xhi):
        x = px(tick)
        body.append(f'<line x1="{_c(x)}" y1="{top}" x2="{_c(x)}" y2="{top + plot_h}" stroke="{GRID}"/>')
        body.append(
            _text(
                x,
                top + plot_h + 14,
                num(tick, _tick_decimals(xlo, xhi)),
                anchor="middle",
                size=10,
                fill=MUTED,
            )
        )
    body.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="{MUTED}"/>'
    )
    sx, sy = px(x_split), py(y_split)
    body.append(
        f'<path d="M{_c(sx)} {top}V{top + plot_h}M{left} {_c(sy)}H{width - right}" stroke="{MUTED}" '
        'stroke-width="1.5" stroke-dasharray="5 4" fill="none"/>'
    )
    tl, tr, bl, br = corners
    for text, x, y, anchor in (
        (tl, left + 6, top + 14, "start"),
        (tr, width - right - 6, top + 14, "end"),
        (bl, left + 6, top + plot_h - 6, "start"),
        (br, width - right - 6, top + plot_h - 6, "end"),
    ):
        if text:
            body.append(_text(x, y, text, anchor=anchor, size=11, fill=MUTED, bold=True))
    body.append(_text(left + plot_w / 2, height - 6, x_label, anchor="middle", size=11))
    body.append(
        f'<text x="14" y="{_c(top + plot_h / 2)}" text-anchor="middle" font-size="11" fill="{INK}" '
        f'transform="rotate(-90 14 {_c(top + plot_h / 2)})">{esc(y_label)}</text>'
    )
    placed: list[tuple[float, float, float, float]] = []  # label boxes: x0, y0, x1, y1
    for i, p in enumerate(shown):
        x, y = px(p.x), py(p.y)
        color = PALETTE[i % len(PALETTE)]
        if p.low is not None and p.high is not None:
            body.append(
                f'<line x1="{_c(x)}" y1="{_c(py(p.low))}" x2="{_c(x)}" y2="{_c(py(p.high))}" '
                f'stroke="{color}" stroke-opacity="0.45" stroke-width="2"/>'
            )
        tip = f"{p.label}: {x_label} {num(p.x, decimals)}, {y_label} {num(p.y, decimals)}" + (
            f" (95% CI {num(p.low, decimals)} to {num(p.high, decimals)})" if p.low is not None else ""
        )
        body.append(
            f'<circle cx="{_c(x)}" cy="{_c(y)}" r="5" fill="{color}"><title>{esc(tip)}</title></circle>'
        )
        label = _clip(p.label, 22)
        w = 6.2 * len(label)
        at_right = x + 8 + w <= width - right
        x0 = x + 8 if at_right else x - 8 - w
        ly = y + 4
        for _ in range(12):  # move down (then up) past the labels already placed
            box = (x0, ly - 10, x0 + w, ly + 2)
            if not any(b[0] < box[2] and box[0] < b[2] and b[1] < box[3] and box[1] < b[3] for b in placed):
                break
            ly += 12
            if ly > top + plot_h:
                ly = y - 10
        placed.append((x0, ly - 10, x0 + w, ly + 2))
        body.append(
            _text(x + 8 if at_right else x - 8, ly, label, anchor="start" if at_right else "end", size=11)
        )
    if not desc:
        desc = (
            f"{y_label} against {x_label}, split at {num(x_split, decimals)} and {num(y_split, decimals)}: "
            + "; ".join(f"{p.label} ({num(p.x, decimals)}, {num(p.y, decimals)})" for p in points)
        )
    rows = [
        [
            p.label,
            num(p.x, decimals),
            num(p.y, decimals),
            f"{num(p.low, decimals)} to {num(p.high, decimals)}" if p.low is not None else "–",
            *p.extra,
        ]
        for p in points
    ]
    svg = _svg(
        "quadrant",
        title,
        desc,
        width,
        height,
        body,
        repr((list(points), x_split, y_split, x_label, y_label, corners)),
    )
    headers = list(headers) if headers else ["Point", x_label, y_label, "95% CI"]
    return Chart(svg=svg, title=title, headers=headers, rows=rows)
