"""The offline monitoring report: one time-series plot per signal, thresholds drawn in."""

from __future__ import annotations

import hashlib
import html
from typing import Any

from ..monitoring.monitor import MonitorReport

#: what a signal's value means, by the statistic its description names: the term stays
#: for the data scientist, the sentence is for the curator (first match wins)
VALUE_WORDS = (
    (("Kolmogorov", "KS D"), "The value is the largest gap between this window's values and "
     "the reference's (Kolmogorov–Smirnov distance): 0 means the same spread of values, 1 "
     "that they do not overlap at all."),
    (("Jensen", "(JS)"), "The value says how different this window's mix is from the "
     "reference's (Jensen–Shannon distance): 0 means the same mix, 1 nothing in common."),
    (("AUC",), "The value says how easily a model can tell this window's items from the "
     "reference's (AUC): 0.5 means it cannot, so nothing changed; 1 means always."),
)
#: the other statistics a description may name, said as context only
CONTEXT_WORDS = {"chi-square": "chi-square: a test of the same difference",
                 "Wasserstein": "Wasserstein: how far the values moved, in their own units"}


def value_words(description: str) -> str:
    """What the value of the signal ``description`` describes means, in words (a
    rate's description says it itself: '')."""
    said = next((words for terms, words in VALUE_WORDS
                 if any(t in description for t in terms)), "")
    context = [w for t, w in CONTEXT_WORDS.items() if t in description]
    if said and context:
        said += " For context: " + "; ".join(context) + "."
    return said


def text_note(report: MonitorReport) -> str:
    """What ``glamlab monitor``'s text output means, said once after it (as the HTML
    report says it beside each signal): what each alerting signal's drift statistic
    measures, and how its alert threshold is set; '' without an alert (the text then
    gives no figure)."""
    descriptions = {s.name: s.description for s in report.signals}
    descriptions.update(dict(report.rates))
    names = list(dict.fromkeys(r.signal for _w, r in report.alerts))
    lines = []
    for name in names:
        words = value_words(descriptions.get(name, ""))
        if words:
            lines.append(f"{name} ({descriptions[name]}): "
                         + words.replace("The value ", "its drift statistic ", 1))
        elif name in descriptions:  # a rate: its description says it
            lines.append(f"{name}: {descriptions[name]}.")
    if not names:
        return ""
    lines.append(f"alert above: the threshold, set on chunks of the reference itself: the "
                 f"usual value plus {report.config.sigma:g} standard deviations (its usual "
                 "variation) of the same measure between chunks, so a value above it is more "
                 "change than the reference shows on its own.")
    return "\n".join(["What the figures mean:", *(f"  - {line}" for line in lines)])


