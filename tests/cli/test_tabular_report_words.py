"""``glamlab backtest --html`` and ``glamlab monitor --html`` of a tabular project say
their measures in words (the Brier score as a probability error, AUC as ranking, what an
estimate and z are), the term kept beside it for the data scientist, on the bundled
real bookings."""

from __future__ import annotations

import pytest

from glamlab.cli import main
from tests import bookings
from tests.cli.test_tabular import _run, split_project, table  # noqa: F401
from tests.helpers_page_words import read_page

#: the outcome the bookings' F1 is measured for, as backtest and monitor name it
POS = "is_canceled = 1"


@pytest.mark.slow
def test_backtest_and_monitor_pages_say_their_measures_in_words(tmp_path, capsys,
                                                                table) -> None:  # noqa: F811
    assert bookings.SAMPLE
    w = split_project(capsys, tmp_path, table)
    _run(capsys, *w, "train", "tabular-gbm")
    _run(capsys, *w, "backtest", "--since", "2016-10-01", "--n-boot", "20", "--html",
         str(tmp_path / "bt.html"))
    text, headers = read_page((tmp_path / "bt.html").read_text(encoding="utf-8"))
    assert "probability error (Brier score)" in headers and "ranking (AUC)" in headers
    assert not {"brier", "auc"} & set(headers)
    # the F1 of the positive outcome, named after it (evaluate's f1_macro is the average
    # over the outcomes: the same baseline reads 0.000 here and 0.38 there)
    assert f"F1 for '{POS}'" in headers and "f1" not in headers and "F1" not in headers
    assert f"F1 for '{POS}' by month" in text
    assert "not the F1 averaged over the outcomes (f1_macro)" in text
    assert "the average squared gap between the predicted probability and what happened" \
        in text
    assert "0.5 is a coin toss" in text and "95% interval [from, to]" in text

    _run(capsys, *w, "ingest", str(table / "2017.csv"))
    card = tmp_path / "ws" / "glamlab.toml"
    card.write_text(card.read_text() + "\n[monitor]\nmin_reference = 50\n")
    with pytest.raises(SystemExit):
        main([*w, "monitor", "--window", "month", "--html", str(tmp_path / "mon.html")])
    capsys.readouterr()
    text, headers = read_page((tmp_path / "mon.html").read_text(encoding="utf-8"))
    assert "estimate trusted" in headers and "drift flagged" in headers
    assert "trusted" not in headers and "cause" not in headers
    assert "Estimated: what the model's own probabilities" in text
    assert "in multiples of its usual variation (z)" in text
    assert f"F1 for '{POS}': how well the yes/no predictions find the rows" in text
    assert f"estimated F1 for '{POS}' [95% interval]" in headers, headers
    assert f"realised F1 for '{POS}'" in headers
