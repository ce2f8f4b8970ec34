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
