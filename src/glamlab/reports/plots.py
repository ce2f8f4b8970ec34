"""Plots as inline SVG strings: no JavaScript, no fonts, no network.

Each function returns a self-contained ``<svg>`` element that any report (evaluate,
act, monitor) can drop into a page built with :func:`glamlab.reports.render_page`.
Text is escaped; every plot carries a ``<title>`` for screen readers and a
``data-plot`` attribute naming its kind (tests look for it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..evaluation.backtest import BacktestReport
    from ..monitoring.tabular import WindowDrift

PALETTE = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b", "#975a16",
           "#4a5568")
# presentation attributes, not a ``style`` attribute: the web app's Content-Security-Policy
# (``style-src 'self'``) blocks inline styles, and the text inherits these from <svg>
FONT = 'font-family="system-ui,sans-serif" font-size="11"'


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _short(label: object, limit: int = 34) -> str:
    s = str(label)
    return s if len(s) <= limit else s[: limit - 1] + "\u2026"


def _open(kind: str, width: int, height: int, title: str) -> list[str]:
    return [f'<svg class="plot" data-plot="{kind}" '
            f'role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'{FONT}>', f"<title>{escape(title)}</title>"]


def bar_chart(labels: Sequence[str], values: Sequence[float], *, low: Sequence[float] | None = None,
              high: Sequence[float] | None = None, title: str = "", max_value: float | None = None,
              width: int = 560, bar_height: int = 18, color: str = PALETTE[0],
              reference: float | None = None, reference_label: str = "") -> str:
    """Horizontal bars with optional interval whiskers (``low``/``high``) and a
    vertical reference line (e.g. the overall score)."""
    n = len(labels)
    left = 12 + 6 * max((len(_short(x)) for x in labels), default=4)
    right = 60
    top = 24 if title else 8
    height = top + n * (bar_height + 6) + 24
    vmax = max_value if max_value is not None else max(
        [*(v for v in values if v == v), *(h for h in (high or []) if h == h), 1e-9])
    scale = (width - left - right) / vmax if vmax > 0 else 0.0
    out = _open("bar", width, height, title or "bar chart")
    if title:
        out.append(f'<text x="4" y="14" font-weight="bold">{escape(title)}</text>')
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        y = top + i * (bar_height + 6)
        w = max(0.0, (v if v == v else 0.0) * scale)
        out.append(f'<text x="{left - 6}" y="{y + bar_height * 0.72:.1f}" text-anchor="end">'
                   f"{escape(_short(lab))}</text>")
        out.append(f'<rect class="bar" x="{left}" y="{y}" width="{w:.1f}" height="{bar_height}" '
                   f'fill="{color}" fill-opacity="0.8"><title>{escape(str(lab))}: {_fmt(v)}'
                   "</title></rect>")
        label_x = left + w + 4
        if low is not None and high is not None:
            lo, hi = low[i], high[i]
            if lo == lo and hi == hi:
                x1, x2 = left + lo * scale, left + hi * scale
                cy = y + bar_height / 2
                out.append(f'<g class="whisker" stroke="#1a202c" stroke-width="1.2">'
                           f'<line x1="{x1:.1f}" y1="{cy:.1f}" x2="{x2:.1f}" y2="{cy:.1f}"/>'
                           f'<line x1="{x1:.1f}" y1="{cy - 4:.1f}" x2="{x1:.1f}" y2="{cy + 4:.1f}"/>'
                           f'<line x1="{x2:.1f}" y1="{cy - 4:.1f}" x2="{x2:.1f}" y2="{cy + 4:.1f}"/>'
                           "</g>")
                label_x = max(label_x, x2 + 4)
        out.append(f'<text x="{label_x:.1f}" y="{y + bar_height * 0.72:.1f}">{_fmt(v)}</text>')
    if reference is not None and scale:
        x = left + reference * scale
        out.append(f'<line class="reference" x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" '
                   f'y2="{height - 18}" stroke="#e53e3e" stroke-dasharray="4 3"/>')
        if reference_label:
            out.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" fill="#e53e3e">'
                       f"{escape(reference_label)}</text>")
    out.append("</svg>")
    return "".join(out)


def heatmap(matrix: Sequence[Sequence[float]], row_labels: Sequence[str],
            col_labels: Sequence[str], *, title: str = "", row_title: str = "",
            col_title: str = "", cell: int = 34) -> str:
    """A matrix of counts (e.g. a confusion matrix: rows truth, columns prediction)."""
    n_r, n_c = len(row_labels), len(col_labels)
    cell = max(16, min(cell, 560 // max(1, n_c)))
    left = 16 + 6 * max((len(_short(x, 24)) for x in row_labels), default=4)
    top = (22 if title else 4) + 12 + 5 * max((len(_short(x, 24)) for x in col_labels),
                                               default=4)
    width = max(left + n_c * cell + 20, 7 * len(title) + 10,
                7 * (len(row_title) + len(col_title)) + 120)
    height = top + n_r * cell + (40 if row_title or col_title else 10)
    vmax = max((float(v) for row in matrix for v in row), default=0.0) or 1.0
    out = _open("heatmap", width, height, title or "matrix")
    if title:
        out.append(f'<text x="4" y="14" font-weight="bold">{escape(title)}</text>')
    for j, lab in enumerate(col_labels):
        x = left + j * cell + cell / 2
        out.append(f'<text transform="translate({x:.1f},{top - 6}) rotate(-60)">'
                   f"{escape(_short(lab, 24))}</text>")
    for i, lab in enumerate(row_labels):
        y = top + i * cell
        out.append(f'<text x="{left - 6}" y="{y + cell * 0.62:.1f}" text-anchor="end">'
                   f"{escape(_short(lab, 24))}</text>")
        for j in range(n_c):
            v = float(matrix[i][j])
            shade = v / vmax
            fill = f"rgba(43,108,176,{0.08 + 0.85 * shade:.3f})" if v else "#f7fafc"
            ink = "#fff" if shade > 0.55 else "#1a202c"
            x = left + j * cell
            out.append(f'<rect class="cell" x="{x}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                       f'fill="{fill}"><title>{escape(str(lab))} / {escape(str(col_labels[j]))}: '
                       f"{_fmt(v)}</title></rect>")
            if cell >= 22 and v:
                out.append(f'<text x="{x + cell / 2:.1f}" y="{y + cell * 0.62:.1f}" '
                           f'text-anchor="middle" fill="{ink}">{int(v) if v == int(v) else _fmt(v)}'
                           "</text>")
    if row_title or col_title:
        words = " / ".join(x for x in (f"rows: {row_title}" if row_title else "",
                                       f"columns: {col_title}" if col_title else "") if x)
        out.append(f'<text x="4" y="{height - 10}">{escape(words)}</text>')
    out.append("</svg>")
    return "".join(out)


def line_chart(series: dict[str, Sequence[tuple[float, float]]], *, title: str = "",
               width: int = 560, height: int = 220, y_label: str = "",
               x_labels: Sequence[str] | None = None) -> str:
    """One line per named series of (x, y) points; ``x_labels`` names the x ticks."""
    pts = [p for s in series.values() for p in s]
    out = _open("line", width, height, title or "line chart")
    if not pts:
        out.append('<text x="10" y="20">no data</text></svg>')
        return "".join(out)
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(0.0, min(ys)), max(ys)
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1
    left, right, top, bottom = 48, 120, 24 if title else 8, 28
    sx = (width - left - right) / (x1 - x0)
    sy = (height - top - bottom) / (y1 - y0)
    if title:
        out.append(f'<text x="4" y="14" font-weight="bold">{escape(title)}</text>')
    base = height - bottom
    out.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#a0aec0"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#a0aec0"/>')
    for v in (y0, (y0 + y1) / 2, y1):
        y = base - (v - y0) * sy
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    if x_labels:
        step = max(1, len(x_labels) // 8)
        for i in range(0, len(x_labels), step):
            x = left + (i - x0) * sx
            out.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">'
                       f"{escape(str(x_labels[i]))}</text>")
    if y_label:
        out.append(f'<text x="4" y="{top + 10}">{escape(y_label)}</text>')
    for k, (name, s) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        path = " ".join(f"{left + (x - x0) * sx:.1f},{base - (y - y0) * sy:.1f}" for x, y in s)
        out.append(f'<polyline class="series" fill="none" stroke="{color}" stroke-width="2" '
                   f'points="{path}"><title>{escape(name)}</title></polyline>')
        out.append(f'<text x="{width - right + 6}" y="{top + 12 + 14 * k}" fill="{color}">'
                   f"{escape(name)}</text>")
    out.append("</svg>")
    return "".join(out)


def histogram(values: Sequence[float], *, bins: int = 20, title: str = "", width: int = 560,
              height: int = 180, color: str = PALETTE[0], range_: tuple[float, float] | None = None
              ) -> str:
    """A histogram of values (e.g. prediction scores)."""
    import numpy as np

    v = np.asarray([x for x in values if x == x], dtype=float)
    out = _open("histogram", width, height, title or "histogram")
    if not len(v):
        out.append('<text x="10" y="20">no data</text></svg>')
        return "".join(out)
    counts, edges = np.histogram(v, bins=bins, range=range_)
    left, top, bottom = 40, 24 if title else 8, 24
    bw = (width - left - 10) / len(counts)
    cmax = counts.max() or 1
    if title:
        out.append(f'<text x="4" y="14" font-weight="bold">{escape(title)}</text>')
    for i, c in enumerate(counts):
        h = (height - top - bottom) * c / cmax
        x = left + i * bw
        out.append(f'<rect class="bar" x="{x:.1f}" y="{height - bottom - h:.1f}" '
                   f'width="{max(1.0, bw - 1):.1f}" height="{h:.1f}" fill="{color}">'
                   f"<title>{_fmt(edges[i])}-{_fmt(edges[i + 1])}: {int(c)}</title></rect>")
    out.append(f'<text x="{left}" y="{height - 6}">{_fmt(edges[0])}</text>')
    out.append(f'<text x="{width - 10}" y="{height - 6}" text-anchor="end">{_fmt(edges[-1])}</text>')
    out.append(f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{int(cmax)}</text>')
    out.append("</svg>")
    return "".join(out)


def band_chart(x_labels: Sequence[str], series: Sequence[dict], *, title: str = "",
               width: int = 720, height: int = 260, y_label: str = "",
               y_max: float | None = None) -> str:
    """Lines over categories (years, decades, titles) with interval bands.

    Each series is a dict: ``name``, ``values`` (one per x label; None leaves a gap),
    optional ``low``/``high`` (the band), ``dashed``, ``flags`` (one per x: a note such as
    "too few items"; flagged points are drawn hollow and say why on hover), ``faint`` (one
    bool per x: a point too weak to be part of the line, e.g. a group of one item: drawn
    grey and hollow, outside the line and the band, its note on hover) and ``key`` (a
    class name, so a page script can show or hide the series). Every point carries a
    ``<title>`` with its value and interval."""
    n = len(x_labels)
    out = _open("band", width, height, title or "trend chart")
    # the scale holds every point, and the bands of those not faint (a one-item group's
    # interval would flatten the rest)
    vals = [v for s in series for k in ("values", "low", "high")
            for i, v in enumerate(s.get(k) or [])
            if v is not None and v == v and (k == "values" or not (s.get("faint") or
                                                                  [False] * (i + 1))[i])]
    if not n or not vals:
        out.append('<text x="10" y="20">no data</text></svg>')
        return "".join(out)
    y1 = y_max if y_max is not None else max(vals)
    y1 = y1 if y1 > 0 else 1.0
    left, right, top, bottom = 52, 150, 24 if title else 8, 34
    step = (width - left - right) / max(n - 1, 1)
    sy = (height - top - bottom) / y1
    base = height - bottom

    def X(i: int) -> float:  # noqa: N802 - a coordinate
        return left + (i * step if n > 1 else (width - left - right) / 2)

    def Y(v: float) -> float:  # noqa: N802
        return base - v * sy

    if title:
        out.append(f'<text x="4" y="14" font-weight="bold">{escape(title)}</text>')
    out.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#a0aec0"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#a0aec0"/>')
    for v in (0.0, y1 / 2, y1):
        out.append(f'<text x="{left - 4}" y="{Y(v) + 4:.1f}" text-anchor="end">{_fmt(v)}</text>'
                   f'<line x1="{left}" y1="{Y(v):.1f}" x2="{width - right}" y2="{Y(v):.1f}" '
                   'stroke="#edf2f7"/>')
    every = max(1, n // 10)
    ticks = list(range(0, n, every))
    if ticks[-1] != n - 1:  # the last place is named too (e.g. "(no value)", set apart)
        if n - 1 - ticks[-1] < max(2, every // 2 + 1):
            ticks.pop()
        ticks.append(n - 1)
    for i in ticks:
        out.append(f'<text x="{X(i):.1f}" y="{height - 14}" text-anchor="middle">'
                   f"{escape(_short(x_labels[i], 12))}</text>")
    if y_label:
        out.append(f'<text x="4" y="{top + 10}" fill="#4a5568">{escape(y_label)}</text>')
    for k, s in enumerate(series):
        color = s.get("color") or PALETTE[k % len(PALETTE)]
        cls = escape(str(s.get("key", f"s{k}")))
        values = list(s.get("values") or [])
        low, high = s.get("low"), s.get("high")
        flags = s.get("flags") or [""] * n
        faint = s.get("faint") or [False] * n
        out.append(f'<g class="series {cls}" data-series="{cls}">')
        if low is not None and high is not None:
            # one polygon per run of points that have an interval
            run: list[int] = []
            for i in [*range(n), None]:
                ok = (i is not None and low[i] is not None and high[i] is not None
                      and not faint[i])
                if ok:
                    run.append(i)  # type: ignore[arg-type]
                    continue
                if run:
                    upper = [f"{X(j):.1f},{Y(high[j]):.1f}" for j in run]
                    lower = [f"{X(j):.1f},{Y(low[j]):.1f}" for j in reversed(run)]
                    out.append(f'<polygon class="band" points="{" ".join(upper + lower)}" '
                               f'fill="{color}" fill-opacity="0.15" stroke="none"/>')
                    run = []
        pts: list[str] = []
        for i in [*range(n), None]:
            if i is not None and values[i] is not None and not faint[i]:
                pts.append(f"{X(i):.1f},{Y(values[i]):.1f}")
                continue
            if len(pts) > 1:
                dash = ' stroke-dasharray="5,4"' if s.get("dashed") else ""
                out.append(f'<polyline class="line" fill="none" stroke="{color}" '
                           f'stroke-width="2"{dash} points="{" ".join(pts)}"/>')
            pts = []
        for i in range(n):
            if values[i] is None:
                continue
            tip = f"{s['name']}, {x_labels[i]}: {_fmt(values[i])}"
            if low is not None and high is not None and low[i] is not None and high[i] is not None:
                tip += f" (95%: {_fmt(low[i])} to {_fmt(high[i])})"
            if flags[i]:
                tip += f"; {flags[i]}"
            fill = "#fff" if flags[i] or faint[i] else color
            kind = " flagged faint" if faint[i] else " flagged" if flags[i] else ""
            out.append(f'<circle class="point{kind}" cx="{X(i):.1f}" '
                       f'cy="{Y(values[i]):.1f}" r="3.5" fill="{fill}" '
                       f'stroke="{"#a0aec0" if faint[i] else color}" '
                       f'stroke-width="1.5"><title>{escape(tip)}</title></circle>')
        out.append("</g>")
        out.append(f'<text class="legend {cls}" x="{width - right + 8}" y="{top + 12 + 15 * k}" '
                   f'fill="{color}">{escape(_short(s["name"], 24))}</text>')
    out.append("</svg>")
    return "".join(out)


def backtest_chart(report: BacktestReport) -> str:
    """The error of every model over a backtest's folds, as an SVG line chart."""
    import math

    # a month without a value (an F1 where nobody cancelled) is left out of the line:
    # the section's note names it
    series: dict[str, Sequence[tuple[float, float]]] = {
        m: [(float(i), v) for i, f in enumerate(report.folds)
            if (v := f.scores[m][report.metric]) is not None and math.isfinite(v)]
        for m in report.models}
    from .words import measure_words

    # the measure in words, as the page's table says it
    said = measure_words(report.metric, report.positive)
    return line_chart(series, title=f"{said} by month", y_label=said,
                      x_labels=[f.origin[:7] for f in report.folds])


def drift_chart(result: WindowDrift, top: int = 10) -> str:
    """Each column's z in a tabular drift check (how many times its usual spread it moved),
    with the threshold."""
    cols = result.columns[:top]
    return bar_chart([c.column for c in cols], [max(0.0, c.z) for c in cols],
                     reference=result.threshold, reference_label="flag above",
                     title="How unusual each column is in this window (z)")
