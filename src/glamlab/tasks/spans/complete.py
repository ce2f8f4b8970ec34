"""Which texts' gold spans are complete enough to train on.

A model learns from a text's gold spans that every other word of it is *not* an
entity. Gold imported from a file (HIPE, JSONL, WebAnno) or saved on the labelling page
was given for the whole text, so that holds. Reviewers, though, decide on a model's
predicted spans one at a time (accept, change the type, fix the boundaries, reject):
each decision adds to the text's gold set (:func:`glamlab.review.decide`), and after one
decision of several that set holds one span, with the text's other entities, predicted
or not, undecided. Trained on as it is, it would teach the model to miss them.

So a text whose latest gold set came from review decisions counts as **fully reviewed**,
and goes into training, only when

- its decisions were made on top of gold that was already complete (an import, the
  labelling page, or a text marked done): the set holds that gold too; or
- every span of the model's current prediction for the text has a person's decision
  (accepted, corrected or rejected; :mod:`glamlab.tasks.people` says which decision
  counts for which span, across predictions), or lies over words a person saved as an
  entity (settled by that gold: :func:`glamlab.tasks.spans.saved.settled_by_person`); or
- a reviewer marked the whole text checked (:func:`mark_text_done`): what the gold set
  holds then are the text's entities, and any other word is not one.

The first and third are the one definition of complete gold the review queue settles
predicted spans by too (:func:`glamlab.store.queue.complete_span_gold`). A mark taken
back (:func:`unmark_text_done`) stays in the history with its own source
(:data:`WITHDRAWN`): decisions made after the undo do not build on it.

Otherwise it is **partly reviewed**: it waits, out of training (:func:`partial_gold`),
its decisions kept (they stay gold spans, in the exports and in the history), until the
rest of its spans are decided or the text is marked done.

An entity the model missed, added by a reviewer (:func:`add_span`), is added to the
text's gold set as a decision is: a person's statement about those words. It decides
none of the model's other spans (those over the same words are decided with it:
:func:`glamlab.review.add_span`), so a partly reviewed text still waits, and a text
whose gold was complete stays complete.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ...errors import LabelError
from ...store import now
from ...store.queue import (
    SPAN_REVIEW_SOURCE,
    SPAN_WHOLE_TEXT_SOURCE,
    SPAN_WITHDRAWN_SOURCE,
    changed_span_gold_items,
    complete_span_gold_items,
)
from ..labels import _chunks
from .gold import GOLD, GoldBase, _active_sets, gold_to_build_on, item_text, record_spans
from .model import MAIN_LAYER, Span, typed_authority_id

if TYPE_CHECKING:
    from ...workspace import Workspace

#: ``span_sets.source`` of a gold set built from review decisions on single spans
REVIEW = SPAN_REVIEW_SOURCE  # the review queue's count reads it too (glamlab.store.queue)
#: ``span_sets.source`` of the gold set a reviewer saved by marking the whole text checked
WHOLE_TEXT = SPAN_WHOLE_TEXT_SOURCE
#: ``span_sets.source`` a "whole text checked" set gets when its reviewer takes it back
WITHDRAWN = SPAN_WITHDRAWN_SOURCE
#: the sources of reviewers' gold sets (what retrain counts as reviewers' corrections)
REVIEW_SOURCES = (REVIEW, WHOLE_TEXT)


#: ``audit_log.action`` of what one reviewer's change to a text's gold spans did (a
#: decision on a span, an entity added or removed, a text marked checked or the mark
#: taken back), written in its transaction by :func:`record_change`: exactly what undo
#: (:mod:`glamlab.review.undo`) takes back
CHANGE = "spans.change"


def gold_state(conn: sa.Connection, ws: Workspace, item_id: str) -> dict[str, Any]:
    """The item's gold span sets (id -> [active, source]), whether it has a split row,
    and its newest machine metadata row: what a reviewer's change is measured against
    (:func:`record_change`)."""
    st = ws.store.t
    sets = st.span_sets
    state = {int(r.id): [bool(r.active), r.source] for r in conn.execute(
        sa.select(sets.c.id, sets.c.active, sets.c.source).where(
            sets.c.item_id == item_id, sets.c.kind == GOLD))}
    split = conn.execute(sa.select(st.splits.c.item_id).where(
        st.splits.c.item_id == item_id)).first() is not None
    meta = conn.execute(sa.select(sa.func.max(st.machine_metadata.c.id)).where(
        st.machine_metadata.c.item_id == item_id)).scalar()
    return {"sets": state, "split": split, "meta": int(meta or 0)}


def record_change(conn: sa.Connection, ws: Workspace, user: str, item_id: str, what: str,
                  before: dict[str, Any], *, said: str, decisions: Sequence[int] = (),
                  **more: Any) -> int:
    """Audit (action :data:`CHANGE`) what a reviewer's change ``what`` to ``item_id``'s
    gold spans did since ``before`` (:func:`gold_state`): the gold sets it added (with
    their state), those whose state it changed (before and after), the state of the
    text's other gold sets (``sets_kept``: an older set switched off or on by someone
    else since is a change since, which undo refuses to write over), the newest set id
    then, whether it created the item's split row, the machine metadata rows it wrote,
    the decisions it made (``decisions``), and ``said``: the change in plain words, for
    the confirmation of its undo. Returns the entry's id (the change's number)."""
    after = gold_state(conn, ws, item_id)
    b, a = before["sets"], after["sets"]
    mm = ws.store.t.machine_metadata
    meta = [int(i) for i in conn.execute(sa.select(mm.c.id).where(
        mm.c.item_id == item_id, mm.c.id > before["meta"])).scalars()]
    return ws.store.audit(
        conn, user, CHANGE, item_id, what=what, said=said,
        sets_added={str(i): a[i] for i in sorted(a) if i not in b},
        sets_changed={str(i): [b[i], a[i]] for i in sorted(b) if i in a and a[i] != b[i]},
        sets_kept={str(i): a[i] for i in sorted(b) if i in a and a[i] == b[i]},
        set_max=max(a, default=0), split_created=after["split"] and not before["split"],
        metadata=meta, decisions=[int(d) for d in decisions], **more)


def partial_gold(ws: Workspace, ids: Sequence[str], conn: sa.Connection) -> set[str]:
    """The items among ``ids`` whose gold spans are partly reviewed (see the module
    docstring): their latest gold set came from review decisions on single spans, it
    is not complete gold (:func:`glamlab.store.queue.complete_span_gold`, the definition
    the review queue settles spans by: decisions built on an import, the labelling
    page's spans or a text marked checked), and not every span of the current
    prediction is decided."""
    latest = _active_sets(conn, ws, ids)
    reviewed = {i for i, r in latest.items() if r.source == REVIEW}
    if not reviewed:
        return set()
    partial = reviewed - complete_span_gold_items(conn, reviewed)
    if partial:
        partial -= _all_spans_decided(ws, conn, sorted(partial))
    return partial


def reviewed_texts(ws: Workspace, ids: Sequence[str], conn: sa.Connection) -> set[str]:
    """The items among ``ids`` whose latest gold set came from review (decisions on a
    model's predicted spans, :data:`REVIEW`, fully or partly reviewed; or a text marked
    checked, :data:`WHOLE_TEXT`). They stay in the split they are in when the labels are
    split again: the review queue picks texts by what the model predicted, not at
    random, and their gold is the model's spans as people decided them (an entity the
    model missed is not there unless someone added it); a partly reviewed text in the
    test split could never be completed (a test text is not marked done)."""
    return {i for i, r in _active_sets(conn, ws, ids).items() if r.source in REVIEW_SOURCES}


def _current_candidates(ws: Workspace, conn: sa.Connection, ids: Sequence[str]
                        ) -> dict[str, tuple[int, list[Any]]]:
    """Item -> (the model's current prediction, its candidates): the prediction of the
    item's latest queued review row (what reviewers were shown). Items with none, or
    with an unreadable stored prediction, are left out."""
    from ..kinds import task_kind

    st = ws.store.t
    q = st.review_queue
    current: dict[str, int] = {}
    for chunk in _chunks(list(ids)):
        for r in conn.execute(sa.select(q.c.item_id, sa.func.max(q.c.prediction_id)).where(
                q.c.item_id.in_(chunk), q.c.kind == "prediction",
                q.c.prediction_id.is_not(None)).group_by(q.c.item_id)):
            current[r[0]] = int(r[1])
    if not current:
        return {}
    kind = task_kind(ws.card)
    rows = {}
    pred_ids = sorted(set(current.values()))
    p = st.predictions
    for k in range(0, len(pred_ids), 900):
        for r in conn.execute(sa.select(p).where(p.c.id.in_(pred_ids[k:k + 900]))):
            rows[int(r.id)] = r
    out: dict[str, tuple[int, list[Any]]] = {}
    for item_id, pred_id in current.items():
        row = rows.get(pred_id)
        if row is None:
            continue
        try:
            out[item_id] = (pred_id, kind.candidates(kind.from_stored(
                row.label, row.labels, row.scores, row.score)))
        except ValueError:
            continue  # an unreadable stored prediction: the text waits
    return out


def _all_spans_decided(ws: Workspace, conn: sa.Connection, ids: Sequence[str]) -> set[str]:
    """Items where a person decided every span of the model's current prediction: the
    prediction of the item's latest queued review row (what reviewers were shown; a
    re-run whose spans were all decided before queues nothing new). A span over words
    a person saved as an entity counts as decided by that person
    (:func:`glamlab.tasks.spans.saved.settled_by_person`: ``glamlab act`` settles it
    without asking), so it never keeps the text waiting."""
    from ..people import item_decisions, person_decision
    from .saved import people_spans, settled_by_person

    current = _current_candidates(ws, conn, ids)
    decisions = item_decisions(ws, conn, list(current))
    saved = people_spans(ws, conn, list(current))
    return {item_id for item_id, (_, candidates) in current.items()
            if all(person_decision(decisions.get(item_id), c.label, c.value,
                                   one_value=False) is not None
                   or settled_by_person(saved.get(item_id), c.label, c.value) is not None
                   for c in candidates)}


def policy_accepted_spans(ws: Workspace, conn: sa.Connection, ids: Sequence[str]
                          ) -> dict[str, list[Span]]:
    """Item -> the spans of its current prediction that the policy accepted (``glamlab
    act`` wrote them as machine metadata) and no person has decided on: what a text
    marked done keeps besides the reviewed spans, so that marking it done never turns a
    span the model was sure of into "not an entity"."""
    from ..kinds import task_kind
    from ..people import item_decisions, person_decision

    current = _current_candidates(ws, conn, ids)
    if not current:
        return {}
    kind = task_kind(ws.card)
    mm = ws.store.t.machine_metadata
    pred_ids = sorted({pid for pid, _ in current.values()})
    written: set[tuple[int, str]] = set()
    for k in range(0, len(pred_ids), 900):
        written.update((int(r.prediction_id), str(r.value)) for r in conn.execute(
            sa.select(mm.c.prediction_id, mm.c.value).where(
                mm.c.prediction_id.in_(pred_ids[k:k + 900]))))
    decisions = item_decisions(ws, conn, list(current))
    out: dict[str, list[Span]] = {}
    for item_id, (pid, candidates) in current.items():
        for c in candidates:
            v = c.value if isinstance(c.value, dict) else {}
            if ("start" not in v or (pid, kind.metadata_value(c)) not in written
                    or person_decision(decisions.get(item_id), c.label, c.value,
                                       one_value=False) is not None):
                continue
            out.setdefault(item_id, []).append(Span(
                int(v["start"]), int(v["end"]), c.label, authority_id=v.get("authority_id"),
                text=v["text"] if isinstance(v.get("text"), str) else None,
                layer=str(v.get("layer") or MAIN_LAYER)))  # a nested span stays nested
    return out


def _gold_to_add_to(conn: sa.Connection, ws: Workspace, item_id: str, text: str,
                    refused: str, done_in_train: str) -> tuple[str | None, GoldBase]:
    """The split of ``item_id`` and its gold spans now (:func:`~.gold.gold_to_build_on`:
    its latest gold set's; where that set was made on an earlier text of the item, those
    of its spans still on the same words of the text now), for a reviewer about to add to
    them (mark the text checked, add an entity). One :class:`LabelError` naming the item
    when the text is in the test split (its gold spans are kept as they are; ``refused``
    ends that sentence, ``done_in_train`` says what is done in the train split only)."""
    split = conn.execute(sa.select(ws.store.t.splits.c.split)
                         .where(ws.store.t.splits.c.item_id == item_id)).scalar()
    if split == "test":
        raise LabelError(f"{item_id} is in the test split: its gold spans are kept as "
                         f"they are{refused}", item=item_id,
                         hint=f"{done_in_train} in the train split only")
    return split, gold_to_build_on(conn, ws, item_id, text) or GoldBase([])


def mark_text_done(ws: Workspace, item_id: str, *, user: str,
                   by_decision: int | None = None) -> dict[str, Any]:
    """A reviewer says they checked the whole text of ``item_id``: its gold spans as they
    stand now (the spans decided so far, and those the policy accepted that nobody
    decided on: :func:`policy_accepted_spans`; none if none) are all its entities, and the text
    goes into training. Saved as the reviewer's gold set (source :data:`WHOLE_TEXT`);
    later decisions on the text's spans add to it. An item in the test split is refused
    (its gold is kept as it is). On a text ingested again with other words since its
    gold was made, the spans of that gold still on the same words are kept, the others
    dropped (:func:`~.gold.gold_to_build_on`). Returns the item, its spans, its split,
    ``earlier_gold`` (as :func:`add_span` gives it) and ``change_id``, the number undo
    takes it back by (:func:`record_change`). ``by_decision``: the mark was made by
    decision ``by_decision`` (its text's last open span decided), and is taken back
    with it."""
    st = ws.store.t
    with ws.store.write() as conn:
        before = gold_state(conn, ws, item_id)
        text = item_text(conn, ws, item_id, "to mark as checked")
        split, base = _gold_to_add_to(conn, ws, item_id, text, "", "texts are marked done")
        spans = base.spans
        # the spans the policy accepted and nobody decided on stay entities (those of a
        # prediction made on the words the text has now)
        for extra in policy_accepted_spans(ws, conn, [item_id]).get(item_id, []):
            if extra.text is not None and text[extra.start:extra.end] != extra.text:
                continue
            if not any(s.layer == extra.layer and s.start < extra.end and extra.start < s.end
                       for s in spans):
                spans.append(extra)
        spans.sort(key=lambda s: (s.start, s.end))
        for s in spans:
            s.score = None
        sets = st.span_sets
        mine = (sets.c.item_id == item_id, sets.c.annotator == user, sets.c.kind == GOLD,
                sets.c.active.is_(True))
        replaced = [int(i) for i in conn.execute(sa.select(sets.c.id).where(*mine)).scalars()]
        conn.execute(sets.update().where(*mine).values(active=False))
        stamp = now()
        set_id = record_spans(conn, ws, item_id, text, spans, annotator=user,
                              source=WHOLE_TEXT, stamp=stamp)
        if split is None:
            conn.execute(st.splits.insert().values(item_id=item_id, split="train",
                                                   created_at=stamp))
        ws.store.audit(conn, user, "spans.text_done", item_id, set_id=set_id,
                       spans=len(spans), replaced=replaced, earlier_gold=base.note())
        change = record_change(conn, ws, user, item_id, "text-done", before,
                               said=f"{item_id} is no longer marked as checked",
                               by_decision=by_decision)
    return {"item_id": item_id, "spans": len(spans), "split": split or "train",
            "set_id": set_id, "earlier_gold": base.note(), "change_id": change}


def known_layers(ws: Workspace, conn: sa.Connection) -> list[str]:
    """The span layers this project knows: the main one, HIPE's metonymic and nested
    ones (:data:`glamlab.tasks.spans.hipe.LAYERS`), and any other its stored spans have
    (imported from a JSONL file, say); the main layer first, then in name order."""
    from .hipe import LAYERS
    from .model import MAIN_LAYER

    others = ({layer for _tag, layer, _link, _fine in LAYERS}
              | set(layers_in_use(ws, conn))) - {MAIN_LAYER}
    return [MAIN_LAYER, *sorted(others)]


def layers_in_use(ws: Workspace, conn: sa.Connection) -> list[str]:
    """The span layers the project's stored spans have (gold of any source), the main
    one always and first, then in name order: the layers a reviewer may add an entity
    in. Read one layer at a time along the spans' layer index (the next name after the
    last one found), so a few small queries, not a scan of every span, at any size."""
    from .model import MAIN_LAYER

    t = ws.store.t.spans
    found: list[str] = []
    last: str | None = None
    while True:
        query = sa.select(sa.func.min(t.c.layer))
        if last is not None:
            query = query.where(t.c.layer > last)
        nxt = conn.execute(query).scalar()
        if nxt is None:
            break
        last = str(nxt)
        if last:
            found.append(last)
    return [MAIN_LAYER, *sorted(set(found) - {MAIN_LAYER})]


def layer_known(ws: Workspace, conn: sa.Connection, layer: str) -> bool:
    """Whether ``layer`` is one of :func:`known_layers`, without reading every stored
    span's layer: the main and HIPE's layers are known without a query; any other, by
    whether one stored span has it (the first one found ends the search)."""
    from .hipe import LAYERS
    from .model import MAIN_LAYER

    if layer == MAIN_LAYER or any(layer == known for _tag, known, _link, _fine in LAYERS):
        return True
    t = ws.store.t.spans
    return conn.execute(sa.select(sa.literal(1)).where(sa.exists().where(
        t.c.layer == layer))).first() is not None


def add_span(ws: Workspace, item_id: str, start: int, end: int, label: str, *,
             user: str, settle: Callable[[sa.Connection, Span, str, int], list[dict[str, Any]]]
             | None = None, layer: str | None = None,
             authority_id: str | None = None,
             source: dict[str, Any] | None = None) -> dict[str, Any]:
    """A reviewer adds an entity the model missed: the words ``start``-``end`` (character
    offsets, end not included; spaces at either end are left out) of ``item_id``'s text
    are a ``label``, of span ``layer`` (default the main one; a nested or metonymic
    entity, HIPE's layers, is one of :func:`known_layers`). Saved as a review decision does it: the text's gold spans with this
    one added become the reviewer's gold set (source :data:`REVIEW`), so it trains the
    model once the text is fully reviewed. It says nothing about the model's other spans:
    a partly reviewed text still waits (:func:`partial_gold`) until they are decided or
    the text is marked checked. The decision is kept (action
    :data:`glamlab.tasks.people.ADDED`, no queue row), so the exports give the span as the reviewer's,
    with ``source``: where it came from (``decisions.source``, as
    :func:`glamlab.review.decide` keeps it).

    Refused, with one :class:`LabelError` naming the item and the fix, when the span is
    empty or outside the text, its type is not one of the project's labels, its layer is
    not one the project knows, it overlaps a gold span of its layer the text has, or the text is in the test split (its gold spans are kept
    as they are, as :func:`mark_text_done` keeps them). Returns the item, the span, its
    split, how many gold spans the text has now, and ``earlier_gold``: None, or, where
    its gold spans were made on an earlier text of the item (ingested again with other
    words since), how many of them still fit the text and were carried over into the new
    set, and how many were dropped (:class:`~.gold.GoldBase`; they stay in the history).

    ``authority_id``: the record of the project's authority file the entity names (or
    ``NIL``: none fits), the reviewer's own link (the gold span carries it, the linker
    learns from it, the exports give it as the reviewer's); :func:`glamlab.review.add_span`
    refuses an id the authority file does not have before it comes here.

    ``settle(conn, span, text, decision_id)``, when given, runs in the same transaction
    once the span is stored, ``decision_id`` being the addition's decision
    (:func:`glamlab.review.add_span` decides there the model's open queued spans that
    overlap it); it returns the queue rows it decided (``settled``, each with its
    ``queue_id``), and may refuse the whole addition by raising."""
    from ..people import ADDED
    from .gold import store_person_spans
    from .model import MAIN_LAYER, check_spans, shown

    st = ws.store.t
    layer = layer or MAIN_LAYER
    authority_id = typed_authority_id(authority_id)  # "nil" in any case is NIL
    with ws.store.write() as conn:
        before = gold_state(conn, ws, item_id)
        text = item_text(conn, ws, item_id, "to add an entity to")
        if not layer_known(ws, conn, layer):
            layers = known_layers(ws, conn)  # read only to name them
            raise LabelError(f"{item_id}: unknown span layer {layer!r}, so no entity was "
                             "added", item=item_id,
                             hint=f"give one of the layers {', '.join(layers)} (or leave "
                                  f"the layer out for the main one, {MAIN_LAYER})")
        if 0 <= start < end <= len(text):  # the words, without the spaces around them
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
        span = Span(start, end, label, layer=layer, authority_id=authority_id)
        problems = check_spans(text, [span], labels=ws.card.labels, item_id=item_id)
        if problems:
            raise LabelError(problems[0][1], item=item_id,
                             hint=f"select words of the text (it has {len(text)} characters) "
                                  f"and one of the types {', '.join(ws.card.labels)}")
        split, base = _gold_to_add_to(conn, ws, item_id, text,
                                      ", so no entity is added to it",
                                      "entities are added to texts")
        spans = base.spans
        for s in spans:
            if s.layer == layer and s.start < end and start < s.end:
                of = "" if layer == MAIN_LAYER else f" (layer {layer})"
                raise LabelError(
                    f"{item_id}: {shown(text[start:end])} ({start}-{end}) overlaps "
                    f"{shown(text[s.start:s.end])}, already saved as {s.label} "
                    f"({s.start}-{s.end}){of}", item=item_id,
                    hint="select words no saved entity covers; to change a saved one, "
                         "correct it in the review queue")
            s.score = None
        stamp = now()
        set_id = store_person_spans(conn, ws, item_id, [*spans, span], annotator=user,
                                    source=REVIEW)
        if split is None:
            conn.execute(st.splits.insert().values(item_id=item_id, split="train",
                                                   created_at=stamp))
        value: dict[str, Any] = {"start": start, "end": end, "text": text[start:end]}
        if layer != MAIN_LAYER:  # as a correction of a nested span keeps it
            value["layer"] = layer
        if authority_id is not None:  # the reviewer's link (the exports read it here)
            value["authority_id"] = authority_id
        ins = conn.execute(st.decisions.insert().values(
            queue_id=None, item_id=item_id, prediction_id=None, user=user, action=ADDED,
            label=label, value=value, seen_version=None, created_at=stamp,
            source=source))
        decision_id = int(ins.inserted_primary_key[0])  # type: ignore[index]
        settled = settle(conn, span, text, decision_id) if settle is not None else []
        ws.store.audit(conn, user, "spans.add", item_id, set_id=set_id,
                       decision_id=decision_id, label=label, start=start, end=end,
                       layer=layer,
                       settled=[int(r["queue_id"]) for r in settled],
                       earlier_gold=base.note())
        record_change(conn, ws, user, item_id, "add", before, decision_id=decision_id,
                      decisions=[decision_id, *(int(r["decision_id"]) for r in settled)],
                      said=f"the entity {shown(text[start:end])} ({label}, {start}-{end}) "
                           f"you added is no longer saved for {item_id}"
                           + (f", and the model's span{'s' if len(settled) > 1 else ''} "
                              "decided with it " + ("are" if len(settled) > 1 else "is")
                              + " back in the queue" if settled else ""))
        waits = item_id in partial_gold(ws, [item_id], conn)
    return {"item_id": item_id, "start": start, "end": end, "label": label,
            "layer": layer, "authority_id": authority_id, "text": text[start:end], "split": split or "train", "spans": len(spans) + 1,
            "waits": waits, "decision_id": decision_id, "settled": settled,
            "earlier_gold": base.note()}


#: ``decisions.action`` an added span's decision (:data:`glamlab.tasks.people.ADDED`)
#: gets when its reviewer takes it back (:func:`remove_added_span`): kept in the
#: history, counted by nothing (exports, training and the queue read :data:`ADDED` only)
ADD_WITHDRAWN = "add-withdrawn"


def remove_added_span(ws: Workspace, decision_id: int, *, user: str) -> dict[str, Any]:
    """Undo :func:`add_span` (a reviewer added the wrong words, or gave the wrong type):
    the span added by decision ``decision_id`` leaves the text's gold spans, and nothing
    else does. The text's gold spans as they are now, without that one, become the
    reviewer's gold set (source :data:`REVIEW`, as any later decision on the text makes
    it: a text whose gold was complete stays complete); the decision is kept in the
    history with action :data:`ADD_WITHDRAWN`, so the exports no longer give the span.

    Refused, with one :class:`LabelError` naming the item and the fix, when there is no
    such added span, it was already taken back, another reviewer added it, the addition
    also decided the model's spans over the same words (taking it back would leave them
    decided), or the span is no longer among the text's gold spans (corrected since).
    Returns the item, the span's words, type and offsets, and how many gold spans the
    text has now."""
    from ..people import ADDED
    from .gold import store_person_spans
    from .model import MAIN_LAYER, shown

    st = ws.store.t
    dec = st.decisions
    with ws.store.write() as conn:
        d = conn.execute(sa.select(dec).where(dec.c.id == decision_id)).first()
        if d is None or d.queue_id is not None or d.action not in (ADDED, ADD_WITHDRAWN):
            raise LabelError(f"no entity was added with number {decision_id}: nothing was "
                             "removed", hint="reload the review queue and press Remove next "
                             "to the entity there")
        item_id = str(d.item_id)
        v = d.value if isinstance(d.value, dict) else {}
        start, end, label = int(v.get("start", -1)), int(v.get("end", -1)), str(d.label)
        layer = str(v.get("layer") or MAIN_LAYER)
        words = f"{shown(str(v.get('text') or ''))} ({label}, {start}-{end})"
        if d.action == ADD_WITHDRAWN:
            raise LabelError(f"{item_id}: the entity {words} was already removed",
                             item=item_id, hint="reload the review queue")
        if d.user != user:
            raise LabelError(f"{item_id}: the entity {words} was added by {d.user}, not by "
                             f"{user}, so it was not removed", item=item_id,
                             hint=f"ask {d.user} to remove it, or correct the text's "
                                  "entities on the labelling page")
        settled = _settled_by_addition(conn, ws, item_id, decision_id)
        before = gold_state(conn, ws, item_id)
        if settled:
            raise LabelError(
                f"{item_id}: adding the entity {words} also decided the model's "
                f"span{'s' if len(settled) > 1 else ''} over the same words (review queue "
                f"row{'s' if len(settled) > 1 else ''} {', '.join(map(str, settled))}), so "
                "it cannot be taken back here without leaving "
                f"{'those' if len(settled) > 1 else 'that'} decided", item=item_id,
                hint="correct the text's entities on the labelling page instead")
        text = item_text(conn, ws, item_id, "to remove an entity from")
        _split, base = _gold_to_add_to(conn, ws, item_id, text,
                                       ", so no entity is removed from it",
                                       "entities are removed from texts")
        key = (start, end, label, layer)
        kept = [s for s in base.spans if (s.start, s.end, s.label, s.layer) != key]
        if len(kept) == len(base.spans):
            raise LabelError(f"{item_id}: the entity {words} is no longer among the text's "
                             "saved entities (it was corrected since), so nothing was "
                             "removed", item=item_id,
                             hint="reload the review queue to see the text's entities now")
        for s in kept:
            s.score = None
        set_id = store_person_spans(conn, ws, item_id, kept, annotator=user, source=REVIEW)
        conn.execute(dec.update().where(dec.c.id == decision_id, dec.c.action == ADDED)
                     .values(action=ADD_WITHDRAWN))
        ws.store.audit(conn, user, "spans.add.undo", item_id, set_id=set_id,
                       decision_id=decision_id, label=label, start=start, end=end,
                       layer=layer)
        change = record_change(conn, ws, user, item_id, "remove", before,
                               withdrew=[decision_id],
                               said=f"the entity {words} is saved for {item_id} again")
    return {"item_id": item_id, "start": start, "end": end, "label": label, "layer": layer,
            "text": text[start:end], "spans": len(kept), "decision_id": decision_id,
            "change_id": change}


def _settled_by_addition(conn: sa.Connection, ws: Workspace, item_id: str,
                         decision_id: int) -> list[int]:
    """The queue rows the addition ``decision_id`` decided with it (its audit entry's
    ``settled``): the model's spans over the same words."""
    audit = ws.store.t.audit_log
    for row in conn.execute(sa.select(audit.c.details).where(
            audit.c.action == "spans.add", audit.c.object == item_id)
            .order_by(audit.c.id.desc())):
        details = row.details or {}
        if details.get("decision_id") == decision_id:
            return [int(i) for i in details.get("settled") or []]
    return []


