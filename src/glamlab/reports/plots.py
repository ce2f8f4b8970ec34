"""Plots as inline SVG strings: no JavaScript, no fonts, no network.

Each function returns a self-contained ``<svg>`` element that any report (evaluate,
act, monitor) can drop into a page built with :func:`glamlab.reports.render_page`.
Text is escaped; every plot carries a ``<title>`` (its accessible name) and, where it
draws several series, a ``<desc>`` saying how each one is drawn, and a ``data-plot``
attribute naming its kind (tests look for it). Series are told apart by their dash pattern
and point shape as well as their colour (:data:`STYLES`), the legend shows the same, and
:func:`numbers_table` gives a chart's numbers as a table, for those who cannot see it (each
chart's ``numbers=True`` puts its own right after it, under "Show the numbers").
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
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
#: axes and the grey of a point too weak to read: at least 3:1 against white (WCAG 1.4.11)
AXIS = "#718096"
#: the text of a legend: dark, whatever the colour of its series
INK = "#1a202c"
#: how one series is told from another without its colour (WCAG 1.4.1): a dash pattern
#: (SVG ``stroke-dasharray``, "" for a solid line), a point shape, and both in words
STYLES: tuple[tuple[str, str, str], ...] = (
    ("", "circle", "solid line, round points"),
    ("6,4", "square", "dashed line, square points"),
    ("2,3", "triangle", "dotted line, triangle points"),
    ("9,3,2,3", "diamond", "dash-dot line, diamond points"),
    ("12,4", "down", "long-dashed line, points like a downward triangle"),
    ("2,2,2,6", "cross", "dot-dot-gap line, cross points"),
)


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


def _y_label(text: str, top: float, base: float) -> str:
    """The y axis's name, turned up along the axis and centred on it, left of the tick
    numbers (written across at the top it ran into the top tick's number)."""
    mid = (top + base) / 2
    return (f'<text class="y-label" x="12" y="{mid:.1f}" text-anchor="middle" fill="#4a5568" '
            f'transform="rotate(-90 12 {mid:.1f})">{escape(text)}</text>')


def _close(out: list[str], desc: str = "") -> str:
    """The finished ``<svg>``: its name (the ``<title>``) and description (``<desc>``, how
    each series is drawn) tied to it by ids, so every browser's screen reader says both.
    The ids come from the drawing itself: the same page may hold many charts."""
    if desc:
        out.insert(2, f"<desc>{escape(desc)}</desc>")
    if not out[-1].endswith("</svg>"):
        out.append("</svg>")
    uid = "plot-" + hashlib.sha1("".join(out).encode()).hexdigest()[:10]
    out[1] = out[1].replace("<title>", f'<title id="{uid}-t">', 1)
    refs = f'aria-labelledby="{uid}-t"'
    if desc:
        out[2] = out[2].replace("<desc>", f'<desc id="{uid}-d">', 1)
        refs += f' aria-describedby="{uid}-d"'
    out[0] = out[0].replace('role="img"', f'role="img" {refs}', 1)
    return "".join(out)


def style(k: int) -> tuple[str, str, str]:
    """The dash pattern, point shape and words of the ``k``-th series of a chart."""
    return STYLES[k % len(STYLES)]


def marker(shape: str, cx: float, cy: float, r: float, attrs: str, inner: str = "",
           cls: str = "point") -> str:
    """One point of a series, in its shape (``attrs``: its fill and stroke)."""
    if shape == "circle":
        el, geo = "circle", f'cx="{cx:.1f}" cy="{cy:.1f}" r="{r}"'
    elif shape == "square":
        q = r * 0.9
        el, geo = "rect", f'x="{cx - q:.1f}" y="{cy - q:.1f}" width="{2 * q:.1f}" height="{2 * q:.1f}"'
    else:
        q = r * 1.25
        pts = {"triangle": [(0, -q), (q, q * 0.8), (-q, q * 0.8)],
               "down": [(0, q), (q, -q * 0.8), (-q, -q * 0.8)],
               "diamond": [(0, -q), (q, 0), (0, q), (-q, 0)],
               "cross": [(-q, -q / 3), (-q / 3, -q / 3), (-q / 3, -q), (q / 3, -q), (q / 3, -q / 3),
                         (q, -q / 3), (q, q / 3), (q / 3, q / 3), (q / 3, q), (-q / 3, q),
                         (-q / 3, q / 3), (-q, q / 3)]}[shape]
        el = "polygon"
        geo = 'points="' + " ".join(f"{cx + a:.1f},{cy + b:.1f}" for a, b in pts) + '"'
    return (f'<{el} class="{cls}" {geo} {attrs}>{inner}</{el}>' if inner
            else f'<{el} class="{cls}" {geo} {attrs}/>')


def legend_entry(x: float, y: float, name: str, color: str, k: int, *, band: bool = False,
                 cls: str = "", limit: int = 24) -> str:
    """A legend line: a short sample of the series (its dash pattern, its point shape and,
    with ``band``, its shaded band with the band's edges) and its name in dark ink."""
    dash, shape, _ = style(k)
    parts = [f'<g class="legend{" " + cls if cls else ""}">']
    if band:
        parts.append(f'<rect class="band" x="{x:.1f}" y="{y - 9:.1f}" width="20" height="10" '
                     f'fill="{color}" fill-opacity="0.15" stroke="{color}" stroke-width="1"/>')
    da = f' stroke-dasharray="{dash}"' if dash else ""
    parts.append(f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 20:.1f}" y2="{y - 4:.1f}" '
                 f'stroke="{color}" stroke-width="2"{da}/>')
    parts.append(marker(shape, x + 10, y - 4, 3.5, f'fill="{color}" stroke="{color}"',
                        cls="swatch"))
    parts.append(f'<text x="{x + 26:.1f}" y="{y:.1f}" fill="{INK}">{escape(_short(name, limit))}'
                 "</text></g>")
    return "".join(parts)


