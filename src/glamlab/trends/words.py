"""A trend in plain words, for a curator who does not read the method table: what was
counted, how, why that way, and how sure the numbers are (the web app's Trends page and
``glamlab demo trends`` say the same thing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..tasks.spans.hipe import type_words
from .quantify import EXACT, PREFERRED, is_clipped, is_flagged

if TYPE_CHECKING:
    from .trend import TrendResult, TrendRow

#: each method in a sentence (the name as ``TrendResult.method`` starts)
METHOD_WORDS = {
    "cc": "the share of items the model puts the label on, not corrected",
    "pcc": "the average of the model's scores, not corrected",
    "cpcc": "each item's score re-calibrated on the labelled items (how often items the model "
            "scored like this really had the label), then averaged",
    "acc": "the share the model predicts, corrected with its error rates on the labelled items",
    "pacc": "the average score, corrected with the average scores of labelled items with "
            "and without the label",
    "emq": "an iterative correction (EM) of the re-calibrated scores towards each group's "
           "own mix",
    "ratio": "the mentions the model found, multiplied by the number of mentions people "
             "marked for each one the model found on the labelled test texts (so if it found "
             "half as many as people marked, its count is doubled)",
}


#: each method in a few words (a chart's subtitle, the command line's first line), its
#: short name after them in parentheses: plain words first, the technical term once
METHOD_SHORT = {
    "cc": "counting the model's predictions",
    "pcc": "averaging the model's scores",
    "cpcc": "re-calibrated scores",
    "acc": "the model's error rates",
    "pacc": "the average scores of labelled items",
    "emq": "an iterative correction",
    "ratio": "people's mentions per mention found",
}


def method_name(method: str) -> str:
    """A method in a few plain words, its short name in parentheses: "re-calibrated scores,
    error rates per group (cpcc+strata)"."""
    words = METHOD_SHORT.get(method.split("+")[0], method.split("+")[0])
    if "+strata" in method:
        words += ", error rates per group"
    if "+pool" in method:
        words += ", small groups helped by the others"
    return f"{words} ({method})"


def pct(x: float | None) -> str:
    return "no figure" if x is None else f"{x:.0%}"


def per_1000(x: float | None) -> str:
    return "no figure" if x is None else f"{x:.1f} per 1,000 words"


def group_name(group: str | None) -> str:
    return "(no value)" if group is None else group


def per_words(by: str) -> str:
    """A grouping as a person says it: ``date:year`` is "per year of date", ``publication``
    "per value of publication"."""
    field, _, bucket = str(by).partition(":")
    return f"per {bucket or 'value'} of {field}"


def no_value_words(result: TrendResult, label: str | None = None) -> str | None:
    """What the group "(no value)" is, said plainly, or None where there is no such group:
    ``45 of the 400 items have no year in date_text (...)``. A historian must know how
    many records the decades leave out, not find them in a group named like a blank
    cell; and how many of them hold only a year that does not date the making of the work
    (``exhibited 1909``, ``published 1881``: :func:`glamlab.trends.buckets.other_date`),
    which a decade would have taken for its year. Said once per trend, not once per label
    (:func:`label_summary` leaves it out). ``label``: of that label's rows (default: the
    first label's)."""
    rows = [r for r in result.rows if label is None or r.label == label]
    first = rows[0].label if rows else None
    total = sum(r.n for r in rows if r.label == first)
    undated = next((r.n for r in rows if r.label == first and r.group is None), None)
    if not undated:
        return None
    things = "texts" if result.settings.get("measure") else "items"
    field, _, bucket = str(result.by).partition(":")
    # 1 of 400 is "under 1%", not "0%" (which reads as none)
    share = ("" if not total else " (under 1%)" if undated / total < 0.005
             else f" ({undated / total:.0%})")
    one = undated == 1
    have, they = ("has", "it is") if one else ("have", "they are")
    if bucket:
        what = (f"{have} no year in {field} (it is empty, or written without a year from "
                f"1000 to 2099, such as 'n.d.' or '?')")
        where = "after the " + ("centuries" if bucket == "century" else bucket + "s")
    else:
        what, where = f"{have} no value of {field}", "last"
    text = (f"{undated:,} of the {total:,} {things}{share} {what}: {they} counted, as the "
            f"group '(no value)' shown {where}, not left out.")
    # counted over the items matched (predicted or not): at most the group's own count
    other = min(int(result.settings.get("other_dates") or 0), undated) if bucket else 0
    if other:
        text += (f" {other:,} of them {'has' if other == 1 else 'have'} a year only of what "
                 f"happened to the work after it was made (such as 'exhibited 1909' or "
                 f"'published 1881'), which is not taken as the year it was made.")
    return text