def unmark_text_done(ws: Workspace, item_id: str, *, user: str) -> dict[str, Any]:
    """Undo :func:`mark_text_done` (a reviewer pressed "Whole text checked" by mistake):
    the text's "whole text checked" gold set is withdrawn (kept in the history, inactive)
    and the spans decided before it are the text's gold again, so the text waits out of
    training until its other spans are decided. Refused, with the reason, when the text
    is not marked checked, or when spans were decided on top of the mark since (undoing
    it would drop those decisions). Returns the item and what its gold is now: whether
    the text ``waits`` out of training, ``changed`` (the gold restored was made on an
    earlier text of the item, ingested again with other words since: as before the
    mark, it neither trains nor settles until a person labels the new text;
    :func:`glamlab.store.queue.changed_span_gold`), and ``gold_spans``, how many of its
    gold spans are on the words of the text now (:func:`~.gold.gold_to_build_on`: what
    a decision on it builds on)."""
    st = ws.store.t
    sets = st.span_sets
    with ws.store.write() as conn:
        before = gold_state(conn, ws, item_id)
        latest = _active_sets(conn, ws, [item_id]).get(item_id)
        if latest is None or latest.source != WHOLE_TEXT:
            if latest is not None and any(
                    r.source == WHOLE_TEXT
                    for r in conn.execute(sa.select(sets.c.source).where(
                        sets.c.item_id == item_id, sets.c.kind == GOLD,
                        sets.c.id < latest.id))):
                raise LabelError(
                    f"{item_id}: spans were decided on this text after it was marked "
                    "checked, so the mark cannot be taken back without losing them",
                    item=item_id, hint="correct or reject the spans that are wrong in the "
                    "review queue or on the labelling page instead")
            raise LabelError(f"{item_id} is not marked as checked: nothing to undo",
                             item=item_id)
        if latest.annotator != user:
            raise LabelError(f"{item_id} was marked checked by {latest.annotator}, not by "
                             f"{user}", item=item_id,
                             hint=f"ask {latest.annotator} to undo it")
        restored = _replaced_by(conn, ws, latest)
        # kept in the history, but no longer complete gold a later decision builds on
        conn.execute(sets.update().where(sets.c.id == latest.id)
                     .values(active=False, source=WITHDRAWN))
        if restored:
            conn.execute(sets.update().where(sets.c.id.in_(restored)).values(active=True))
        ws.store.audit(conn, user, "spans.text_done.undo", item_id, set_id=int(latest.id),
                       restored=restored)
        change = record_change(conn, ws, user, item_id, "text-undone", before,
                               said=f"{item_id} is marked as checked again")
        changed = bool(changed_span_gold_items(conn, [item_id]))
        waiting = changed or item_id in partial_gold(ws, [item_id], conn)
        base = gold_to_build_on(conn, ws, item_id, item_text(conn, ws, item_id, "to undo"))
    return {"item_id": item_id, "withdrawn": int(latest.id), "restored": restored,
            "waits": waiting, "changed": changed, "change_id": change,
            "gold_spans": len(base.spans) if base is not None else 0}


