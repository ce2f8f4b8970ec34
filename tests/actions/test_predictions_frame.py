"""``glamlab.predictions_frame``: a model's predictions as a DataFrame, the same rows as
``list_predictions`` pages through; and the Parquet export's scores at full precision."""

from __future__ import annotations

import csv
import io
import math

import pytest

import glamlab
from glamlab.actions import export
from glamlab.errors import GlamlabError
from glamlab.inference.runner import list_predictions

from .helpers import add_items, add_model, add_predictions

pytest.importorskip("pandas")

# scores a rounding to 6 (or 5) decimals changes
FINE = 0.912345678901234


@pytest.fixture
def ws(make_ws):
    ws = make_ws("pages", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank")
    add_items(ws, [{"item_id": f"p{i}", "meta": {"shelf": f"S{i}", "id": f"x{i}"}}
                   for i in range(7)])
    old = add_model(ws, "blanks", 1)
    add_predictions(ws, old, {"p0": {"blank": 0.6, "content": 0.4}})
    champ = add_model(ws, "blanks", 2)
    add_predictions(ws, champ, {
        f"p{i}": {"blank": FINE - i / 100, "content": 1 - (FINE - i / 100)} if i % 2 == 0
        else {"content": FINE - i / 100, "blank": 1 - (FINE - i / 100)} for i in range(6)})
    ws.card.raw["policy"] = {"field": "page_type", "model": "blanks@2", "labels": {
        "blank": {"accept": 0.5, "review": 0.3}, "content": {"accept": 0.5, "review": 0.3}}}
    ws.save_card()
    return ws


def _records(df):
    return [{k: None if isinstance(v, float) and math.isnan(v) else v
             for k, v in r.items()} for r in df.to_dict("records")]


def _paged(ws, model):
    rows, after = [], 0
    while page := list_predictions(ws, model=model, after_id=after, limit=2):
        rows += page
        after = page[-1]["id"]
    return rows


def test_the_frame_is_list_predictions_rows(ws):
    df = glamlab.predictions_frame(ws, chunksize=4)  # [policy] model, read in 2 chunks
    want = _paged(ws, "blanks@2")
    assert len(df) == len(want) == 6
    assert list(df.columns) == list(want[0])
    assert _records(df) == want
    assert df["score"].iloc[0] == FINE  # full precision
    assert _records(glamlab.predictions_frame(ws, "blanks@1")) == _paged(ws, "blanks@1")


def test_columns_filters_and_metadata(ws):
    df = glamlab.predictions_frame(ws, columns=["score", "label"], label="blank",
                                   min_score=0.88, meta=["shelf", "id"])
    want = [r for r in _paged(ws, "blanks@2") if r["label"] == "blank" and r["score"] >= 0.88]
    assert list(df.columns) == ["score", "label", "shelf", "meta_id"]
    assert df["score"].tolist() == [r["score"] for r in want]
    assert df["shelf"].tolist() == [f"S{r['item_id'][1:]}" for r in want]
    assert df["meta_id"].tolist() == [f"x{r['item_id'][1:]}" for r in want]
    empty = glamlab.predictions_frame(ws, label="blank", min_score=0.999, meta=["shelf"])
    assert len(empty) == 0 and "shelf" in empty.columns


def test_an_unknown_column_is_named(ws):
    with pytest.raises(GlamlabError, match="'scroe'"):
        glamlab.predictions_frame(ws, columns=["scroe"])


def test_parquet_keeps_full_precision_csv_stays_rounded(ws, tmp_path):
    """The export rounded every score to 6 decimals, Parquet's too: a data tool reading
    it got 0.912346, not the model's 0.912345678901234. Parquet now holds the stored
    score; CSV (for a spreadsheet) keeps 6 decimals."""
    import pyarrow.parquet as pq

    export(ws, "parquet", tmp_path / "out.parquet")
    got = dict(zip(*pq.read_table(tmp_path / "out.parquet", columns=["item_id", "score"])
                   .to_pydict().values(), strict=True))
    stored = {r["item_id"]: r["score"] for r in _paged(ws, "blanks@2")}
    assert got == stored
    out = io.StringIO()
    export(ws, "csv", tmp_path / "out.csv")
    out.write((tmp_path / "out.csv").read_text(encoding="utf-8-sig"))
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {r["item_id"]: float(r["score"]) for r in rows} == {
        k: round(v, 6) for k, v in stored.items()}


def test_the_frames_come_one_chunk_at_a_time(ws):
    """A notebook could only get the whole frame (every chunk read, then concatenated):
    a collection larger than memory could not be gone through. The chunks come one at a
    time, the same rows; a wrong column is said at the call, before any is read."""
    import pandas as pd

    from glamlab.actions.frame import iter_predictions_frames

    frames = iter_predictions_frames(ws, columns=["item_id", "label", "score"], chunksize=4)
    first = next(frames)
    assert len(first) == 4
    rest = list(frames)
    assert [len(f) for f in rest] == [2]
    whole = glamlab.predictions_frame(ws, columns=["item_id", "label", "score"])
    pd.testing.assert_frame_equal(pd.concat([first, *rest], ignore_index=True), whole)
    none = list(iter_predictions_frames(ws, label="blank", min_score=0.99, meta=["shelf"]))
    assert [len(f) for f in none] == [0] and "shelf" in none[0].columns
    with pytest.raises(GlamlabError, match="no prediction column 'nope'"):
        iter_predictions_frames(ws, columns=["nope"])
