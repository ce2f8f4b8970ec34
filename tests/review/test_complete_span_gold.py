"""One definition of "a text whose gold spans are complete" (entities): the review queue
settles a text's predicted spans by it (:func:`glamlab.store.queue.complete_span_gold`)
and training takes the text by it (:func:`glamlab.tasks.spans.complete.partial_gold`
reads the same clause). The two used to be written twice, SQL and Python; here every
way a text's gold changes is walked through and both are asked: imported gold, the
labelling page, one reviewed span, "whole text checked", an entity added, the mark taken
back and decisions made after that, every span decided."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.ner_project import gold_and_new_texts, queued_by_new_text


@pytest.fixture
def queued(make_ws: Any, tmp_path: Path) -> Any:
    """Gold imported for the NewsEye sample, a gazetteer run over it and four new texts,
    acted on (every span to review). Returns the workspace, the gold texts and the new
    texts' queued rows (texts with three spans or more)."""
    from glamlab.actions import act

    ws, gold = gold_and_new_texts(make_ws, tmp_path, 4)
    act(ws, model="gazetteer@1")
    several = dict(sorted(queued_by_new_text(ws, 3).items()))
    try:
        yield ws, gold, several
    finally:
        ws.close()


def _state(ws: Any, item: str) -> tuple[bool, bool, int]:
    """(the queue calls the text's gold complete, training takes the text, how many of
    its predicted spans the queue shows)."""
    from glamlab.store.queue import complete_span_gold_items, shown
    from glamlab.tasks.splits import training_data

    rq = ws.store.t.review_queue
    with ws.store.read() as conn:
        settles = item in complete_span_gold_items(conn, [item])
        open_rows = conn.execute(sa.select(sa.func.count()).select_from(rq).where(
            *shown(rq, "prediction"), rq.c.item_id == item)).scalar()
    return settles, item in training_data(ws).ids, int(open_rows or 0)


def test_the_queue_and_training_agree_on_complete_gold_spans(queued: Any) -> None:
    from glamlab.review import add_span, decide, mark_text_done, save_label, unmark_text_done
    from glamlab.tasks.splits import split_of

    ws, gold, by_item = queued
    # imported gold: complete, it settles and trains
    imported = next(i for i, s in sorted(split_of(ws, sorted(gold)).items()) if s == "train")
    assert _state(ws, imported)[:2] == (True, True)
    (item, rows), (other, other_rows) = list(by_item.items())[:2]
    assert _state(ws, item) == (False, False, len(rows))
    # one span of several decided: partly reviewed, neither
    decide(ws, "ana", rows[0]["id"], "accept", rows[0]["version"])
    assert _state(ws, item) == (False, False, len(rows) - 1)
    # an entity added to a partly reviewed text: still neither
    text = ws.item(item).text
    start = text.index("Nouvelle")
    add_span(ws, "ana", item, start, start + len("Nouvelle"), "PROD")
    assert _state(ws, item) == (False, False, len(rows) - 1)
    # the whole text checked: both
    mark_text_done(ws, "ana", item)
    assert _state(ws, item) == (True, True, 0)
    # taken back: neither, its other spans asked again
    unmark_text_done(ws, "ana", item)
    assert _state(ws, item) == (False, False, len(rows) - 1)
    # a decision after the undo does not build on the mark taken back
    decide(ws, "ana", rows[1]["id"], "accept", rows[1]["version"])
    assert _state(ws, item) == (False, False, len(rows) - 2)
    # every span decided, without the mark: training takes it, nothing is left to settle
    for r in rows[2:]:
        decide(ws, "ana", r["id"], "reject", r["version"])
    settles, trains, open_rows = _state(ws, item)
    assert trains and open_rows == 0
    # the labelling page gives the whole text: both
    save_label(ws, "bea", other, ["[]"], split="train")
    assert _state(ws, other) == (True, True, 0)
    # an entity added to complete gold keeps it complete
    start = ws.item(other).text.index("Nouvelle")
    add_span(ws, "bea", other, start, start + len("Nouvelle"), "PROD")
    assert _state(ws, other) == (True, True, 0)
    assert len(other_rows) >= 3


