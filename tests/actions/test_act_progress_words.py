"""The words of act's progress line and summary."""

from __future__ import annotations

from typing import Any

from .test_export_gold_wins import _blank_pages
from .test_status_values_once import SCORES


def test_act_progress_line_of_a_single_label_project(make_ws: Any, capsys: Any) -> None:
    """The progress line read "act (blanks@1): 2 items with items" in a single-label
    project (the kind's word for a candidate is "items")."""
    from glamlab.actions import act

    ws = _blank_pages(make_ws, "pages", SCORES)
    capsys.readouterr()
    act(ws, progress=True)
    err = capsys.readouterr().err
    assert "act (blanks@1): 2 items" in err and "items with items" not in err, err


def test_a_small_review_workload_is_said_in_minutes(make_ws: Any) -> None:
    """Seven pages at 20 seconds each read "about 0.0 reviewer hours"."""
    from glamlab.actions import plan, render

    unsure = {f"p{i}": {"blank": 0.7, "content": 0.3} for i in range(7)}
    words = render(plan(_blank_pages(make_ws, "pages", unsure), dry_run=True).to_dict())
    assert "Review workload: 7 items, about 2 minutes of review" in words, words
    assert "0.0 reviewer hours" not in words
