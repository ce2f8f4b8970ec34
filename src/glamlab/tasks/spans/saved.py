"""Which of a text's gold spans a person saved, so that a model's span never replaces them.

A text's gold spans are its latest active gold set (:mod:`.gold`). Accepting a model's
predicted span (or correcting it to other words or another type) makes a new gold set
in which that span replaces every gold span it overlaps
(:meth:`glamlab.tasks.kinds.entities.Entities.accepted`). Over imported gold that is a
reviewer correcting the file, as it always was. Over a span a person saved (a decision
in the review queue, an entity added for one the model missed, the labelling page, a
text marked checked), it would be the model's later run undoing that person's work,
unseen: so :func:`glamlab.review.decide` refuses it, and the review card says which
saved span is over the same words.

A span of a person's gold set that an import of the same text gave as it is (same
words, same type) counts as the import's: the person's set holds it because each
decision adds to the text's gold spans.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..labels import _chunks
from .complete import REVIEW_SOURCES
from .gold import GOLD, _active_sets, _spans_of_sets
from .model import MAIN_LAYER, Span

if TYPE_CHECKING:
    from ...workspace import Workspace

#: ``span_sets.source`` of the gold sets people make (review decisions and added
#: entities, a text marked checked, the labelling page); any other source is an import
PERSON_SOURCES = (*REVIEW_SOURCES, "web")


@dataclass(frozen=True)
class SavedSpan:
    """A gold span of a text, with who saved it: a person's name, or None (imported)."""

    span: Span
    who: str | None


def saved_spans(ws: Workspace, conn: sa.Connection, ids: Sequence[str]
                ) -> dict[str, list[SavedSpan]]:
    """Item -> its gold spans (its latest active gold set's, every layer), each with
    the person who saved it, or None where it came from an import (see the module)."""
    latest = _active_sets(conn, ws, ids)
    spans = _spans_of_sets(conn, ws, [r.id for r in latest.values()])
    people = {i: r for i, r in latest.items() if r.source in PERSON_SOURCES}
    imported: dict[str, set[tuple[Any, ...]]] = {}
    if people:
        t = ws.store.t.span_sets
        earlier: dict[int, str] = {}
        for chunk in _chunks(sorted(people)):
            for r in conn.execute(sa.select(t.c.id, t.c.item_id, t.c.text_hash).where(
                    t.c.item_id.in_(chunk), t.c.kind == GOLD,
                    sa.or_(t.c.source.is_(None), t.c.source.not_in(PERSON_SOURCES)))):
                if r.text_hash == people[r.item_id].text_hash:
                    earlier[int(r.id)] = r.item_id
        for set_id, got in _spans_of_sets(conn, ws, sorted(earlier)).items():
            imported.setdefault(earlier[set_id], set()).update(_key(s) for s in got)
    out: dict[str, list[SavedSpan]] = {}
    for item_id, row in latest.items():
        who = row.annotator if item_id in people else None
        out[item_id] = [SavedSpan(s, None if who is None or _key(s) in imported.get(
            item_id, ()) else who) for s in spans[int(row.id)]]
    return out


def _key(s: Span) -> tuple[Any, ...]:
    return (s.layer, s.start, s.end, s.label)


def replaced_by(saved: Sequence[SavedSpan], start: int, end: int, label: str | None,
                layer: str | None = None) -> list[SavedSpan]:
    """The saved spans a span ``start``-``end`` of type ``label`` (of ``layer``, the main
    one by default) replaces once accepted: those of its layer it overlaps, except the
    very same span (same words, same type: accepting it changes nothing)."""
    layer = layer or MAIN_LAYER
    return [s for s in saved if s.span.layer == layer and s.span.start < end
            and start < s.span.end
            and (s.span.start, s.span.end, s.span.label) != (start, end, label)]


__all__ = ["PERSON_SOURCES", "SavedSpan", "replaced_by", "saved_spans"]
