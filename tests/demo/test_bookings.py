"""glamlab demo bookings on the bundled sample: the leakage check names the status
columns, the backtest puts the baselines first, the staged lead-time shift is flagged in
its first month with lead time as the cause, the estimate agrees with the realised F1
before the shift, and retraining on the outcomes is judged by the gate."""

from __future__ import annotations

import pytest

from glamlab.demo import run_demo


@pytest.mark.slow
@pytest.mark.timeout(1200)  # about a minute of CPU; much longer on a busy machine
def test_the_bookings_demo_tells_the_whole_story(tmp_path):
    lines: list[str] = []
    res = run_demo("bookings", tmp_path / "demo", say=lines.append)
    assert "reservation_status" in res["ingest"]["leaky"]
    assert res["backtest"]["models"][-1] == "tabular-gbm"
    assert len(res["replay"]["windows"]) == 8
    assert res["replay"]["capacity"]["replay"]["slots"] > 0
    shift = res["shift"]
    assert shift["first_flagged"] == "2017-05"
    assert shift["first_cause"] == "lead_time"
    may = next(w for w in shift["windows"] if w["month"] == "2017-05")
    assert may["causes"][0].startswith("lead_time: median")
    # before the change the estimate is near the realised F1; after it, far off
    assert shift["estimate_gap_before"] < 0.15 < shift["estimate_gap_after"]
    assert set(shift["retrain"]["scores"]) == {"champion", "recent", "all"}
    text = "\n".join(lines)
    assert "most likely cause: lead_time" in text
    # the F1 of the positive outcome, named so (evaluate's f1_macro averages over both)
    assert "the model finds F1 for 'is_canceled = 1' 0." in text, text
    assert "Estimated F1 for 'is_canceled = 1' 0." in text
    # people read what calibration was done (from the model's card), and plain words for
    # the retrained versions, never 'challenger'
    trained = next(line for line in lines if line.startswith("Trained "))
    assert "probabilities: isotonic regression on the latest 20% of the training rows: " \
        in trained, trained
    assert "calibrated on the latest fifth" not in text
    assert "challenger" not in text.lower()
    assert "a new version trained on the last 90 days" in text
