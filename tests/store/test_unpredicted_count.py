"""The count of current items a model has no prediction for (the Export page's warning,
``glamlab status``): on SQLite it looked each current item up in the predictions' index
(a ``NOT EXISTS`` per item, about 120 ms at 100,000 items on every Export page); it now
merges the two indexes read in id order (``EXCEPT`` with an ORDER BY) and looks up only
the ids left. The answer is the same: checked against the items counted one by one,
with an item's older version, another model's predictions, failures of the latest and of
an earlier run, and an id with two current rows (which the count counts twice, as it
did)."""

from __future__ import annotations

from typing import Any

from glamlab.store import now
from tests.actions.helpers import add_model, add_predictions


def _add(ws: Any, item_id: str, version: int = 1, current: bool = True) -> None:
    with ws.store.write() as conn:
        conn.execute(ws.store.t.items.insert().values(
            item_id=item_id, version=version, is_current=current, modality="text",
            source_kind="text", source="t.csv", content_hash=f"{item_id}-{version}",
            text="a text", meta={}, created_at=now()))


def _fail(ws: Any, run_id: int, model_id: int, *item_ids: str) -> None:
    with ws.store.write() as conn:
        conn.execute(ws.store.t.run_failures.insert(), [
            {"run_id": run_id, "model_id": model_id, "item_id": i, "reason": "unreadable",
             "created_at": now()} for i in item_ids])


def _by_hand(ws: Any, model_id: int, latest_run: int | None) -> tuple[int, int]:
    """(not run, failed in the latest run), counted over the current item rows in Python."""
    t = ws.store.t
    with ws.store.read() as conn:
        current = [r.item_id for r in conn.execute(
            t.items.select().where(t.items.c.is_current.is_(True)))]
        predicted = {r.item_id for r in conn.execute(
            t.predictions.select().where(t.predictions.c.model_id == model_id))}
        failed = {r.item_id for r in conn.execute(t.run_failures.select().where(
            t.run_failures.c.model_id == model_id, t.run_failures.c.run_id == latest_run))}
    waiting = [i for i in current if i not in predicted]
    return (sum(i not in failed for i in waiting), sum(i in failed for i in waiting))


def test_the_unpredicted_count_is_the_items_counted_one_by_one(make_ws: Any) -> None:
    from glamlab.workspace.status import count_unpredicted, count_unpredicted_by_cause

    ws = make_ws("unpredicted", modality="text", labels=["a", "b"])
    for i in range(12):
        _add(ws, f"t{i:02d}")
    _add(ws, "old", 1, current=False)  # an item's older version, and its current one
    _add(ws, "old", 2)
    m = add_model(ws, "m", 1)
    other = add_model(ws, "other", 1)
    add_predictions(ws, other, {f"t{i:02d}": {"a": 0.9} for i in range(12)})
    first = add_predictions(ws, m, {"t00": {"a": 0.9}, "t01": {"b": 0.8}, "old": {"a": 0.7}})
    _fail(ws, first, m, "t05", "t06")  # an earlier run's failures: tried again, waiting
    latest = add_predictions(ws, m, {"t02": {"a": 0.6}})
    _fail(ws, latest, m, "t07", "t08", "t02")  # t02 predicted all the same
    t = ws.store.t
    with ws.store.read() as conn:
        assert count_unpredicted_by_cause(conn, t, m) == (*_by_hand(ws, m, latest), latest)
        assert count_unpredicted_by_cause(conn, t, m) == (7, 2, latest)
        assert count_unpredicted(conn, t, m) == 7
        # a model without runs (its predictions copied in): no failures to leave out
        assert count_unpredicted_by_cause(conn, t, other + 1) == (13, 0, None)
    # two current rows of one id (no glamlab command makes them): each row counted
    _add(ws, "t03", 2)
    _add(ws, "t00", 2)  # a predicted id: neither of its rows counted
    with ws.store.read() as conn:
        assert count_unpredicted_by_cause(conn, t, m) == (*_by_hand(ws, m, latest), latest)
        assert count_unpredicted_by_cause(conn, t, m)[0] == 8
    # everything predicted
    add_predictions(ws, m, {f"t{i:02d}": {"a": 0.5} for i in range(3, 12)})
    with ws.store.read() as conn:
        assert count_unpredicted_by_cause(conn, t, m)[:2] == (0, 0)


def test_on_sqlite_the_count_merges_the_indexes_instead_of_a_look_up_per_item(
        make_ws: Any) -> None:
    import pytest

    from glamlab.workspace.status import count_unpredicted
    from tests.web.test_index_plans import _plan, _sent

    ws = make_ws("unpredicted-plan", modality="text", labels=["a", "b"])
    if not ws.store.is_sqlite:
        pytest.skip("PostgreSQL hashes the predictions once (a hash anti join)")
    for i in range(5):
        _add(ws, f"t{i}")
    m = add_model(ws, "m", 1)
    add_predictions(ws, m, {"t0": {"a": 0.9}})
    with _sent(ws, lambda s, _p: "count(*)" in s and "FROM items" in s) as seen:
        with ws.store.read() as conn:
            assert count_unpredicted(conn, ws.store.t, m) == 4
    assert len(seen) == 1, seen
    plan = _plan(ws, *seen[0])
    assert "MERGE (EXCEPT)" in plan and "CORRELATED" not in plan, plan
