"""Which items a run predicts.

A plan is the current items that match a query and that this model version has not
predicted yet (or, with ``force``, has not predicted *in this run* yet). It is
streamed in item-id order with keyset pagination, so a collection of millions costs
constant memory, and it is re-evaluated as the run writes: a resumed run plans only
what is still missing.

Query terms (separated by spaces; all must hold)::

    FIELD=VALUE            metadata field (or modality / source_kind / source)
    label=VALUE            has the gold label VALUE
    split=train|test       is in that split
    pred.MODEL=VALUE       MODEL (NAME, NAME@alias, NAME@N) predicted VALUE as top label
    unlabelled             has no gold label
    changed                re-ingested (any new version, a metadata-only one included)
                           since this model version predicted it; with --force

A run predicts again the items whose content changed since this model version
predicted them (:func:`content_changed`): the text of the item version it predicted
differs from the current one's, or (an image) the current version holds another image.
A version made by a metadata change only (a new column in the catalogue table) is not
predicted again: that would re-run the whole collection. ``--force --items changed``
refreshes those too (a model that reads metadata fields): it selects every item with a
newer version, metadata-only ones included (combine it with other terms to narrow it),
and compares timestamps: an item re-ingested while a run was predicting it may be
missed (run it again), and on PostgreSQL with several hosts their clocks should agree.
People's decisions on the earlier predictions still count (:mod:`glamlab.actions.people`).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import RunError
from ..workspace import Workspace as _Workspace
from .worker import ITEM_COLUMNS

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .worker import ItemRow

QUERY_HELP = ("use terms like collection=maps, label=graphic, split=test, unlabelled, changed "
              "or pred.blank@champion=content, separated by spaces")


@dataclass
class Query:
    """A parsed ``--items`` query."""

    text: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    split: str | None = None
    unlabelled: bool = False
    changed: bool = False
    predicted: list[tuple[str, str]] = field(default_factory=list)  # (model spec, label)

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.text}


def parse_query(text: str | None) -> Query:
    q = Query(text=(text or "").strip())
    try:
        terms = shlex.split(q.text)
    except ValueError as exc:
        raise RunError(f"cannot read the item query {q.text!r}: {exc}", hint=QUERY_HELP) from exc
    for term in terms:
        if term in ("unlabelled", "unlabeled"):
            q.unlabelled = True
            continue
        if term == "changed":
            q.changed = True
            continue
        key, sep, value = term.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise RunError(f"cannot read the item query term {term!r}", hint=QUERY_HELP)
        if key == "label":
            q.labels.append(value)
        elif key == "split":
            if value not in ("train", "test"):
                raise RunError(f"split must be train or test, not {value!r}", hint=QUERY_HELP)
            q.split = value
        elif key.startswith("pred."):
            q.predicted.append((key[len("pred."):], value))
        else:
            q.meta[key] = value
    return q


#: item columns a query term may name besides the metadata fields (those a ``where``
#: of the Python API may name)
ITEM_FIELDS = _Workspace.ITEM_COLUMNS


def check_query_fields(ws: Workspace, query: Query, *, sample: int = 1000) -> None:
    """One :class:`RunError` naming the field when a ``FIELD=VALUE`` term names a
    metadata field no current item has: a misspelling (``colection=maps``) would
    otherwise plan no item, and the run would end "done" with 0 of 0 items. Each check
    is one look-up that stops at the first item with the field."""
    from ..ingest.columns import closest_name

    for name in query.meta:
        if name in ITEM_FIELDS:
            continue
        fields = ws.missing_field(name, sample=sample)
        if fields is None:
            continue
        close = closest_name(name, fields)
        raise RunError(
            f"no item has the metadata field {name!r} (item query {query.text!r}): the run "
            "would predict nothing; nothing was started",
            hint=(f"did you mean {close}={query.meta[name]}? " if close else "")
            + ("the items' fields: " + ", ".join(fields) if fields
               else "the items have no metadata fields")
            + f"; also {', '.join(ITEM_FIELDS)}")


def content_changed(ws: Workspace, model_id: int | None = None) -> Any:
    """A condition on ``items`` (the current version): a prediction (of the model version
    ``model_id``, or of any) was made from an earlier version of the item whose text
    differs, or whose image does (another file or URL, or, for an image item, another
    content hash). Predictions stored before migration 11 know the version that was
    current when they were made."""
    t = ws.store.t
    items, p = t.items, t.predictions
    seen = items.alias("predicted_version")
    clauses = [p.c.item_id == items.c.item_id, p.c.item_version != items.c.version,
               seen.c.item_id == p.c.item_id, seen.c.version == p.c.item_version,
               sa.or_(seen.c.text.is_distinct_from(items.c.text),
                      seen.c.uri.is_distinct_from(items.c.uri),
                      seen.c.page.is_distinct_from(items.c.page),
                      sa.and_(items.c.modality == "image",
                              seen.c.content_hash != items.c.content_hash))]
    if model_id is not None:
        clauses.append(p.c.model_id == model_id)
    return sa.exists().where(*clauses)


def changed_since_predicted(ws: Workspace, model_id: int, item_ids: list[str]) -> list[str]:
    """Of ``item_ids``, the items whose prediction by the model version ``model_id`` was
    made from text or an image that has changed since (:func:`content_changed`): their
    predicted spans and scores are about the earlier content until ``glamlab run``."""
    items = ws.store.t.items
    out: list[str] = []
    with ws.store.read() as conn:
        for i in range(0, len(item_ids), 900):
            out.extend(conn.execute(
                sa.select(items.c.item_id).where(items.c.is_current.is_(True),
                                                 items.c.item_id.in_(item_ids[i:i + 900]),
                                                 content_changed(ws, model_id))
                .order_by(items.c.item_id)).scalars())
    return out


class Plan:
    """The items a run still has to predict, streamed in id order."""

    def __init__(self, ws: Workspace, query: Query, model_id: int, *,
                 force_run_id: int | None = None, skip_failed_run_id: int | None = None):
        self.ws = ws
        self.query = query
        self.model_id = model_id
        self.force_run_id = force_run_id
        self.skip_failed_run_id = skip_failed_run_id
        self._clauses = self._build()

    def _build(self) -> list[Any]:
        from ..registry import get_model

        t = self.ws.store.t
        items = t.items
        clauses: list[Any] = self.ws.item_clauses(self.query.meta, None)
        for label in self.query.labels:
            clauses.append(sa.exists().where(t.labels.c.item_id == items.c.item_id,
                                             t.labels.c.label == label,
                                             t.labels.c.active.is_(True)))
        if self.query.unlabelled:
            clauses.append(~sa.exists().where(t.labels.c.item_id == items.c.item_id,
                                              t.labels.c.active.is_(True)))
        if self.query.split:
            clauses.append(sa.exists().where(t.splits.c.item_id == items.c.item_id,
                                             t.splits.c.split == self.query.split))
        for spec, label in self.query.predicted:
            other = get_model(self.ws, spec)
            clauses.append(sa.exists().where(t.predictions.c.item_id == items.c.item_id,
                                             t.predictions.c.model_id == other.id,
                                             t.predictions.c.label == label))
        if self.query.changed:  # predicted before the item's current version came in
            clauses.append(sa.exists().where(t.predictions.c.item_id == items.c.item_id,
                                             t.predictions.c.model_id == self.model_id,
                                             t.predictions.c.created_at < items.c.created_at))
        done = [t.predictions.c.item_id == items.c.item_id,
                t.predictions.c.model_id == self.model_id]
        if self.force_run_id is not None:
            done.append(t.predictions.c.run_id == self.force_run_id)
            clauses.append(~sa.exists().where(*done))
        else:  # not predicted yet, or predicted from content that changed since
            clauses.append(sa.or_(~sa.exists().where(*done),
                                  content_changed(self.ws, self.model_id)))
        if self.skip_failed_run_id is not None:
            f = t.run_failures
            clauses.append(~sa.exists().where(f.c.item_id == items.c.item_id,
                                              f.c.run_id == self.skip_failed_run_id))
        return clauses

    def count(self) -> int:
        items = self.ws.store.t.items
        with self.ws.store.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(items)
                                    .where(*self._clauses)).scalar() or 0)

    def already_predicted(self, *, exclude_run_id: int | None = None) -> int:
        """Matching items this model version predicted before (in runs other than
        ``exclude_run_id``): the ones a run skips."""
        t = self.ws.store.t
        clauses = self._clauses[:-1] if self.skip_failed_run_id is None else self._clauses[:-2]
        done = [t.predictions.c.item_id == t.items.c.item_id,
                t.predictions.c.model_id == self.model_id]
        if exclude_run_id is not None:
            done.append(t.predictions.c.run_id != exclude_run_id)
        clauses = [*clauses, sa.exists().where(*done)]
        if self.force_run_id is None:  # a changed item is predicted again, not skipped
            clauses.append(~content_changed(self.ws, self.model_id))
        with self.ws.store.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(t.items)
                                    .where(*clauses)).scalar() or 0)

    def batches(self, batch_size: int, *, page_size: int = 2000,
                changed: set[str] | None = None) -> Iterator[list[ItemRow]]:
        """Batches of the items still to predict, as :data:`~.worker.ItemRow` tuples
        (what the workers need and no more: no ``Item`` objects, ``meta`` left as JSON
        text, so the single writer spends little per item). Pages are read lazily, so
        items predicted while iterating (by this run) are simply passed over.
        ``changed``: the ids of the items predicted again because their content changed
        (:func:`content_changed`) are added to it as their page is read."""
        items = self.ws.store.t.items
        cols = [sa.cast(items.c.meta, sa.Text) if name == "meta" else items.c[name]
                for name in ITEM_COLUMNS]
        if changed is not None and self.force_run_id is None:
            cols.append(content_changed(self.ws, self.model_id).label("content_changed"))
        else:
            changed = None
        last: str | None = None
        batch: list[ItemRow] = []
        page_size = max(page_size, batch_size)
        while True:
            q = sa.select(*cols).where(*self._clauses).order_by(items.c.item_id).limit(page_size)
            if last is not None:
                q = q.where(items.c.item_id > last)
            with self.ws.store.read() as conn:
                rows = [tuple(r) for r in conn.execute(q)]
            if not rows:
                break
            if changed is not None:
                changed.update(r[0] for r in rows if r[-1])
                rows = [r[:-1] for r in rows]
            last = rows[-1][0]
            pos = 0
            while pos < len(rows):
                take = batch_size - len(batch)
                batch.extend(rows[pos:pos + take])
                pos += take
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
            if len(rows) < page_size:
                break
        if batch:
            yield batch
