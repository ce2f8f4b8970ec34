"""A report's statistics in a curator's words, for the web app's pages and the HTML
reports the command line writes (``glamlab evaluate --html``) alike: each measure's
stored name (``f1_macro``) in words (``F1 (macro average)``), and each p-value said as
how often luck alone gives a gap this big, its number kept for the data scientist. In HTML the
measure's stored name stays in a tooltip (``<abbr title="f1_macro">``)."""

from __future__ import annotations

import re
from html import escape, unescape

#: the stored names of the measures, as a curator reads them
METRIC_NAMES = {
    "f1_macro": "F1 (macro average)", "f1_micro": "F1 (micro average)",
    "mae": "average miss of the count (MAE)", "rmse": "root mean squared miss of the count",
    "f1_weighted": "F1 (weighted average)", "f1_samples": "F1 (per item, averaged)",
    "precision_at_k": "precision of the top suggestions",
    "recall_at_k": "recall of the top suggestions",
    "ndcg_at_k": "ranking quality of the suggestions",
    "strict_micro_f1": "F1 (exact names and types)", "fuzzy_micro_f1": "F1 (overlapping names)",
    "strict_micro_precision": "precision (exact names and types)",
    "strict_micro_recall": "recall (exact names and types)",
    "fuzzy_micro_precision": "precision (overlapping names)",
    "fuzzy_micro_recall": "recall (overlapping names)",
}
#: the terms of statistics a curator meets on the web app's pages and in the HTML reports,
#: each in a short plain sentence shown beside it (a tooltip): one source for both
GLOSSARY = {
    "krippendorff_alpha": (
        "Krippendorff's alpha says how often people who label the same items give them "
        "the same label, beyond what chance alone would give"),
    "macro_average": (
        "a macro average works the figure out for each label on its own, then averages "
        "them, every label counting the same however few items it has"),
}

#: what the agreement measures named on the pages and in the reports mean, for whoever
#: has not met them
AGREEMENT_EXPLAINED = (
    "Cohen's kappa (two people) and Krippendorff's alpha (any number of people) say how "
    "often people give an item the same label, beyond what chance alone would give: 1 is "
    "full agreement, 0 no more than chance; 0.80 or more means the labels can be trusted.")


def metric_title(metric: str | None) -> str:
    """A measure's tooltip: its stored name (``f1_macro``), and for an average over the
    labels what that is, in plain words (:data:`GLOSSARY`)."""
    name = metric or ""
    return f"{name}: {GLOSSARY['macro_average']}" if name.endswith("_macro") else name


#: each stored name, and as the reports say it with spaces ("f1 macro")
_SPOKEN = {**METRIC_NAMES, **{k.replace("_", " "): v for k, v in METRIC_NAMES.items()}}
_METRIC = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _SPOKEN), key=len, reverse=True))
                     + r")\b")
#: "p = 0.011", "p < 0.001": a bootstrap's p-value in a verdict
_P_VALUE = re.compile(r"\bp ([=<]) (\d*\.\d+)")

#: a comparison table's p-values, as their column headers say them (the test's name in
#: the header's tooltip): how often two candidates equally good would differ by this much
#: or more on this test set, not the chance the difference is luck (what a p-value is not)
CHANCE_HEADER = "how often luck alone gives a gap this big"


def metric_name(metric: str | None) -> str:
    """A measure's stored name (``f1_macro``) in words (``F1 (macro average)``)."""
    return METRIC_NAMES.get(metric or "", (metric or "").replace("_", " "))


def _percent(p: float) -> str:
    return f"{p * 100:.0f}%" if p >= 0.01 else f"{p * 100:.1f}%"


def chance(p: float | None, n_boot: int | None = None) -> str:
    """A p-value in a table's cell, as :func:`plain_stats` says one: "1% (p-value
    0.011)"; the smallest a bootstrap of ``n_boot`` resamples can tell (or under 0.001)
    is "under 0.5% (p-value under 0.00498)", as
    :func:`~glamlab.evaluation.bootstrap.format_p` writes it. '' for None."""
    from ..evaluation.bootstrap import p_bound

    if p is None or p != p:
        return ""
    under = p_bound(p, n_boot)
    if under is not None:
        return f"under {_percent(under)} (p-value under {under:.3g})"
    return f"{_percent(p)} (p-value {p:.3f})"


def _plain_p(text: str) -> str:
    """The p-values of ``text`` said as how often luck alone gives a gap this big."""
    def p_value(m: re.Match[str]) -> str:
        p, under = float(m.group(2)), m.group(1) == "<"
        said = f"{'under ' if under else ''}{_percent(p)}"
        number = f"p-value {'under ' if under else ''}{m.group(2)}"
        if text[:m.start()].endswith("chance ("):  # "unlikely to be chance (p < 0.005)"
            return f"{said}; {number}"
        return f"how often luck alone gives a gap this big: {said} ({number})"

    return _P_VALUE.sub(p_value, text)


def _plain_text(text: str) -> str:
    return _METRIC.sub(lambda m: _SPOKEN[m.group(1)], _plain_p(text))


def plain_stats(text: str | None) -> str:
    """A report's words (or its HTML, tags left as they are) with each measure's stored name
    in words and each p-value said as how often luck alone gives a gap this big (were the
    two equally good), its number kept:
    "on f1_macro (..., p = 0.011)" becomes "on F1 (macro average) (..., how often luck alone
    gives a gap this big: 1% (p-value 0.011))"."""
    if not text:
        return text or ""
    parts = re.split(r"(<[^>]*>)", str(text))
    return "".join(part if part.startswith("<") else _plain_text(part) for part in parts)


