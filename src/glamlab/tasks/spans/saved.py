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

Nor does ``glamlab act`` ask a reviewer about such a span (:func:`settled_by_person`):
a model's span over words a person saved as an entity is *settled by gold* as act
applies the policy, not queued: accepted where it is that very span (same words, same
type), rejected otherwise (a person said what those words are). The text's
completeness counts it as decided (:func:`glamlab.tasks.spans.complete.partial_gold`),
and the exports say what the person's span says of it. Only gold made on the text the
item has now counts (a text re-ingested with other words since: its spans point into
the earlier text), and not in the test split (its gold is kept as it is, and accepting
there is not refused).

On a text in the test split a reviewer's decision writes no gold, yet it says what
those words are all the same (:func:`glamlab.review.decide` settles the model's other
open spans over them): :func:`decided_on_test_texts` gives the spans reviewers decided
there, and ``glamlab act`` settles a later run's spans over those words by them as it
does by a person's saved span, so nobody is asked again about words a reviewer decided
(the test gold stays as it is, and the text never trains).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ...store.queue import fitting_span_sets
from ..labels import _chunks
from .complete import REVIEW_SOURCES
from .gold import (
    GOLD,
    _active_sets,
    _current_items,
    _spans_of_sets,
    carried,
    earlier_text,
)
from .model import MAIN_LAYER, Span

if TYPE_CHECKING:
    from ...workspace import Workspace

#: ``span_sets.source`` of the gold sets people make (review decisions and added
#: entities, a text marked checked, the labelling page); any other source is an import
PERSON_SOURCES = (*REVIEW_SOURCES, "web")


@dataclass(frozen=True)
class SavedSpan:
    """A gold span of a text, with who saved it: a person's name, or None (imported),
    and when its gold set was saved."""

    span: Span
    who: str | None
    at: Any = None
    #: on a text in the test split (:func:`decided_on_test_texts`): the reviewer's
    #: decision that settled on this span (``accept``, ``correct``, or ``add`` for an
    #: entity they added), which wrote no gold; None for a span of the text's gold
    decision: str | None = None


def saved_spans(ws: Workspace, conn: sa.Connection, ids: Sequence[str]
                ) -> dict[str, list[SavedSpan]]:
    """Item -> its gold spans (its latest active gold set's, every layer), each with
    the person who saved it, or None where it came from an import (see the module).
    Where that set was made on an earlier text of the item (ingested again with other
    words since), only its spans still on the same words of the text now, at their
    offsets there (:func:`glamlab.tasks.spans.gold.carried`): the others point at words
    the text no longer has, and a decision on the text drops them."""
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
    texts = _current_items(conn, ws, sorted(latest))
    fits = fitting_span_sets(conn, [r.id for r in latest.values()])
    out: dict[str, list[SavedSpan]] = {}
    for item_id, row in latest.items():
        who = row.annotator if item_id in people else None
        pairs = [(s, s) for s in spans[int(row.id)]]
        text = texts.get(item_id, (None, ""))[0]
        if text is not None and int(row.id) not in fits:
            # made on an earlier text of the item: the spans still on the same words of
            # the text now, at their offsets there (what a decision on it builds on)
            pairs = carried(spans[int(row.id)], earlier_text(conn, ws, row), text)
        out[item_id] = [SavedSpan(now, None if who is None or _key(s) in imported.get(
            item_id, ()) else who, row.created_at) for s, now in pairs]
    return out


def people_spans(ws: Workspace, conn: sa.Connection, ids: Sequence[str]
                 ) -> dict[str, list[SavedSpan]]:
    """Item -> the gold spans a person saved on its text (:func:`saved_spans` whose
    ``who`` is a person), for the items among ``ids`` that have any, leaving out texts
    in the test split and texts whose gold was made on an earlier text of the item
    (:func:`glamlab.store.queue.changed_span_gold`). What :func:`settled_by_person`
    settles candidates by."""
    from ...store.queue import changed_span_gold_items
    from ..splits import split_of

    latest = _active_sets(conn, ws, sorted(set(ids)))
    people = sorted(i for i, r in latest.items() if r.source in PERSON_SOURCES)
    if not people:
        return {}
    splits = split_of(ws, people, conn=conn)
    people = [i for i in people if splits.get(i) != "test"]
    changed = changed_span_gold_items(conn, people) if people else set()
    people = [i for i in people if i not in changed]
    out: dict[str, list[SavedSpan]] = {}
    for item_id, saved in saved_spans(ws, conn, people).items():
        mine = [s for s in saved if s.who is not None]
        if mine:
            out[item_id] = mine
    return out


