"""A change that lasts, against a reference of the weeks just before each window: once
the new lead times fill those weeks they no longer stand out, and `glamlab monitor` said
"nothing moved beyond its usual variation" for the later weeks, though the rows were as
far from the training period as ever. The report now says so, with the setting that
compares every window with the training period."""

from __future__ import annotations

from glamlab.monitoring.estimate import PerformanceEstimate
from glamlab.monitoring.tabular import ColumnDrift, WindowDrift
from glamlab.monitoring.tabular_project import TabularMonitorReport, WindowReport


def _week(start: str, flagged: bool) -> WindowReport:
    cols = [ColumnDrift("lead_time", "number", 0.9, 6.0 if flagged else 1.0, 0.1, flagged,
                        "lead_time: median 102 in the reference, 1 in this window", 0.8)]
    drift = WindowDrift(70, start, start, "the 28 days before", 280, 3.3, cols)
    return WindowReport(drift, PerformanceEstimate("mae", 0.7, 0.5, 0.9, 70))


def test_weeks_after_a_lasting_change_are_not_said_to_be_back_to_normal():
    weeks = [_week("2017-08-21", False), _week("2017-08-28", True), _week("2017-09-04", True),
             _week("2017-09-18", False), _week("2017-09-25", False)]
    report = TabularMonitorReport("m@1", "2017-01-01", "week", windows=weeks,
                                  recent_hint='set reference = "all" in [monitor]')
    words = report.lasting_words()
    assert words.startswith("2 weeks after the first flagged one (2017-08-28) were not "
                            "flagged")
    assert "(here in lead_time)" in words and 'reference = "all"' in words
    assert words in report.summary() and report.to_dict()["lasting_words"] == words
    # with the whole training period as reference (no recent hint), or nothing flagged
    # before a quiet week, there is nothing to say
    assert TabularMonitorReport("m@1", "2017-01-01", "week", windows=weeks).lasting_words() == ""
    quiet_first = TabularMonitorReport("m@1", "2017-01-01", "week", windows=weeks[:3],
                                       recent_hint="x")
    assert quiet_first.lasting_words() == ""
