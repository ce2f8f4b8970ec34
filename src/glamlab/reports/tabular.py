"""The HTML page of a tabular project's monitor: one section per window, the drift
causes in words, each column's z against the threshold, and the estimated performance
with the realised value beside it; a chart of both over the windows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .html import Section, render_page, table_html
from .plots import drift_chart, line_chart

if TYPE_CHECKING:
    from ..monitoring.tabular_project import TabularMonitorReport


def monitor_sections(report: TabularMonitorReport) -> list[Section]:
    ws = report.windows
    series: dict[str, Sequence[tuple[float, float]]] = {"estimated F1": [(float(i), w.estimate.value) for i, w in enumerate(ws)]}
    realised = [(float(i), w.estimate.realised) for i, w in enumerate(ws)
                if w.estimate.realised is not None]
    if realised:
        series["realised F1"] = [(x, float(y)) for x, y in realised if y is not None]
    rows = [{"window": f"{w.drift.start} to {w.drift.end}", "rows": w.drift.n,
             "flagged": "yes" if w.drift.flagged else "", "cause": w.drift.root_cause or "",
             "estimated F1": f"{w.estimate.value:.3f} [{w.estimate.low:.3f}, "
                             f"{w.estimate.high:.3f}]",
             "trusted": "yes" if w.estimate.trusted else "no",
             "realised F1": "" if w.estimate.realised is None else f"{w.estimate.realised:.3f}"}
            for w in ws]
    sections = [
        Section("Windows", text=report.summary().splitlines()[0],
                html=table_html(rows, list(rows[0]) if rows else [])),
        Section("Estimated and realised performance",
                html=line_chart(series, title="F1 by window", y_label="F1",
                                x_labels=[w.drift.start for w in ws])),
    ]
    for w in ws:
        sections.append(Section(
            f"{w.drift.start} to {w.drift.end}" + (" — drift" if w.drift.flagged else ""),
            text=w.summary(), html=drift_chart(w.drift),
            kind="warning" if w.drift.flagged else ""))
    return sections


def monitor_page(report: TabularMonitorReport, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_page("Monitoring: drift and estimated performance",
                             monitor_sections(report),
                             subtitle=f"model {report.model}, trained on rows before "
                                      f"{report.trained_until}"), encoding="utf-8")
    return p


__all__ = ["monitor_page", "monitor_sections"]