def _type_name(label: str) -> str:
    """An entity type in words, capitalised to start a sentence: "Places (LOC)"."""
    words = type_words(label)
    return words[:1].upper() + words[1:]


def method_words(result: TrendResult) -> str:
    """The method chosen and why, in a sentence or two."""
    base = result.method.split("+")[0]
    what = METHOD_WORDS.get(base, base)
    choice = result.settings.get("choice") or {}
    reason = str(choice.get("reason") or "")
    if reason == "given":
        why = "You chose this method."
    elif reason.startswith("lowest cross-validated"):
        why = ("glamlab chose it: on the labelled test items (set aside from training), "
               "grouped the same way, it came closest to the true share of a group it had not seen (each group held out "
               "in turn). Its measured error between groups is included in the intervals.")
    elif reason.startswith(PREFERRED):
        why = ("glamlab chose it: on the labelled test items (set aside from training), "
               "grouped the same way, it came about as close to the true share of a group it had not seen (each group held out in "
               "turn) as counting the model's own predictions did, within what that test can "
               "tell apart, and unlike counting it corrects the model's errors. Its measured "
               "error between groups is included in the intervals.")
    elif reason.startswith("default"):
        why = ("glamlab used its default: there are too few labelled test items (set aside "
               "from training) in enough groups to test the methods against each other, so the intervals do not include how "
               "much the method itself errs from group to group; treat them as a lower bound "
               "on the uncertainty.")
    else:
        why = reason
    extra = ""
    if "+strata" in result.method:
        extra += " Error rates are measured within each group where it has labelled items."
    if "+pool" in result.method:
        extra += " Small groups borrow strength from the others."
    if result.settings.get("measure"):
        return (f"Corrected mentions per 1,000 words: {what}. The same factor applies to "
                "every group: the model is assumed to err alike in each.")
    head = "Corrected share" if result.corrected else "Share"
    return f"{head}: {what} (method {result.method}). {why}{extra}"


