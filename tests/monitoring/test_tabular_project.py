"""``monitor_project`` over a tabular project's windows: a window with too few rows
before it to compare it with (the museum was closed the month before) is named in the
report with what would let it be checked, and the other windows are still checked."""

from __future__ import annotations

import pytest

from tests import bookings


@pytest.fixture(scope="module")
def closed_in_march(tmp_path_factory):
    """The sample's bookings with a model trained on 2015-2016, and 2017 without March."""
    from glamlab.ingest.columns import read_table
    from glamlab.registry.tabular import train_tabular
    from glamlab.tasks.tabular import ingest_table, set_time_split
    from glamlab.workspace import Workspace

    d = tmp_path_factory.mktemp("closed")
    raw = read_table(bookings.SAMPLE)
    raw[raw["arrival_date"] < "2017-01-01"].to_csv(d / "history.csv", index=False)
    later = raw[(raw["arrival_date"] >= "2017-01-01") & (raw["arrival_date"] < "2017-06-01")]
    later = later[~later["arrival_date"].astype(str).str.startswith("2017-03")]
    later.to_csv(d / "2017.csv", index=False)
    ws = Workspace.init(d / "ws", task="no-shows", modality="tabular", labels=["0", "1"])
    ws.card.raw.setdefault("monitor", {})["min_reference"] = 50  # a sample: ~100 rows/month
    ws.save_card()

    def ingest(path):
        ingest_table(ws, path, time_column="arrival_date", label_column="is_canceled",
                     id_column="id", group_columns=["hotel"], never_features=bookings.NEVER)

    ingest(d / "history.csv")
    set_time_split(ws, cutoff="2017-01-01")
    train_tabular(ws, "tabular-gbm")
    ingest(d / "2017.csv")
    return ws, d


def test_a_window_after_a_closure_is_named_and_the_others_are_checked(closed_in_march):
    """It used to stop the whole monitor with "only 0 reference rows ... fix: give the
    rows that came before the window (before=)", a Python argument a curator cannot give."""
    from glamlab.monitoring.tabular_project import monitor_project
    from glamlab.reports.tabular import monitor_page, monitor_sections_html

    ws, d = closed_in_march
    report = monitor_project(ws, window="month")
    assert [w.drift.start for w in report.windows] == ["2017-01-01", "2017-02-01", "2017-05-01"]
    (april,) = report.skipped
    assert (april.start, april.end) == ("2017-04-01", "2017-04-30") and april.n > 30
    assert "only 0 reference rows" in april.reason
    assert "before=" not in april.hint and 'reference = "all"' in april.hint
    data = report.to_dict()
    assert data["skipped"][0]["start"] == "2017-04-01"
    text = report.summary()
    assert "4 months with rows after it: 3 checked" in text
    assert "1 not checked (too few rows before it to compare with)" in text
    assert "2017-04-01 to 2017-04-30" in text and "not checked" in text
    assert "Windows not checked" in monitor_page(report, d / "m.html").read_text()
    assert "2017-04-01 to 2017-04-30: not checked" in monitor_sections_html(data)
    # the one window asked for cannot be checked: named, with a fix the card takes (the
    # command line then stops with it; the web page shows it)
    alone = monitor_project(ws, window="month", since="2017-04-01", until="2017-05-01")
    assert not alone.windows and [w.start for w in alone.skipped] == ["2017-04-01"]
    assert "only 0 reference rows" in alone.skipped[0].reason
    assert "before=" not in alone.skipped[0].hint and "[monitor]" in alone.skipped[0].hint


@pytest.mark.parametrize("window", ["month", "week"])
def test_a_history_too_short_to_replay_is_told_its_fix_in_the_pages_words(closed_in_march,
                                                                         window):
    """The Monitoring page said "monitor shorter windows (...; glamlab monitor --window
    week), or ingest a longer history": a command and a flag, where the page itself has
    the choice of weeks and the Bring rows in page brings rows. The command line keeps
    its words."""
    from glamlab.errors import GlamlabError
    from glamlab.monitoring.tabular_project import monitor_project
    from glamlab.web.words import has_command

    ws, _d = closed_in_march
    with pytest.raises(GlamlabError) as web:
        monitor_project(ws, window=window, web=True, min_reference=400)
    hint = web.value.hint or ""
    assert "could be replayed inside the training period" in web.value.message
    assert not has_command(hint), hint
    assert "on the Bring rows in page" in hint and "whoever runs glamlab" in hint
    assert ("choose weeks above" in hint) == (window == "month")
    with pytest.raises(GlamlabError) as cli:
        monitor_project(ws, window=window, min_reference=400)
    assert "ingest a longer history" in (cli.value.hint or "")
    if window == "month":
        assert "glamlab monitor --window week" in (cli.value.hint or "")
