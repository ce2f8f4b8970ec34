"""Intervals for items that come in groups (pages of one book): the design effect, the
intra-group correlation, and what act --optimise promises on a grouped test split."""

from __future__ import annotations

import pytest

from glamlab.actions import optimise, render_optimise
from glamlab.actions.intervals import (
    design_effect,
    expected_precision,
    grouped_wilson,
    intra_group_correlation,
    wilson,
)
from tests.actions.helpers import add_gold, add_items, add_model, add_predictions


def test_intra_group_correlation_known_cases():
    # every book all right or all wrong: outcomes are the book's, not the page's
    assert intra_group_correlation([(4, 4), (0, 4), (4, 4), (0, 4)]) == pytest.approx(1.0)
    # every book alike: no correlation
    assert intra_group_correlation([(2, 4), (2, 4), (2, 4)]) == 0.0
    assert intra_group_correlation([(4, 4), (3, 3)]) == 0.0  # nobody wrong: nothing to see
    assert intra_group_correlation([(3, 4)]) is None  # one group: unknown
    assert intra_group_correlation([(1, 1), (0, 1)]) is None  # no group of two


def test_grouped_wilson_is_wilson_for_independent_items():
    lo, hi, n_eff = grouped_wilson([(1, 1)] * 9 + [(0, 1)], rho=0.8)
    assert (lo, hi) == pytest.approx(wilson(9, 10)) and n_eff == 10


def test_grouped_wilson_widens_with_the_design_effect():
    # 30 right pages from 3 books, pages of a book correlated (rho 0.5): worth 30 / 5.5
    lo, hi, n_eff = grouped_wilson([(10, 10)] * 3, rho=0.5)
    assert n_eff == pytest.approx(30 / 5.5)
    assert lo < wilson(30, 30)[0] - 0.2 and hi == pytest.approx(1.0)
    # the accepted pages disagree between books: the observed spread counts even when rho
    # is unknown (10 of 12 right, one book 0 of 2)
    groups = [(1, 1), (4, 4), (4, 4), (1, 1), (0, 2)]
    assert design_effect(groups, None) > 2.5
    assert grouped_wilson(groups, None)[0] < wilson(10, 12)[0] - 0.15
    assert design_effect([(5, 5), (0, 5)], None) <= 10  # never below one item's worth


def test_expected_precision_shrinks_thin_evidence():
    assert expected_precision(1.0, 1) == 0.75
    assert expected_precision(1.0, 20) == pytest.approx(20.5 / 21)
    assert expected_precision(0.9, 1000) == pytest.approx(0.9, abs=1e-3)


def _book_workspace(make_ws, books: dict[str, list[tuple[float, bool]]],
                    calibration: list[tuple[float, bool]]):
    """Test pages in books (meta "book", a split grouped by book), calibration pages
    ungrouped; scores are the model's for "blank", ok: the page is blank."""
    ws = make_ws("books", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank")
    items, gold, cal, preds = [], {}, {}, {}
    for book, pages in books.items():
        for s, ok in pages:
            iid = f"t{len(items):03d}"
            items.append({"item_id": iid, "meta": {"book": book}})
            gold[iid] = "blank" if ok else "content"
            preds[iid] = {"blank": s, "content": round(1 - s, 6)}
    for s, ok in calibration:
        iid = f"k{len(items):03d}"
        items.append({"item_id": iid, "meta": {"book": iid}})
        cal[iid] = "blank" if ok else "content"
        preds[iid] = {"blank": s, "content": round(1 - s, 6)}
    add_items(ws, items)
    add_gold(ws, gold)
    add_gold(ws, cal, split="calibration")
    add_predictions(ws, add_model(ws, "blanks"), preds)
    with ws.store.write() as conn:  # as `glamlab labels split --group-by book` records it
        ws.store.audit(conn, "test", "split.create", None, group_by="book", test_size=0.3,
                       seed=0)
    return ws


def test_optimise_counts_pages_of_one_book_as_fewer(make_ws):
    """12 accepted test pages, but from 3 books of which one is half wrong: the interval
    is on the effective number of pages, much wider than Wilson on 12 pages."""
    books = {"a": [(0.97, True)] * 5, "b": [(0.96, True)] * 5,
             "c": [(0.95, True), (0.95, False)] + [(0.2, False)] * 4}
    cal = [(0.99 - k / 1000, True) for k in range(60)] + [(0.1, False)] * 5
    ws = _book_workspace(make_ws, books, cal)
    res = optimise(ws, target_precision=0.9)
    o = res["overall"]
    assert (o["correct"], o["accepted"]) == (11, 12)
    assert res["test"]["group_by"] == "book"
    assert o["effective_n"] < 12
    assert o["ci95"][0] < wilson(11, 12)[0] - 0.05
    assert o["expected_precision"] < 11 / 12
    assert not o["declined"]
    text = render_optimise(res)
    assert "independent items" in text and "effective number of items" in text


def test_optimise_declines_on_thin_calibration_evidence(make_ws):
    """With the expected criterion, 2 of 2 right on calibration is not 95%: nothing is
    accepted, and it says so (the point criterion accepts from 0.9)."""
    books = {"a": [(0.97, True)] * 3, "b": [(0.6, False)] * 3}
    ws = _book_workspace(make_ws, books, [(0.95, True), (0.9, True), (0.5, False)])
    assert optimise(ws, target_precision=0.95, criterion="point")["labels"][0]["threshold"] \
        == 0.9
    res = optimise(ws, target_precision=0.95, criterion="expected")
    assert res["criterion"] == "expected"
    assert all(r["threshold"] is None for r in res["labels"])
    assert res["overall"]["declined"] and res["overall"]["accepted"] == 0
    assert "nothing is auto-accepted" in render_optimise(res)