def _spread(wanted: list[float], low: float, high: float, gap: float = 15.0) -> list[float]:
    """Places for labels wanted at ``wanted`` (the ends of their lines), at least ``gap``
    apart and between ``low`` and ``high``, in the same order as asked."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed: list[float] = []
    for i in order:
        y = max(wanted[i], low, placed[-1] + gap if placed else low)
        placed.append(y)
    over = (placed[-1] - high) if placed else 0
    if over > 0:
        placed = [max(low, y - over) for y in placed]
        for j in range(1, len(placed)):
            placed[j] = max(placed[j], placed[j - 1] + gap)
    out = [0.0] * len(wanted)
    for j, i in enumerate(order):
        out[i] = placed[j]
    return out


def numbers_table(x_labels: Sequence[str], series: Sequence[dict], *, caption: str,
                  fmt: Callable[[float], str] | None = None, x_name: str = "group") -> str:
    """The numbers behind a :func:`band_chart` as a table inside a closed ``<details>``
    ("Show the numbers"): one row per place on the x axis, per series its value and, where
    it has a band, its 95% interval; a point's note (too few items...) in its own column."""
    f = fmt or _fmt
    head = [f'<th scope="col">{escape(x_name)}</th>']
    for s in series:
        head.append(f'<th scope="col">{escape(str(s["name"]))}</th>')
        if s.get("low") is not None and s.get("high") is not None:
            head.append(f'<th scope="col">{escape(str(s["name"]))}: 95% interval</th>')
    has_notes = any(any(s.get("flags") or []) or any(s.get("faint") or []) for s in series)
    if has_notes:
        head.append('<th scope="col">note</th>')
    rows = []
    for i, x in enumerate(x_labels):
        if not str(x) and all((s.get("values") or [None] * (i + 1))[i] is None for s in series):
            continue  # an empty place on the axis (a gap drawn between groups)
        cells = [f'<th scope="row">{escape(str(x))}</th>']
        notes: list[str] = []
        for s in series:
            v = (s.get("values") or [None] * (i + 1))[i]
            cells.append(f'<td class="num">{"" if v is None else f(v)}</td>')
            low, high = s.get("low"), s.get("high")
            if low is not None and high is not None:
                lo, hi = low[i], high[i]
                cells.append('<td class="num">' + (f"{f(lo)} to {f(hi)}" if lo is not None
                                                  and hi is not None else "") + "</td>")
            flag = (s.get("flags") or [""] * (i + 1))[i]
            if (s.get("faint") or [False] * (i + 1))[i] and "too few" not in (flag or ""):
                flag = flag or "too few to read on its own"
            if flag and flag not in notes:
                notes.append(flag)
        if has_notes:
            cells.append(f"<td>{escape('; '.join(notes))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return _numbers_details(caption, "".join(head), "".join(rows))


#: the end of a chart's description when its numbers follow it (``numbers=True``)
NUMBERS_AFTER = "Every number of the chart is in the table after it (Show the numbers)."


def _numbers_details(caption: str, head: str, rows: str) -> str:
    """A chart's numbers as every chart gives them: a table with a caption, under a closed
    "Show the numbers" (``head`` and ``rows``: the header cells and the rows, trusted)."""
    return ('<details class="plot-numbers"><summary>Show the numbers</summary>'
            f'<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr>'
            f'</thead><tbody>{rows}</tbody></table></details>')


def _simple_numbers(caption: str, columns: Sequence[str],
                    rows: Sequence[tuple[str, Sequence[str]]]) -> str:
    """A chart's numbers: ``columns`` the headers (the first names the rows), ``rows``
    each its name and its cells (already rounded as the chart rounds them)."""
    head = "".join(f'<th scope="col">{escape(str(c))}</th>' for c in columns)
    body = "".join(
        f'<tr><th scope="row">{escape(str(name))}</th>'
        + "".join(f'<td class="num">{escape(c)}</td>' for c in cells) + "</tr>"
        for name, cells in rows)
    return _numbers_details(caption, head, body)


def _ok(v: float | None) -> bool:
    return v is not None and v == v


def bar_numbers(labels: Sequence[str], values: Sequence[float], *,
                low: Sequence[float] | None = None, high: Sequence[float] | None = None,
                caption: str = "", x_name: str = "label", value_name: str = "value",
                reference: float | None = None, reference_label: str = "") -> str:
    """The numbers of a :func:`bar_chart` (each bar's value and, with ``low``/``high``,
    its 95% interval, rounded as the chart writes them; the reference line in a last row)
    under "Show the numbers"."""
    band = low is not None and high is not None
    cols = [x_name, value_name, *([f"{value_name}: 95% interval"] if band else [])]
    rows: list[tuple[str, Sequence[str]]] = []
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        cells = [_fmt(v) if _ok(v) else "-"]
        if band:
            lo, hi = low[i], high[i]  # type: ignore[index]
            cells.append(f"{_fmt(lo)} to {_fmt(hi)}" if _ok(lo) and _ok(hi) else "")
        rows.append((str(lab), cells))
    if reference is not None:
        rows.append((f"{reference_label or 'reference'} (the dashed line)",
                     [_fmt(reference), *([""] if band else [])]))
    return _simple_numbers(caption or "bar chart", cols, rows)


def _count(v: float) -> str:
    return str(int(v)) if float(v) == int(v) else _fmt(v)


def heatmap_numbers(matrix: Sequence[Sequence[float]], row_labels: Sequence[str],
                    col_labels: Sequence[str], *, caption: str = "", row_title: str = "",
                    col_title: str = "") -> str:
    """The numbers of a :func:`heatmap`: the same matrix, one row per row of it, every
    cell (empty ones as 0), under "Show the numbers"."""
    corner = (f"{row_title} (rows) / {col_title} (columns)" if row_title and col_title
              else row_title or col_title or "")
    rows = [(str(lab), [_count(float(matrix[i][j])) for j in range(len(col_labels))])
            for i, lab in enumerate(row_labels)]
    return _simple_numbers(caption or "matrix", [corner, *map(str, col_labels)], rows)


def _x_name(x: float, x_labels: Sequence[str] | None) -> str:
    return (str(x_labels[int(x)]) if x_labels and float(x).is_integer()
            and 0 <= int(x) < len(x_labels) else _fmt(x))


def line_numbers(series: dict[str, Sequence[tuple[float, float]]], *, caption: str = "",
                 x_labels: Sequence[str] | None = None, x_name: str = "x") -> str:
    """The numbers of a :func:`line_chart`: one row per place on the x axis (named by
    ``x_labels``), one column per series (empty where it has no point)."""
    xs = sorted({float(x) for s in series.values() for x, _y in s})
    at = {name: {float(x): y for x, y in s} for name, s in series.items()}
    rows = [(_x_name(x, x_labels),
             [_fmt(at[name][x]) if x in at[name] else "" for name in series]) for x in xs]
    return _simple_numbers(caption or "line chart", [x_name, *series], rows)


def histogram_numbers(values: Sequence[float], *, bins: int = 20, caption: str = "",
                      range_: tuple[float, float] | None = None) -> str:
    """The numbers of a :func:`histogram`: each bin's range and how many values fall in it."""
    import numpy as np

    v = np.asarray([x for x in values if x == x], dtype=float)
    if not len(v):
        return _simple_numbers(caption or "histogram", ["range", "count"], [])
    counts, edges = np.histogram(v, bins=bins, range=range_)
    return _simple_numbers(caption or "histogram", ["range", "count"],
                           [(f"{_fmt(edges[i])} to {_fmt(edges[i + 1])}", [str(int(c))])
                            for i, c in enumerate(counts)])


def bar_chart(labels: Sequence[str], values: Sequence[float], *, low: Sequence[float] | None = None,
              high: Sequence[float] | None = None, title: str = "", max_value: float | None = None,
              width: int = 560, bar_height: int = 18, color: str = PALETTE[0],
              reference: float | None = None, reference_label: str = "",
              numbers: bool = False, x_name: str = "label", value_name: str = "value") -> str:
    """Horizontal bars with optional interval whiskers (``low``/``high``) and a
    vertical reference line (e.g. the overall score). ``numbers``: followed by its
    numbers as a table (:func:`bar_numbers`; ``x_name`` and ``value_name`` head its
    columns)."""
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
            # its words darker than the line: 5.5:1 against white, as small text needs
            out.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" fill="#c53030">'
                       f"{escape(reference_label)}</text>")
    if not numbers:
        return _close(out)
    return _close(out, NUMBERS_AFTER) + bar_numbers(
        labels, values, low=low, high=high, caption=title, x_name=x_name,
        value_name=value_name, reference=reference, reference_label=reference_label)


