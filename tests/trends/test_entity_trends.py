"""Entity trends: mentions per 1,000 words of each type per group, counted in the database
from the stored predictions' spans (SQLite's json_each, PostgreSQL's jsonb_array_elements:
this file runs on both stores), corrected by the test split's gold/predicted ratio."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from glamlab.errors import TrendsError
from tests.trends.helpers import entities_workspace


@pytest.fixture
def entities_ws(make_ws: Any) -> Any:
    return entities_workspace(make_ws)


def _stored(ws: Any) -> dict[str, list[dict[str, Any]]]:
    """item id -> the spans the run stored (read in Python: what the SQL must agree with)."""
    import sqlalchemy as sa

    t = ws.store.t.predictions
    with ws.store.read() as conn:
        return {r.item_id: list((r.scores or {}).get("spans", []))
                for r in conn.execute(sa.select(t.c.item_id, t.c.scores))}


def _decade(item: Any) -> str | None:
    date = (item.meta or {}).get("date")
    return f"{str(date)[:3]}0s" if date else None


def test_the_database_counts_what_the_run_stored(entities_ws: Any) -> None:
    from glamlab.trends.buckets import GroupBy
    from glamlab.trends.entities import mention_stats
    from glamlab.trends.ngrams import group_words, words
    from glamlab.trends.trend import resolve_model

    ws = entities_ws
    by = GroupBy.parse("date:decade")
    stats = mention_stats(ws, model_id=resolve_model(ws, None).id, by=by)
    stored = _stored(ws)
    expected: dict[tuple[str | None, str], list[float]] = {}
    items = {it.item_id: it for it in ws.items()}
    for item_id, spans in stored.items():
        per: dict[str, int] = {}
        for s in spans:
            per[s["label"]] = per.get(s["label"], 0) + 1
        for lab, m in per.items():
            cell = expected.setdefault((_decade(items[item_id]), lab), [0, 0, 0])
            cell[0] += 1
            cell[1] += m
            cell[2] += m * m
    assert expected, "the gazetteer found nothing: the test would prove nothing"
    assert {k: list(v) for k, v in stats.items()} == expected
    counted = group_words(ws, by=by)
    for g in {_decade(it) for it in items.values()}:
        mine = [it for it in items.values() if _decade(it) == g]
        assert counted[g] == (len(mine), sum(len(words(it.text)) for it in mine))
    only = mention_stats(ws, model_id=resolve_model(ws, None).id, by=by,
                         where={"date": "1877-01-15"})
    assert only and {g for g, _ in only} == {"1870s"}


def test_corrected_rates_use_the_test_splits_ratio(entities_ws: Any) -> None:
    from glamlab.tasks.splits import test_data
    from glamlab.trends import trends

    ws = entities_ws
    result = trends(ws, by="date:decade", label=["PER", "LOC"], n_boot=300)
    assert result.settings["measure"] == "mentions per 1,000 words"
    assert result.method == "ratio"
    # the ratio, counted independently: gold and predicted test mentions of each type
    from glamlab.registry import load_model

    _, model = load_model(ws, result.model)
    data = test_data(ws, reader="test")
    found = model.predict_items(data.items)
    for lab in ("PER", "LOC"):
        gold = sum(s.label == lab for g in data.labels for s in g)
        pred = sum(s.label == lab for f in found for s in f)
        assert result.rates[lab]["test_gold_mentions"] == gold
        assert result.rates[lab]["test_predicted_mentions"] == pred
        rows = [r for r in result.rows if r.label == lab]
        assert rows
        for r in rows:
            if gold and pred:
                assert r.estimate == pytest.approx(r.raw * gold / pred, rel=1e-4)
                assert r.low <= r.estimate <= r.high
                assert r.high > 0  # also for a group with no mention: an upper bound
            else:
                assert r.estimate is None and "not corrected" in r.status
            assert r.raw_low <= r.raw <= r.raw_high
            if r.n < 30:
                assert r.status.startswith(("too few", "not corrected"))
            elif gold and pred and min(gold, pred) < 10:
                assert r.status.startswith("few test mentions")


def test_cli_chart_and_csv_for_an_entities_project(entities_ws: Any, tmp_path: Path,
                                                   capsys: Any) -> None:
    from glamlab.cli import main

    html, out_csv = tmp_path / "t.html", tmp_path / "t.csv"
    code = main(["-w", str(entities_ws.root), "trends", "--by", "date:decade",
                 "--label", "LOC", "--term", "paris", "--html", str(html),
                 "--csv", str(out_csv)])
    assert code in (0, None)
    text = capsys.readouterr().out
    assert "mentions per 1,000 words" in text and "LOC" in text and "paris" in text
    page = html.read_text(encoding="utf-8")
    assert "mentions of places (LOC) per 1,000 words" in page and "<svg" in page
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")  # offline
    assert out_csv.read_bytes().startswith("\ufeffgroup,".encode())  # Excel reads it as UTF-8
    with open(out_csv, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["series"] for r in rows} == {"label", "term"}
    assert "corrected_per_1000_words" in rows[0]
    assert not any(k.startswith("share") for k in rows[0])  # rates, not shares
    code = main(["-w", str(entities_ws.root), "trends", "--by", "date:decade", "--json"])
    assert code in (0, None)
    doc = json.loads(capsys.readouterr().out)
    assert {r["label"] for r in doc["rows"]} == {"PER", "LOC", "ORG", "PROD", "TIME"}
    assert doc["settings"]["corrected"] is True  # the gold/predicted ratio is a correction


def test_settings_that_do_not_apply_are_refused(entities_ws: Any, capsys: Any) -> None:
    from glamlab.trends import trends

    with pytest.raises(TrendsError, match="one correction") as info:
        trends(entities_ws, by="date:decade", method="acc")
    # Python is told its own arguments, the command line its options
    assert info.value.hint == "leave out method, rates, pooled and strata"
    from glamlab.cli import main
    from glamlab.trends.aggregate import said_on_the_command_line

    with said_on_the_command_line(), pytest.raises(TrendsError) as info:
        trends(entities_ws, by="date:decade", method="acc")
    assert info.value.hint == "leave out --method, --pool and --strata"
    with pytest.raises(SystemExit):
        main(["-w", str(entities_ws.root), "trends", "--by", "date:decade", "--method", "acc"])
    assert "fix: leave out --method, --pool and --strata" in capsys.readouterr().err
    with pytest.raises(TrendsError, match="no label 'PERSON'"):
        trends(entities_ws, by="date:decade", label="PERSON")
    with pytest.raises(TrendsError, match="no label 'per'") as info:
        trends(entities_ws, by="date:decade", label="per")
    assert "did you mean 'PER'?" in (info.value.hint or "")


def test_a_type_the_test_cannot_correct_is_said_so(entities_ws: Any) -> None:
    """TIME: nobody marked one in this sample, so its count stays raw, and the words say
    why and what to do (not 'group more coarsely')."""
    from glamlab.trends import trends
    from glamlab.trends.words import label_summary

    result = trends(entities_ws, by="date:decade", label="TIME", n_boot=100)
    assert result.rates["TIME"]["ratio"] is None
    assert all(r.estimate is None and r.status.startswith("not corrected") for r in result.rows)
    words = " ".join(label_summary(result, "TIME"))
    assert "cannot be corrected" in words and "coarsely" not in words


def test_texts_added_after_the_run_do_not_dilute_the_rate(entities_ws: Any) -> None:
    from glamlab.trends import trends
    from tests.tasks.helpers import add_items

    before = trends(entities_ws, by="date:decade", label="LOC", n_boot=100)
    text = "Une phrase sans lieu ni personne " * 50  # 300 words, no prediction yet
    add_items(entities_ws, [{"id": "late-1", "text": text, "meta": {"date": "1877-01-15"}}])
    assert any(it.item_id == "late-1" for it in entities_ws.items())
    after = trends(entities_ws, by="date:decade", label="LOC", n_boot=100)
    assert [(r.group, r.n, r.raw) for r in after.rows] == [(r.group, r.n, r.raw)
                                                            for r in before.rows]


def test_the_test_counts_come_from_the_run_where_it_stored_them(entities_ws: Any,
                                                                monkeypatch: Any) -> None:
    """The run covered every text, the test split's too: the correction reads its stored
    spans and never loads the model (a contextual recogniser would take minutes per
    query); a test text the run did not store is predicted, nothing written."""
    import sqlalchemy as sa

    import glamlab.registry as registry
    from glamlab.tasks.splits import test_data
    from glamlab.trends.entities import test_counts
    from glamlab.trends.trend import resolve_model

    ws = entities_ws
    mv = resolve_model(ws, None)
    labels = ["PER", "LOC", "ORG", "PROD", "TIME"]
    G, P, n = test_counts(ws, mv, labels)
    ids = test_data(ws, reader="test").ids
    t = ws.store.t.predictions
    marked = {"spans": [{"start": 0, "end": 1, "label": "PER"}, {"start": 2, "end": 3,
                                                                 "label": "LOC"}]}
    with ws.store.write() as conn:  # what the run stored for one test text, and not the model
        conn.execute(sa.update(t).where(t.c.item_id == ids[0], t.c.model_id == mv.id)
                     .values(scores=marked))

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("the model was loaded although the run stored the test texts")

    monkeypatch.setattr(registry, "load_model", refuse)
    G2, P2, n2 = test_counts(ws, mv, labels)
    assert (G2 == G).all() and n2 == n
    assert P2[0].tolist() == [1, 1, 0, 0, 0]  # the stored spans, read back
    assert (P2[1:] == P[1:]).all()
    monkeypatch.undo()
    with ws.store.write() as conn:  # the run did not store it: the model predicts it
        conn.execute(sa.delete(t).where(t.c.item_id == ids[0], t.c.model_id == mv.id))
    G3, P3, _ = test_counts(ws, mv, labels)
    assert (G3 == G).all() and (P3 == P).all()
    with ws.store.read() as conn:  # and nothing was written
        assert not conn.execute(sa.select(t.c.item_id).where(t.c.item_id == ids[0],
                                                             t.c.model_id == mv.id)).first()
    import types

    import glamlab.tasks.predict as predict_module

    monkeypatch.setattr(predict_module, "predict_items",  # the model cannot read that text
                        lambda kind, model, items: types.SimpleNamespace(
                            predictions=[None] * len(items)))
    G4, P4, n4 = test_counts(ws, mv, labels)
    assert n4 == n - 1 and (G4 == G[1:]).all() and (P4 == P[1:]).all()  # left out, not 0


def test_an_entity_trend_says_when_no_model_is_marked_champion(entities_ws: Any) -> None:
    """As a trend of labels does (tests/trends/test_trends_model_note.py): with no model
    marked champion, the spans counted are the latest run's model's, and it says so."""
    from glamlab.trends import trends

    assert trends(entities_ws, by="date:decade", n_boot=50).notes == []
    t = entities_ws.store.t.model_aliases
    with entities_ws.store.write() as conn:
        conn.execute(t.delete())
    result = trends(entities_ws, by="date:decade", n_boot=50)
    assert result.model == "gazetteer@1"
    assert len(result.notes) == 1 and "No model is in use yet" in result.notes[0]
    assert "gazetteer@1" in result.notes[0]


def test_the_csv_rounds_the_rates_for_people_json_and_parquet_keep_every_digit(
        entities_ws: Any, tmp_path: Path) -> None:
    """The CSV wrote the intervals of mentions per 1,000 words with 16 digits
    (``raw_low`` 3.417164179104477); it rounds every rate to RATE_DECIMALS, and JSON and
    Parquet keep them whole."""
    import pyarrow.parquet as pq

    from glamlab.trends import trends
    from glamlab.trends.trend import RATE_COLUMNS, RATE_DECIMALS

    result = trends(entities_ws, by="date:decade", terms=["paris"], n_boot=200)
    with open(result.to_csv(tmp_path / "t.csv"), newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    full = result.table()
    assert len(rows) == len(full)
    checked = 0
    for row, whole in zip(rows, full, strict=True):
        for col in RATE_COLUMNS:
            if whole[col] is None:
                assert row[col] == ""
                continue
            # the written digits are the rate rounded, no more
            assert row[col] == str(round(whole[col], RATE_DECIMALS)), (col, row[col])
            assert len(row[col].partition(".")[2]) <= RATE_DECIMALS, (col, row[col])
            checked += 1
    intervals = [w[c] for w in full for c in ("raw_low", "raw_high", "low", "high")
                 if w[c] is not None]
    # the interval ends are not round numbers to begin with (so the test shows rounding)
    assert any(v != round(v, RATE_DECIMALS) for v in intervals)
    assert checked > len(intervals)
    # JSON and Parquet keep every digit
    doc = json.loads(json.dumps(result.to_dict()))
    assert [r["raw_low"] for r in doc["rows"]] == [r.raw_low for r in result.rows]
    table = pq.read_table(result.to_parquet(tmp_path / "t.parquet")).to_pylist()
    assert [r["high"] for r in table] == [w["high"] for w in full]


def test_labelled_items_is_left_empty_not_zero_in_an_entity_trend(entities_ws: Any) -> None:
    """An entity trend counts a labelled text as the model found it (the gold only
    measures the correction), so no group's count holds "labelled items counted as they
    are": the column is empty in each label row, not 0 while the groups hold labelled
    texts (a historian read 0 as "nothing labelled in this decade")."""
    from glamlab.trends import trends

    result = trends(entities_ws, by="date:decade")
    rows = [r for r in result.table() if r["series"] == "label"]
    assert rows and all(r["labelled_items"] is None for r in rows)
    doc = result.to_dict()
    assert all(r["labelled_items"] is None for r in doc["rows"])


def test_a_filter_matching_only_unpredicted_texts_names_the_filter_in_the_askers_words(
        entities_ws: Any) -> None:
    """The fix named '--where' to Python and web askers too, and named it with no filter."""
    from glamlab.trends import trends
    from glamlab.trends.aggregate import said_on_the_command_line
    from tests.tasks.helpers import add_items

    add_items(entities_ws, [{"id": "late-1", "text": "Le maire de Lyon parle.",
                             "meta": {"date": "1999-01-01", "newspaper": "later"}}])
    with pytest.raises(TrendsError, match="no text matching the query") as info:
        trends(entities_ws, by="date:decade", where={"newspaper": "later"})
    assert (info.value.hint or "").startswith("check where, or run the model")
    with said_on_the_command_line(), pytest.raises(TrendsError) as info:
        trends(entities_ws, by="date:decade", where={"newspaper": "later"})
    assert (info.value.hint or "").startswith("check --where, or run the model")
    with pytest.raises(TrendsError) as info:
        trends(entities_ws, by="date:decade", where={"newspaper": "later"}, web=True)
    assert "--where" not in (info.value.hint or "")
    assert "Only items whose" in (info.value.hint or "")
