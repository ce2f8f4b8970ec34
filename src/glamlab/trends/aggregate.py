"""Sufficient statistics per group, computed in the database.

One query per label, over the stored predictions of one model joined with the current
items::

    SELECT meta->>FIELD, predicted, score bin, count(*), sum(score)
    FROM predictions JOIN items ... WHERE model_id = ? [AND meta filters]
    GROUP BY meta->>FIELD, predicted, score bin

The database returns one row per (distinct raw value, cell), never one per prediction;
raw values are then bucketed (year, decade) and added up in Python, because the year of
``c.1850`` or ``1850-1855`` needs a regular expression that SQLite and PostgreSQL do not
share. Predicted-positive is the stored top label for single-label tasks and
``score >= threshold`` (0.5, where glamlab's runs put a label in ``labels``) for
multi-label ones. The same statistics computed from items in Python
(:func:`python_group_stats`) must agree exactly; a test checks it on both stores.

Other measures (e.g. entity mentions per 1,000 words per type or authority id, once entities
exist) fit beside this one: a GROUP BY of mention rows by the same raw field value, bucketed
with the same :class:`~glamlab.trends.buckets.GroupBy`, divided by the per-group word counts
of :mod:`glamlab.trends.ngrams`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

# whose words a refused query's fix is said in (:func:`check_fields`,
# :func:`check_groupable`): Python's (``by=``, ``where=``, the default), the command
# line's (``--by``, ``--where``: :func:`said_on_the_command_line`) or the web page's,
# as everywhere (:mod:`glamlab.said`)
from ..said import SAYINGS as SAYINGS
from ..said import in_words as in_words
from ..said import said as _said
from ..said import said_on_the_command_line as said_on_the_command_line
from ..store.schema import current_newest_first
from .buckets import GroupBy
from .quantify import BINS, GroupStats

if TYPE_CHECKING:
    from ..workspace import Workspace

THRESHOLD = 0.5


def _meta_value(t: Any, field: str) -> Any:
    if field in ("modality", "source_kind", "source"):
        return t.items.c[field]
    return t.items.c.meta[field].as_string()


def _bin_expr(ws: Workspace, score: Any, bins: int) -> Any:
    scaled = score * bins
    # floor: SQLite's CAST truncates (scores are >= 0); PostgreSQL's CAST rounds
    floored = sa.cast(scaled, sa.Integer) if ws.store.is_sqlite else sa.cast(
        sa.func.floor(scaled), sa.Integer)
    return sa.case((score >= 1.0, bins - 1), (score <= 0.0, 0), else_=floored)


def group_stats(ws: Workspace, *, model_id: int, label: str, by: GroupBy,
                where: dict[str, Any] | None = None, multi_label: bool | None = None,
                bins: int = BINS, threshold: float = THRESHOLD,
                cache: bool = True) -> dict[str | None, GroupStats]:
    """Group -> :class:`GroupStats` of ``label`` for the predictions of ``model_id``.

    With ``cache`` the database's answer (per raw value of the field, before bucketing) is
    stored in ``report_cache`` under the key of what it depends on (:func:`dependency_key`:
    the model's runs and their progress, the newest item version) and reused while that key
    holds: the GROUP BY reads every prediction of the model (tens of seconds at ten million
    on SQLite), the key costs a few index look-ups. Any new or re-run prediction or new item
    version changes the key."""
    import numpy as np

    from ..store.results import get_result, key_of, put_result

    multi = ws.card.multi_label if multi_label is None else multi_label
    rows: list[tuple[Any, int, int, float]] | None = None
    name = key = ""
    if cache:
        facts = [model_id, label, by.field, where or {}, multi, bins, threshold]
        name = f"trends:{model_id}:{key_of(facts)[:32]}"
        key = dependency_key(ws, model_id)
        stored = get_result(ws.store, name)
        if stored is not None and stored["key"] == key:
            rows = [(v, int(c), int(n), float(sm)) for v, c, n, sm in stored["result"]["cells"]]
    if rows is None:
        import time

        t0 = time.perf_counter()
        rows = _aggregate(ws, model_id=model_id, label=label, field=by.field, where=where,
                          multi=multi, bins=bins, threshold=threshold)
        if cache:
            put_result(ws.store, name, key, {"cells": [list(r) for r in rows]},
                       time.perf_counter() - t0)
    counts: dict[str | None, Any] = {}
    sums: dict[str | None, Any] = {}
    for g, c, n, sm in rows:
        k = by.key(g)
        if k not in counts:
            counts[k] = np.zeros(2 * bins)
            sums[k] = np.zeros(2 * bins)
        counts[k][c] += n
        sums[k][c] += sm
    return {k: GroupStats(counts[k], sums[k]) for k in counts}


def dependency_key(ws: Workspace, model_id: int) -> str:
    """What a model's stored aggregates depend on: its runs (how many, the newest, how many
    predictions and failures each has written so far: the writer bumps them in the same
    transaction as every batch, also when a forced re-run replaces predictions) and the
    newest item version (a re-ingested item gets a new row). Index look-ups only."""
    from ..store.results import key_of

    t = ws.store.t
    with ws.store.read() as conn:
        runs = conn.execute(sa.select(sa.func.count(), sa.func.max(t.runs.c.id),
                                      sa.func.sum(t.runs.c.done), sa.func.sum(t.runs.c.failed))
                            .where(t.runs.c.model_id == model_id)).one()
        newest_item = conn.execute(sa.select(sa.func.max(t.items.c.pk))).scalar()
    return key_of({"model": model_id, "runs": [None if v is None else int(v) for v in runs],
                   "items": newest_item})


def _aggregate(ws: Workspace, *, model_id: int, label: str, field: str,
               where: dict[str, Any] | None, multi: bool, bins: int,
               threshold: float) -> list[tuple[Any, int, int, float]]:
    """(raw value, cell, count, score sum) rows: the GROUP BY in the database."""
    t = ws.store.t
    p = t.predictions
    value = _meta_value(t, field).label("g")
    score = sa.func.coalesce(p.c.scores[label].as_float(), 0.0)
    predicted = (score >= threshold) if multi else (p.c.label == label)
    pos: Any = sa.case((predicted, 1), else_=0).label("pos")
    b = _bin_expr(ws, score, bins).label("b")
    q = (sa.select(value, pos, b, sa.func.count().label("n"), sa.func.sum(score).label("s"))
         .select_from(p.join(t.items, sa.and_(t.items.c.item_id == p.c.item_id,
                                              t.items.c.is_current.is_(True))))
         .where(p.c.model_id == model_id, *ws.item_clauses(where, None))
         .group_by(value, pos, b))
    with ws.store.read() as conn:
        return [(g, int(is_pos) * bins + int(cell_bin), int(n), float(sm or 0.0))
                for g, is_pos, cell_bin, n, sm in conn.execute(q)]


def python_group_stats(ws: Workspace, *, model_id: int, label: str, by: GroupBy,
                       where: dict[str, Any] | None = None, multi_label: bool | None = None,
                       bins: int = BINS, threshold: float = THRESHOLD
                       ) -> dict[str | None, GroupStats]:
    """The same statistics as :func:`group_stats`, from items and predictions read one by
    one (the reference the database aggregation is tested against; slow)."""
    import numpy as np

    from .quantify import cell_of

    multi = ws.card.multi_label if multi_label is None else multi_label
    t = ws.store.t
    with ws.store.read() as conn:
        preds = {r.item_id: r for r in conn.execute(
            sa.select(t.predictions).where(t.predictions.c.model_id == model_id))}
    out: dict[str | None, GroupStats] = {}
    for item in ws.items(where=where):
        r = preds.get(item.item_id)
        if r is None:
            continue
        raw = (getattr(item, by.field) if by.field in ("modality", "source_kind", "source")
               else item.meta.get(by.field))
        key = by.key(None if raw is None else (raw if isinstance(raw, str) else
                                               _json_text(raw)))
        s = float((r.scores or {}).get(label, 0.0))
        predicted = s >= threshold if multi else r.label == label
        stats = out.get(key, GroupStats.empty(bins))
        c = int(cell_of([s], [predicted], bins)[0])
        counts, sums = stats.counts.copy(), stats.sums.copy()
        counts[c] += 1
        sums[c] += float(np.clip(s, 0.0, 1.0))
        out[key] = GroupStats(counts, sums)
    return out


def _json_text(v: Any) -> str:
    """How the databases render a non-string JSON value as text (``->>``)."""
    import json

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    return json.dumps(v, separators=(", ", ": "))


def models_with_predictions(ws: Workspace) -> list[int]:
    """Model ids that have runs, newest run first."""
    t = ws.store.t
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t.runs.c.model_id, sa.func.max(t.runs.c.id))
                            .group_by(t.runs.c.model_id)
                            .order_by(sa.func.max(t.runs.c.id).desc())).all()
    return [int(r[0]) for r in rows]


#: while :func:`distinct_values_kept` is open: distinct_values' answers, by field and filter
_KEPT: ContextVar[dict[tuple[str, str], tuple[int, list[tuple[str | None, int]]]] | None] = \
    ContextVar("glamlab_distinct_values_kept", default=None)


@contextmanager
def distinct_values_kept() -> Iterator[None]:
    """Meanwhile (in this thread or task), :func:`distinct_values` groups the items by a
    field once: a second call for the same field and filter takes the first one's answer
    (the web app's trend checks how many groups there are, then ``trends`` checks them
    again, each reading every item)."""
    token = _KEPT.set({})
    try:
        yield
    finally:
        _KEPT.reset(token)


def distinct_values(ws: Workspace, field: str, *, where: dict[str, Any] | None = None,
                    limit: int = 50) -> list[tuple[str | None, int]]:
    """The most frequent raw values of a metadata field (for help and error messages)."""
    kept = _KEPT.get()
    key = (field, json.dumps(where or {}, sort_keys=True, default=str))
    if kept is not None and key in kept:
        asked, rows = kept[key]
        # the most frequent first: a longer answer's start, or all of a complete one
        if limit <= asked or len(rows) < asked:
            return rows[:limit]
    t = ws.store.t
    value = _meta_value(t, field).label("g")
    q = (sa.select(value, sa.func.count().label("n")).where(*ws.item_clauses(where, None))
         .group_by(value).order_by(sa.func.count().desc()).limit(limit))
    with ws.store.read() as conn:
        rows = [(r[0], int(r[1])) for r in conn.execute(q)]
    if kept is not None:
        kept[key] = (limit, rows)
    return rows


#: items whose metadata keys are listed when a field is not found (the newest current ones)
FIELD_SAMPLE = 500
#: item columns ``where``/``by`` may name besides metadata fields
ITEM_COLUMNS = ("modality", "source_kind", "source")


def metadata_fields(ws: Workspace, *, sample: int = FIELD_SAMPLE) -> list[str]:
    """The metadata fields the newest ``sample`` current items have (for error messages)."""
    t = ws.store.t.items
    q = (sa.select(t.c.meta).where(current_newest_first(t)).order_by(t.c.pk.desc())
         .limit(sample))
    seen: set[str] = set()
    with ws.store.read() as conn:
        for (meta,) in conn.execute(q):
            seen.update(str(k) for k in (meta or {}))
    return sorted(seen)


#: distinct values of a field listed in :func:`field_summary` (more: the field is not listed
#: by value, only counted) and values read to tell whether a field holds dates
FIELD_VALUES = 200
DATE_SAMPLE = 1000
#: item rows (by row number) up to which :func:`field_summary` reads every item's
#: metadata; a larger project's is read on evenly spaced rows, about this many
FIELD_FULL_SCAN = 250_000


def field_summary(ws: Workspace, *, max_values: int = FIELD_VALUES,
                  cache: bool = True) -> dict[str, dict[str, Any]]:
    """Every metadata field the current items have, each with ``n`` (items with a
    non-empty plain value in it: not a list, an object, null or ""), ``distinct`` (how many
    different values), ``values`` (value -> items, when there are at most ``max_values``;
    else None), ``years`` (items whose value reads as a year, counted over those values
    or, for a field with more values, over up to :data:`DATE_SAMPLE` items' values, the
    oldest and the newest) and
    ``year_values`` (how many different years those hold: a name with a year in it, as
    the dataset ``hipe2020``, holds one).

    Asked of the database, not of a sample of items: a field only older items have (the
    newspaper title of a first ingest) is there too. One pass over the items' metadata
    counts the fields and their distinct values, a second lists the values of the fields
    with few; the answer is kept in ``report_cache`` until a new item version comes in
    (the newest item's row number is its key: an index look-up).

    A project of more than :data:`FIELD_FULL_SCAN` item rows is read on every k-th row
    (about that many rows, spread over the whole table, old and new), so the page does
    not wait minutes for a count over millions of items: ``n``, ``years`` and the value
    counts are then scaled up by k (estimates; ``sampled`` says k), ``distinct`` is the
    sample's, and a field fewer than about 1 item in :data:`FIELD_FULL_SCAN` has may be
    missed (the command line's ``glamlab trends --by FIELD`` takes it all the same)."""
    import time

    from ..store.results import get_result, key_of, put_result
    from .buckets import year_of

    t = ws.store.t.items
    name = f"trends:fields:2:{max_values}"
    with ws.store.read() as conn:
        lo, hi = conn.execute(sa.select(sa.func.min(t.c.pk), sa.func.max(t.c.pk))).one()
        key = key_of({"items": hi})
    # every k-th row of a big table (k an int computed here, never from input)
    step = max(1, -(-((hi or 0) - (lo or 0) + 1) // FIELD_FULL_SCAN))
    if cache:
        stored = get_result(ws.store, name)
        if stored is not None and stored["key"] == key:
            return dict(stored["result"]["fields"])
    t0 = time.perf_counter()
    table = t.name
    if ws.store.is_sqlite:
        each = (f"FROM {table} AS i, json_each(i.meta) AS j WHERE i.is_current = 1 "
                "AND j.type NOT IN ('object', 'array', 'null') AND j.value != ''")
        k, v = "j.key", "CAST(j.value AS TEXT)"
    else:
        each = (f"FROM {table} AS i, jsonb_each(i.meta) AS j WHERE i.is_current "
                "AND jsonb_typeof(j.value) NOT IN ('object', 'array', 'null') "
                "AND j.value #>> '{}' <> ''")
        k, v = "j.key", "j.value #>> '{}'"
    if step > 1:
        each += f" AND i.pk % {int(step)} = 0"
    out: dict[str, dict[str, Any]] = {}
    with ws.store.read() as conn:
        for field, n, distinct in conn.execute(sa.text(
                f"SELECT {k}, count(*), count(DISTINCT {v}) {each} GROUP BY {k}")):
            out[str(field)] = {"n": int(n) * step, "distinct": int(distinct),
                               "values": None, "years": 0, "year_values": 0,
                               "sampled": step}
        few = sorted(f for f, s in out.items() if s["distinct"] <= max_values)
        if few:
            q = sa.text(f"SELECT {k}, {v}, count(*) {each} AND {k} IN :few "
                        f"GROUP BY {k}, {v}").bindparams(sa.bindparam("few", expanding=True))
            for field, value, n in conn.execute(q, {"few": few}):
                s = out[str(field)]
                s["values"] = s["values"] or {}
                s["values"][str(value)] = s["values"].get(str(value), 0) + int(n) * step
        for field, s in out.items():
            if s["values"] is not None:
                found = {val: year_of(val) for val in s["values"]}
                s["years"] = sum(n for val, n in s["values"].items()
                                 if found[val] is not None)
                s["year_values"] = len({y for y in found.values() if y is not None})
                continue
            value = t.c.meta[field].as_string()
            # the oldest and the newest rows' values: items ingested in date order (a
            # newspaper's pages) hold one year for their first thousand rows
            sample = [r[0] for order in (t.c.pk, t.c.pk.desc()) for r in conn.execute(
                sa.select(value).where(current_newest_first(t), value.is_not(None),
                                       value != "").order_by(order)
                .limit(DATE_SAMPLE // 2))]
            # the share in the sample, scaled to the field's items
            years = [y for y in map(year_of, sample) if y is not None]
            hits = len(years)
            s["year_values"] = len(set(years))
            s["years"] = round(s["n"] * hits / len(sample)) if sample else 0
    if cache:
        put_result(ws.store, name, key, {"fields": out}, time.perf_counter() - t0)
    return out


def check_fields(ws: Workspace, by: GroupBy, where: dict[str, Any] | None, *,
                 words: str | None = None) -> None:
    """One :class:`~glamlab.errors.TrendsError` naming the field and the fix when ``by``
    or a ``where`` field is a metadata field no current item has (a misspelling would
    otherwise put every item in the group "(no value)", or leave none), or when no item
    matches ``where``. Each check is one indexed look-up that stops at the first row.
    ``words``: whose words the fix is said in, ``"python"``, ``"cli"`` or ``"web"``
    (default: Python's, or the command line's in :func:`said_on_the_command_line`)."""
    from ..errors import TrendsError
    from ..ingest.columns import closest_name

    t = ws.store.t.items

    def any_item(*clauses: Any) -> bool:
        q = sa.select(t.c.pk).where(t.c.is_current.is_(True), *clauses).limit(1)
        with ws.store.read() as conn:
            return conn.execute(q).first() is not None

    asked = [(by.field, "to group by")] + [(k, "to filter on") for k in (where or {})]
    for name, role in asked:
        if name in ITEM_COLUMNS or any_item(_meta_value(ws.store.t, name).is_not(None)):
            continue
        fields = metadata_fields(ws)
        close = closest_name(name, fields)
        raise TrendsError(
            f"no item has the metadata field {name!r} {role}",
            hint=(f"did you mean {close!r}? " if close else "")
            + ("the items' fields: " + ", ".join(fields) if fields else
               "the items have no metadata fields: ingest a table with more columns"))
    said = _said(words)
    if where and not any_item(*ws.item_clauses(where, None)[1:]):
        asked_for = " and ".join(f"{k} = {v!r}" for k, v in where.items())
        key = next(iter(where))
        common = [str(v) for v, _n in distinct_values(ws, key, limit=6) if v is not None][:5]
        check = {"cli": f"check the value of --where {key}=...",
                 "python": f"check the value of {key!r} in where={{{key!r}: ...}}",
                 "web": f"check the value typed for {key} after 'Only items whose'"}[said]
        raise TrendsError(f"no item has {asked_for}",
                          hint=(f"values of {key} include: " + ", ".join(map(repr, common))
                                if common else check) + " (the value must match exactly)")


def check_groupable(ws: Workspace, by: GroupBy, *, where: dict[str, Any] | None = None,
                    limit: int = 10_000, words: str | None = None) -> None:
    """Refuse a ``by`` no item can be grouped by: a field no item has (a typo), or one
    whose values never read as a year for ``:year``/``:decade``/``:century``. Every item
    would fall in the one group "(no value)", which reads as a trend of one point. Raises
    :class:`~glamlab.errors.TrendsError` naming the fields the items have, or values the
    field holds. Nothing is said when no item matches ``where``, or when the field holds
    more than ``limit`` different values (some may be years). ``words``: whose words the
    fix is said in, as :func:`check_fields`."""
    from ..errors import TrendsError

    said = _said(words)
    # on the web page: what to choose there, not a field's name written with :decade
    elsewhere = ("choose another way to group them in the list 'Group the items by'"
                 + (", or another filter after 'Only items whose'" if where else ""))
    values = distinct_values(ws, by.field, where=where, limit=limit)
    if not values or len(values) >= limit or any(by.key(v) is not None for v, _n in values):
        return
    held = [str(v) for v, _n in values if v is not None and str(v).strip()]
    if not held:
        t = ws.store.t.items
        fields: set[str] = set()
        with ws.store.read() as conn:
            for (meta,) in conn.execute(sa.select(t.c.meta).where(
                    *ws.item_clauses(where, None)).limit(500)):
                fields.update(str(k) for k in (meta or {}))
        held_fields = ", ".join(sorted(fields)) or "none"
        hint = {"cli": f"the items' fields: {held_fields} (e.g. --by FIELD or "
                       "--by FIELD:decade)",
                "python": f"the items' fields: {held_fields} (e.g. by='FIELD' or "
                          "by='FIELD:decade')",
                "web": f"{elsewhere} (these items' fields: {held_fields})"}[said]
        raise TrendsError(f"no item{' the filter keeps' if where else ''} has a value in the "
                          f"field {by.field!r} to group by", hint=hint)
    from .buckets import other_date

    events = [str(v) for v in held if other_date(v)]
    if events:  # years, but each of something after the making: say so, not "no year"
        shown = ", ".join(repr(v[:40]) for v in events[:3])
        raise TrendsError(f"every year in the field {by.field!r} dates something that "
                          f"happened to a work after it was made ({shown}: an exhibition, "
                          f"a publication, an acquisition), not its making, so every item "
                          f"would be in the group '(no value)'",
                          hint=elsewhere if said == "web" else
                          f"group by a field that holds the dates the works were made, "
                          f"or by {by.field!r} without :{by.bucket} to count its values "
                          "as they are written")
    shown = ", ".join(repr(v[:40]) for v in held[:3])
    raise TrendsError(f"no value of the field {by.field!r} reads as a year (it holds "
                      f"{shown}{', ...' if len(held) > 3 else ''}), so every item would "
                      f"be in the group '(no value)'",
                      hint=elsewhere if said == "web" else
                      f"group by a field that holds dates with :{by.bucket}, or by "
                      f"{by.field!r} without :{by.bucket}")


def labels_of(ws: Workspace, wanted: Sequence[str] | None) -> list[str]:
    from ..errors import TrendsError

    known = list(ws.card.labels)
    if not wanted:
        return known
    bad = [w for w in wanted if w not in known]
    if bad:
        from ..tasks.kinds.classification import close_label

        close = close_label(bad[0], known)
        raise TrendsError(f"no label {bad[0]!r} in this workspace",
                          hint=(f"did you mean {close!r}? " if close else "")
                          # ' | ' where a label holds a comma ("emotions, concepts and
                          # ideas"): ', ' would cut it in two
                          + "choose among: " + (" | " if any("," in k for k in known)
                                                else ", ").join(known))
    return list(wanted)


def labelled_in_groups(ws: Workspace, *, model_id: int, labels: Sequence[str], by: GroupBy,
                       where: dict[str, Any] | None = None, multi_label: bool | None = None,
                       bins: int = BINS, threshold: float = THRESHOLD
                       ) -> dict[str, dict[str | None, tuple[int, int, GroupStats]]]:
    """Label -> group -> (labelled items, how many of them have the label, the cells of
    those the model predicted): the items whose labels a person gave, among the current
    items matching ``where``. Their labels are facts, not estimates: a trend counts them as
    they are and estimates only the rest (:func:`glamlab.trends.quantify.with_known`); the
    cells are what :func:`group_stats` counted for them, to be taken out of the group's
    cells. A labelled item the model has not predicted yet still counts (its label is
    known). Reads the labelled items only (a few thousand, not the collection).

    In a multi-label project an item is labelled for a label only where its gold says
    so: gold that is the item's whole set (:meth:`glamlab.store.queue.ItemGold.whole`)
    is known for every label (a label it does not give is a known "no"); a reviewer's
    decision on one suggestion is known only for the labels it gives (a known "yes").
    For the other labels that item stays among the estimated ones: the reviewer said
    nothing about them, and counting them as "no" would bias every other label's share
    down by the reviewed items' weight."""
    import numpy as np

    from ..store.queue import item_gold
    from ..tasks.labels import gold_labels
    from .quantify import cell_of

    gold = gold_labels(ws)
    out: dict[str, dict[str | None, tuple[int, int, GroupStats]]] = {lab: {} for lab in labels}
    if not gold:
        return out
    multi = ws.card.multi_label if multi_label is None else multi_label
    partial: set[str] = set()  # items whose gold is a reviewer's decision, not a whole set
    if multi:
        with ws.store.read() as conn:
            partial = {i for i, g in item_gold(conn, gold).items() if not g.whole(multi)}
    t = ws.store.t
    value = _meta_value(t, by.field).label("g")
    ids = list(gold)
    groups: dict[str, str | None] = {}
    preds: dict[str, Any] = {}
    with ws.store.read() as conn:
        for i in range(0, len(ids), 900):
            chunk = ids[i:i + 900]
            for item_id, raw in conn.execute(sa.select(t.items.c.item_id, value)
                                             .where(*ws.item_clauses(where, chunk))):
                groups[item_id] = by.key(raw)
            for row in conn.execute(sa.select(t.predictions.c.item_id, t.predictions.c.label,
                                            t.predictions.c.scores)
                                  .where(t.predictions.c.model_id == model_id,
                                         t.predictions.c.item_id.in_(chunk))):
                preds[row.item_id] = row
    for lab in labels:
        mine: dict[str | None, list[Any]] = {}
        for item_id, g in groups.items():
            has = lab in (gold[item_id] or ())
            if item_id in partial and not has:
                continue  # the reviewer decided another label: this one is not known
            cell = mine.setdefault(g, [0, 0, np.zeros(2 * bins), np.zeros(2 * bins)])
            cell[0] += 1
            cell[1] += int(has)
            r: Any = preds.get(item_id)
            if r is not None:
                s = float((r.scores or {}).get(lab, 0.0))
                predicted = s >= threshold if multi else r.label == lab
                c = int(cell_of([s], [predicted], bins)[0])
                cell[2][c] += 1
                cell[3][c] += float(np.clip(s, 0.0, 1.0))
        out[lab] = {g: (k, pos, GroupStats(c, sm)) for g, (k, pos, c, sm) in mine.items()}
    return out


def matched_items(ws: Workspace, by: GroupBy, where: dict[str, Any] | None = None
                  ) -> dict[str | None, int]:
    """Group -> how many current items match ``where`` (predicted or not): one GROUP BY over
    the items, to tell a trend that counts only the items a model predicted so far."""
    return matched_counts(ws, by, where)[0]


def matched_counts(ws: Workspace, by: GroupBy, where: dict[str, Any] | None = None
                   ) -> tuple[dict[str | None, int], int]:
    """:func:`matched_items`, and how many of those items have a value whose every year
    dates something after the making of the work (``exhibited 1909``: no group of
    ``:year``/``:decade``/``:century`` takes it, :func:`glamlab.trends.buckets.other_date`;
    0 for a grouping by value). From the same GROUP BY of raw values."""
    from .buckets import other_date

    t = ws.store.t
    value = _meta_value(t, by.field).label("g")
    q = (sa.select(value, sa.func.count()).where(*ws.item_clauses(where, None))
         .group_by(value))
    out: dict[str | None, int] = {}
    other = 0
    with ws.store.read() as conn:
        for raw, n in conn.execute(q):
            k = by.key(raw)
            out[k] = out.get(k, 0) + int(n)
            if k is None and by.bucket and other_date(raw):
                other += int(n)
    return out, other
