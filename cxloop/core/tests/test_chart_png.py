"""Charts as PNG images (cxloop/core/chart_png.py): every kind draws, at its scale, with its colours."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from cxloop.core import charts
from cxloop.core.chart_png import chart_png, charts_png
from cxloop.core.tests.test_charts import every_chart


def image(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(data)).convert("RGB")


def colours(img: Image.Image) -> set[tuple[int, int, int]]:
    return {c for _, c in img.getcolors(maxcolors=1_000_000)}


@pytest.mark.parametrize("chart", every_chart(), ids=lambda c: c.svg.split('class="chart-svg"')[0][-40:])
def test_every_kind_of_chart_draws_at_twice_its_size(chart):
    import xml.etree.ElementTree as ET

    root = ET.fromstring(chart.svg)
    img = image(chart_png(chart))
    assert img.size == (2 * int(float(root.get("width"))), 2 * int(float(root.get("height"))))
    assert len(colours(img)) > 2  # more than a blank page


def test_bars_are_drawn_in_the_palettes_blue_and_bands_lighter():
    bar = charts.hbar_chart("NPS by region", [charts.HBar("London", 28), charts.HBar("Wales", 33)])
    assert (11, 92, 173) in colours(image(chart_png(bar)))  # PALETTE[0], #0b5cad
    points = [
        charts.Point(label=f"2026-{m:02d}", value=10.0 + m, low=5.0 + m, high=15.0 + m) for m in range(1, 7)
    ]
    line = image(chart_png(charts.line_chart("NPS by month", points)))
    found = colours(line)
    assert (11, 92, 173) in found
    # the 15%-opaque band over white: a light blue, never the solid one
    assert any(200 < r < 240 and 215 < g < 245 and b > 235 for r, g, b in found)


def test_small_multiples_are_stacked_with_a_gap():
    a = charts.hbar_chart("A", [charts.HBar("x", 1)])
    b = charts.hbar_chart("B", [charts.HBar("y", 2), charts.HBar("z", 3)])
    one, two = image(chart_png(a)), image(chart_png(b))
    both = image(charts_png([a, b], gap=10))
    assert both.size == (max(one.width, two.width), one.height + two.height + 20)
