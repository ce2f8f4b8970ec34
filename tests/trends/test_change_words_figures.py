"""The summary's sentence about change quotes the figures it judges by, each with its 95%
interval, as the page's table shows them: for an entity trend the mentions the model found
(the correction scales every group alike, so a change is judged on them), for a share the
corrected share. Overlapping intervals never read as a change."""

from __future__ import annotations

from glamlab.trends.trend import TrendResult, TrendRow
from glamlab.trends.words import label_summary


def _rates(a: tuple[float, float, float], b: tuple[float, float, float]) -> TrendResult:
    rows = [TrendRow(g, "PER", 200, raw, low, high, raw * 1.5, low * 1.4, high * 1.6, "ratio",
                     "ok") for g, (raw, low, high) in (("1850s", a), ("1900s", b))]
    return TrendResult(by="date:decade", model="m@1", method="ratio", labels=["PER"],
                       rows=rows, rates={"PER": {"ratio": 1.5}},
                       settings={"corrected": True, "measure": "mentions per 1,000 words"})


def test_an_entity_change_quotes_the_found_mentions_and_their_intervals() -> None:
    words = " ".join(label_summary(_rates((3.2, 2.9, 3.5), (4.1, 3.8, 4.4)), "PER"))
    assert ("From 1850s to 1900s the mentions the model found go from 3.2 (95% interval 2.9 "
            "to 3.5) to 4.1 (95% interval 3.8 to 4.4) per 1,000 words") in words
    assert "differ by more than their uncertainty" in words


def test_overlapping_found_intervals_are_no_change_even_if_corrected_ones_part() -> None:
    # raw intervals 2.9-3.9 and 3.7-4.4 overlap: no change, whatever the corrected figures
    words = " ".join(label_summary(_rates((3.2, 2.9, 3.9), (4.1, 3.7, 4.4)), "PER"))
    assert "do not show a clear change" in words and "rose" not in words
    assert "3.2 (95% interval 2.9 to 3.9) to 4.1 (95% interval 3.7 to 4.4)" in words


def test_a_share_change_quotes_the_corrected_shares_with_their_intervals() -> None:
    rows = [TrendRow("1850s", "x", 300, 0.2, 0.15, 0.25, 0.12, 0.08, 0.16, "acc", "ok"),
            TrendRow("1900s", "x", 300, 0.3, 0.25, 0.35, 0.22, 0.18, 0.27, "acc", "ok")]
    res = TrendResult(by="date:decade", model="m@1", method="acc", labels=["x"], rows=rows,
                      rates={"x": {}}, settings={"corrected": True})
    words = " ".join(label_summary(res, "x"))
    assert ("the corrected share goes from 12% (95% interval 8% to 16%) to 22% (95% "
            "interval 18% to 27%): the intervals do not overlap") in words


def test_groups_labelled_throughout_are_said_to_be_counted_not_an_interval_of_no_width(
) -> None:
    """A group whose items people all labelled has its exact share: the summary read
    "corrected for the model's measured errors the share is 73%, 95% interval 73% to 73%"
    and "cannot tell whether the share changed" (the web page of ``glamlab demo trends``,
    whose sample is labelled throughout)."""
    exact = "every item labelled: the share is exact"
    rows = [TrendRow("1950s", "x", 40, 0.5, 0.35, 0.65, 0.675, 0.675, 0.675, "cpcc",
                     f"{exact} (27 of 40)", labelled=40),
            TrendRow("1970s", "x", 77, 0.87, 0.8, 0.93, 0.7273, 0.7273, 0.7273, "cpcc",
                     f"{exact} (56 of 77)", labelled=77)]
    res = TrendResult(by="date:decade", model="m@1", method="cpcc", labels=["x"], rows=rows,
                      rates={"x": {}}, settings={"corrected": True,
                                                 "between_group_error": False})
    words = " ".join(label_summary(res, "x"))
    assert "interval 73% to 73%" not in words and "measured errors" not in words, words
    assert ("The largest group, 1970s (77 items): the model puts the label on 87% of them "
            "(the raw count); people labelled every one of them, so the share is counted, "
            "not estimated: 73%, exactly.") in words
    assert ("From 1950s to 1970s the share goes from 68% to 73%, counted exactly: people "
            "labelled every item of both groups.") in words
    assert "cannot tell" not in words
    # a group partly labelled is still an estimate with its interval
    rows[1].labelled = 70
    rows[1].low, rows[1].high = 0.70, 0.75
    words = " ".join(label_summary(res, "x"))
    assert "95% interval 70% to 75%" in words and "counted, not estimated" not in words


def test_no_group_large_enough_names_a_coarser_grouping_that_exists() -> None:
    """Grouped by artist (459 groups of a few records each, Tate dev), the words said
    "group more coarsely (e.g. by century)": an artist has no century. The fix named is one
    the grouping has."""
    def said(by: str) -> str:
        rows = [TrendRow(g, "x", 3, 0.5, 0.1, 0.9, 0.5, 0.1, 0.9, "cpcc",
                         "too few items: n=3 (fewer than 30)") for g in ("a", "b")]
        res = TrendResult(by=by, model="m@1", method="cpcc", labels=["x"], rows=rows,
                          rates={"x": {}}, settings={"corrected": True})
        return " ".join(label_summary(res, "x"))

    assert "group more coarsely (by a field with fewer values)" in said("artist")
    assert "century" not in said("artist")
    assert "group more coarsely (by decade or century)" in said("date:year")
    assert "group more coarsely (by century)" in said("date:decade")
    assert "coarsely" not in said("date:century") and "label or bring in more" in said(
        "date:century")


def test_one_item_without_a_value_is_not_said_to_be_none_of_them() -> None:
    """On the demo's page, by medium: "1 of the 400 items (0%) have no value of medium";
    0% reads as none, and one item has."""
    from glamlab.trends.words import no_value_words

    def said(n_none: int, by: str = "medium") -> str | None:
        rows = [TrendRow("Oil", "x", 400 - n_none, 0.5, 0.4, 0.6, 0.5, 0.4, 0.6, "cpcc", "ok"),
                TrendRow(None, "x", n_none, 0.5, 0.1, 0.9, 0.5, 0.1, 0.9, "cpcc", "ok")]
        return no_value_words(TrendResult(by=by, model="m@1", method="cpcc", labels=["x"],
                                          rows=rows, rates={"x": {}}, settings={}))

    assert said(1) == ("1 of the 400 items (under 1%) has no value of medium: it is counted, "
                       "as the group '(no value)' shown last, not left out.")
    assert "1 of the 400 items (under 1%) has no year in date" in str(said(1, "date:decade"))
    assert said(52, "date:decade").startswith(
        "52 of the 400 items (13%) have no year in date")
    assert "(1%) have no value" in str(said(4))
