# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""The Trends page: the share of items with a label per group of a metadata field (a
decade of ``date_text``, a collection), raw and corrected, with 95% intervals, the method
and why, and the numbers as a CSV (:func:`glamlab.trends.trends`, issue 22); on an
entities project, mentions per 1,000 words of each type instead of shares.

The trend is worked out in the request: the database adds up the predictions per group
(and caches the sums until the next run), so the time goes on the bootstrap, which grows
with the number of groups and labels, not with the collection; more than
:data:`MAX_CELLS` (label, group) cells are refused, naming a label or a coarser grouping
as the fix. A viewer may read it."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from ...auth import User
from ...errors import GlamlabError, TrendsError
from ..pages import form_of, page_user, writer
from ..words import for_the_web
from .stages import _page, _remove

router = APIRouter(include_in_schema=False)

#: share of a field's non-empty values with a year in them for it to count as a date
DATE_SHARE = 0.5
#: at most this many (label, group) cells are worked out in a request: each takes a
#: bootstrap of 1,000 draws (about 3 ms), so this is a few seconds
MAX_CELLS = 1500
#: a field with more distinct values than this (or than half its values: most items have
#: their own, as a title) is not offered to group by
MAX_GROUPS = 200
#: fields named as identifiers (``id``, ``document_id``, ``recordId``, ``uri``): each
#: value names one record, not a group worth comparing
_ID_NAME = re.compile(r"(^|_)(id|ids|uri|url|identifier)$|[a-z]Ids?$", re.I)
#: words or phrases counted beside a trend (the n-gram baseline), and their length
MAX_TERMS = 5
MAX_TERM_CHARS = 80
BUCKET_WORDS = {"decade": "by decade", "year": "by year", "century": "by century"}


def supported(ws: Any) -> bool:
    """Trends count labels of image and text classification projects, and the entity
    mentions of entities projects (per 1,000 words)."""
    return (ws.card.kind in ("single-label", "multi-label")
            and ws.card.modality in ("image", "text")) or ws.card.kind == "entities"