def label_summary(result: TrendResult, label: str) -> list[str]:
    """What the raw counts and corrected shares of ``label`` say, and how uncertain (the
    group "(no value)" is said once for every label: :func:`no_value_words`)."""
    rows = [r for r in result.rows if r.label == label]
    if not rows:
        return [f"No item has a prediction for {label!r} in any group."]
    ok = [r for r in rows if not is_flagged(r.status) and r.estimate is not None]
    flagged = [r for r in rows if is_flagged(r.status)]
    total = sum(r.n for r in rows)
    corrected = result.corrected
    rates = bool(result.settings.get("measure"))
    things = "texts" if rates else "items"
    name = _type_name(label) if rates else repr(label)
    # the items with no year or value are said once per trend, not per label
    # (:func:`no_value_words`, which every output says before the labels' words)
    out = [f"{name}: {total:,} {things}, counted {per_words(result.by)} "
           f"({len(rows)} groups)."]
    measured = result.rates.get(label) or {}
    if rates and measured.get("ratio") is None:
        out.append(f"The labelled test texts have no mention of {type_words(label)} "
                   + ("the model found" if measured.get("test_gold_mentions") else
                      "marked by people")
                   + ", so this count cannot be corrected: the chart shows what the model "
                     "found, uncorrected. Label a few texts that mention it to correct it.")
        return out
    cannot = [r for r in flagged if r.status.startswith("cannot correct")]
    estimated = [r for r in rows if not r.status.startswith(EXACT)]  # not fully labelled
    if cannot and len(cannot) == len(estimated) and not rates:
        # one reason for every group: the labelled items, not the groups' sizes
        out.append(_cannot_words(label, measured, cannot[0].status))
        return out
    if flagged:
        few = sum(1 for r in flagged if r.status.startswith("too few"))
        clipped = sum(1 for r in flagged if is_clipped(r.status))
        why = ([f"{few} with too few {things}" + (" or words" if rates else "") + " to say much"]
               if few else [])
        if clipped:
            why.append(f"{clipped} whose count the model's measured error rates cannot "
                       "explain, so their corrected share is not reliable")
        if cannot:
            why.append(f"{len(cannot)} that cannot be corrected, so only the raw share is "
                       "shown")
        out.append(f"{len(flagged)} {'group is' if len(flagged) == 1 else 'groups are'} "
                   "flagged" + (f" ({'; '.join(why)})" if why else "")
                   + "; they are drawn hollow"
                   + ("; the intervals of small groups are wide." if few or clipped else "."))
    if not ok:
        if flagged and all(r.status.startswith("too few") for r in flagged):
            # "by century" is a fix only where the groups are years or decades: an artist
            # or a title is grouped more coarsely by another field
            bucket = str(result.by).partition(":")[2]
            coarser = {"year": "by decade or century", "decade": "by century"}.get(
                bucket, "by a field with fewer values" if not bucket else "")
            out.append("No group is large enough to read on its own: read the chart as a "
                       "rough picture" + (f", or group more coarsely ({coarser})."
                                          if coarser else "; label or bring in more items."))
        else:
            out.append("No group has a corrected share to read: read the chart's raw share "
                       "as a rough picture.")
        return out
    named = [r for r in ok if r.group is not None] or ok  # "(no value)" last, if at all
    big = max(named, key=lambda r: r.n)
    out.append(_row_words(big, corrected, prefix="The largest group", rates=rates))
    dated = [r for r in ok if r.group is not None]
    over_time = str(result.by).rsplit(":", 1)[-1] in ("year", "decade", "century")
    if over_time and len(dated) >= 2:  # first and last in time; other fields have no order
        out.append(_change_words(dated[0], dated[-1], corrected, rates=rates,
                                 complete=bool(result.settings.get("between_group_error",
                                                                   True))))
    return out


def _cannot_words(label: str, measured: dict[str, Any], status: str) -> str:
    """Why no group's share of ``label`` can be corrected, and what to do, in words."""
    if "no labelled items" in status:
        which = "without" if "without the label" in status else "with"
        return (f"No share can be corrected: the labelled items hold no item {which} the "
                f"label {label!r}, so how often the model misses it, or puts it on items "
                "without it, cannot be measured. The chart shows the model's raw share, "
                f"uncorrected. Label items {which} {label!r} for the test set to correct it.")
    return (f"No share can be corrected ({status.removeprefix('cannot correct: ')}): the "
            "chart shows the model's raw share, uncorrected.")


def _row_words(r: TrendRow, corrected: bool, *, prefix: str, rates: bool = False) -> str:
    fmt = per_1000 if rates else pct
    if rates:
        text = (f"{prefix}, {group_name(r.group)} ({r.n:,} texts): the model finds "
                f"{r.raw:.1f} mentions per 1,000 words (the raw count)")
        if corrected and r.estimate is not None:
            text += (f"; corrected for its measured errors, {fmt(r.estimate)} (95% interval "
                     f"{r.low:.1f} to {r.high:.1f})")
        return text + "."
    text = (f"{prefix}, {group_name(r.group)} ({r.n:,} items): the model puts the label "
            f"on {pct(r.raw)} of them (the raw count)")
    if is_exact(r):  # "95% interval 73% to 73%" read as a measurement; it is a count
        return text + (f"; people labelled every one of them, so the share is counted, not "
                       f"estimated: {pct(r.estimate)}, exactly.")
    if corrected and r.estimate is not None:
        text += (f"; corrected for the model's measured errors the share is {fmt(r.estimate)}, "
                 f"95% interval {fmt(r.low)} to {fmt(r.high)}")
    elif r.estimate is not None:
        text += f", 95% interval {fmt(r.low)} to {fmt(r.high)}"
    return text + "."


