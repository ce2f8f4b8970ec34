"""`glamlab evaluate` named a slice the model does worse on with a bare figure:
"does significantly worse on assigned_room_type = E (0.66, 78 items)", beside a count
task's count error, with nothing saying it was the rows' F1 or what it is on the whole.
It now names the measure and the figure on all test items."""

from __future__ import annotations

from types import SimpleNamespace

from glamlab.reports.evaluation import leaderboard_text


def test_a_worse_slice_names_its_measure_and_the_whole():
    row = {"candidate": "gbm@1", "kind": "model", "f1_macro": 0.79, "low": 0.77, "high": 0.82,
           "mae": 0.75, "mae_low": 0.67, "mae_high": 0.83, "failed": 0, "in_sample": False,
           "items_per_s": 1000.0, "cost_per_1000": 0.0, "calls": 0, "spent": 0.0}
    cand = SimpleNamespace(name="gbm@1", slices={"assigned_room_type": [
        {"value": "E", "f1_macro": 0.66, "items": 78, "worse": True},
        {"value": "A", "f1_macro": 0.81, "items": 500, "worse": False}]})
    result = SimpleNamespace(leaderboard=[row], metric="f1_macro", count_metric="mae",
                             classes=["0", "1"], test_items=1105, count_summary=None,
                             currency="EUR", candidates=[cand], warnings=[], verdict="v")
    text = leaderboard_text(result)  # type: ignore[arg-type]
    assert ("gbm@1 does significantly worse on assigned_room_type = E (f1_macro 0.66 on 78 "
            "items), against 0.79 on all test items") in text
