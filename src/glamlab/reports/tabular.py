"""The HTML page of a tabular project's monitor: one section per window, the drift
causes in words, each column's z against the threshold, and the estimated performance
with the realised value beside it; a chart of both over the windows. And the sections
of a backtest's report: the overall table, its notes (what the text output says after
it), the error by month."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .html import Section, render_page, table_html
from .plots import bar_chart, drift_chart, line_chart
from .words import measure_sentence, measure_words, measures_note

#: what an estimate is, beside it: a curator does not read "calibrated" or "CBPE"
ESTIMATE_WORDS = ("Estimated: what the model's own probabilities (adjusted on rows whose "
                  "outcome is known) say its {m} is, before the window's outcomes are known, "
                  "with a 95% interval [from, to]; trusted: whether that estimate can be "
                  "relied on. Realised: the {m} measured once the outcomes are imported.")
#: what a column's bar in a drift chart is
Z_WORDS = ("Each bar is how far a column moved from its usual values, in multiples of its "
           "usual variation (z); above the dashed line it is flagged.")

if TYPE_CHECKING:
    from ..evaluation.backtest import BacktestReport
    from ..monitoring.tabular_project import TabularMonitorReport


def monitor_sections(report: TabularMonitorReport) -> list[Section]:
    ws = report.windows
    metric = (ws[0].estimate.metric if ws else "f1")
    # F1 of the positive outcome: "F1 for 'is_canceled = 1'", not evaluate's f1_macro
    m = (measure_words(metric, report.positive) if metric == "f1"
         else f"count {measure_words(metric)}")
    series: dict[str, Sequence[tuple[float, float]]] = {
        f"estimated {m}": [(float(i), w.estimate.value) for i, w in enumerate(ws)
                           if not w.estimate.cannot_judge]}
    realised = [(float(i), w.estimate.realised) for i, w in enumerate(ws)
                if w.estimate.realised is not None]
    if realised:
        series[f"realised {m}"] = [(x, float(y)) for x, y in realised if y is not None]
    rows = [{"window": f"{w.drift.start} to {w.drift.end}", "rows": w.drift.n,
             "flagged": "yes" if w.drift.flagged else "", "cause": w.drift.root_cause or "",
             f"estimated {m}": (f"cannot be judged: {w.estimate.cannot_judge}"
                               if w.estimate.cannot_judge else
                               f"{w.estimate.value:.3f} [{w.estimate.low:.3f}, "
                               f"{w.estimate.high:.3f}]"
                               + (f" ({w.estimate.too_few_rows()})"
                                  if w.estimate.too_few_rows() else "")),
             "trusted": "yes" if w.estimate.trusted else "no",
             f"realised {m}": "" if w.estimate.realised is None else f"{w.estimate.realised:.3f}"}
            for w in ws]
    cols = list(rows[0]) if rows else []
    said = ["window", "rows", "drift flagged", "most likely cause",
            f"estimated {m} [95% interval]", "estimate trusted", f"realised {m}"]
    sections = [
        Section("Windows", text=report.summary().splitlines()[0],
                html=table_html(rows, cols, headers=said[:len(cols)],
                                titles=[None, None, None, None, metric, None, metric]),
                note=" ".join([ESTIMATE_WORDS.format(m=m),
                               measure_sentence(metric, report.positive)]).strip()),
        Section("Estimated and realised performance",
                html=line_chart(series, title=f"{m} by window", y_label=m,
                                x_labels=[w.drift.start for w in ws], numbers=True,
                                x_name="window")),
    ]
    for w in ws:
        sections.append(Section(
            f"{w.drift.start} to {w.drift.end}" + (" — drift" if w.drift.flagged else ""),
            text=w.summary(), html=drift_chart(w.drift), note=Z_WORDS,
            kind="warning" if w.drift.flagged else ""))
    if report.skipped:
        sections.append(Section("Windows not checked", text=" ".join(
            w.summary().replace("\n  ", " ") for w in report.skipped), kind="warning"))
    if report.small:
        sections.append(Section("Windows too small to check", text=report.small_words(),
                                kind="warning"))
    if report.calendar:
        sections.append(Section("Columns not judged for drift",
                                text=report.calendar_words()))
    return sections


def monitor_page(report: TabularMonitorReport, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_page("Monitoring: drift and estimated performance",
                             monitor_sections(report),
                             subtitle=f"model {report.model}, trained on rows before "
                                      f"{report.trained_until}"), encoding="utf-8")
    return p


def monitor_sections_html(data: dict[str, Any], positive: str | None = None) -> str:
    """The web app's view of a stored tabular monitoring report (``to_dict()`` of
    :class:`~glamlab.monitoring.tabular_project.TabularMonitorReport`): estimated and
    realised performance over the windows, then each flagged window's causes in words
    with the chart of how unusual each column is. ``positive``: the outcome the F1 is
    measured for (``TableSchema.positive_outcome``), which names it."""
    import html as _html

    wins = data.get("windows") or []
    parts = []
    est = [(float(i), float(w["estimate"]["estimate"])) for i, w in enumerate(wins)
           if w.get("estimate", {}).get("estimate") is not None
           and not w["estimate"].get("cannot_judge")]
    real = [(float(i), float(w["estimate"]["realised"])) for i, w in enumerate(wins)
            if w.get("estimate", {}).get("realised") is not None]
    stored = str(next((w["estimate"].get("metric") for w in wins if w.get("estimate")),
                      "f1"))
    metric = measure_words(stored, positive) if stored.lower() == "f1" else measure_words(stored)
    if est:
        series: dict[str, Sequence[tuple[float, float]]] = {f"estimated {metric}": est}
        if real:
            series[f"realised {metric}"] = real
        parts.append(f"<section><h3>Estimated and realised {_html.escape(str(metric))}</h3>"
                     "<p>Before the outcomes of a window are known, the model's own "
                     "probabilities (adjusted on rows whose outcome is known) estimate how "
                     "well it does; once they are imported, the realised value is drawn "
                     "beside it. " + _html.escape(measure_sentence(stored, positive)) + "</p>"
                     + line_chart(series, title=f"{metric} by window", y_label=str(metric),
                                  x_labels=[str(w.get("start")) for w in wins], numbers=True,
                                  x_name="window") + "</section>")
    for w in wins:
        if not w.get("flagged"):
            continue
        cols = [c for c in w.get("columns") or [] if c.get("flagged")]
        items = "".join(f"<li>{_html.escape(str(c.get('words')))}</li>" for c in cols[:8])
        top = (w.get("columns") or [])[:10]
        chart = bar_chart([str(c.get("column")) for c in top],
                          [max(0.0, float(c.get("z") or 0.0)) for c in top],
                          reference=w.get("threshold"), reference_label="flag above",
                          title="How unusual each column is in this window (z)",
                          numbers=True, x_name="column", value_name="z") if top else ""
        cause = w.get("root_cause")
        parts.append(f"<section class='warning'><h3>{_html.escape(str(w.get('start')))} to "
                     f"{_html.escape(str(w.get('end')))}: drift</h3>"
                     + (f"<p>Most likely cause: <b>{_html.escape(str(cause))}</b>.</p>"
                        if cause else "")
                     + f"<ul>{items}</ul>{chart}"
                     + (f"<p class='note'>{_html.escape(Z_WORDS)}</p>" if chart else "")
                     + "</section>")
    for w in data.get("skipped") or []:
        parts.append(f"<section class='warning'><h3>{_html.escape(str(w.get('start')))} to "
                     f"{_html.escape(str(w.get('end')))}: not checked</h3>"
                     f"<p>{_html.escape(str(w.get('reason')))}. To check it: "
                     f"{_html.escape(str(w.get('hint')))}.</p></section>")
    if data.get("too_small_words"):
        parts.append(f"<section class='warning'><h3>{len(data.get('too_small') or [])} "
                     f"{_html.escape(str(data.get('window')))}(s) too small to check</h3>"
                     f"<p>{_html.escape(str(data['too_small_words']))}</p></section>")
    return "".join(parts)


def backtest_sections(report: BacktestReport) -> list[Section]:
    """``glamlab backtest --html``'s page: every model's overall scores with their 95%
    intervals, the report's notes (rows the backtest counts otherwise than train and
    evaluate do), the error by month."""
    from html import escape

    from ..evaluation.backtest import figure, not_measured
    from .plots import backtest_chart

    # a figure that could not be measured (the AUC of months with one outcome, the F1 of
    # months in which nobody cancelled) in words
    from .words import NO_INTERVAL

    rows = [{"model": m, **{k: (f"{v['value']:.3f}" if k in NO_INTERVAL else
                                report.f1_figure(m, v) if k == "f1" else
                                figure(v, not_measured(k, report.positive)))
                            for k, v in report.overall[m].items()}}
            for m in report.models]
    names = list(report.overall[report.models[0]].keys())
    # each measure in words, its stored name in the header's tooltip and what it means
    # in the note (a curator reading the page, or its table pasted into Excel)
    sections = [Section("Overall, with 95% intervals", html=table_html(
        rows, ["model", *names],
        headers=["model", *(measure_words(n, report.positive) for n in names)],
        titles=[None, *names]),
        note="Each figure is followed by its 95% interval [from, to]: the range the true "
             "figure most likely lies in. " + measures_note(names, report.positive))]
    if report.notes:
        sections.append(Section("Notes", kind="warning", html="<ul class='notes'>" + "".join(
            f"<li>{escape(n)}</li>" for n in report.notes) + "</ul>"))
    sections.append(Section(f"{measure_words(report.metric, report.positive)} by month",
                            html=backtest_chart(report),
                            note=" ".join(filter(None, [
                                measure_sentence(report.metric, report.positive),
                                _unmeasured_months(report)]))))
    return sections


def _unmeasured_months(report: BacktestReport) -> str:
    """The months a backtest's headline measure has no value in (left out of the chart),
    with the reason: "" when there are none."""
    months = report.unmeasured_months()
    if not months:
        return ""
    return (f"{measure_words(report.metric, report.positive)} in "
            f"{', '.join(months)}: {report.not_measured} (left out of the chart).")


#: the backtest's baselines, in words (the text output names them)
BASELINE_WORDS = ("simple rules any model must beat: every row gets the share of 'yes' seen "
                  "before it (tabular-share: over the whole training period; "
                  "tabular-last-period: in its last weeks; tabular-last-year: in the same "
                  "weeks a year earlier)")
INTERVAL_WORDS = ("[from, to]: the 95% interval, the range the true figure most likely lies "
                  "in")


def _explained(lines: list[str]) -> str:
    """The closing note of a text output: what its terms mean, once."""
    return "\n".join(["What the figures mean:", *(f"  - {line}" for line in lines if line)])


def backtest_text_note(report: BacktestReport) -> str:
    """What ``glamlab backtest``'s text output means, in words, said once after it (as the
    HTML report says it beside its table): the measure, the interval, the baselines."""
    from ..evaluation.backtest import not_measured
    from ..predictors.tabular import BASELINES

    baselines = [m for m in report.models if m in BASELINES]
    # a measure the text does not show and no model has a value of, in words (the
    # HTML report says it in its table's cells)
    unmeasured = [f"{measure_words(k, report.positive)}: {not_measured(k, report.positive)}"
                  + (" (a ranking needs rows of both outcomes)" if k == "auc" else "") + "."
                  for k in report.unmeasured()]
    # the months the headline has no value in (the text shows the months pooled)
    if (months := _unmeasured_months(report)) and len(report.unmeasured_months()) < len(
            report.folds):  # every month's: the pooled figure above says it already
        unmeasured.append(months.replace(" (left out of the chart)", ""))
    return "\n".join(unmeasured + [_explained([
        measure_sentence(report.metric, report.positive),
        INTERVAL_WORDS + " (whole weeks of rows resampled).",
        f"{', '.join(baselines)}: the baselines, {BASELINE_WORDS}." if baselines else ""])])


def monitor_text_note(report: TabularMonitorReport) -> str:
    """What ``glamlab monitor``'s text output of a tabular project means, in words, said
    once after it: the estimate and its interval, the measure, the flagged columns."""
    ws = report.windows
    if not ws:
        return ""
    metric = ws[0].estimate.metric
    m = measure_words(metric, report.positive)
    # the label as the figures above print it ("estimated mae", "estimated F1 for ...")
    shown = ws[0].estimate.said or metric
    lines = [f"estimated {shown} [from, to]: " + ESTIMATE_WORDS.format(m=m).removeprefix(
                 "Estimated: ").replace("; trusted: whether that estimate can be relied on",
                                        "; 'not to be trusted' says why it cannot be relied "
                                        "on"),
             measure_sentence(metric, report.positive)]
    if report.flagged:
        lines.append("'N times its usual spread; flagged above T': how far a column moved "
                     "from its values in the reference (the rows before the window), in "
                     "multiples of its usual variation; above T it is flagged, and the "
                     "column that moved furthest is the most likely cause.")
    return _explained(lines)


__all__ = ["backtest_sections", "backtest_text_note", "monitor_page", "monitor_sections",
           "monitor_sections_html", "monitor_text_note"]