def test_decisions_after_the_mark_is_taken_back_leave_the_text_waiting(queued: Any) -> None:
    """Taking "whole text checked" back (unmark) left the withdrawn set in the history
    with its source, and both definitions counted it as the complete gold a later
    decision builds on: one more decision, and the text trained with every undecided
    span as "not an entity", and those spans left the queue, settled."""
    from glamlab.review import decide, mark_text_done, queue_counts, unmark_text_done
    from glamlab.tasks.splits import training_data

    ws, _, by_item = queued
    item, rows = next(iter(by_item.items()))
    decide(ws, "ana", rows[0]["id"], "accept", rows[0]["version"])
    mark_text_done(ws, "ana", item)
    unmark_text_done(ws, "ana", item)
    settled = queue_counts(ws)["settled_by_gold"]
    decide(ws, "ana", rows[1]["id"], "accept", rows[1]["version"])
    data = training_data(ws)
    assert item not in data.ids and item in data.waiting
    assert queue_counts(ws)["settled_by_gold"] == settled
    assert _state(ws, item) == (False, False, len(rows) - 2)


def _as_before(ws: Any, version: int, change: Any) -> Any:
    """The workspace as a database written before migration ``version`` ran (``change``
    undoes what it would find in place), opened again: the migrations run."""
    from glamlab import Workspace
    from glamlab.store import schema as s

    with ws.store.write() as conn:
        change(conn)
        conn.execute(s.schema_migrations.delete().where(s.schema_migrations.c.version >= version))
    root, url = ws.root, (ws.store.url if not ws.store.is_sqlite else None)
    ws.close()
    return Workspace.open(root, db=url)