def heatmap(matrix: Sequence[Sequence[float]], row_labels: Sequence[str],
            col_labels: Sequence[str], *, title: str = "", row_title: str = "",
            col_title: str = "", cell: int = 34, numbers: bool = False) -> str:
    """A matrix of counts (e.g. a confusion matrix: rows truth, columns prediction);
    ``numbers``: followed by the matrix as a table (:func:`heatmap_numbers`)."""
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
    if not numbers:
        return _close(out)
    return _close(out, NUMBERS_AFTER) + heatmap_numbers(
        matrix, row_labels, col_labels, caption=title, row_title=row_title,
        col_title=col_title)


def line_chart(series: dict[str, Sequence[tuple[float, float]]], *, title: str = "",
               width: int = 560, height: int = 220, y_label: str = "",
               x_labels: Sequence[str] | None = None, numbers: bool = False,
               x_name: str = "x") -> str:
    """One line per named series of (x, y) points; ``x_labels`` names the x ticks.
    ``numbers``: followed by its numbers as a table (:func:`line_numbers`, its first
    column headed ``x_name``)."""
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
    left, right, top, bottom = 54, 120, 24 if title else 8, 28
    sx = (width - left - right) / (x1 - x0)
    sy = (height - top - bottom) / (y1 - y0)
    if title:
        out.append(f'<text x="4" y="14" font-weight="bold">{escape(title)}</text>')
    base = height - bottom
    out.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="{AXIS}"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="{AXIS}"/>')
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
        out.append(_y_label(y_label, top, base))
    said = []
    for k, (name, s) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        dash, shape, words = style(k)
        da = f' stroke-dasharray="{dash}"' if dash else ""
        xy = [(left + (x - x0) * sx, base - (y - y0) * sy, x, y) for x, y in s]
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b, _x, _y in xy)
        out.append(f'<g class="series s{k}"><polyline class="series" fill="none" stroke="{color}" '
                   f'stroke-width="2"{da} points="{path}"><title>{escape(name)}</title></polyline>')
        for a, b, x, y in xy:
            at = (x_labels[int(x)] if x_labels and float(x).is_integer()
                  and 0 <= int(x) < len(x_labels) else _fmt(x))
            out.append(marker(shape, a, b, 3, f'fill="{color}" stroke="{color}"',
                              f"<title>{escape(name)}, {escape(str(at))}: {_fmt(y)}</title>"))
        out.append("</g>")
        out.append(legend_entry(width - right + 6, top + 12 + 15 * k, name, color, k, limit=14))
        said.append(f"{name}: {words}")
    if not numbers:
        return _close(out, "; ".join(said) + ".")
    return _close(out, "; ".join(said) + ". " + NUMBERS_AFTER) + line_numbers(
        series, caption=title, x_labels=x_labels, x_name=x_name)


