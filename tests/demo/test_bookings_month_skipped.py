"""The bookings demo's replay, when a month cannot be checked for drift (too few rows
in the days before it to compare it with: after a closure, or a ``[monitor]
min_reference`` above what the month has, 95 on the bundled sample): one plain error
naming the month, why and the fix. The monitor names such a month as skipped instead of
failing, and the replay then failed on an IndexError (a report with no window)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def test_a_month_the_monitor_skips_is_said_in_words(make_ws: Any, tmp_path: Path) -> None:
    from glamlab.demo.bookings import CUTOFF, _replay, _setup, _write
    from glamlab.errors import GlamlabError
    from glamlab.registry.tabular import train_tabular
    from tests import bookings

    ws = make_ws("bookings", task="no-shows", modality="tabular", labels=["0", "1"],
                 positive_label="1")
    raw = bookings.raw()
    # the demo's history, but the hotels were closed in December 2016: January has no
    # bookings in the 28 days before it to be compared with
    history = raw[(raw["arrival_date"] < CUTOFF) & ~raw["arrival_date"].str.startswith("2016-12")]
    _setup(ws, _write(history, tmp_path / "history.csv"), lambda line: None)
    train_tabular(ws, "tabular-gbm")
    january = raw[raw["arrival_date"].str.startswith("2017-01")]
    lines: list[str] = []
    with pytest.raises(GlamlabError) as caught:
        _replay(ws, [("2017-01", january)], lines.append, decision=False)
    said = str(caught.value)
    assert "the bookings of 2017-01 could not be checked for drift" in said, said
    assert "reference rows for the window starting 2017-01-01" in said, said
    assert caught.value.hint and "[monitor]" in caught.value.hint, caught.value.hint  # the fix
    assert lines == []  # nothing said of January as if it had been checked
