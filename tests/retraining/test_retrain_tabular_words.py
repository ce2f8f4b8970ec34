"""A tabular retrain's period is read to its last day (kept half-open), and a comparison
on too few rows says so instead of letting the gate's advice read as certain. Before,
August 2017 read "2017-08-01 to 2017-09-01", and a 95% range of the difference from a
clear loss to a clear gain came with the gate's advice and no word of doubt."""

from __future__ import annotations

import pytest

from glamlab.predictors.tabular import TabularGBM
from glamlab.retraining.gate import GateConfig
from glamlab.retraining.tabular import retrain_on_outcomes, too_few_to_tell
from tests import bookings


def test_august_reads_to_its_last_day_and_few_rows_say_they_cannot_tell() -> None:
    schema = bookings.schema()
    card = schema.to_card()
    frame = bookings.frame()
    frame = frame[frame["arrival_date"] < "2017-09-01"].reset_index(drop=True)
    make = lambda: TabularGBM(card, max_iter=30, threads=1)  # noqa: E731
    champion = make().fit_table(frame[frame["arrival_date"] < "2017-06-01"])
    # the last weeks of August: a few dozen rows, too few to tell the models apart
    report = retrain_on_outcomes(frame, schema, champion, make, window_start="2017-08-14",
                                 recent_days=60, n_boot=100)
    d = report.to_dict()
    assert d["window"] == ["2017-08-14", "2017-09-01"]  # half-open, as stored
    assert d["window_last_day"] == "2017-08-31"
    assert "(2017-08-14 to 2017-08-31," in report.summary()
    assert "2017-09-01" not in report.summary()
    low, high = d["intervals"]["difference"]
    assert low < -0.01 and high > 0.01, (low, high)
    assert d["too_few_to_tell"] and d["too_few_to_tell"].startswith("Too few rows to tell")
    assert f"from {low:+.3f} to {high:+.3f}" in d["too_few_to_tell"]
    assert "Wait for more outcomes" in report.summary()


@pytest.mark.parametrize(("interval", "gate", "unsure"), [
    ((-0.05, 0.08), GateConfig(), True),    # a loss and a gain beyond 0.01: cannot tell
    ((-0.005, 0.08), GateConfig(), False),  # no loss beyond what the gate allows
    ((0.02, 0.08), GateConfig(), False),    # a gain for sure
    ((-0.08, -0.02), GateConfig(), False),  # a loss for sure
    ((-0.03, 0.03), GateConfig(max_drop=0.05), False),  # within the gate's own margin
    (None, GateConfig(), True),             # no range at all
])
def test_the_rule_for_too_few_rows(interval, gate, unsure) -> None:
    assert bool(too_few_to_tell(interval, gate, 40)) is unsure