def histogram(values: Sequence[float], *, bins: int = 20, title: str = "", width: int = 560,
              height: int = 180, color: str = PALETTE[0], range_: tuple[float, float] | None = None,
              numbers: bool = False) -> str:
    """A histogram of values (e.g. prediction scores); ``numbers``: followed by each
    bin's count as a table (:func:`histogram_numbers`)."""
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
    if not numbers:
        return _close(out)
    return _close(out, NUMBERS_AFTER) + histogram_numbers(values, bins=bins, caption=title,
                                                          range_=range_)


def band_chart(x_labels: Sequence[str], series: Sequence[dict], *, title: str = "",
               width: int = 720, height: int = 260, y_label: str = "",
               y_max: float | None = None, desc: str = "") -> str:
    """Lines over categories (years, decades, titles) with interval bands.

    Each series is a dict: ``name``, ``values`` (one per x label; None leaves a gap),
    optional ``low``/``high`` (the band), ``style`` (its place in :data:`STYLES`, by
    default its place in ``series``: its dash pattern and point shape), ``flags`` (one per
    x: a note such as "too few items"; flagged points are drawn hollow and say why on
    hover), ``faint`` (one bool per x: a point too weak to be part of the line, e.g. a
    group of one item: drawn grey and hollow, outside the line and the band, its note on
    hover) and ``key`` (a class name, so a page script can show or hide the series). Every
    point carries a ``<title>`` with its value and interval. A band is tinted and edged by
    thin lines; the legend, beside the end of each line, shows each series as it is drawn;
    the ``<desc>`` says it in words (and ``desc``, after it: e.g. where the table is)."""
    n = len(x_labels)
    out = _open("band", width, height, title or "trend chart")
    # the scale holds every point, and the bands of those not faint (a one-item group's
    # interval would flatten the rest)
    vals = [v for s in series for k in ("values", "low", "high")
            for i, v in enumerate(s.get(k) or [])
            if v is not None and v == v and (k == "values" or not (s.get("faint") or
                                                                  [False] * (i + 1))[i])]
    if not n or not vals:
        out.append('<text x="10" y="20">no data</text>')
        return _close(out)
    y1 = y_max if y_max is not None else max(vals)
    y1 = y1 if y1 > 0 else 1.0
    left, right, top, bottom = 52, 190, 24 if title else 8, 34
    step = (width - left - right) / max(n - 1, 1)
    sy = (height - top - bottom) / y1
    base = height - bottom

    def X(i: int) -> float:  # noqa: N802 - a coordinate
        return left + (i * step if n > 1 else (width - left - right) / 2)

    def Y(v: float) -> float:  # noqa: N802
        return base - v * sy

    if title:
        out.append(f'<text x="4" y="14" font-weight="bold">{escape(title)}</text>')
    out.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="{AXIS}"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="{AXIS}"/>')
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
        out.append(_y_label(y_label, top, base))
    legend: list[tuple[float, str]] = []  # (where its line ends, the entry)
    said: list[str] = []
    any_flag = any_faint = False
    for k, s in enumerate(series):
        color = s.get("color") or PALETTE[k % len(PALETTE)]
        cls = escape(str(s.get("key", f"s{k}")))
        kind_k = int(s.get("style", k))
        dash, shape, words = style(kind_k)
        values = list(s.get("values") or [])
        low, high = s.get("low"), s.get("high")
        flags = s.get("flags") or [""] * n
        faint = s.get("faint") or [False] * n
        any_flag = any_flag or any(f and not faint[i] for i, f in enumerate(flags)
                                   if values[i] is not None)
        any_faint = any_faint or any(f and values[i] is not None for i, f in enumerate(faint))
        has_band = False
        out.append(f'<g class="series {cls}" data-series="{cls}">')
        if low is not None and high is not None:
            # one polygon per run of points that have an interval, edged above and below
            # by a thin line (a tint alone is colour alone)
            run: list[int] = []
            for i in [*range(n), None]:
                ok = (i is not None and low[i] is not None and high[i] is not None
                      and not faint[i])
                if ok:
                    run.append(i)  # type: ignore[arg-type]
                    continue
                if run:
                    has_band = True
                    upper = [f"{X(j):.1f},{Y(high[j]):.1f}" for j in run]
                    lower = [f"{X(j):.1f},{Y(low[j]):.1f}" for j in reversed(run)]
                    out.append(f'<polygon class="band" points="{" ".join(upper + lower)}" '
                               f'fill="{color}" fill-opacity="0.15" stroke="none"/>')
                    for edge in (upper, lower):  # one point: a whisker's cap
                        d = ("M" + " L".join(edge) if len(edge) > 1 else
                             f"M{float(edge[0].split(',')[0]) - 5:.1f},{edge[0].split(',')[1]}"
                             " h10")
                        out.append(f'<path class="band-edge" d="{d}" fill="none" '
                                   f'stroke="{color}" stroke-width="1"/>')
                    run = []
        pts: list[str] = []
        for i in [*range(n), None]:
            if i is not None and values[i] is not None and not faint[i]:
                pts.append(f"{X(i):.1f},{Y(values[i]):.1f}")
                continue
            if len(pts) > 1:
                da = f' stroke-dasharray="{dash}"' if dash else ""
                out.append(f'<polyline class="line" fill="none" stroke="{color}" '
                           f'stroke-width="2"{da} points="{" ".join(pts)}"/>')
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
            out.append(marker(shape, X(i), Y(values[i]), 3.5,
                              f'fill="{fill}" stroke="{AXIS if faint[i] else color}" '
                              'stroke-width="1.5"', f"<title>{escape(tip)}</title>",
                              cls=f"point{kind}"))
        out.append("</g>")
        ends = [i for i in range(n) if values[i] is not None and not faint[i]]
        legend.append((Y(values[ends[-1]]) + 4 if ends else top + 12.0,
                       legend_entry(width - right + 12, 0.0, str(s["name"]), color, kind_k,
                                    band=has_band, cls=cls)))
        said.append(f"{s['name']}: {words}" + (", with its 95% band shaded between thin lines"
                                               if has_band else ""))
    # the legend is the lines' direct labels: each beside the end of its line, apart
    for (_, entry), y in zip(legend, _spread([w for w, _ in legend], top + 12.0, base + 4.0),
                             strict=True):
        out.append(entry.replace('<g class="legend', f'<g transform="translate(0,{y:.1f})" '
                                 'class="legend', 1))
    named = [x for x in x_labels if str(x)]
    words = "; ".join(said) + "."
    if named:
        words += (f" {len(named)} places on the axis, from {named[0]} to {named[-1]}." if
                  len(named) > 1 else f" One place on the axis: {named[0]}.")
    if any_flag:
        words += " Hollow points are flagged (their note says why)."
    if any_faint:
        words += " Grey hollow points, off the line, have too few items to read on their own."
    if desc:
        words += " " + desc
    return _close(out, words)


def backtest_chart(report: BacktestReport, numbers: bool = True) -> str:
    """The error of every model over a backtest's folds, as an SVG line chart, followed
    by its numbers (unless ``numbers`` is false)."""
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
                      x_labels=[f.origin[:7] for f in report.folds], numbers=numbers,
                      x_name="month")


def drift_chart(result: WindowDrift, top: int = 10, numbers: bool = True) -> str:
    """Each column's z in a tabular drift check (how many times its usual spread it moved),
    with the threshold, followed by its numbers (unless ``numbers`` is false)."""
    cols = result.columns[:top]
    return bar_chart([c.column for c in cols], [max(0.0, c.z) for c in cols],
                     reference=result.threshold, reference_label="flag above",
                     title="How unusual each column is in this window (z)", numbers=numbers,
                     x_name="column", value_name="z")
