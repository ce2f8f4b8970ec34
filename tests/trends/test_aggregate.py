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


def test_stored_aggregate_is_reused_and_refreshed_when_predictions_or_items_change(make_ws):
    """The GROUP BY's answer is stored with the key of what it depends on: a second query
    reads it back (equal to a fresh aggregation), a new run of the model or a re-ingested
    item makes it recompute."""
    import sqlalchemy as sa

    from glamlab.store import now
    from glamlab.store.results import get_result

    ws, mid = _workspace(make_ws, False)
    gb = GroupBy.parse("paper")

    def n_by_group(**kw):
        return {g: s.n for g, s in group_stats(ws, model_id=mid, label="a", by=gb, **kw).items()}

    first = n_by_group()
    t = ws.store.t
    with ws.store.read() as conn:
        names = [r[0] for r in conn.execute(sa.select(t.report_cache.c.name))
                 if r[0].startswith(f"trends:{mid}:")]
    assert len(names) == 1
    # tamper with the stored answer: the next query must read it (proof it is reused)
    stored = get_result(ws.store, names[0])
    assert stored is not None
    cells = stored["result"]["cells"]
    cells[0][2] += 1000
    with ws.store.write() as conn:
        conn.execute(t.report_cache.update().where(t.report_cache.c.name == names[0])
                     .values(result={"cells": cells}))
    assert sum(n_by_group().values()) == sum(first.values()) + 1000
    assert n_by_group(cache=False) == first
    # a new prediction (the run's progress moves): recomputed, and it counts the new one
    with ws.store.write() as conn:
        rid = conn.execute(sa.select(sa.func.max(t.runs.c.id))).scalar()
        conn.execute(t.predictions.insert().values(
            run_id=rid, model_id=mid, item_id="it0005", label="a", labels=["a"],
            scores={"a": 0.9, "b": 0.05, "c": 0.05}, score=0.9, created_at=now()))
        conn.execute(t.runs.update().where(t.runs.c.id == rid).values(done=t.runs.c.done + 1))
    after = n_by_group()
    assert sum(after.values()) == sum(first.values()) + 1
    assert after == n_by_group(cache=False)
    # a re-ingested item with other metadata (a new item version, as ingest writes it)
    with ws.store.write() as conn:
        conn.execute(t.items.update().where(t.items.c.item_id == "it0005")
                     .values(is_current=False))
        conn.execute(t.items.insert().values(
            item_id="it0005", version=2, is_current=True, modality="text", source_kind="test",
            source="tests", content_hash="0" * 64, text="changed", meta={"paper": "Chronicle"},
            created_at=now()))
    assert n_by_group().get("Chronicle") == 1 == n_by_group(cache=False).get("Chronicle")


@pytest.mark.parametrize("value,century", [("18th century", "1700s"),
                                           ("late 17th century", "1600s"),
                                           ("XVIIIe siècle", "1700s"),
                                           ("18. Jahrhundert", "1700s"),
                                           ("c.1850", "1800s"),
                                           ("century of progress", None),
                                           ("the 5th centurion", None)])
def test_a_value_naming_only_a_century_is_placed_by_century_and_nowhere_finer(value, century):
    """'18th century' fell in '(no value)' even for --by date_text:century; it has no
    year or decade, so those groupings still leave it there."""
    assert GroupBy.parse("date_text:century").key(value) == century
    if year_of(value) is None:
        assert GroupBy.parse("date_text:decade").key(value) is None
        assert GroupBy.parse("date_text:year").key(value) is None


def test_a_century_before_the_years_a_date_may_hold_is_no_group_after_the_2000s() -> None:
    """A year is one from 1000 to 2099, so the groups run from '1000s'. 'Xe siècle' (a
    manuscript's date) made a group '900s', which no year sorts: it came after '2000s',
    and the chart could not place the centuries on its axis. It is '(no value)', as the
    year 950 is; the 11th century is the first placed."""
    gb = GroupBy.parse("date_text:century")
    assert gb.key("Xe siècle") is None and gb.key("10th century") is None
    assert gb.key("950") is None
    assert gb.key("XIe siècle") == "1000s" and gb.key("11th century") == "1000s"
    groups = [gb.key(v) for v in ("XIe siècle", "2001", "Xe siècle", "1850")]
    assert sorted(groups, key=gb.sort_key) == ["1000s", "1800s", "2000s", None]
