"""Group statistics computed in the database equal the same statistics computed in
Python, on both stores; bucketing of catalogue dates."""

from __future__ import annotations

import numpy as np
import pytest

from glamlab.errors import TrendsError
from glamlab.trends.aggregate import group_stats, python_group_stats
from glamlab.trends.buckets import GroupBy, year_of
from tests.tasks.helpers import add_items
from tests.trends.helpers import add_model_with_predictions

DATES = ["1850", "c.1850", "1850-1855", "1850-01-20", "circa 1861?", "1869", "", None,
         "undated", "1901", "published 1923", "12345", "2015"]


@pytest.mark.parametrize("value,year", [("1850", 1850), ("c.1850", 1850), ("1850-1855", 1850),
                                        ("1850-01-20", 1850), ("circa 1861?", 1861),
                                        ("undated", None), ("12345", None), (None, None),
                                        ("c. 999", None), (1923, 1923)])
def test_year_of_catalogue_dates(value, year):
    assert year_of(value) == year


def test_group_by_parses_and_refuses_unknown_buckets():
    assert GroupBy.parse("date_text:decade").key("c.1856") == "1850s"
    assert GroupBy.parse("date_text:year").key("1850-1855") == "1850"
    assert GroupBy.parse("date_text:century").key("1850") == "1800s"
    assert GroupBy.parse("title").key(" The Times ") == "The Times"
    assert GroupBy.parse("date_text:decade").key("undated") is None
    with pytest.raises(TrendsError) as err:
        GroupBy.parse("date_text:month")
    assert err.value.hint


def _workspace(make_ws, multi: bool):
    ws = make_ws("agg", modality="text", labels=["a", "b", "c"], multi_label=multi)
    rng = np.random.default_rng(0)
    rows, preds = [], {}
    for i in range(240):
        meta = {"paper": ["Times", "Herald", "Gazette"][i % 3]}
        d = DATES[i % len(DATES)]
        if d is not None:
            meta["date"] = d
        if i % 17 == 0:
            meta["issue"] = i  # a number, not a string
        rows.append({"id": f"it{i:04d}", "text": f"text {i}", "meta": meta})
        if i % 11 == 5:
            continue  # items without a prediction stay out
        s = rng.random(3)
        s[0] = [0.0, 1.0, 0.5, 0.05][i % 4] if i % 5 == 0 else s[0]  # bin edges
        scores = dict(zip(["a", "b", "c"], (s if multi else s / s.sum()).round(6).tolist(),
                          strict=True))
        preds[f"it{i:04d}"] = scores
    add_items(ws, rows)
    return ws, add_model_with_predictions(ws, preds)


@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("by", ["date:decade", "date:year", "date", "paper", "issue"])
def test_database_aggregation_equals_python(make_ws, multi, by):
    ws, mid = _workspace(make_ws, multi)
    gb = GroupBy.parse(by)
    for label in ("a", "c"):
        sql = group_stats(ws, model_id=mid, label=label, by=gb)
        py = python_group_stats(ws, model_id=mid, label=label, by=gb)
        assert set(sql) == set(py), (set(sql), set(py))
        for g in py:
            assert np.array_equal(sql[g].counts, py[g].counts), g
            assert np.allclose(sql[g].sums, py[g].sums), g
        assert sum(s.n for s in sql.values()) == 240 - len(range(5, 240, 11))


def test_where_filters_in_the_database(make_ws):
    ws, mid = _workspace(make_ws, False)
    gb = GroupBy.parse("date:decade")
    sql = group_stats(ws, model_id=mid, label="a", by=gb, where={"paper": "Times"})
    py = python_group_stats(ws, model_id=mid, label="a", by=gb, where={"paper": "Times"})
    assert {g: s.n for g, s in sql.items()} == {g: s.n for g, s in py.items()}
    assert sum(s.n for s in sql.values()) < 100
