"""A count task's slots are numbered by one function (:func:`glamlab.tasks.count.slot_keys`)
whether the rows come from items' metadata (evaluate) or from the project's table
(backtest, monitor, retrain): a row with a missing group value lands in the same slot in
each. Evaluate's numbering used to keep a blank cell and an ``NA`` one apart (its own
text of them), where the table makes both ``(missing)``: one slot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tests import bookings


def _ws(make_ws: Any, tmp_path: Path) -> Any:
    from glamlab.tasks.count import set_count_task
    from glamlab.tasks.tabular import ingest_table

    ws = make_ws("slots", task="no-shows", modality="tabular", labels=["0", "1"])
    table = bookings.raw().sort_values("arrival_date").head(120).reset_index(drop=True)
    day = table["arrival_date"].iloc[60]
    same_day = table.index[table["arrival_date"] == day]
    assert len(same_day) >= 3
    # a curator's table: one hotel left blank, one written NA, on the same day
    table.loc[same_day[0], "hotel"] = ""
    table.loc[same_day[1], "hotel"] = "NA"
    table.to_csv(tmp_path / "slots.csv", index=False)
    ingest_table(ws, tmp_path / "slots.csv", time_column="arrival_date",
                 label_column="is_canceled", id_column="id", group_columns=["hotel"],
                 never_features=list(bookings.NEVER))
    set_count_task(ws, slot="D", metric="mae")
    return ws, [str(table.loc[i, "id"]) for i in same_day[:2]]


def _same_partition(a: dict[str, int], b: dict[str, int]) -> None:
    """``a`` and ``b`` put the same rows together: their slot numbers map one to one."""
    pairs = {(a[r], b[r]) for r in a}
    assert len(pairs) == len({x for x, _ in pairs}) == len({y for _, y in pairs})


def test_a_missing_group_value_is_one_slot_in_evaluate_backtest_and_monitor(
        make_ws: Any, tmp_path: Path) -> None:
    from glamlab.evaluation.backtest import group_counts
    from glamlab.evaluation.count_measure import test_slots
    from glamlab.tasks.count import slot_keys
    from glamlab.tasks.tabular import project_frame, schema_of

    ws, (blank, na) = _ws(make_ws, tmp_path)
    items = list(ws.items(where={"modality": "record"}))
    found = test_slots(ws, items)  # evaluate's numbering, from the items' metadata
    assert found is not None
    codes, k = found
    evaluated = {i.item_id: int(c) for i, c in zip(items, codes, strict=True)}
    schema = schema_of(ws)
    frame = project_frame(ws, schema=schema)  # what backtest, monitor and retrain read
    monitored = {str(r): int(c) for r, c in zip(frame[schema.id_column],
                                                slot_keys(frame, schema, "D"), strict=True)}
    assert evaluated.keys() == monitored.keys()
    # the blank hotel and the NA one: the same slot (a day with its hotel missing)
    assert evaluated[blank] == evaluated[na]
    assert monitored[blank] == monitored[na]
    _same_partition(evaluated, monitored)
    # backtest's counts per day and hotel: as many slots as evaluate and monitor have
    counts = group_counts(frame, schema, np.zeros(len(frame)), group_by=["hotel"], freq="D")
    assert len(counts) == k == len(set(monitored.values()))
