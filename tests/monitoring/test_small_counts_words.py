"""A count of one reads "1 row" and "1 item", not "1 rows" and "1 items"."""

from __future__ import annotations

import pytest

from glamlab.errors import GlamlabError
from glamlab.evaluation import evaluate, fit_baselines
from glamlab.monitoring.tabular import DriftConfig, TabularDriftMonitor
from glamlab.tasks import import_labels
from tests import bookings
from tests.tasks.helpers import add_csv_items, write_csv


def test_a_window_of_one_row_is_one_row() -> None:
    train, test = bookings.split()
    mon = TabularDriftMonitor(bookings.schema(), DriftConfig(min_reference=50, seed=0)).fit(train)
    with pytest.raises(GlamlabError) as exc:
        mon.check(test.iloc[:1], before=bookings.frame())
    assert exc.value.message.startswith("a window of 1 row is too small")
    with pytest.raises(GlamlabError) as exc:
        mon.check(test.iloc[:2], before=bookings.frame())
    assert exc.value.message.startswith("a window of 2 rows is too small")


def test_a_test_set_of_one_item_is_one_item(make_ws, tmp_path) -> None:
    ws = make_ws(modality="text", labels=["a", "b"])
    add_csv_items(ws, write_csv(tmp_path / "i.csv", ["id", "text"],
                                [[f"i{k:02d}", "ab"[k % 2] * (k % 5 + 1)] for k in range(21)]),
                  text_column="text")
    import_labels(ws, write_csv(tmp_path / "train.csv", ["id", "label"],
                                [[f"i{k:02d}", "ab"[k % 2]] for k in range(20)]), split="train")
    import_labels(ws, write_csv(tmp_path / "test.csv", ["id", "label"], [["i20", "a"]]),
                  split="test")
    cands, _ = fit_baselines(ws, save=False)
    result = evaluate(ws, cands, n_boot=20, store=False)
    said = [w for w in result.warnings if "the test set has only" in w]
    assert said and said[0].startswith("the test set has only 1 item:"), result.warnings
