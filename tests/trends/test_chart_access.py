"""The charts tell their series apart without colour (WCAG 1.4.1) and say what they show
to those who cannot see them (1.1.1). Before, the trend chart's corrected and raw lines
differed by colour and the raw one's dashes; their legend was the names in colour, with no
sample of the line; each n-gram term, each backtest model, was one solid line of its own
colour; the band was a tint; the monitoring chart's alerts were red dots among blue ones;
no chart had a description, and the trends page none of its numbers beside its chart."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from glamlab.reports import plots
from glamlab.reports.monitoring import _svg_series
from glamlab.trends.chart import label_chart, terms_chart, trend_page
from glamlab.trends.trend import TermRow, TrendResult, TrendRow

#: the 3:1 contrast against white a line or point needs (WCAG 1.4.11)
MIN_CONTRAST = 3.0


def _contrast(color: str) -> float:
    h = color.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(int(h[i:i + 2], 16) / 255) for i in (0, 2, 4))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def _result(terms: bool = False) -> TrendResult:
    groups = ["1850s", "1860s", "1870s", None]
    rows = [TrendRow(g, "maps", 40, 0.3, 0.2, 0.4, 0.3 + k / 100, 0.2, 0.4, "cpcc",
                     "too few items" if k == 2 else "ok") for k, g in enumerate(groups)]
    r = TrendResult(by="date:decade", model="m@1", method="cpcc", labels=["maps"], rows=rows,
                    rates={}, settings={"corrected": True, "choice": {"reason": "given"}})
    if terms:
        r.terms = [TermRow(g, t, 1000, 3 + k, 3.0 + k + j, 1.0, 6.0 + k)
                   for j, t in enumerate(("railway", "steam engine", "canal"))
                   for k, g in enumerate(groups)]
    return r


class _Svg(HTMLParser):
    """The elements of an SVG, with their attributes and the group they are in."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str], str]] = []
        self.stack: list[str] = []
        self.text: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "g":
            self.stack.append(a.get("class", ""))
        self.tags.append((tag, a, " | ".join(self.stack)))
        if tag in ("title", "desc") and a.get("id"):
            self._in = a["id"]
            self.text[self._in] = ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "g":
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag == "g" and self.stack:
            self.stack.pop()
        if tag in ("title", "desc"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.text[self._in] += data


def _parse(svg: str) -> _Svg:
    p = _Svg()
    p.feed(svg)
    return p


def _series_looks(svg: str) -> dict[str, tuple[str, str]]:
    """Per series group: (the dash pattern of its line, the shape of its points)."""
    p = _parse(svg)
    out: dict[str, tuple[str, str]] = {}
    for tag, a, where in p.tags:
        if tag == "g" and a.get("data-series"):
            out.setdefault(a["class"], ("", ""))
        inner = where.split(" | ")[-1] if where else ""
        if not inner.startswith("series"):
            continue
        dash, shape = out.get(inner, ("", ""))
        if tag == "polyline" and "line" in a.get("class", "").split():
            dash = a.get("stroke-dasharray", "solid")
        if "point" in a.get("class", "").split() and "faint" not in a.get("class", ""):
            shape = tag + ("" if tag != "polygon" else str(len(a["points"].split())))
        out[inner] = (dash, shape)
    return out


def _accessible(svg: str) -> tuple[str, str]:
    """The name and description an SVG gives a screen reader, through its ids."""
    p = _parse(svg)
    root = p.tags[0][1]
    assert root.get("role") == "img"
    name = " ".join(p.text.get(i, "") for i in root.get("aria-labelledby", "").split())
    desc = " ".join(p.text.get(i, "") for i in root.get("aria-describedby", "").split())
    return name, desc


def test_the_trend_chart_tells_its_lines_apart_without_colour() -> None:
    svg = label_chart(_result(), "maps")
    looks = _series_looks(svg)
    assert set(looks) == {"series corrected", "series raw"}, looks
    corrected, raw = looks["series corrected"], looks["series raw"]
    assert corrected[0] != raw[0] and corrected[1] != raw[1], looks  # dash and shape
    assert all(corrected) and all(raw)
    # the legend draws each the same way: a sample line of its dash, a point of its shape
    p = _parse(svg)
    for key, (dash, _shape) in looks.items():
        k = key.split()[-1]
        sample = [a for tag, a, where in p.tags if tag == "line" and f"legend {k}" in where]
        assert sample and sample[0].get("stroke-dasharray", "solid") == dash, (k, sample)
    # ...and beside it, the series' name in dark ink
    assert re.search(r'<text[^>]*fill="#1a202c"[^>]*>raw \(classify and count\)</text>', svg)
    # the band is not a tint alone: its edges are drawn
    edges = [a for tag, a, where in p.tags if "band-edge" in a.get("class", "")
             and "series corrected" in where]
    assert len(edges) >= 2 and all(a["stroke"] != "none" for a in edges)


def test_each_term_is_its_own_dash_and_shape() -> None:
    svg = terms_chart(_result(terms=True))
    p = _parse(svg)
    lines = [a.get("stroke-dasharray", "solid") for tag, a, _w in p.tags
             if tag == "polyline" and a.get("class") == "line"]
    assert len(lines) == 3 and len(set(lines)) == 3, lines
    shapes = {(tag, len(a.get("points", "").split())) for tag, a, where in p.tags
              if a.get("class") == "point"}
    assert len(shapes) == 3, shapes


def test_every_line_and_axis_stands_out_from_white() -> None:
    for svg in (label_chart(_result(), "maps"), terms_chart(_result(terms=True)),
                plots.line_chart({"a": [(0, 1), (1, 2)], "b": [(0, 2), (1, 1)]})):
        strokes = set(re.findall(r'<(?:line|polyline|path)[^>]*stroke="(#[0-9a-fA-F]+)"', svg))
        strokes -= {"#edf2f7"}  # the grid: a guide, not information
        low = {c: round(_contrast(c), 2) for c in strokes if _contrast(c) < MIN_CONTRAST}
        assert strokes and not low, low


def test_every_chart_has_a_name_and_says_how_each_series_is_drawn() -> None:
    name, desc = _accessible(label_chart(_result(), "maps"))
    assert name == "share of items labelled 'maps'"
    assert "corrected share: solid line, round points" in desc
    assert "raw (classify and count): dashed line, square points" in desc
    assert "95% band" in desc and "table" in desc
    name, desc = _accessible(plots.line_chart({"rules": [(0, 1), (1, 2)],
                                                "majority": [(0, 2), (1, 1)]}, title="error"))
    assert name == "error" and "rules: solid line" in desc and "majority: dashed" in desc
    name, _ = _accessible(plots.bar_chart(["a", "b"], [1.0, 2.0], title="F1 per label"))
    assert name == "F1 per label"


def test_two_charts_on_one_page_have_their_own_ids() -> None:
    a, b = label_chart(_result(), "maps"), terms_chart(_result(terms=True))
    ids = re.findall(r'\sid="([^"]+)"', a) + re.findall(r'\sid="([^"]+)"', b)
    assert ids and len(ids) == len(set(ids)), ids


def test_the_trends_page_gives_each_chart_its_numbers() -> None:
    page = trend_page(_result(terms=True))
    tables = re.findall(r'<details class="plot-numbers"><summary>Show the numbers</summary>'
                        r"(<table>.*?</table>)</details>", page, re.S)
    assert len(tables) == 2, len(tables)  # the label's chart and the words' chart
    label, words = tables
    assert "<caption>share of items labelled &#x27;maps&#x27; by date:decade</caption>" in label
    assert re.search(r'<th scope="row">1860s</th><td class="num">31\.0%</td>'
                     r'<td class="num">20\.0% to 40\.0%</td><td class="num">30\.0%</td>', label)
    assert "too few items" in label and '<th scope="row">(no value)</th>' in label
    assert "&#x27;" not in words and "\u201crailway\u201d" in words
    assert '<th scope="col">\u201csteam engine\u201d: 95% interval</th>' in words


def test_the_monitoring_chart_marks_an_alert_by_shape_too() -> None:
    svg = _svg_series("label shift", [("w1", 0.1, 0.3, "ok"), ("w2", 0.5, 0.3, "alert")])
    p = _parse(svg)
    marks = {a.get("class"): tag for tag, a, _w in p.tags if a.get("class") in ("value", "alert")}
    assert marks.get("alert") and marks.get("value") and marks["alert"] != marks["value"], marks
    assert ">alert threshold</text>" in svg and ">alert</text>" in svg  # the legend
    name, desc = _accessible(svg)
    assert name == "label shift per window" and "1 with an alert" in desc


def test_the_y_axis_name_runs_along_the_axis_clear_of_the_tick_numbers() -> None:
    """Written across at the top, "share" ran into the top tick's "0.50"."""
    for svg in (label_chart(_result(), "maps"),
                plots.line_chart({"a": [(0, 1), (1, 2)]}, y_label="F1")):
        (label,) = re.findall(r'<text class="y-label"[^>]*>', svg)
        assert 'transform="rotate(-90 12 ' in label and 'x="12"' in label
        ticks = [float(x) for x in re.findall(r'<text x="([\d.]+)"[^>]*text-anchor="end"', svg)]
        # the ticks end at the axis and are at most five characters (6.5 px each) wide
        assert ticks and min(ticks) - 5 * 6.5 > 12 + 2


def test_small_words_in_colour_stand_out_as_text_must() -> None:
    """Small text needs 4.5:1 against white (WCAG 1.4.3): the bar chart's reference
    label ("flag above") was drawn in the line's red, 4.1:1."""
    svg = plots.bar_chart(["a", "b"], [0.1, 0.4], reference=0.3, reference_label="flag above")
    fills = re.findall(r'<text[^>]*fill="(#[0-9a-fA-F]{6})"[^>]*>flag above<', svg)
    assert fills and all(_contrast(c) >= 4.5 for c in fills), fills


def test_the_monitoring_chart_is_set_in_the_pages_font() -> None:
    svg = _svg_series("label shift", [("w1", 0.1, 0.3, "ok"), ("w2", 0.5, 0.3, "alert")])
    assert re.match(r'<svg [^>]*font-family="system-ui,sans-serif"', svg)
