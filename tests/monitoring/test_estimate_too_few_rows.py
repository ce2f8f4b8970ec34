"""A monitored window's estimate whose 95% range is too wide to tell how the model does
says so in words (text and JSON; the web page shows them). Before, a range from 0.34 to
0.64 read like any other."""

from __future__ import annotations

from glamlab.monitoring.estimate import PerformanceEstimate, too_few_rows


def test_a_wide_range_says_there_are_too_few_rows() -> None:
    wide = PerformanceEstimate("f1", 0.512, 0.337, 0.638, 110)
    assert wide.to_dict()["too_few_rows"].startswith("too few rows to tell: the 95% range "
                                                     "is 0.30 wide (wider than 0.2)")
    assert "wait for more outcomes" in wide.summary()
    narrow = PerformanceEstimate("f1", 0.769, 0.691, 0.838, 110)
    assert narrow.to_dict()["too_few_rows"] is None
    assert "too few rows" not in narrow.summary()
    # a count's error: too wide when the range is wider than the error itself
    assert too_few_rows("mae", 1.0, 0.4, 1.9) and not too_few_rows("mae", 3.0, 2.0, 4.5)
