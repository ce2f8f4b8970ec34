"""The run's writer rows carry JSON made by the task kind (``TaskKind.to_rows``), written
to the predictions table as it is: it is the store's strict JSON too. A kind that keeps
the base ``to_rows`` and no ``problem`` check of its own (a plugin's, through the
``glamlab.task_kinds`` entry points) wrote a score that is not a number as ``NaN``, which
made SQLite's JSON functions fail on the row and PostgreSQL's jsonb refuse the batch."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from glamlab.items import Item
from glamlab.tasks.kinds.base import StoredPrediction, TaskKind


class _Measure(TaskKind[float, float]):
    """A plugin's kind: one number per item, the base to_rows, no problem() check."""

    name: ClassVar[str] = "measure"

    def to_stored(self, prediction: float) -> StoredPrediction:
        return StoredPrediction(None, [], {"value": prediction, "range": [0.0, prediction]},
                                prediction)


def _refuse(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


def test_a_score_that_is_not_a_number_is_written_as_null(make_ws):
    ws = make_ws("measure", modality="text")
    kind = _Measure(ws.card)
    items = [Item(f"t{i}", "text", "table", "test", None, None, f"h{i}", "a text", None,
                  None, {}, 1) for i in range(3)]
    rows = kind.to_rows(items, [0.5, float("nan"), float("inf")])
    scores = [json.loads(r[3], parse_constant=_refuse) for r in rows]
    assert scores == [{"value": 0.5, "range": [0.0, 0.5]}, {"value": None, "range": [0.0, None]},
                      {"value": None, "range": [0.0, None]}]
    assert [json.loads(r[2], parse_constant=_refuse) for r in rows] == [[], [], []]