def _replaced_by(conn: sa.Connection, ws: Workspace, mark: Any) -> list[int]:
    """The gold sets the "whole text checked" set ``mark`` replaced: as its audit entry
    says, or (a mark saved before the entry said so) the marking reviewer's newest gold
    set of the text before it, when that is inactive."""
    audit = ws.store.t.audit_log
    sets = ws.store.t.span_sets
    for row in conn.execute(sa.select(audit.c.details).where(
            audit.c.action == "spans.text_done", audit.c.object == mark.item_id)
            .order_by(audit.c.id.desc())):
        details = row.details or {}
        if details.get("set_id") == int(mark.id) and "replaced" in details:
            return [int(i) for i in details["replaced"]]
    before = conn.execute(sa.select(sets.c.id, sets.c.active).where(
        sets.c.item_id == mark.item_id, sets.c.annotator == mark.annotator,
        sets.c.kind == GOLD, sets.c.id < mark.id).order_by(sets.c.id.desc()).limit(1)).first()
    return [int(before.id)] if before is not None and not before.active else []


def review_gold_counts(ws: Workspace, split: str = "train") -> dict[str, int]:
    """In ``split``: how many texts reviewers gave gold spans to are fully reviewed (they
    go into training) and how many are partly reviewed (they wait)."""
    from ..splits import split_of

    with ws.store.read() as conn:
        ids = sorted(i for i, s in split_of(ws, conn=conn).items() if s == split)
        latest = _active_sets(conn, ws, ids)
        reviewed = [i for i, r in latest.items() if r.source in REVIEW_SOURCES]
        waiting = partial_gold(ws, reviewed, conn)
    return {"fully_reviewed": len(reviewed) - len(waiting), "partly_reviewed": len(waiting)}