def is_exact(r: TrendRow) -> bool:
    """Every item of the group labelled by a person: its share is a count, no estimate
    (its interval, of no width, is no measurement either)."""
    return r.estimate is not None and bool(r.labelled) and r.labelled == r.n


def _with_interval(x: float | None, low: float | None, high: float | None,
                   rates: bool) -> str:
    """``12% (95% interval 8% to 16%)``, or ``3.2 (95% interval 2.9 to 3.5)`` of a rate."""
    if x is None:
        return "no figure"
    if rates:
        main, lo, hi = f"{x:.1f}", low, high
        return main + ("" if lo is None or hi is None else
                       f" (95% interval {lo:.1f} to {hi:.1f})")
    return pct(x) + ("" if low is None or high is None else
                     f" (95% interval {pct(low)} to {pct(high)})")


def _change_words(a: TrendRow, b: TrendRow, corrected: bool = True, *,
                  rates: bool = False, complete: bool = True) -> str:
    """From the first group to the last, and whether the intervals tell a change. Where they
    leave out the method's error between groups (``complete`` false: it could not be
    measured), overlapping intervals are no evidence that nothing changed, and separate
    ones no proof that something did: nothing is concluded."""
    if rates:  # one factor corrects every group: a change shows in the found mentions
        lows, highs = (a.raw_low, b.raw_low), (a.raw_high, b.raw_high)
    else:
        lows, highs = (a.low, b.low), (a.high, b.high)
    # the figures the judgement rests on, each with the interval it is judged by (the
    # table's columns show the same numbers)
    if rates:
        text = (f"From {group_name(a.group)} to {group_name(b.group)} the mentions the model "
                f"found go from {_with_interval(a.raw, a.raw_low, a.raw_high, rates)} to "
                f"{_with_interval(b.raw, b.raw_low, b.raw_high, rates)} per 1,000 words")
        if corrected and a.estimate is not None and b.estimate is not None:
            text += (f" (corrected, from {a.estimate:.1f} to {b.estimate:.1f}: the same "
                     "factor for both)")
    else:
        text = (f"From {group_name(a.group)} to {group_name(b.group)} the "
                f"{'corrected ' if corrected else ''}share goes from "
                f"{_with_interval(a.estimate, a.low, a.high, rates)} to "
                f"{_with_interval(b.estimate, b.low, b.high, rates)}")
    if not rates and is_exact(a) and is_exact(b):
        return (f"From {group_name(a.group)} to {group_name(b.group)} the share goes from "
                f"{pct(a.estimate)} to {pct(b.estimate)}, counted exactly: people labelled "
                "every item of both groups.")
    if None in (*lows, *highs):
        return text + "."
    (a_low, b_low), (a_high, b_high) = lows, highs
    assert a_low is not None and a_high is not None and b_low is not None and b_high is not None
    if rates and (a_high < b_low or b_high < a_low):
        return text + (": the mentions the model found differ by more than their uncertainty "
                       "(the correction scales both alike), so this change is real for this "
                       "model.")
    if rates:
        return text + (": the mentions the model found do not differ by more than their "
                       "uncertainty, so these numbers do not show a clear change.")
    if not complete:
        return text + (": the intervals leave out how much the method errs from group to "
                       "group (too few labelled groups to measure it), so they cannot tell "
                       "whether the share changed; label more items across the groups.")
    if a_high < b_low or b_high < a_low:
        return text + ": the intervals do not overlap, so this change is larger than the uncertainty."
    return (text + ": the intervals overlap, so these numbers do not show a clear change "
            "between them.")