def plain_html(html: str | None) -> str:
    """Trusted HTML (a report's tables) in a curator's words, as :func:`plain_stats`
    says them, reading the escaped text as it shows ("p &lt; 0.005" is "p < 0.005"); a
    measure's stored name stays in a tooltip (:func:`metric_title`, which says what a
    macro average is too): ``<abbr title="f1_macro: a macro average ...">F1 (macro
    average)</abbr>``. Markup already in plain words is left as it is."""
    if not html:
        return html or ""

    def text(part: str, in_svg: bool) -> str:
        said = _plain_p(unescape(part))
        if in_svg:  # a plot's words: no HTML in SVG
            return escape(_METRIC.sub(lambda m: _SPOKEN[m.group(1)], said), quote=False)
        out, at = [], 0
        for m in _METRIC.finditer(said):
            out.append(escape(said[at:m.start()], quote=False))
            name = m.group(1).replace(" ", "_")
            out.append(f'<abbr title="{escape(metric_title(name))}">'
                       f'{escape(_SPOKEN[m.group(1)])}</abbr>')
            at = m.end()
        out.append(escape(said[at:], quote=False))
        return "".join(out)

    out, svg = [], 0
    for part in re.split(r"(<[^>]*>)", str(html)):
        if part.startswith("<"):
            svg += 1 if _SVG_OPEN.match(part) else -1 if part.lower() == "</svg>" else 0
            out.append(part)
        else:
            out.append(text(part, svg > 0))
    return "".join(out)


_SVG_OPEN = re.compile(r"<svg\b(?![^>]*/>)", re.I)


#: the measures of a tabular project's backtest and monitor, by their stored names: the
#: words a curator reads (the term kept in brackets for the data scientist), and a
#: sentence saying what the figure means
MEASURE_WORDS = {
    "f1": ("F1", "how well the yes/no predictions match what happened, missed cases and "
                 "false alarms alike: 1 is perfect, 0 is none right"),
    "auc": ("ranking (AUC)", "how often the model gives a row that turned out yes a higher "
                             "probability than one that did not: 0.5 is a coin toss, 1 is "
                             "always"),
    "brier": ("probability error (Brier score)", "the average squared gap between the "
              "predicted probability and what happened (1 or 0): 0 is perfect, lower is "
              "better"),
    "mae": ("average miss (MAE)", "mean absolute error: how far the predicted count is from "
                                  "the real count, on average; lower is better"),
    "rmse": ("average miss, large misses weighing more (RMSE)", "root mean squared error: as "
             "the average miss, but a large miss counts more; lower is better"),
    # not a score: what the misses are read against (a backtest of a count task)
    "mean_count": ("real count per slot, on average", "the number of 'yes' a slot really "
                   "had, on average: the scale to read the misses against (the same for "
                   "every model: it is what happened, not a prediction, so it has no "
                   "interval)"),
}
#: the figures that are no score (the same for every model) and have no interval
NO_INTERVAL = ("mean_count",)


def measure_words(name: str, positive: str | None = None) -> str:
    """A backtest's or monitor's measure (``brier``) in a curator's words
    (``probability error (Brier score)``); an unknown one as it is. ``positive``: the
    outcome F1 is measured for (``TableSchema.positive_outcome``): ``F1 for 'no-show'``, the F1
    of that outcome alone, not the average over outcomes evaluate reports."""
    if name.lower() == "f1" and positive:
        from ..ingest.columns import f1_for

        return f1_for(positive)
    return MEASURE_WORDS.get(name.lower(), (name, ""))[0]


def measure_sentence(name: str, positive: str | None = None) -> str:
    """What the measure means, in a sentence ("probability error (Brier score): the
    average squared gap ..."); '' for an unknown one. F1 with ``positive`` says whose F1
    it is, and that it is not the average over outcomes (``f1_macro``) that glamlab
    evaluate and the model card show."""
    if name.lower() == "f1" and positive:
        from ..ingest.columns import f1_for

        return (f"{f1_for(positive)}: how well the yes/no predictions find the rows whose "
                f"outcome is '{positive}', missed ones and false alarms alike: 1 is "
                "perfect, 0 is none found. It is the F1 of that one outcome, not the F1 "
                "averaged over the outcomes (f1_macro) that glamlab evaluate and the model "
                "card show, so the two differ for the same model.")
    words, means = MEASURE_WORDS.get(name.lower(), (name, ""))
    return f"{words}: {means}." if means else ""


def measures_note(names: list[str] | tuple[str, ...], positive: str | None = None) -> str:
    """The sentences of ``names``' measures, for a report's note."""
    return " ".join(s for s in (measure_sentence(n, positive) for n in dict.fromkeys(names))
                    if s)


def macro_sentence(metric: str, classes: list[str] | tuple[str, ...],
                   noun: str = "label") -> str:
    """What an average over labels means, in words, for the measures that are one
    (``f1_macro``): "f1_macro: the F1 of each outcome ('0', '1'), averaged over the
    outcomes; not the F1 of one outcome alone, which backtest and monitor report as 'F1
    for ...'". '' for other measures. ``noun``: "outcome" for a table's yes/no outcomes."""
    if metric != "f1_macro":
        return ""
    shown = ", ".join(f"'{c}'" for c in classes[:6]) + (", ..." if len(classes) > 6 else "")
    return (f"f1_macro: the F1 of each {noun}{f' ({shown})' if shown else ''}, averaged "
            f"over the {noun}s; not the F1 of one {noun} alone"
            + (", which backtest and monitor report as 'F1 for ...'"
               if noun == "outcome" else ""))