def _old_dump(ws: Any, path: Path, version: int) -> Path:
    """The workspace's database exported as glamlab before migration ``version`` did."""
    import json
    import zipfile

    from glamlab.store.transfer import export_store

    export_store(ws.store, path)
    old = path.with_name("old-" + path.name)
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(old, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "manifest.json":
                m = json.loads(data)
                m["schema_version"] = version - 1
                data = json.dumps(m).encode()
            zout.writestr(info, data)
    return old


def test_a_mark_taken_back_before_the_upgrade_no_longer_counts(queued: Any,
                                                                tmp_path: Path) -> None:
    """Marks taken back before the fix kept their "whole text checked" source: migration
    12 (and an import of a database exported before it) gives them the source that says
    they were taken back, so decisions made after the undo still leave the text waiting."""
    from glamlab.review import decide, mark_text_done, unmark_text_done
    from glamlab.store import Store
    from glamlab.store.queue import complete_span_gold_items
    from glamlab.store.transfer import import_store
    from glamlab.tasks.spans.complete import WHOLE_TEXT, WITHDRAWN

    ws, _, by_item = queued
    item, rows = next(iter(by_item.items()))
    decide(ws, "ana", rows[0]["id"], "accept", rows[0]["version"])
    mark_text_done(ws, "ana", item)
    unmark_text_done(ws, "ana", item)
    decide(ws, "ana", rows[1]["id"], "accept", rows[1]["version"])
    sets = ws.store.t.span_sets

    def legacy(conn: Any) -> None:
        conn.execute(sets.update().where(sets.c.source == WITHDRAWN).values(source=WHOLE_TEXT))

    with ws.store.write() as conn:
        legacy(conn)
        assert item in complete_span_gold_items(conn, [item])  # what the old rows said
    target = Store(str(tmp_path / "imported.db"))
    import_store(target, _old_dump(ws, tmp_path / "before.zip", 12))
    with target.read() as conn:
        assert item not in complete_span_gold_items(conn, [item])
    target.dispose()
    ws = _as_before(ws, 12, lambda conn: None)
    try:
        assert _state(ws, item) == (False, False, len(rows) - 2)
        with ws.store.read() as conn:
            assert WITHDRAWN in set(conn.execute(sa.select(sets.c.source)).scalars())
    finally:
        ws.close()


def _reingest(ws: Any, tmp_path: Path, item: str, text: str) -> None:
    """The text file of ``item`` (one of the new texts) ingested again with ``text``."""
    path = tmp_path / "new" / f"{item}.txt"
    path.write_text(text, encoding="utf-8")
    assert ws.ingest([tmp_path / "new"]).updated == 1


def _cli(capsys: Any, ws: Any, *args: str) -> str:
    from glamlab.cli import main

    db = [] if ws.store.is_sqlite else ["--db", ws.store.url]
    with pytest.raises(SystemExit) as exc:
        main(["-w", str(ws.root), *db, *args])
        raise SystemExit(0)
    out = capsys.readouterr()
    assert (exc.value.code or 0) == 0, out.err
    return str(out.out)


def test_gold_spans_made_before_the_text_changed_neither_train_nor_settle(
        queued: Any, tmp_path: Path, capsys: Any) -> None:
    """Gold spans are offsets into a text. Re-ingested with other words (new OCR), the
    text's complete gold still settled every span the model predicted on it and trained
    on the new words with the old offsets. Now the gold waits, named with the fix, kept,
    until a person labels the new text; the same words again make it fit again."""
    import json

    from glamlab.actions.export import iter_rows
    from glamlab.registry.training import train
    from glamlab.review import queue_counts, save_label
    from glamlab.tasks.splits import training_data

    ws, _, by_item = queued
    item, rows = next(iter(by_item.items()))
    old = ws.item(item).text
    at = old.index("lettre")
    spans = [{"start": 0, "end": 8, "label": "PROD"}, {"start": at, "end": at + 6, "label": "PROD"}]
    save_label(ws, "bea", item, [json.dumps(spans)], split="train")
    assert _state(ws, item) == (True, True, 0)
    settled = queue_counts(ws)["settled_by_gold"]
    assert {e.row["decision"] for e in iter_rows(ws) if e.item.item_id == item} == {"gold"}
    # new OCR: a word before the second span is read differently, the offsets move
    new = old.replace("Nouvelle lettre.", "Nouvele lettre.", 1)
    _reingest(ws, tmp_path, item, new)
    assert _state(ws, item) == (False, False, len(rows))
    assert queue_counts(ws)["settled_by_gold"] == settled - len(rows)
    # the exports no longer say what that gold says of the spans: they wait for review
    assert {e.row["action"] for e in iter_rows(ws) if e.item.item_id == item} == {"review"}
    data = training_data(ws)
    assert item not in data.ids and data.changed == [item] and item not in data.waiting
    result = train(ws, "gazetteer", name="gazetteer")
    assert any(repr(item) in n and "re-ingested with other words" in n
               and "labelling page" in n for n in result.notes), result.notes
    assert result.train_items == len(data)
    # status says so, in JSON and in words
    assert json.loads(_cli(capsys, ws, "status", "--json"))["changed_gold_texts"] == [item]
    words = _cli(capsys, ws, "status")
    assert (f"1 text was re-ingested with other words after its gold spans were made "
            f"('{item}')") in words, words
    # the earlier words again: the gold fits again (an item version with the same text)
    _reingest(ws, tmp_path, item, old)
    assert _state(ws, item) == (True, True, 0)
    _reingest(ws, tmp_path, item, new)
    # labelled again for the new words: complete again
    save_label(ws, "bea", item, [json.dumps(spans[:1])], split="train")
    assert _state(ws, item) == (True, True, 0)
    assert training_data(ws).changed == []


def test_span_sets_from_before_migration_13_know_the_text_they_were_made_on(
        queued: Any, tmp_path: Path) -> None:
    """Migration 13 (and an import of a database exported before it) gives each stored
    span set the item version whose text it was made on: imported gold stays complete,
    and gold made before a text changed is found changed."""
    import json

    from glamlab.review import save_label
    from glamlab.store import Store
    from glamlab.store.queue import changed_span_gold_items, complete_span_gold_items
    from glamlab.store.transfer import import_store

    ws, gold, by_item = queued
    item = next(iter(by_item))
    old = ws.item(item).text
    save_label(ws, "bea", item, [json.dumps([{"start": 0, "end": 8, "label": "PROD"}])],
               split="train")
    _reingest(ws, tmp_path, item, old.replace("Nouvelle lettre.", "Nouvele lettre.", 1))
    sets = ws.store.t.span_sets
    ids = sorted(gold | {item})

    def legacy(conn: Any) -> None:
        conn.execute(sets.update().values(item_version=None))

    with ws.store.write() as conn:
        legacy(conn)
        assert not complete_span_gold_items(conn, ids)  # no version: nothing fits
    target = Store(str(tmp_path / "imported.db"))
    import_store(target, _old_dump(ws, tmp_path / "before.zip", 13))
    with target.read() as conn:
        assert complete_span_gold_items(conn, ids) == set(gold)
        assert changed_span_gold_items(conn, ids) == {item}
    target.dispose()
    ws = _as_before(ws, 13, lambda conn: None)
    try:
        with ws.store.read() as conn:
            assert complete_span_gold_items(conn, ids) == set(gold)
            assert changed_span_gold_items(conn, ids) == {item}
            assert conn.execute(sa.select(sa.func.count()).select_from(sets).where(
                sets.c.item_version.is_(None))).scalar() == 0
    finally:
        ws.close()
