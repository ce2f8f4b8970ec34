"""The text output of ``glamlab train``, ``backtest`` and ``monitor`` in a tabular
project says its terms in plain words once, after the figures, as the HTML reports do
beside theirs (the measure, the 95% interval, the baselines, the estimate, the flagged
columns); ``--json`` is unchanged. On the bundled real bookings."""

from __future__ import annotations

import json

import pytest

from glamlab.reports.words import measure_sentence
from glamlab.workspace import Workspace
from tests import bookings
from tests.cli.test_tabular import _run, split_project, table  # noqa: F401

#: the outcome the bookings' F1 is measured for, as backtest and monitor name it
POS = "is_canceled = 1"


@pytest.mark.slow
def test_train_backtest_and_monitor_text_say_their_terms_in_words(tmp_path, capsys,
                                                                 table) -> None:  # noqa: F811
    assert bookings.SAMPLE
    w = split_project(capsys, tmp_path, table)

    # train: what calibration was done, as the model's stored card says it
    out = _run(capsys, *w, "train", "tabular-gbm").out
    from glamlab.registry import get_model

    card = get_model(Workspace.open(w[1]), "tabular-gbm@1").card
    assert card["calibration"]["method"] in ("isotonic", "sigmoid")
    assert f"Probabilities: {card['calibrated_on']}." in out, out
    assert f"{card['calibration']['rows']:,} rows" in out

    out = _run(capsys, *w, "backtest", "--since", "2016-10-01", "--n-boot", "20").out
    figures, _, note = out.partition("What the figures mean:")
    assert "tabular-gbm" in figures and note, out
    # the F1 of the positive outcome, named so (evaluate's f1_macro averages over the
    # outcomes: the same baseline reads 0.000 here and 0.38 there), in words, once
    assert f"F1 for '{POS}' with 95% intervals" in figures, out
    assert note.count(measure_sentence("f1", POS)) == 1, out
    assert "not the F1 averaged over the outcomes (f1_macro)" in note
    assert "the 95% interval, the range the true figure most likely lies in" in note
    assert "tabular-share, tabular-last-period, tabular-last-year: the baselines" in note
    js = json.loads(_run(capsys, *w, "backtest", "--since", "2016-10-01", "--n-boot", "20",
                         "--json").out)
    assert js["metric"] == "f1"  # --json as it was

    _run(capsys, *w, "ingest", str(table / "2017.csv"))
    toml = tmp_path / "ws" / "glamlab.toml"
    toml.write_text(toml.read_text() + "\n[monitor]\nmin_reference = 50\n")
    out = _run(capsys, *w, "monitor", "--window", "month", code=3).out
    figures, _, note = out.partition("What the figures mean:")
    assert f"estimated F1 for '{POS}'" in figures and "times its usual spread" in figures, out
    assert "estimated f1 " not in figures
    assert out.count("What the figures mean:") == 1
    assert (f"estimated F1 for '{POS}' [from, to]: what the model's own probabilities"
            in note), note
    assert f"Realised: the F1 for '{POS}' measured once the outcomes are imported" in note
    assert measure_sentence("f1", POS) in note
    assert "'N times its usual spread; flagged above T': how far a column moved" in note
    out = _run(capsys, *w, "monitor", "--window", "month", "--json", code=3).out
    assert "What the figures mean" not in out and json.loads(out)["flagged"] >= 1