def decided_on_test_texts(ws: Workspace, conn: sa.Connection, ids: Sequence[str]
                       ) -> dict[str, list[SavedSpan]]:
    """Item -> the spans reviewers decided on its text (accepted or corrected queue
    rows of the model's predictions), for the items among ``ids`` in the test split that
    have any: there a decision writes no gold (the split stays honest), but it settles
    the model's spans over its words (:func:`settled_by_person`) as a person's saved
    span does on the other texts. Oldest first, a later decision over some of the same
    words (of its layer) replaces an earlier one, as a gold set would. Only decisions
    on the words the text has now count (a span whose words were replaced since, by an
    ingest of other words, says nothing of them)."""
    from ..people import item_decisions
    from ..splits import split_of

    splits = split_of(ws, sorted(set(ids)), conn=conn)
    test = sorted(i for i, s in splits.items() if s == "test")
    if not test:
        return {}
    texts = _current_items(conn, ws, test)
    out: dict[str, list[SavedSpan]] = {}
    for item_id, rows in item_decisions(ws, conn, test).items():
        text = texts.get(item_id, (None, ""))[0]
        if text is None:
            continue
        kept: list[SavedSpan] = []
        for r in rows:
            if r.action == "reject" or not r.label:
                continue
            span = _decided_span(text, r.label, r.value, r.queued_value)
            if span is None:
                continue
            kept = [k for k in kept if k.span.layer != span.layer
                    or not (k.span.start < span.end and span.start < k.span.end)]
            kept.append(SavedSpan(span, r.user, r.created_at, decision=str(r.action)))
        if kept:
            out[item_id] = kept
    return out


def _decided_span(text: str, label: str, value: Any, queued: Any) -> Span | None:
    """The span a decision settled on (``label``/``value``), on ``text``; None where it
    is no span of it, or the text has other words there now than the decision's value
    or its queued row's said."""
    if not isinstance(value, dict):
        return None
    try:
        start, end = int(value["start"]), int(value["end"])
    except (KeyError, TypeError, ValueError):
        return None
    if not 0 <= start < end <= len(text):
        return None
    for v in (value, queued):
        if isinstance(v, dict) and v.get("text") is not None:
            try:
                b, e = int(v["start"]), int(v["end"])
            except (KeyError, TypeError, ValueError):
                continue
            if text[b:e] != v["text"]:
                return None  # the text changed since the decision
    return Span(start, end, label, layer=value.get("layer") or MAIN_LAYER,
                text=text[start:end])


@dataclass(frozen=True)
class PersonVerdict:
    """What a person's saved span says of a model's span over its words: ``holds`` (it
    is that very span: accepted) or not (rejected), and the person's span."""

    holds: bool
    saved: SavedSpan

    @property
    def by_decision(self) -> bool:
        """Settled by a reviewer's decision on a text in the test split (which wrote no
        gold: :func:`decided_on_test_texts`), not by a gold span a person saved."""
        return self.saved.decision is not None

    def reason(self) -> str:
        s = self.saved.span
        words = f"{s.text!r} " if s.text else ""
        if self.by_decision:
            did = {"correct": "corrected a span to", "add": "added the entity"}.get(
                str(self.saved.decision), "accepted")
            said = (f"settled by reviewer {self.saved.who}'s decision on this test text: "
                    f"they {did} {words}({s.start}-{s.end}, {s.label})")
            return said + (" (this very span)" if self.holds
                           else " over the same words, so this one is not")
        if self.holds:
            return (f"settled by a gold label: {self.saved.who} saved it as an entity "
                    f"({words}{s.start}-{s.end}, {s.label})")
        return (f"settled by a gold label: {self.saved.who} saved an entity over the same "
                f"words ({words}{s.start}-{s.end}, {s.label}), so this one is not")


def settled_by_person(saved: Sequence[SavedSpan] | None, label: str | None,
                      value: Any) -> PersonVerdict | None:
    """What a person's span of the text (``saved``: the item's :func:`people_spans`)
    says of the model's span ``label``/``value`` (``{"start", "end"[, "layer"]}``): None
    where no span a person saved overlaps it (of its layer); else it holds where one is
    that very span (same offsets and type), and not otherwise."""
    if not saved or not isinstance(value, dict):
        return None
    try:
        start, end = int(value["start"]), int(value["end"])
    except (KeyError, TypeError, ValueError):
        return None
    layer = value.get("layer") or MAIN_LAYER
    over = [s for s in saved if s.who is not None and s.span.layer == layer
            and s.span.start < end and start < s.span.end]
    if not over:
        return None
    same = next((s for s in over if (s.span.start, s.span.end, s.span.label)
                 == (start, end, label)), None)
    return PersonVerdict(True, same) if same is not None else PersonVerdict(False, over[0])


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


__all__ = ["PERSON_SOURCES", "PersonVerdict", "SavedSpan", "decided_on_test_texts",
           "people_spans", "replaced_by", "saved_spans", "settled_by_person"]
