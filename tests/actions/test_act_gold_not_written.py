"""glamlab act wrote every value the policy accepted into ``machine_metadata``, also
one a person's gold contradicts (a page the model accepted as "blank" that a person
labelled "content"; a span the complete gold spans of its text do not hold): the exports
reject it, yet its row showed ``written_at``, and the store kept a value a person said
is wrong as automatic metadata. act no longer writes such a value, and its report says
how many it left out because a person said otherwise."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from .helpers import run_cli
from .test_export_gold_wins import _pages


def _written(ws: Any) -> set[tuple[str, str]]:
    mm = ws.store.t.machine_metadata
    with ws.store.read() as conn:
        return {(r.item_id, r.value) for r in conn.execute(
            sa.select(mm.c.item_id, mm.c.value))}


def test_act_does_not_write_a_label_a_persons_gold_overrules(make_ws: Any,
                                                              capsys: Any) -> None:
    from glamlab.actions.export import iter_rows

    ws = _pages(make_ws)  # p1: labelled content, blank accepted; p2: labelled blank
    code, out, _ = run_cli(capsys, ws, "act", "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["counts"]["accept"] == 4
    assert _written(ws) == {("p2", "blank"), ("p3", "blank"), ("p4", "content")}
    assert (shown["written"]["machine_metadata"], shown["not_written_overruled_by_gold"]) == (
        3, 1)
    # the export's row of p1's blank: never written, so no time it was written
    p1 = [e.row for e in iter_rows(ws) if e.row["item_id"] == "p1"]
    assert [(r["predicted_value"], r["written_at"]) for r in p1] == [("blank", None)]
    # acting again writes nothing and still leaves it out
    code, out, _ = run_cli(capsys, ws, "act")
    assert code == 0
    assert ("1 accepted label was not written as machine metadata: a person's gold on "
            "the item says otherwise, and the person's wins.") in out
    assert "Written: 0 of the 4 accepted items as machine metadata values" in out
    assert _written(ws) == {("p2", "blank"), ("p3", "blank"), ("p4", "content")}


def test_act_does_not_write_a_span_the_complete_gold_does_not_hold(make_ws: Any) -> None:
    from glamlab.actions import act
    from glamlab.actions.act import render
    from glamlab.actions.export import iter_rows
    from tests.ner_project import gold_and_gazetteer, policy_and_run

    ws = policy_and_run(gold_and_gazetteer(make_ws), "accept")
    try:
        report = act(ws, model="gazetteer@1")
        rows = [e.row for e in iter_rows(ws)]
        held = [r for r in rows if r["action"] == "accept"]
        not_held = [r for r in rows if r["action"] == "reject" and r["decision"] == "gold"]
        assert held and not_held
        assert all(r["written_at"] for r in held)
        assert not any(r["written_at"] for r in not_held)
        assert report.not_written_overruled == len(not_held)
        assert report.written["machine_metadata"] == len(held)
        n = len(not_held)
        assert (f"{n} accepted {'span was' if n == 1 else 'spans were'} not written as "
                "machine metadata" in render(report.to_dict()))
    finally:
        ws.close()


def test_a_value_act_wrote_before_a_person_labelled_the_item_otherwise_is_marked(
        make_ws: Any, capsys: Any) -> None:
    """A value act wrote as machine metadata before a person labelled the item otherwise
    stayed there as if it were the item's value (act only leaves out the values a person
    said otherwise of before it writes them). The next act marks it overruled (who gave
    the gold, when act marked it): kept, never deleted, but no longer counted as written
    metadata; a dry run says how many it would mark; a second act marks nothing more."""
    from glamlab.actions import act, render
    from glamlab.actions.act import plan
    from glamlab.review.history import item_history
    from glamlab.workspace.status import workspace_status

    from .helpers import add_gold
    from .test_export_gold_wins import _blank_pages

    ws = _blank_pages(make_ws, "later", {"p1": {"blank": 0.99, "content": 0.01},
                                         "p2": {"blank": 0.98, "content": 0.02},
                                         "p3": {"content": 0.97, "blank": 0.03}})
    assert act(ws).written["machine_metadata"] == 3
    add_gold(ws, {"p1": "content", "p2": "blank"}, split="train")
    dry = plan(ws)
    assert dry.written_overruled == 1
    assert ("1 machine metadata value act wrote earlier would be marked overruled") in \
        render(dry.to_dict())
    mm = ws.store.t.machine_metadata

    def marks() -> dict[tuple[str, str], tuple[Any, Any]]:
        with ws.store.read() as conn:
            return {(r.item_id, r.value): (r.overruled_by, r.overruled_at is not None)
                    for r in conn.execute(sa.select(mm))}

    assert marks() == {("p1", "blank"): (None, False), ("p2", "blank"): (None, False),
                       ("p3", "content"): (None, False)}
    code, out, _ = run_cli(capsys, ws, "act", "--json")
    assert code == 0 and json.loads(out)["written_overruled_by_gold"] == 1
    # kept, marked: who gave the label that overrules it, and when act marked it
    assert marks() == {("p1", "blank"): ("curator", True), ("p2", "blank"): (None, False),
                       ("p3", "content"): (None, False)}
    actions = next(s for s in workspace_status(ws)["stages"] if s["stage"] == "actions")
    assert actions["machine_metadata"] == 2  # the values in force
    history = item_history(ws, "p1")["machine_metadata"]
    assert [(h["value"], h["overruled_by"]) for h in history] == [("blank", "curator")]
    code, out, _ = run_cli(capsys, ws, "act")
    assert code == 0 and "marked overruled" not in out
    assert act(ws).written_overruled == 0
    # the person's label withdrawn: the mark is taken off, the value is the item's again
    lab = ws.store.t.labels
    with ws.store.write() as conn:
        conn.execute(lab.update().where(lab.c.item_id == "p1").values(active=False))
    report = act(ws)
    assert (report.written_overruled, report.overruled_restored) == (0, 1)
    assert "no longer overruled" in render(report.to_dict())
    assert marks()[("p1", "blank")] == (None, False)


def test_a_workspace_from_before_the_overruled_mark_opens(make_ws: Any) -> None:
    """A store made before ``machine_metadata`` had ``overruled_by``/``overruled_at``
    (migration 17) opens: the columns are added, empty, and act marks its values."""
    from glamlab.actions import act
    from glamlab.store import schema as s
    from glamlab.workspace import Workspace

    from .helpers import add_gold
    from .test_export_gold_wins import _blank_pages

    ws = _blank_pages(make_ws, "old-store", {"p1": {"blank": 0.99, "content": 0.01}})
    act(ws)
    with ws.store.write() as conn:
        for column in ("overruled_by", "overruled_at"):
            conn.exec_driver_sql(f"ALTER TABLE machine_metadata DROP COLUMN {column}")
        conn.execute(s.schema_migrations.delete().where(s.schema_migrations.c.version >= 17))
    root, url = ws.root, (ws.store.url if not ws.store.is_sqlite else None)
    ws.close()
    again = Workspace.open(root, db=url)
    try:
        add_gold(again, {"p1": "content"}, split="train")
        assert act(again).written_overruled == 1
        mm = again.store.t.machine_metadata
        with again.store.read() as conn:
            assert conn.execute(sa.select(mm.c.value, mm.c.overruled_by)).all() == [
                ("blank", "curator")]
    finally:
        again.close()


def test_the_written_line_adds_up_after_a_value_is_marked_overruled(
        make_ws: Any, capsys: Any) -> None:
    """After a person's gold overruled a value act wrote, the next act counted that
    accepted candidate nowhere ("Written: 0 of the 3 accepted ...; 2 ... were there
    already", no word of the third). Every accepted candidate is counted once: written,
    there already, or not written because the person's gold wins."""
    from .helpers import add_gold
    from .test_export_gold_wins import _blank_pages

    ws = _blank_pages(make_ws, "adds-up", {"p1": {"blank": 0.99, "content": 0.01},
                                           "p2": {"blank": 0.98, "content": 0.02},
                                           "p3": {"content": 0.97, "blank": 0.03}})
    code, out, _ = run_cli(capsys, ws, "act", "--json")
    assert code == 0 and json.loads(out)["written"]["machine_metadata"] == 3
    add_gold(ws, {"p1": "content"}, split="train")
    for _ in range(2):  # the act that marks it, and the one after (nothing more to mark)
        code, out, _ = run_cli(capsys, ws, "act", "--json")
        assert code == 0
        shown = json.loads(out)
        assert (shown["counts"]["accept"], shown["written"]["machine_metadata"],
                shown["already_written"]["machine_metadata"],
                shown["not_written_overruled_by_gold"]) == (3, 0, 2, 1)
        assert shown["overruled_kept"] == 1
        code, out, _ = run_cli(capsys, ws, "act")
        assert code == 0
        assert "Written: 0 of the 3 accepted items as machine metadata values" in out
        assert "; 2 accepted items and 0 review items were there already." in out
        assert ("1 accepted label was not written as machine metadata: a person's gold on "
                "the item says otherwise, and the person's wins (1 of them act wrote "
                "earlier: kept, overruled by the person's label).") in out
