"""A chart of cxloop/core/charts.py as a PNG image, drawn with Pillow (already installed for fpdf2).

It is not a general SVG renderer: it draws the elements charts.py writes (rect, line, polyline, polygon with
fill-opacity, circle, text with text-anchor, bold and the y-axis label's rotate(-90), and paths made of
M/H/V/L commands) at `scale` times the SVG's size, on a white background. Title, desc and tooltips are not
drawn. A PNG holds no script, so it can be downloaded and pasted anywhere; the chart's figures stay in the
page's data table and the CSV/XLSX downloads.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

from PIL import Image, ImageColor, ImageDraw, ImageFont

from .charts import Chart

NS = "{http://www.w3.org/2000/svg}"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_ROTATE = re.compile(r"rotate\(\s*(-?\d+(?:\.\d+)?)")


def _colour(value: str | None, opacity: float = 1.0) -> tuple[int, int, int, int] | None:
    if not value or value == "none":
        return None
    r, g, b = ImageColor.getrgb(value)[:3]
    return (r, g, b, round(255 * opacity))


def _font(size: float, bold: bool):
    try:
        return ImageFont.load_default(size=size)  # Pillow's bundled FreeType font (no bold face)
    except (TypeError, OSError):  # pragma: no cover - a Pillow without FreeType
        return ImageFont.load_default()


def _path_points(d: str) -> list[list[tuple[float, float]]]:
    """The polylines of a path of M, L, H and V commands (absolute), as charts.py writes them."""
    lines: list[list[tuple[float, float]]] = []
    x = y = 0.0
    for command, args in re.findall(r"([MLHV])([^MLHV]*)", d):
        nums = [float(n) for n in _NUMBER.findall(args)]
        if command == "M":
            x, y = nums[0], nums[1]
            lines.append([(x, y)])
            continue
        if command == "H":
            x = nums[-1]
        elif command == "V":
            y = nums[-1]
        else:
            x, y = nums[-2], nums[-1]
        if not lines:
            lines.append([(x, y)])
        lines[-1].append((x, y))
    return lines


def _points(value: str) -> list[tuple[float, float]]:
    nums = [float(n) for n in _NUMBER.findall(value or "")]
    return list(zip(nums[0::2], nums[1::2], strict=False))


_PLAIN = str.maketrans({"²": "2", "³": "3"})  # not in Pillow's bundled font


def charts_png(charts: list[Chart], *, scale: float = 2.0, gap: int = 16) -> bytes:
    """Several charts one above the other in one PNG (e.g. the Explorer's small multiples)."""
    images = [Image.open(io.BytesIO(chart_png(c, scale=scale))) for c in charts]
    width = max(i.width for i in images)
    space = round(gap * scale)
    sheet = Image.new("RGB", (width, sum(i.height for i in images) + space * (len(images) - 1)), "white")
    y = 0
    for i in images:
        sheet.paste(i, (0, y))
        y += i.height + space
    out = io.BytesIO()
    sheet.save(out, format="PNG", optimize=True)
    return out.getvalue()


def chart_png(chart: Chart, *, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes."""
    root = ET.fromstring(chart.svg)  # noqa: S314 - our own SVG (charts.py escapes every text), no entities
    width, height = float(root.get("width")), float(root.get("height"))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = Image.new("RGBA", size, (255, 255, 255, 255))
    draw = ImageDraw.Draw(image)
    default_fill = root.get("fill", "#000000")

    def s(v: float) -> float:
        return v * scale

    def blended(paint) -> None:  # a translucent fill (a confidence band): drawn on a layer, then composited
        layer = Image.new("RGBA", size, (0, 0, 0, 0))
        paint(ImageDraw.Draw(layer))
        image.alpha_composite(layer)

    def sp(points):
        return [(s(x), s(y)) for x, y in points]

    for el in root.iter():
        tag = el.tag.removeprefix(NS)
        stroke = _colour(el.get("stroke"))
        stroke_w = max(1, round(float(el.get("stroke-width", "1")) * scale))
        if tag == "rect":
            x, y = float(el.get("x", 0)), float(el.get("y", 0))
            w, h = float(el.get("width", 0)), float(el.get("height", 0))
            fill = _colour(el.get("fill", default_fill), float(el.get("fill-opacity", "1")))
            box = [s(x), s(y), s(x + w), s(y + h)]
            if fill and fill[3] < 255:
                blended(lambda d, box=box, fill=fill: d.rectangle(box, fill=fill))
            else:
                draw.rectangle(box, fill=fill, outline=stroke, width=stroke_w)
        elif tag == "line":
            pts = [(float(el.get("x1")), float(el.get("y1"))), (float(el.get("x2")), float(el.get("y2")))]
            draw.line(sp(pts), fill=stroke or _colour(default_fill), width=stroke_w)
        elif tag == "polyline":
            draw.line(sp(_points(el.get("points"))), fill=stroke, width=stroke_w, joint="curve")
        elif tag == "polygon":
            fill = _colour(el.get("fill", default_fill), float(el.get("fill-opacity", "1")))
            points = sp(_points(el.get("points")))
            if len(points) > 2:
                blended(lambda d, p=points, f=fill, o=stroke: d.polygon(p, fill=f, outline=o))
        elif tag == "circle":
            cx, cy, r = float(el.get("cx")), float(el.get("cy")), float(el.get("r"))
            draw.ellipse(
                [s(cx - r), s(cy - r), s(cx + r), s(cy + r)], fill=_colour(el.get("fill", default_fill))
            )
        elif tag == "path":
            for line in _path_points(el.get("d", "")):
                if len(line) > 1:
                    draw.line(sp(line), fill=stroke or _colour(default_fill), width=stroke_w)
        elif tag == "text":
            text = "".join(el.itertext()).strip().translate(_PLAIN)
            if not text:
                continue
            font = _font(
                float(el.get("font-size", root.get("font-size", "12"))) * scale,
                el.get("font-weight") == "bold",
            )
            anchor = {"start": "ls", "middle": "ms", "end": "rs"}[el.get("text-anchor", "start")]
            x, y = s(float(el.get("x", 0))), s(float(el.get("y", 0)))
            fill = _colour(el.get("fill", default_fill))
            rotation = _ROTATE.search(el.get("transform", ""))
            if rotation:  # draw on its own layer, turn it, and paste it centred on (x, y)
                box = draw.textbbox((0, 0), text, font=font)
                layer = Image.new("RGBA", (box[2] - box[0] + 4, box[3] - box[1] + 4), (0, 0, 0, 0))
                ImageDraw.Draw(layer).text((2 - box[0], 2 - box[1]), text, font=font, fill=fill)
                layer = layer.rotate(-float(rotation.group(1)), expand=True)
                image.alpha_composite(layer, (round(x - layer.width / 2), round(y - layer.height / 2)))
            else:
                draw.text((x, y), text, font=font, fill=fill, anchor=anchor)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()
