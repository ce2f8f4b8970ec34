"""What people decided about an item stands, whichever prediction they decided on.

A reviewer decides on one queued candidate of one prediction. The item is then
predicted again: ``glamlab run --force``, a retrained champion, a new model version.
The new prediction has a new id, and the person's decision must still count: in the
exports (the person's value, with their name) and in ``glamlab act`` (a candidate a
person has already settled is not queued for review again, and a machine value a person
turned down is not written).

A decision counts for a candidate of the same item when

- it was queued for that very candidate (the same label and value): accept, reject or
  correct, as the person said;
- the person settled on that candidate (accepted it, or corrected another one to it):
  it is confirmed;
- for kinds with one value per item (single-label classification), the person settled
  on another label: the item's value is theirs (a correction).

The latest decision that counts wins. A decision counts across the item's versions:
a re-ingest that only changed the item's metadata (a new column in the catalogue
table) must not undo people's work, and an item's stored versions do not say whether
what the model reads changed (the content hash covers the metadata of a table row).
A span decided on a text that changed since counts only where the new prediction has
the very same span (label and offsets).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..store.ids import among, id_batches

#: ``decisions.action`` of a span a reviewer added to a text (one the model did not
#: find: :func:`glamlab.tasks.spans.complete.add_span`), queued for nothing
ADDED = "add"

#: ``decisions.source`` of a decision made on the web app's pages (the review queue, a
#: record's "Whole record checked", an entity added to a text) and of one made
#: through its JSON API (:func:`via`); ``glamlab review import`` keeps the file instead
#: (``{"file": NAME, "sha256": HEX}``, :func:`glamlab.review.sheet.file_source`). None:
#: a decision recorded before glamlab kept where it came from (its migration 21).
#: :data:`PYTHON`: one a script or notebook made by calling glamlab.review.decide without
#: saying where from.
WEB_QUEUE = "web queue"
API = "api"
PYTHON = "python"


def via(where: str) -> dict[str, Any]:
    """The ``source`` a decision made on the web pages (:data:`WEB_QUEUE`) or through the
    JSON API (:data:`API`) keeps (``decisions.source``, shown as ``source`` by
    ``GET /api/decisions``): ``{"via": where}``."""
    return {"via": where}

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from ..workspace import Workspace


@dataclass(frozen=True)
class PersonDecision:
    """A person's decision as it applies to one candidate: ``action`` is ``accept``
    (the candidate is right), ``reject`` (it is wrong) or ``correct`` (the item's value is
    ``label``/``value`` instead); ``recorded`` is the action the person took;
    ``queued`` the label of the suggestion the person was asked about (a correction to
    another label: the one they turned down); ``source`` where the decision came from
    beyond its person (``decisions.source``: the file ``glamlab review import`` read it
    from, its name and sha256, or :func:`via` the web queue or the JSON API), None for
    any decision recorded before glamlab kept it."""

    action: str
    label: str | None
    value: Any
    user: str
    created_at: datetime
    recorded: str
    queued: str | None = None
    source: Any = None


def same_value(value: Any) -> str:
    """A candidate's value as comparable text (JSON, keys sorted). A span's ``text`` is
    left out: it is what the offsets cover, and a value may come with it (a model's
    candidate) or without it (the web app's boundary form) for the very same span
    (:func:`person_decision` still tells spans over different words apart)."""
    if isinstance(value, dict) and "start" in value and "end" in value and "text" in value:
        value = {k: v for k, v in value.items() if k != "text"}
    return json.dumps(value, sort_keys=True)


def _other_words(a: Any, b: Any) -> bool:
    """Two spans at the same offsets over different words (the text changed since the
    person decided): both values say what they cover, and it differs."""
    return (isinstance(a, dict) and isinstance(b, dict) and a.get("text") is not None
            and b.get("text") is not None and a["text"] != b["text"])


def item_decisions(ws: Workspace, conn: sa.Connection,
                   item_ids: Sequence[str]) -> dict[str, list[Any]]:
    """Item id -> the people's decisions on queued predictions of the item (not on
    re-checks of gold labels), oldest first, each with the candidate it was queued for
    (``queued``, ``queued_value``), and the spans reviewers added to it (action
    :data:`ADDED`, queued for nothing: ``queued`` is None; they settle on their span,
    and count for a candidate that is that very span)."""
    rq, dec = ws.store.t.review_queue, ws.store.t.decisions
    out: dict[str, list[Any]] = {}
    ids = sorted(set(item_ids))
    for ids_part in id_batches(conn, ids):
        for r in conn.execute(
                sa.select(dec.c.item_id, rq.c.label.label("queued"),
                          rq.c.value.label("queued_value"), dec.c.id, dec.c.action,
                          dec.c.label, dec.c.value, dec.c.user, dec.c.created_at,
                          dec.c.source)
                .select_from(dec.outerjoin(rq, dec.c.queue_id == rq.c.id))
                .where(among(conn, dec.c.item_id, ids_part),
                       # a withdrawn decision (glamlab.review.undo) decides nothing
                       sa.or_(sa.and_(rq.c.kind == "prediction",
                                      dec.c.action.in_(("accept", "reject", "correct"))),
                              sa.and_(dec.c.queue_id.is_(None), dec.c.action == ADDED)))
                .order_by(dec.c.id)):
            out.setdefault(r.item_id, []).append(r)
    return out


def person_decision(rows: Sequence[Any] | None, label: str, value: Any, *,
                    one_value: bool) -> PersonDecision | None:
    """The latest of an item's decisions (:func:`item_decisions`) that counts for
    the candidate ``label``/``value``, as it applies to it (see the module docstring);
    ``one_value``: the kind has one value per item (single-label)."""
    if not rows:
        return None
    key = (label, same_value(value))
    found: PersonDecision | None = None
    for r in rows:
        settled = (r.label, same_value(r.value)) if r.label is not None else None
        queued = (r.queued, same_value(r.queued_value)) == key
        if queued and _other_words(r.queued_value, value):
            queued = False
        if settled == key and _other_words(r.value, value):
            settled = None
        if queued or settled == key:
            if r.action == "reject":
                action = "reject"
            else:
                action = "accept" if settled == key else "correct"
        elif settled is not None and one_value:
            action = "correct"
        else:
            continue
        found = PersonDecision(action, r.label, r.value, r.user, r.created_at, r.action,
                               r.queued, getattr(r, "source", None))
    return found