def changed_gold_texts(ws: Workspace, split: str = "train") -> list[str]:
    """The texts of ``split`` whose gold spans were made on an earlier text of the item
    (re-ingested since with other words): left out of training, settling nothing, until
    a person labels them again (:func:`glamlab.tasks.splits.changed_gold_sentence`)."""
    from ..splits import split_of

    with ws.store.read() as conn:
        ids = sorted(i for i, s in split_of(ws, conn=conn).items() if s == split)
        return sorted(changed_span_gold_items(conn, ids))


def waiting_sentence(fully: int, partly: int) -> str:
    """The plain words for the counts: "12 texts fully reviewed go into training; 3 partly
    reviewed texts wait until every span in them is decided"."""
    def texts(n: int) -> str:
        return f"{n:,} text{'s' if n != 1 else ''}"

    head = f"{texts(fully)} fully reviewed go{'es' if fully == 1 else ''} into training"
    if not partly:
        return head
    return (f"{head}; {partly:,} partly reviewed text{'s' if partly != 1 else ''} "
            f"wait{'s' if partly == 1 else ''} until every span in them is decided (or a "
            "reviewer marks the text done)")


__all__ = ["ADD_WITHDRAWN", "CHANGE", "REVIEW", "REVIEW_SOURCES", "WHOLE_TEXT", "WITHDRAWN", "add_span", "changed_gold_texts", "gold_state",
           "mark_text_done", "partial_gold",
           "policy_accepted_spans", "record_change", "remove_added_span", "review_gold_counts", "reviewed_texts",
           "unmark_text_done", "waiting_sentence"]