def _svg_series(name: str, points: list[tuple[str, float | None, float | None, str]]) -> str:
    """Inline SVG: the signal value per window (a line, round points; a window that raised
    an alert: a red triangle, not a colour alone), its alert threshold (dashed), a legend
    saying which is which, and the same in words for a screen reader (the table after it
    holds the numbers)."""
    from .plots import marker

    w, h, pad = 640, 200, 36
    vals = [v for _k, v, _t, _s in points if v is not None]
    ths = [t for _k, _v, t, _s in points if t is not None]
    top = max(vals + ths + [1e-9]) * 1.15
    n = max(len(points), 1)
    base = h - pad - 20  # the legend's row below the windows' names

    def x(i: int) -> float:
        return pad + (w - 2 * pad) * (i + 0.5) / n

    def y(v: float) -> float:
        return base - (base - pad / 2) * (v / top)

    alerts = sum(1 for _k, v, _t, s in points if v is not None and s == "alert")
    words = (f"{name} per window: {len(points)} windows, {alerts} with an alert. The value "
             "is a solid line with round points, a window with an alert a red triangle, the "
             "alert threshold a dashed red line. The numbers are in the table after it.")
    uid = "mon-" + hashlib.sha1(repr((name, points)).encode()).hexdigest()[:10]
    parts = [f'<svg role="img" aria-labelledby="{uid}-t" aria-describedby="{uid}-d" '
             f'viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg" '
             'font-family="system-ui,sans-serif">',
             f'<title id="{uid}-t">{html.escape(name)} per window</title>',
             f'<desc id="{uid}-d">{html.escape(words)}</desc>',
             f'<line x1="{pad}" y1="{base}" x2="{w - pad}" y2="{base}" stroke="#555"/>',
             f'<line x1="{pad}" y1="{pad / 2}" x2="{pad}" y2="{base}" stroke="#555"/>',
             f'<text x="4" y="{pad / 2 + 4}" font-size="10">{top:.3g}</text>',
             f'<text x="4" y="{base}" font-size="10">0</text>']
    # the threshold of each window, as a dashed step across the window's slot
    slot = (w - 2 * pad) / n
    steps = [f"M{x(i) - slot / 2:.1f},{y(t):.1f} H{x(i) + slot / 2:.1f}"
             for i, (_k, _v, t, _s) in enumerate(points) if t is not None]
    if steps:
        parts.append(f'<path class="threshold" d="{" ".join(steps)}" fill="none" stroke="#c00" '
                     'stroke-width="2" stroke-dasharray="6,4"><title>alert threshold</title></path>')
    val_pts = [(x(i), y(v)) for i, (_k, v, _t, _s) in enumerate(points) if v is not None]
    if val_pts:
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in val_pts)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#246"/>')
    for i, (k, v, _t, status) in enumerate(points):
        label = html.escape(k)
        if v is not None:
            alert = status == "alert"
            colour = "#c00" if alert else "#246"
            parts.append(marker("triangle" if alert else "circle", x(i), y(v), 5 if alert else 4,
                                f'fill="{colour}" stroke="{colour}"',
                                f"<title>{label}: {v:.4f} ({html.escape(status)})</title>",
                                cls="alert" if alert else "value"))
        parts.append(f'<text x="{x(i):.1f}" y="{base + 14}" font-size="9" '
                     f'text-anchor="middle">{label[:12]}</text>')
    ly = h - 8
    parts.append(f'<g class="legend" font-size="10"><line x1="{pad}" y1="{ly - 4}" x2="{pad + 20}" '
                 f'y2="{ly - 4}" stroke="#246"/>'
                 + marker("circle", pad + 10, ly - 4, 4, 'fill="#246" stroke="#246"', cls="swatch")
                 + f'<text x="{pad + 26}" y="{ly}">value</text>'
                 + marker("triangle", pad + 90, ly - 4, 5, 'fill="#c00" stroke="#c00"',
                          cls="swatch")
                 + f'<text x="{pad + 100}" y="{ly}">alert</text>'
                 f'<line x1="{pad + 150}" y1="{ly - 4}" x2="{pad + 180}" y2="{ly - 4}" '
                 'stroke="#c00" stroke-width="2" stroke-dasharray="6,4"/>'
                 f'<text x="{pad + 186}" y="{ly}">alert threshold</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def signal_sections(data: dict[str, Any]) -> str:
    """One plot and table per signal, from a report's ``to_dict()`` (or a stored copy of
    it): what both the HTML report and the web app's reports page show."""
    names = [s["name"] for s in data["signals"]]
    descriptions = {s["name"]: s["description"] for s in data["signals"]}
    sections = []
    for name in names:
        points = []
        for w in data["windows"]:
            r = next((r for r in w["results"] if r["signal"] == name), None)
            if r is None:
                continue
            points.append((str(w["window"]), r["value"], r["threshold"], r["status"]))
        if not points:
            continue
        rows = "".join(
            f"<tr><th scope='row'>{html.escape(k)}</th><td>{'' if v is None else f'{v:.4f}'}</td>"
            f"<td>{'' if t is None else f'{t:.4f}'}</td><td class='{s.replace(' ', '-')}'>"
            f"{html.escape(s)}</td></tr>" for k, v, t, s in points)
        words = value_words(descriptions[name])
        sections.append(
            f"<section><h2>{html.escape(name.replace('_', ' '))}</h2>"
            f"<p>{html.escape(descriptions[name])}</p>"
            + (f"<p class='note'>{html.escape(words)}</p>" if words else "")
            + f"{_svg_series(name, points)}<table class='signal-numbers'><caption>"
            f"The numbers behind the chart: {html.escape(name)} per window, with its alert "
            "threshold</caption><thead><tr><th scope='col'>window</th>"
            "<th scope='col'><abbr title='how different the window is from the reference'>"
            "value</abbr></th><th scope='col'><abbr title='above it, the window raises an "
            "alert'>alert threshold</abbr></th>"
            f"<th scope='col'>status</th></tr></thead><tbody>{rows}</tbody></table></section>")
    return "".join(sections)


def render(report: MonitorReport) -> str:
    data: dict[str, Any] = report.to_dict()
    sections = [signal_sections(data)]
    verdict = (f"{len(data['alerts'])} alert(s): something changed in the collection or the model's "
               "behaviour." if data["alert"] else "No drift beyond the reference's own variability.")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>glamlab monitoring: {html.escape(report.model)}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:760px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}} td,th{{border:1px solid #ccc;padding:2px 8px}}
.alert{{color:#c00;font-weight:bold}} .verdict{{font-size:1.15em;padding:.6em;background:#f4f4f4}}
</style></head><body>
<h1>Monitoring report: {html.escape(report.model)}</h1>
<p class="verdict">{html.escape(verdict)}</p>
<p>Reference: {html.escape(report.reference)} ({report.reference_size:,} items): what the
collection looked like when the model was checked. Each window (a run, a day or a week of new
items) is compared with it. Thresholds are set on chunks of the reference itself: the usual
value plus {report.config.sigma:g} standard deviations (sd, its usual variation) of the same
measure between chunks, so a value above it is more change than the reference shows on its own;
windows under {report.config.min_window} items are not judged. Dashed red line: the alert
threshold.</p>
{''.join(sections)}
</body></html>
"""
