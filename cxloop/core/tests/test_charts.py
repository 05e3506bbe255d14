"""cxloop.core.charts: valid SVG, escaped text, accessible names, data tables, no style attributes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from cxloop.core import charts

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<script>alert("x")</script> & "Co" \'s'


def parse(chart: charts.Chart) -> ET.Element:
    root = ET.fromstring(chart.svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def every_chart(label: str = "Label") -> list[charts.Chart]:
    return [
        charts.bar_chart(f"Bars {label}", [(label, 3), ("b", 5)]),
        charts.hbar_chart(
            f"HBars {label}", [charts.HBar(label, 2, back=4, low=1, high=3), charts.HBar("b", 1)]
        ),
        charts.line_chart(
            f"Line {label}",
            [
                charts.Point(label, 10, -5, 25, 12),
                charts.Point("2026-02", None),
                charts.Point("2026-03", 30, 20, 40),
            ],
            y_range=(-100, 100),
        ),
        charts.stacked_bar_chart(
            f"Stack {label}", [label, "w2"], [("Completed", [3, 4]), ("Partial", [1, 0])]
        ),
        charts.quadrant_chart(
            f"Quadrants {label}",
            [charts.ScatterPoint(label, 40, -10, -20, 0), charts.ScatterPoint("b", 10, 30)],
            x_split=25,
            y_split=10,
            corners=("Maintain", "Keep", "Low priority", "Fix now"),
        ),
    ]


def test_every_chart_is_well_formed_svg_with_title_desc_and_labelledby():
    for chart in every_chart():
        root = parse(chart)
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None and title.text == chart.title
        assert desc is not None and desc.text
        assert root.get("role") == "img"
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_labels_and_titles_are_escaped():
    for chart in every_chart(NASTY):
        root = parse(chart)
        texts = [t.text for t in root.iter(f"{SVG}text")] + [root.find(f"{SVG}title").text]
        assert any(NASTY[:8] in (t or "") for t in texts), texts  # shown as text (maybe shortened)
        assert "<script>" not in chart.svg and "<script>" not in chart.table_html()
        assert "&lt;script&gt;" in chart.svg


def test_no_style_attributes_or_scripts_anywhere():
    for chart in every_chart(NASTY):
        html = str(chart)
        assert "style=" not in html
        root = parse(chart)
        assert not [el for el in root.iter() if el.tag.endswith("script") or el.get("style") is not None]


def test_output_is_deterministic():
    assert [str(c) for c in every_chart()] == [str(c) for c in every_chart()]
    assert str(every_chart("one")[0]) != str(every_chart("two")[0])


class _Table(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells: list[str] = []
        self.tags: list[str] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in = tag in ("td", "th")

    def handle_endtag(self, tag):
        self._in = False

    def handle_data(self, data):
        if self._in:
            self.cells.append(data)


def test_each_chart_comes_with_its_data_as_a_table_in_details():
    bars = charts.bar_chart("Scores", [("0", 2), ("1", 0), ("2", 7)], percent_of=9)
    table = _Table()
    table.feed(str(bars))
    assert "details" in table.tags and "summary" in table.tags and "table" in table.tags
    assert table.cells[:3] == ["Category", "Answers", "Share"]
    assert table.cells[3:] == ["0", "2", "22.2%", "1", "0", "0.0%", "2", "7", "77.8%"]


def test_line_chart_draws_a_band_and_leaves_a_gap_for_missing_points():
    points = [charts.Point(f"m{i}", v, v - 10, v + 10) for i, v in enumerate([0, 10, 20])]
    points += [charts.Point("m3", None), charts.Point("m4", 5, -5, 15), charts.Point("m5", 8, -2, 18)]
    root = parse(charts.line_chart("Trend", points, y_range=(-100, 100)))
    assert len(root.findall(f"{SVG}polygon")) == 2  # a band for each run of points with values
    assert len(root.findall(f"{SVG}polyline")) == 2  # the line breaks at the missing month
    assert len(root.findall(f"{SVG}circle")) == 5
    table = _Table()
    table.feed(charts.line_chart("Trend", points, y_range=(-100, 100)).table_html())
    assert table.cells[5:9] == ["m0", "0", "-10", "10"]


def test_bar_heights_follow_the_values():
    root = parse(charts.bar_chart("Counts", [("a", 10), ("b", 5), ("c", 0)]))
    heights = [float(r.get("height")) for r in root.iter(f"{SVG}rect")]
    assert heights[0] == 2 * heights[1] and heights[2] == 0


def test_funnel_bars_show_reached_behind_answered():
    chart = charts.hbar_chart("Funnel", [charts.HBar("q1", 6, back=10, text="6 of 10")], scale=(0, 10))
    rects = list(parse(chart).iter(f"{SVG}rect"))
    assert float(rects[0].get("width")) > float(rects[1].get("width"))  # reached (light) is longer
    assert rects[0].get("fill-opacity") == "0.25"
    assert "6 of 10" in chart.svg


def test_empty_charts_still_render():
    for chart in (
        charts.bar_chart("Nothing", []),
        charts.hbar_chart("Nothing", []),
        charts.line_chart("Nothing", []),
        charts.stacked_bar_chart("Nothing", [], []),
        charts.quadrant_chart("Nothing", [], x_split=0, y_split=0),
    ):
        parse(chart)


def test_quadrant_chart_places_points_by_value_with_split_lines_corner_labels_and_a_table():
    points = [
        charts.ScatterPoint("Delivery", 60, -20, -30, -10, extra=("120",)),
        charts.ScatterPoint("Price", 10, 40, extra=("80",)),
        charts.ScatterPoint("Support", 60.5, -19.5, extra=("50",)),  # right beside Delivery
        charts.ScatterPoint("No figure", 5, None, extra=("3",)),
    ]
    chart = charts.quadrant_chart(
        "Driver matrix",
        points,
        x_split=30,
        y_split=0,
        x_label="Importance (%)",
        y_label="NPS",
        corners=("Maintain", "Keep", "Low priority", "Fix now"),
        headers=["Driver", "Importance (%)", "NPS", "95% CI", "Items"],
    )
    root = parse(chart)
    circles = {c.find(f"{SVG}title").text.split(":")[0]: c for c in root.iter(f"{SVG}circle")}
    assert set(circles) == {"Delivery", "Price", "Support"}  # a point without a y is only in the table
    cx = {k: float(c.get("cx")) for k, c in circles.items()}
    cy = {k: float(c.get("cy")) for k, c in circles.items()}
    assert cx["Delivery"] > cx["Price"] and cy["Delivery"] > cy["Price"]  # higher y is higher up
    texts = {t.text: t for t in root.iter(f"{SVG}text")}
    for corner in ("Maintain", "Keep", "Low priority", "Fix now"):
        assert corner in texts
    assert abs(float(texts["Delivery"].get("y")) - float(texts["Support"].get("y"))) >= 12  # not on top
    dashed = [el for el in root.iter(f"{SVG}path") if el.get("stroke-dasharray")]
    assert len(dashed) == 1
    whiskers = [el for el in root.iter(f"{SVG}line") if el.get("stroke-opacity") == "0.45"]
    assert len(whiskers) == 1  # Delivery's interval
    table = _Table()
    table.feed(chart.table_html())
    assert table.cells[:5] == ["Driver", "Importance (%)", "NPS", "95% CI", "Items"]
    assert table.cells[5:10] == ["Delivery", "60.0", "-20.0", "-30.0 to -10.0", "120"]
    assert table.cells[-5:] == ["No figure", "5.0", "–", "–", "3"]
