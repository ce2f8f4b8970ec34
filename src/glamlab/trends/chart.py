"""The trends page: one chart per label (corrected share with its 95% band, the raw
"classify and count" share dashed), the n-gram baseline for the same groups, and every
number in a table. Self-contained: inline SVG, CSS and a few lines of script (checkboxes
that show or hide the raw, corrected and n-gram series); no network, no fonts."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from ..reports import Section, plots, render_page, table_html
from ..tasks.spans.hipe import type_words
from .quantify import is_flagged, is_too_few

if TYPE_CHECKING:
    from .trend import TrendResult

SCRIPT = """
document.querySelectorAll('input[data-toggle]').forEach(function (box) {
  box.addEventListener('change', function () {
    var key = box.getAttribute('data-toggle');
    document.querySelectorAll('svg .' + key).forEach(function (el) {
      el.style.display = box.checked ? '' : 'none';
    });
  });
});
"""

#: the end of a chart's description: a screen reader's user hears where its numbers are
NUMBERS_BELOW = "Every number of the chart is in the table after it."

#: an entity trend's raw line, in words: it counts mentions, it classifies no item
RAW_MENTIONS = "mentions found"  # short: a chart legend keeps 24 characters

TOGGLES = """<p class="note">Show:
<label><input type="checkbox" data-toggle="corrected" checked> corrected share (95% band)</label>
<label><input type="checkbox" data-toggle="raw" checked> raw share (classify and count)</label>
<label><input type="checkbox" data-toggle="ngram" checked> words per 1,000</label></p>"""


def toggles(result: TrendResult) -> str:
    """The checkboxes that show or hide the series (a constant, no user text in it): rates
    instead of shares for an entity trend, no words checkbox without words."""
    html = TOGGLES
    if result.settings.get("measure"):  # mentions counted, not items classified
        html = html.replace("corrected share", "corrected").replace(
            "raw share (classify and count)", f"raw ({RAW_MENTIONS})")
    if not result.terms:
        html = html.rsplit("<label>", 1)[0] + "</p>"
    return html


def _label(group: Any) -> str:
    if group is _APART:
        return ""
    return "(no value)" if group is None else str(group)


#: the empty place on a chart's axis between the dated groups and "(no value)": the line
#: stops there, so that "(no value)" is not read as the next step in time
_APART = object()
#: at most this many places on a time axis (missing years included); longer: groups only
MAX_SLOTS = 600


def axis(result: TrendResult, groups: list[str | None]) -> list[Any]:
    """The places on a chart's x axis: grouped by year, decade or century, every step
    between the first group and the last, those with no item empty (so a missing decade
    shows as a gap and the line breaks over it, instead of 1590s-1610s looking like one
    step); "(no value)" set apart after an empty place, never joined to the line."""
    from .buckets import GroupBy, year_of

    gb = GroupBy.parse(result.by)
    dated = [g for g in groups if g is not None]
    out: list[Any] = list(dated)
    step = {"year": 1, "decade": 10, "century": 100}.get(gb.bucket or "")
    years = [year_of(g) for g in dated]
    if step and dated and None not in years:
        first, last = min(years), max(years)  # type: ignore[type-var]
        assert first is not None and last is not None
        if (last - first) // step + 1 <= MAX_SLOTS:
            slots = [gb.key(y) for y in range(first, last + 1, step)]
            if set(dated) <= set(slots):
                out = slots
    if None in groups:
        out += ([_APART] if out else []) + [None]
    return out


def trend_page(result: TrendResult) -> str:
    from .words import label_summary, method_name, method_words, no_value_words, per_words

    groups = result.groups()
    measure = result.settings.get("measure")
    intro = (f"Share of items with each label per {result.by}, from the predictions of "
             f"{result.model}. The raw share counts the model's predictions (classify and "
             f"count); the corrected share removes the model's measured "
             "errors, and its band is a 95% interval that includes both the group's size and "
             "the uncertainty of those error rates. Hollow points: groups too small to say "
             "much, that could not be corrected, or whose count lies outside what the "
             "model's measured error rates can explain (clipped: the corrected share is not "
             "reliable there, and its band holds at least the uncorrected share's; hover "
             "for why).")
    if not result.corrected:  # the "corrected" line is the raw one
        intro = intro.replace("the corrected share removes the model's "
                              "measured errors", "the second line is not corrected here ("
                              + method_words(result) + ")")
    if measure:
        intro = (f"Entity mentions per 1,000 words, {per_words(result.by)}, from the spans "
                 f"{result.model} found. The raw line counts its spans; the corrected line "
                 "multiplies them by the number of mentions people marked for each one the "
                 "model found on the labelled test texts (a model that finds half as many has "
                 "its count doubled), and its band is a 95% interval for both the group's "
                 "spread and that factor's uncertainty. "
                 "Hollow points: groups too small to say much, or types the test split cannot "
                 "correct (hover for why).")
    if result.corrected and not measure:
        # the method's name (cpcc, acc, emq...) is for the data scientist: in words too
        intro = " ".join([intro, method_words(result)])
    if result.notes:  # e.g. no model in use: the latest run's model's predictions, which one
        intro = " ".join([intro, *result.notes])
    intro += (" Grey points, off the line: groups of too few items to read on their own "
              "(hover for how many).")
    undated = no_value_words(result)
    if undated:  # once for every label, not in each label's words
        intro += " " + undated
    sections = [Section("What this shows", text=intro, html=toggles(result))]
    if result.warnings:  # before any figure, in a box that is not read past
        sections.insert(0, Section("Read this first", html="".join(
            f"<p><strong>Warning:</strong> {escape(w)}</p>" for w in result.warnings),
            kind="warning"))
    for label in result.labels:
        # what the figures say, in words, above the chart (as the web page and the demo
        # say it): the largest group, the first and last (the records with no year are
        # said once, above)
        sections.append(Section(f"Type: {type_words(label)}" if measure else f"Label: {label}",
                                text=" ".join(label_summary(result, label)),
                                html=label_chart(result, label, groups)
                                + label_numbers(result, label, groups),
                                note=_rates_note(result, label)))
    if result.terms:
        sections.append(Section("Words and phrases (the n-gram baseline)",
                                html=terms_chart(result, groups)
                                + terms_numbers(result, groups)))
    table = [{**r, "group": _label(r["group"])} for r in result.table()]
    cols = ["group", "series", "name", "n", *result.value_columns(), "low", "high", "status",
            "per_1000_words", "per_1000_low", "per_1000_high"]
    raw, corrected = result.value_columns()
    said = ["group", "series", "name", "items", raw.replace("_", " "),
            corrected.replace("_", " "), "95% interval from", "to", "status",
            "per 1,000 words", "95% from", "to"]
    sections.append(Section("Every number", html=table_html(
        table, cols, headers=said, titles=[None, None, None, "n", raw, corrected, "low",
                                           "high", None, "per_1000_words", "per_1000_low",
                                           "per_1000_high"]),
        note="The same table as --csv / --parquet / --json (their column names in each "
             "header's tooltip)."))
    return render_page(f"Trends by {result.by}", sections,
                       subtitle=f"model {result.model}, " + (
                           f"corrected with {method_name(result.method)}" if result.corrected
                           else f"not corrected ({result.method})"),
                       script=SCRIPT)


def terms_chart(result: TrendResult, groups: list[str | None] | None = None,
                desc: str = NUMBERS_BELOW) -> str:
    """The inline SVG of the n-gram baseline: each word or phrase per 1,000 words, in the
    groups of the trend (the trends page and the web app's Trends page)."""
    groups = axis(result, result.groups() if groups is None else groups)
    xs = [_label(g) for g in groups]
    terms = list(dict.fromkeys(t.term for t in result.terms))
    series: list[dict[str, Any]] = []
    for k, term in enumerate(terms):
        per_group = {t.group: t for t in result.terms if t.term == term}
        rows = [per_group.get(g) for g in groups]
        series.append({"name": f"\u201c{term}\u201d", "key": "ngram",
                       "values": [r.per_1000_words if r else None for r in rows],
                       "low": [r.low if r else None for r in rows],
                       "high": [r.high if r else None for r in rows],
                       "flags": ["" if r is None or not is_flagged(r.status) else r.status
                                 for r in rows],
                       "faint": [r is not None and is_too_few(r.status) for r in rows],
                       "color": plots.PALETTE[(k + 2) % len(plots.PALETTE)]})
    return plots.band_chart(xs, series, title="occurrences per 1,000 words",
                            y_label="per 1,000 words", desc=desc)


def label_chart(result: TrendResult, label: str,
                groups: list[str | None] | None = None, desc: str = NUMBERS_BELOW) -> str:
    """The inline SVG of one label: the corrected share with its 95% band, the raw share
    dashed with square points (the trends page and the web app's Trends page); ``desc``
    ends its description (where its numbers are)."""
    groups = axis(result, result.groups() if groups is None else groups)
    xs = [_label(g) for g in groups]
    by_group = {r.group: r for r in result.rows if r.label == label}
    rows = [by_group.get(g) for g in groups]

    def col(attr: str) -> list[float | None]:
        return [getattr(r, attr) if r is not None else None for r in rows]

    flags = [("" if r is None or not is_flagged(r.status) else r.status) for r in rows]
    # a group of too few items is no point of the line: grey, outside the line and band
    faint = [r is not None and is_too_few(r.status) for r in rows]
    series: list[dict[str, Any]] = [
        {"name": "corrected" if result.settings.get("measure") else
         "corrected share" if result.corrected else "not corrected", "key": "corrected",
         "values": col("estimate"), "low": col("low"), "high": col("high"), "flags": flags,
         "faint": faint, "color": plots.PALETTE[0]},
        {"name": f"raw ({RAW_MENTIONS})" if result.settings.get("measure")
         else "raw (classify and count)", "key": "raw", "values": col("raw"),
         "style": 1, "flags": flags, "faint": faint, "color": plots.PALETTE[1]},
    ]
    top = max([v for s in series for k in ("values", "high")
               for i, v in enumerate(s.get(k) or [])
               if v is not None and (k == "values" or not faint[i])] + [0.05]) * 1.1
    if result.settings.get("measure"):
        return plots.band_chart(xs, series,
                                title=f"mentions of {type_words(label)} per 1,000 words",
                                y_label="per 1,000 words", y_max=top, desc=desc)
    return plots.band_chart(
        xs, series, title=f"share of items labelled {label!r}", y_label="share",
        y_max=min(1.0, top), desc=desc)


def _share(v: float) -> str:
    return f"{v:.1%}"


def _rate(v: float) -> str:
    return f"{v:.2f}"


def label_numbers(result: TrendResult, label: str, groups: list[str | None] | None = None
                  ) -> str:
    """The numbers of :func:`label_chart` as a table, under "Show the numbers" (the
    chart's text alternative, on the trends page glamlab trends --html writes)."""
    groups = axis(result, result.groups() if groups is None else groups)
    xs = [_label(g) for g in groups]
    by_group = {r.group: r for r in result.rows if r.label == label}
    rows = [by_group.get(g) for g in groups]
    measure = result.settings.get("measure")
    corrected = ("corrected per 1,000 words" if measure else "corrected share"
                 if result.corrected else "not corrected")
    raw = f"raw ({RAW_MENTIONS})" if measure else "raw share (classify and count)"
    series = [{"name": corrected, "values": [r.estimate if r else None for r in rows],
               "low": [r.low if r else None for r in rows],
               "high": [r.high if r else None for r in rows],
               "flags": [r.status if r is not None and (is_flagged(r.status)
                                                        or is_too_few(r.status)) else ""
                         for r in rows]},
              {"name": raw, "values": [r.raw if r else None for r in rows]}]
    return plots.numbers_table(
        xs, series, caption=(f"mentions of {type_words(label)} per 1,000 words" if measure
                             else f"share of items labelled {label!r}") + f" by {result.by}",
        fmt=_rate if measure else _share, x_name=result.by)


def terms_numbers(result: TrendResult, groups: list[str | None] | None = None) -> str:
    """The numbers of :func:`terms_chart` as a table, under "Show the numbers"."""
    groups = axis(result, result.groups() if groups is None else groups)
    xs = [_label(g) for g in groups]
    series = []
    for term in dict.fromkeys(t.term for t in result.terms):
        per_group = {t.group: t for t in result.terms if t.term == term}
        rows = [per_group.get(g) for g in groups]
        series.append({"name": f"\u201c{term}\u201d",
                       "values": [r.per_1000_words if r else None for r in rows],
                       "low": [r.low if r else None for r in rows],
                       "high": [r.high if r else None for r in rows],
                       "flags": [r.status if r is not None and (is_flagged(r.status) or
                                                                is_too_few(r.status)) else ""
                                 for r in rows]})
    return plots.numbers_table(xs, series, caption=f"occurrences per 1,000 words by {result.by}",
                               fmt=_rate, x_name=result.by)


def _rates_note(result: TrendResult, label: str) -> str:
    r = result.rates.get(label)
    if not r:
        return ""
    if "ratio" in r:
        return (f"Measured on the {r['source']}: {r['test_gold_mentions']:,} mentions of "
                f"{type_words(label)} marked by people, {r['test_predicted_mentions']:,} "
                "found by the model"
                + (f"; so its count is multiplied by {r['ratio']:.2f}."
                   if r["ratio"] is not None else "; no correction is possible."))
    head = (f"Error rates measured on {r['source']}: {r['labelled_positives']} with the "
            f"label, {r['labelled_negatives']} without")
    found = (f"the model finds {r['tpr']:.0%} of those with it (true-positive rate)"
             if r["labelled_positives"] else "how many of those with it the model finds "
             "cannot be measured (none is labelled)")
    wrong = (f"it wrongly puts it on {r['fpr']:.0%} of those without (false-positive rate)"
             if r["labelled_negatives"] else "how often it puts it on items without it "
             "cannot be measured (none is labelled)")
    return f"{head}; {found}; {wrong}."