def field_choices(ws: Any) -> list[dict[str, str]]:
    """The ways to group offered on the page: the metadata fields the items have that
    split them into groups worth comparing. Fields holding dates come first, with
    decade/year/century options; then fields of words (a newspaper title, a collection),
    then fields of numbers, each in name order. A trend compares groups, so a field is
    left out when it gives fewer than 2 groups (one dataset, one licence, one language
    for every item) or too many (more than :data:`MAX_GROUPS`, or than half the items: a
    title, a record number), and when it is named as an identifier (``document_id``,
    ``uri``); label columns are left out too. Every field any current item has is
    considered (:func:`glamlab.trends.aggregate.field_summary` asks the database and keeps
    the answer until items come in), not only the newest items' fields."""
    from ...trends.aggregate import field_summary
    from ...workspace.leakage import forbidden_fields

    seen = field_summary(ws, max_values=MAX_GROUPS)
    hidden = forbidden_fields(ws.card)
    dates: list[dict[str, str]] = []
    words: list[dict[str, str]] = []
    numbers: list[dict[str, str]] = []
    for key in sorted(seen, key=lambda k: ("date" not in k.lower(), k)):
        n, values = seen[key]["n"], seen[key]["values"]
        if key in hidden or not n or _ID_NAME.search(key):
            continue
        # a date field holds years (most values) and different ones: "hipe2020" for every
        # item of a dataset reads as one year, a name, not a date to group by decade
        if seen[key]["years"] >= DATE_SHARE * n and seen[key].get("year_values", 2) >= 2:
            dates.extend({"value": f"{key}:{b}", "text": f"{key}, {w}"}
                         for b, w in BUCKET_WORDS.items())
        elif values is not None and 2 <= len(values) <= min(MAX_GROUPS, max(2, n // 2)):
            numeric = all(re.fullmatch(r"-?\d+(\.\d+)?", v.strip()) for v in values)
            (numbers if numeric else words).append({"value": key, "text": f"{key}, each value"})
    return dates + words + numbers


def by_words(by: str) -> str:
    """A way to group in words: ``date:decade`` is "decade of date"."""
    field, _, bucket = by.partition(":")
    return f"{bucket} of {field}" if bucket else field


def fewer_cells_words(bucket: str | None, *, labels: int, entities: bool = False) -> str:
    """What to choose on the form for fewer (label, group) cells, in one sentence: one
    label (where several were counted), a coarser grouping (where there is one), a filter
    that keeps fewer items (always there: the fields offered to group by are offered to
    filter on)."""
    fixes = ([f"choose one {'entity type' if entities else 'label'} in the list "
              f"'{'Entity type' if entities else 'Label'}'"] if labels > 1 else [])
    coarser = {"year": "decade or century", "decade": "century"}.get(bucket or "")
    if coarser:
        fixes.append(f"group by {coarser} in the list 'Group the items by'")
    elif bucket is None:
        fixes.append("group by a field with fewer values in the list 'Group the items by'")
    fixes.append("keep only some of the items with 'Only items whose'")
    return (", ".join(fixes[:-1]) + ", or " + fixes[-1] if len(fixes) > 2 else
            " or ".join(fixes))


def _default_by(choices: list[dict[str, str]]) -> str:
    return next((c["value"] for c in choices if c["value"].endswith(":decade")),
                choices[0]["value"] if choices else "")


def _asked(ws: Any, form: FormData, choices: list[dict[str, str]]) -> dict[str, Any]:
    """The form's choices, checked: one clear error naming the value and the fix."""
    from ...trends import METHODS

    by = str(form.get("by") or "").strip()
    label = str(form.get("label") or "").strip()
    method = str(form.get("method") or "").strip()
    offered = [c["value"] for c in choices]
    if not by:
        raise TrendsError("choose a metadata field to group by",
                          hint="pick one in the list 'Group the items by'")
    if by not in offered:
        fields = sorted({v.partition(":")[0] for v in offered})
        # the fix in the list's own words ("date_text, by decade"), not the field names:
        # a field of dates is offered only by year, decade or century
        raise TrendsError(f"the items have no metadata field {by.partition(':')[0]!r} to "
                          f"group by" if by.partition(":")[0] not in fields else
                          f"{by!r} is not a way to group these items",
                          hint=("choose one in the list 'Group the items by': "
                                + "; ".join(c["text"] for c in choices)) if choices else
                          "bring in items with metadata (a date, a collection) first")
    if label and label not in ws.card.labels:
        raise TrendsError(f"no label {label!r} in this project",
                          hint="choose one of: " + ", ".join(ws.card.labels))
    if method and ws.card.kind == "entities":
        raise TrendsError("an entity trend has one correction, the labelled test items' ratio "
                          "of marked to found mentions", hint="leave 'Correction' empty")
    if method and method not in METHODS:
        raise TrendsError(f"no method {method!r}",
                          hint="leave it to glamlab, or choose one of: " + ", ".join(METHODS))
    terms = [t.strip() for t in re.split(r"[,;\n]", str(form.get("terms") or "")) if t.strip()]
    if len(terms) > MAX_TERMS:
        raise TrendsError(f"{len(terms)} words or phrases to count; at most {MAX_TERMS} fit in "
                          "one chart", hint="keep the ones that matter most, separated by commas")
    long = next((t for t in terms if len(t) > MAX_TERM_CHARS), None)
    if long is not None:
        raise TrendsError(f"the phrase {long[:40]!r}... is longer than {MAX_TERM_CHARS} "
                          "characters", hint="count a few words at a time")
    if terms and ws.card.modality != "text":
        raise TrendsError("words can only be counted in text items; these are "
                          f"{ws.card.modality} items", hint="leave 'Also count these words' empty")
    where_field = str(form.get("where_field") or "").strip()
    where_value = str(form.get("where_value") or "").strip()
    where: dict[str, str] = {}
    if where_field or where_value:
        fields = sorted({v.partition(":")[0] for v in offered})
        if where_field not in fields:
            raise TrendsError(f"the items have no metadata field {where_field!r} to filter on"
                              if where_field else "choose the field the value is for",
                              hint="choose one of: " + ", ".join(fields))
        if not where_value:
            raise TrendsError(f"give the value of {where_field} the items must have",
                              hint="type it as it appears in the items (e.g. a newspaper "
                                   "title), or leave both empty")
        where = {where_field: where_value}
    return {"by": by, "label": label or None, "method": method or None, "terms": terms,
            "terms_text": ", ".join(terms), "where": where,
            "where_field": where_field, "where_value": where_value}


def _has_predictions(ws: Any) -> bool:
    from ...trends.aggregate import models_with_predictions

    return bool(models_with_predictions(ws))


def _context(request: Request, **extra: Any) -> dict[str, Any]:
    from ...trends import METHODS
    from ...trends.words import METHOD_WORDS

    ws = request.app.state.ws
    ok = supported(ws)
    choices = field_choices(ws) if ok else []
    # each correction in words, its short name after it (the CSV's share_cc... columns)
    methods = [(m, METHOD_WORDS.get(m, m)) for m in METHODS]
    return {"supported": ok, "choices": choices, "methods": methods,
            "entities": ws.card.kind == "entities",
            "labels": list(ws.card.labels), "has_predictions": ok and _has_predictions(ws),
            # an entity type in words, its code after it: "places (LOC)" (the CSV keeps codes)
            "label_names": {lab: _label_name(ws, lab) for lab in ws.card.labels},
            "filter_fields": sorted({c["value"].partition(":")[0] for c in choices}),
            "text_items": ws.card.modality == "text",
            "asked": {"by": _default_by(choices), "label": None, "method": None,
                      "terms": [], "terms_text": "", "where": {}, "where_field": "",
                      "where_value": ""},
            "result": None, "error": None, **extra}


def _label_name(ws: Any, label: str) -> str:
    from ...tasks.spans.hipe import type_words

    return type_words(label) if ws.card.kind == "entities" else label


def _unsupported() -> TrendsError:
    return TrendsError("trends count the labels of image and text classification projects "
                       "and the entities of entities projects; this project predicts "
                       "something else",
                       hint="open a classification or entities project to see trends")


def _no_predictions() -> TrendsError:
    return TrendsError("no model has predictions in this project yet: the trend counts them",
                       hint="run the model over the collection first (the page 'Run over "
                            "the collection'; an admin starts it)")


@router.get("/stages/trends", response_class=HTMLResponse)
def trends_page(request: Request, user: User = Depends(page_user)) -> Response:
    return _page(request, "trends", _context(request), template="stage_trends.html")


def _compute(request: Request, asked: dict[str, Any]) -> Any:
    from ...trends.aggregate import distinct_values_kept

    # the items grouped by the field once: here to count the groups, and again by
    # ``trends`` (check_groupable) to check that they are groups (the same field and
    # filter: the second takes the first one's answer)
    with distinct_values_kept():
        return _compute_kept(request, asked)


def _compute_kept(request: Request, asked: dict[str, Any]) -> Any:
    from ...trends import GroupBy, trends
    from ...trends.aggregate import distinct_values

    ws = request.app.state.ws
    gb = GroupBy.parse(asked["by"])
    # the groups of the items the trend counts: those the filter keeps (it groups by
    # the same field and filter as check_groupable in ``trends``, which takes this answer)
    where = asked["where"] or None
    groups = len({gb.key(v) for v, _n in distinct_values(ws, gb.field, where=where,
                                                         limit=100_000)})
    labels = 1 if asked["label"] else len(ws.card.labels)
    if labels * groups > MAX_CELLS:
        raise TrendsError(
            f"{labels} label{'s' if labels > 1 else ''} in {groups} groups (by "
            f"{by_words(asked['by'])}) "
            "are too many to work out while you wait",
            hint=fewer_cells_words(gb.bucket, labels=labels,
                                   entities=ws.card.kind == "entities"))
    try:
        return trends(ws, by=asked["by"], label=asked["label"], method=asked["method"],
                      where=where, terms=asked["terms"], web=True)
    except GlamlabError as exc:  # the library's fix on the pages, not a command (an
        raise for_the_web(exc) from None  # empty test split: `glamlab labels split`)


@router.post("/stages/trends", response_class=HTMLResponse)
def trends_show(request: Request, form: FormData = Depends(form_of),
                user: User = Depends(writer("viewer", "see trends"))) -> Response:
    ws = request.app.state.ws
    ctx = _context(request)
    try:
        if not ctx["supported"]:
            raise _unsupported()
        asked = _asked(ws, form, ctx["choices"])
        ctx["asked"] = asked
        if not ctx["has_predictions"]:
            raise _no_predictions()
        result = _compute(request, asked)
    except GlamlabError as exc:
        ctx["error"] = {"message": exc.message, "hint": exc.hint}
        page = _page(request, "trends", ctx, template="stage_trends.html")
        page.status_code = 400
        return page
    ctx["result"] = _view(result)
    return _page(request, "trends", ctx, template="stage_trends.html")


@router.post("/stages/trends/csv")
def trends_csv(request: Request, form: FormData = Depends(form_of),
               user: User = Depends(writer("viewer", "see trends"))) -> Response:
    """Every number behind the chart, as a CSV a spreadsheet will not run formulas from."""
    ws = request.app.state.ws
    if not supported(ws):
        raise _unsupported()
    asked = _asked(ws, form, field_choices(ws))
    if not _has_predictions(ws):
        raise _no_predictions()
    result = _compute(request, asked)
    folder = tempfile.mkdtemp(prefix="glamlab-trends-")
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"trend-{asked['by']}-{asked['label'] or 'all'}")
    path = result.to_csv(Path(folder) / f"{stem.strip('-.') or 'trend'}.csv")
    return FileResponse(path, media_type="text/csv", filename=path.name,
                        background=BackgroundTask(_remove, Path(folder)))


def _view(result: Any) -> dict[str, Any]:
    """What the template shows: per label its chart (trusted SVG from the plots module,
    every text in it escaped there), its rows and its summary in words."""
    from ...tasks.spans.hipe import type_words
    from ...trends.chart import label_chart, terms_chart, toggles
    from ...trends.quantify import EXACT
    from ...trends.words import (
        group_name,
        is_exact,
        label_summary,
        method_words,
        no_value_words,
    )

    def flag(status: str) -> str:
        """The row's flags; "every item labelled" is said in its interval's place (no
        flag: the share is a count)."""
        return "; ".join(p for p in status.split("; ") if p != "ok" and not p.startswith(EXACT))

    groups = result.groups()
    labels = []
    for label in result.labels:
        rows = sorted((r for r in result.rows if r.label == label),
                      key=lambda r: groups.index(r.group))
        rates = result.rates.get(label)
        labels.append({
            "label": label,
            "name": type_words(label) if result.settings.get("measure") else label,
            "chart": label_chart(result, label, groups),
            "summary": label_summary(result, label), "rates": rates,
            "rows": [{"group": group_name(r.group), "n": r.n, "raw": r.raw,
                      "raw_low": r.raw_low, "raw_high": r.raw_high,
                      "estimate": r.estimate, "low": r.low, "high": r.high,
                      "clipped": r.clipped, "labelled": r.labelled,
                      # every item labelled: a count, not "73.0% to 73.0%"
                      "exact": is_exact(r), "flag": flag(r.status)} for r in rows]})
    return {"by": result.by, "by_words": by_words(result.by), "model": result.model,
            "method": result.method, "notes": list(result.notes),
            "warnings": list(result.warnings),
            "measure": result.settings.get("measure"),
            "method_words": method_words(result), "interval": result.settings.get("interval"),
            # the items with no year (or value): said once, not once per label
            "undated": no_value_words(result),
            "labels": labels, "where": result.where,
            "toggles": toggles(result),
            "terms_chart": terms_chart(result, groups) if result.terms else None,
            "terms": [{"group": group_name(t.group), "term": t.term, "words": t.words,
                       "hits": t.hits, "per_1000": t.per_1000_words, "low": t.low,
                       "high": t.high, "flag": "" if t.status == "ok" else t.status}
                      for t in result.terms]}
