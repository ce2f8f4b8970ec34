"""One look for every glamlab HTML report: a self-contained page (inline CSS and
SVG, no fonts, no network; a page may add a small inline script) built from a list of sections.

>>> from glamlab.reports import Section, render_page, table_html, plots
>>> html = render_page("Evaluation", [
...     Section("Verdict", text="rules beats majority"),
...     Section("Leaderboard", html=table_html(rows, ["candidate", "f1_macro"])),
...     Section("Per label", html=plots.bar_chart(["a", "b"], [0.9, 0.7])),
... ], subtitle="workspace pages")
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, Environment, select_autoescape
from markupsafe import Markup

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       color: #1a202c; background: #f7fafc; line-height: 1.45; }
header { background: #1a365d; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; opacity: .85; }
main { max-width: 1100px; margin: 0 auto; padding: 12px 28px 40px; }
section { background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; padding: 14px 18px;
          margin: 16px 0; }
section h2 { font-size: 17px; margin: 0 0 10px; }
p.note { color: #4a5568; font-size: 13px; }
section.verdict { font-size: 16px; border-left: 5px solid #2b6cb0; background: #ebf8ff; }
section.warning { border-left: 5px solid #dd6b20; background: #fffaf0; }
section.verdict p, section.warning p { margin: 0; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border-bottom: 1px solid #e2e8f0; padding: 4px 10px; text-align: left; }
th { background: #edf2f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flag td { background: #fff5f5; }
.plots { display: flex; flex-wrap: wrap; gap: 18px; }
footer { color: #718096; font-size: 12px; text-align: center; padding: 16px; }
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="glamlab {{ version }}">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<header><h1>{{ title }}</h1>{% if subtitle %}<p>{{ subtitle }}</p>{% endif %}</header>
<main>
{% for s in sections %}<section id="{{ s.anchor }}"{% if s.kind %} class="{{ s.kind }}"{% endif %}>
{% if s.title %}<h2>{{ s.title }}</h2>{% endif %}
{% if s.text %}<p>{{ s.text }}</p>{% endif %}
{% if s.html %}{{ s.html }}{% endif %}
{% if s.note %}<p class="note">{{ s.note }}</p>{% endif %}
</section>
{% endfor %}
</main>
<footer>Made by glamlab {{ version }} on {{ made }} UTC. This page works offline.</footer>
{% if script %}<script>{{ script }}</script>{% endif %}
</body>
</html>
"""


@dataclass
class Section:
    """One block of a report. ``text`` is escaped; ``html`` must be trusted markup
    (built with :func:`table_html` or :mod:`glamlab.reports.plots`)."""

    title: str
    text: str = ""
    html: str = ""
    note: str = ""
    kind: str = ""  # "" | "verdict" | "warning"
    anchor: str = field(default="")

    def __post_init__(self) -> None:
        if not self.anchor:
            self.anchor = "".join(c if c.isalnum() else "-" for c in self.title.lower()).strip("-")


def _env() -> Environment:
    return Environment(loader=BaseLoader(), autoescape=select_autoescape(default=True))


def render_page(title: str, sections: Sequence[Section], *, subtitle: str = "",
                script: str = "") -> str:
    """A whole, self-contained HTML page. ``script`` (trusted, inline, no network) adds a
    little interaction where a report needs it (the trends page shows/hides series)."""
    from .. import __version__

    tpl = _env().from_string(TEMPLATE)
    return tpl.render(
        title=title, subtitle=subtitle, css=Markup(CSS), version=__version__,
        made=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M"), script=Markup(script),
        sections=[{"title": s.title, "text": s.text, "html": Markup(s.html), "note": s.note,
                   "kind": s.kind, "anchor": s.anchor} for s in sections])


def write_page(path: str | Path, title: str, sections: Sequence[Section], *,
               subtitle: str = "") -> Path:
    from ..files import open_private

    p = Path(path)
    with open_private(p, "w", encoding="utf-8") as fh:
        fh.write(render_page(title, sections, subtitle=subtitle))
    return p


def _cell(v: Any) -> tuple[str, bool]:
    if v is None:
        return "", False
    if isinstance(v, bool):
        return ("yes" if v else "no"), False
    if isinstance(v, int):
        return f"{v:,}", True
    if isinstance(v, float):
        if v != v:
            return "-", True
        return (f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3f}"), True
    return str(v), False


def table_html(rows: Sequence[dict[str, Any]], columns: Sequence[str], *,
               headers: Sequence[str] | None = None, css_class: str = "",
               flag: str | None = None, titles: Sequence[str | None] | None = None) -> str:
    """An escaped HTML table; rows whose ``flag`` key is truthy are highlighted.
    ``titles``: for each header, the exact name it says in words (a measure's stored
    name, a test's), shown as its tooltip (a macro average's says what that is,
    :func:`.words.metric_title`); None for none."""
    from .words import metric_title

    shown = list(headers or columns)
    tips = [*(titles or []), *([None] * len(shown))]
    head = "".join(
        f'<th><abbr title="{escape(metric_title(tip))}">{escape(h)}</abbr></th>' if tip
        else f"<th>{escape(h)}</th>" for h, tip in zip(shown, tips, strict=False))
    body = []
    for r in rows:
        cells = []
        for c in columns:
            text, num = _cell(r.get(c))
            cells.append(f'<td{" class=num" if num else ""}>{escape(text)}</td>')
        cls = ' class="flag"' if flag and r.get(flag) else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    cls_attr = f' class="{escape(css_class)}"' if css_class else ""
    return f"<table{cls_attr}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
