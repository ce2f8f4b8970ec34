"""The evaluation report: one self-contained HTML page (see :mod:`glamlab.reports`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..evaluation.evaluate import METRIC_WORDS
from . import plots
from .html import Section, table_html, write_page
from .words import (
    AGREEMENT_EXPLAINED,
    CHANCE_HEADER,
    chance,
    macro_sentence,
    metric_name,
    plain_html,
    plain_stats,
)

if TYPE_CHECKING:
    from ..evaluation.evaluate import EvaluationResult
    from ..workspace import Workspace


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns),
             "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)


def leaderboard_text(result: EvaluationResult, *, noun: str = "label") -> str:
    """The leaderboard, slices flagged as worse, warnings and the verdict, as text.
    ``noun``: what the classes are ("outcome" for a table's yes/no outcomes), for the
    sentence saying that f1_macro is the average over them."""
    rows = []
    cm = result.count_metric if any(result.count_metric in r for r in result.leaderboard) \
        else None
    rows_metric = f"{result.metric} (rows)" if cm else result.metric
    for r in result.leaderboard:
        rows.append({"candidate": r["candidate"] + (" (in-sample)" if r["in_sample"] else ""),
                     "kind": r["kind"],
                     **({cm: f"{r[cm]:.3f}",
                         f"{cm} 95% interval": f"{r[f'{cm}_low']:.3f}-{r[f'{cm}_high']:.3f}",
                         rows_metric: f"{r[result.metric]:.3f}"} if cm else {}),
                     result.metric: f"{r[result.metric]:.3f}",
                     "95% interval": f"{r['low']:.3f}-{r['high']:.3f}",
                     "failed": r["failed"],
                     "items/s": f"{r['items_per_s']:,.0f}" if r["items_per_s"] else "",
                     f"cost/1000 ({result.currency})": f"{r['cost_per_1000']:.2f}",
                     "calls": r["calls"] if r.get("service") else "",
                     f"spent ({result.currency})": f"{r['spent']:.2f}" if r.get("service")
                     else ""})
    cols = ["candidate", "kind",
            *([cm, f"{cm} 95% interval", rows_metric] if cm else
              [result.metric, "95% interval"]),
            "failed", "items/s", f"cost/1000 ({result.currency})"]
    if any(r.get("service") for r in result.leaderboard):  # an external service's spend
        cols += ["calls", f"spent ({result.currency})"]
    macro = macro_sentence(result.metric, result.classes, noun)
    words = (result.count_summary or {}).get("words") or f"{cm}, the count error per slot"
    head = (f"{result.test_items:,} test items; judged by {words} (lower is better); "
            f"{result.metric} scores the rows one by one." if cm else
            f"{result.test_items:,} test items; metric {result.metric}.")
    lines = [head,
             *([f"{macro}."] if macro else []), _table(rows, cols)]
    overall = {r["candidate"]: r[result.metric] for r in result.leaderboard}
    for c in result.candidates:
        for field_name, slices in c.slices.items():
            worse = [s for s in slices if s.get("worse")]
            if worse:
                # the slices are scored row by row (the leaderboard's metric), named so
                # beside a count task's count error
                whole = (f", against {overall[c.name]:.2f} on all test items"
                         if c.name in overall else "")
                lines.append(f"{c.name} does significantly worse on {field_name} = "
                             + ", ".join(f"{s['value']} ({result.metric} {s[result.metric]:.2f} "
                                         f"on {s['items']} items)" for s in worse)
                             + whole)
    for w in result.warnings:
        lines.append(f"warning: {w}")
    lines.append(f"verdict: {result.verdict}")
    return "\n".join(lines)


def report_sections(result: EvaluationResult, *, title_prefix: str = "",
                    noun: str = "label") -> list[Section]:
    metric = result.metric
    word = METRIC_WORDS.get(metric) or metric_name(metric)  # a measure in words
    sections = [Section("Verdict", text=result.verdict, kind="verdict")]
    for w in result.warnings:
        sections.append(Section("Warning", text=w, kind="warning"))
    # copies: the result's own rows stay as they are, so a second call says the same
    board = [dict(r) for r in result.leaderboard]
    for r in board:
        if r["in_sample"]:  # chosen on the test split: its figure is not one to expect
            r["candidate"] += " (in-sample: chosen on the test split)"
        r["interval"] = f"{r['low']:.3f} \u2013 {r['high']:.3f}"
        r["cost"] = f"{r['cost_per_1000']:.2f} {result.currency}"
        r["spend"] = (f"{r['calls']} calls, {r['spent']:.2f} {result.currency} "
                      f"({r['cached']} from the cache)" if r.get("service") else "")
    spend = any(r.get("service") for r in board)
    # a count task: its count error per slot first (what it is judged by), the rows' after
    cm = result.count_metric if board and all(result.count_metric in r for r in board) \
        else None
    lead: list[str] = []
    lead_headers: list[str] = []
    chart = plots.bar_chart([r["candidate"] for r in board], [r[metric] for r in board],
                            low=[r["low"] for r in board], high=[r["high"] for r in board],
                            title=f"{word} on the test split, with 95% bootstrap intervals",
                            max_value=1.0, numbers=True, x_name="candidate", value_name=word)
    if cm:
        for r in board:
            r["count_interval"] = f"{r[f'{cm}_low']:.3f} \u2013 {r[f'{cm}_high']:.3f}"
        lead, lead_headers = [cm, "count_interval"], [f"{metric_name(cm)} per slot",
                                                      "95% interval (slots resampled)"]
        chart = plots.bar_chart([r["candidate"] for r in board], [r[cm] for r in board],
                                low=[r[f"{cm}_low"] for r in board],
                                high=[r[f"{cm}_high"] for r in board],
                                title=f"{metric_name(cm)} per slot on the test split (lower is "
                                      "better), with 95% bootstrap intervals",
                                numbers=True, x_name="candidate",
                                value_name=f"{metric_name(cm)} per slot")
        word = f"{word} (the rows one by one)"
    sections.append(Section(
        "Leaderboard",
        html=table_html(board, ["candidate", "kind", *lead, metric, "interval", "failed",
                                "items_per_s", "cost", *(["spend"] if spend else [])],
                        headers=["candidate", "kind", *lead_headers, word, "95% interval",
                                 "failed items", "items/s", "cost per 1,000 items",
                                 *(["spent in this evaluation"] if spend else [])],
                        titles=[None, None, *([cm, None] if cm else []), metric],
                        css_class="leaderboard")
        + chart,
        note=f"{result.test_items:,} test items (test split fingerprint "
             f"{result.test_fingerprint[:12]}); intervals from {result.n_boot:,} bootstrap "
             "resamples over items."
             + (f" {macro}." if (macro := macro_sentence(metric, result.classes, noun)) else "")))
    if result.comparisons:
        # the p-values in words (how often luck alone gives a gap this big), each test's name in
        # its header's tooltip
        rows = [{"comparison": f"{c.b} vs {c.a}", "difference": c.difference,
                 "interval": f"{c.low:+.3f} \u2013 {c.high:+.3f}",
                 "p": chance(c.p_value, c.n_boot),
                 "mcnemar_p": chance((c.mcnemar or {}).get("p_value")), "verdict": c.verdict}
                for c in result.comparisons]
        sections.append(Section("Paired comparisons", html=table_html(
            rows, ["comparison", "difference", "interval", "p", "mcnemar_p", "verdict"],
            headers=["comparison", f"{word} difference", "95% interval",
                     f"{CHANCE_HEADER} (resampling the test items)",
                     f"{CHANCE_HEADER} (the items only one of them gets right)", "in words"],
            titles=[None, metric, None, "paired bootstrap p-value", "McNemar p-value"])))
    headline = sorted(result.candidates[0].metrics)
    rows = [{"candidate": c.name, **{m: c.metrics[m]["value"] for m in headline}}
            for c in result.candidates]
    sections.append(Section("All metrics", html=table_html(
        rows, ["candidate", *headline], headers=["candidate", *map(metric_name, headline)],
        titles=[None, *headline])))
    for c in sorted(result.candidates, key=lambda c: -c.metrics[metric]["value"]):
        parts = [plots.bar_chart([p["label"] for p in c.per_label], [p["f1"] for p in c.per_label],
                                 low=[p["f1_low"] for p in c.per_label],
                                 high=[p["f1_high"] for p in c.per_label],
                                 title=f"F1 per label ({c.name})", max_value=1.0,
                                 numbers=True, x_name=noun, value_name="F1")]
        if c.confusion is not None:
            parts.append(plots.heatmap(c.confusion, result.classes, result.classes,
                                       title=f"Confusion matrix ({c.name})", row_title="truth",
                                       col_title="prediction", numbers=True))
        # each chart with its numbers under it
        html = '<div class="plots">' + "".join(f"<div>{p}</div>" for p in parts) + "</div>"
        html += table_html(c.per_label, ["label", "precision", "recall", "f1", "f1_low",
                                         "f1_high", "support"],
                           headers=["label", "precision", "recall", "F1",
                                    "F1, 95% interval from", "to", "test items"],
                           titles=[None, None, None, "f1", "f1_low", "f1_high", "support"])
        note = (f"{c.items_per_s:,.1f} items/s" if c.items_per_s else "") + (
            f"; {len(c.failures)} items failed" if c.failures else "")
        if c.failures:
            html += table_html(c.failures[:20], ["item", "reason"])
        sections.append(Section(f"{c.name} ({c.kind})", html=html, note=note))
        for field_name, rows_ in c.slices.items():
            flagged = [r for r in rows_ if r.get("worse")]
            chart = plots.bar_chart([f"{r['value']} ({r['items']})" for r in rows_],
                                    [r[metric] for r in rows_], low=[r["low"] for r in rows_],
                                    high=[r["high"] for r in rows_], max_value=1.0,
                                    reference=c.metrics[metric]["value"],
                                    reference_label="whole test set",
                                    title=f"{word} by {field_name} ({c.name})",
                                    numbers=True, x_name=f"{field_name} (items)",
                                    value_name=word)
            shown = [{**r, "p_value": chance(r.get("p_value"))} for r in rows_]
            table = table_html(shown, ["value", "items", metric, "low", "high", "difference",
                                       "p_value", "worse"], flag="worse",
                               headers=["value", "items", word, "95% interval from", "to",
                                        "difference", CHANCE_HEADER, "worse"],
                               titles=[None, None, metric, None, None, None,
                                       "permutation test p-value (Holm-adjusted)"])
            note = (f"{len(flagged)} slice(s) significantly worse than the whole: "
                    + ", ".join(str(r["value"]) for r in flagged)) if flagged else (
                "no slice is significantly worse than the whole (permutation test: random "
                "sets of as many items, without replacement; Holm-adjusted).")
            sections.append(Section(f"Slices by {field_name} ({c.name})", html=chart + table,
                                    note=note))
    return sections


def rules_section(rules: dict[str, Any]) -> Section:
    """The rules baseline's per-rule summary (coverage, overlaps, conflicts, accuracy)."""
    return Section(
        "Rules", html=table_html(rules["rules"], ["rule", "label", "priority", "coverage",
                                                  "overlaps", "conflicts", "correct",
                                                  "incorrect", "empirical_accuracy"]),
        note=f"On the {rules['labelled']:,} labelled training items; any rule fires on "
             f"{rules['coverage']:.0%} of them ({rules['abstained']:,} left to the default "
             f"{rules['default']!r}). Coverage, overlaps and conflicts are shares of items.")


def write_report(result: EvaluationResult, path: str | Path, *, workspace: str | Workspace = "",
                 extra: list[Section] | None = None) -> Path:
    """Write the report; ``extra`` sections (e.g. :func:`rules_section`) go after the
    leaderboard's comparisons. Given the ``workspace`` itself (not its path), the report
    ends with the agreement between its labellers (:func:`~.agreement.agreement_section`,
    what ``glamlab labels agreement`` says)."""
    tabular = not isinstance(workspace, str) and workspace.card.modality == "tabular"
    sections = report_sections(result, noun="outcome" if tabular else "label")
    if extra:
        sections = sections[:3] + list(extra) + sections[3:]
    if not isinstance(workspace, str):
        from .agreement import agreement_section

        agreed = agreement_section(workspace)
        if "kappa" in agreed.text or "alpha" in agreed.text or agreed.html:
            # what the measures mean, as the Reports page says under them
            agreed.note = " ".join(filter(None, (AGREEMENT_EXPLAINED, agreed.note)))
        sections.append(agreed)
        workspace = str(workspace.root)
    # in a curator's words, as the web app's Reports page says them: each measure's
    # stored name in a tooltip, each p-value as how often luck alone gives a gap this big
    sections = [Section(plain_stats(s.title), text=plain_stats(s.text),
                        html=plain_html(s.html), note=plain_stats(s.note), kind=s.kind,
                        anchor=s.anchor) for s in sections]
    return write_page(path, "glamlab evaluation", sections,
                      subtitle=(f"{workspace} - " if workspace else "")
                      + f"{result.test_items:,} test items, measured by "
                        f"{metric_name(result.metric)}")
