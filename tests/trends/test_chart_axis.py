"""The trends chart's time axis: groups at their real places in time (a missing decade is
a gap, the line broken over it), "(no value)" set apart after an empty place, never joined
to the line. Before, 1590s -> 1610s was drawn as one step, like 1610s -> 1620s, and
"(no value)" was the next point of the line after the last decade."""

from __future__ import annotations

import re

from glamlab.trends.chart import axis, label_chart
from glamlab.trends.trend import TrendResult, TrendRow


def _result(by: str = "date:decade") -> TrendResult:
    groups = ["1590s", "1610s", "1620s", None]
    rows = [TrendRow(g, "maps", 40, 0.3, 0.2, 0.4, 0.3 + k / 100, 0.2, 0.4, "cpcc", "ok")
            for k, g in enumerate(groups)]
    return TrendResult(by=by, model="m@1", method="cpcc", labels=["maps"], rows=rows,
                       rates={}, settings={"corrected": True, "choice": {"reason": "given"}})


def _points(svg: str, series: str) -> list[tuple[float, str]]:
    group = svg.split(f'data-series="{series}"', 1)[1].split("</g>", 1)[0]
    return [(float(x), tip) for x, tip in
            re.findall(r'<circle[^>]*cx="([\d.]+)"[^>]*><title>([^<]*)</title>', group)]


def test_a_missing_decade_is_a_gap_and_no_value_stands_apart() -> None:
    result = _result()
    places = axis(result, result.groups())
    assert [p for p in places if isinstance(p, str) or p is None] == [
        "1590s", "1600s", "1610s", "1620s", None]
    svg = label_chart(result, "maps")
    pts = _points(svg, "corrected")
    xs = {tip.split(":")[0].split(", ", 1)[1]: x for x, tip in pts}
    assert set(xs) == {"1590s", "1610s", "1620s", "(no value)"}
    step = xs["1620s"] - xs["1610s"]
    assert abs((xs["1610s"] - xs["1590s"]) - 2 * step) < 0.2  # two steps: 1600s between
    assert xs["(no value)"] - xs["1620s"] > 1.5 * step  # set apart
    group = svg.split('data-series="corrected"', 1)[1].split("</g>", 1)[0]
    lines = re.findall(r'<polyline[^>]*points="([^"]*)"', group)
    # one line, 1610s to 1620s: not across the missing 1600s, not on to "(no value)"
    assert len(lines) == 1 and len(lines[0].split()) == 2, lines
    assert f"{xs['(no value)']:.1f}" not in lines[0]
    assert ">(no value)</text>" in svg


def test_a_field_without_dates_keeps_its_groups() -> None:
    result = _result(by="newspaper")
    result.rows = [TrendRow(g, "maps", 40, 0.3, 0.2, 0.4, 0.3, 0.2, 0.4, "cpcc", "ok")
                   for g in ("Times", "Herald", None)]
    places = axis(result, result.groups())
    assert places[:2] == ["Herald", "Times"] and places[-1] is None and len(places) == 4
