"""trends() end to end on real catalogue records (Tate, CC0): a real model trained on the
train split, a real run over the collection, error rates from the test split, exports and
the command line; and the same on PostgreSQL when GLAMLAB_TEST_PG is set."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest

from glamlab.cli import main
from glamlab.errors import ModelNotFound, TrendsError
from glamlab.trends import METHODS, ErrorRates, GroupStats, trends
from tests.tasks.helpers import add_items, write_csv
from tests.trends.helpers import add_model_with_predictions

LABELS = ["people", "nature", "architecture"]
#: the columns every exported row ends with (glamlab.trends.trend.PROVENANCE_COLUMNS)
PROVENANCE_COLUMNS = ("model", "by", "where", "made_at", "glamlab_version")


@pytest.fixture
def tate_ws(make_ws, shared_data):
    """300 Tate records with dates; half labelled (train/test), a text-tfidf model, run."""
    from glamlab.inference import run
    from glamlab.registry.training import train
    from glamlab.tasks.labels import import_labels

    with open(shared_data / "subject_indexing" / "dev" / "labels.csv", newline="",
              encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)][:300]
    ws = make_ws("tate", modality="text", labels=LABELS, multi_label=True)
    add_items(ws, [{"id": r["id"], "text": r["path_or_text"],
                    "meta": {"date_text": r["date_text"], "artist": r["artist"]}} for r in rows])
    lab = [(r["id"], "|".join(x for x in r["label"].split("|") if x in LABELS) or "")
           for r in rows[:200]]
    lab = [(i, y) for i, y in lab if y]
    write_csv(ws.root / "train.csv", ["id", "label"], [list(x) for x in lab[:120]])
    write_csv(ws.root / "test.csv", ["id", "label"], [list(x) for x in lab[120:]])
    import_labels(ws, ws.root / "train.csv", split="train")
    import_labels(ws, ws.root / "test.csv", split="test")
    train(ws, "text-tfidf", name="subjects", params={"wordnet": False})
    run(ws, "subjects", workers=0)
    return ws


@pytest.mark.slow
def test_trends_end_to_end_with_exports_and_cli(tate_ws, tmp_path, capsys):
    ws = tate_ws
    result = trends(ws, by="date_text:decade", label="people", terms=["portrait", "study"],
                    n_boot=200)
    assert result.model == "subjects@1" and result.method
    rows = result.rows
    assert sum(r.n for r in rows) == 300  # every item is in a group, undated ones too
    assert {r.group for r in rows} >= {"1900s"} and all(r.label == "people" for r in rows)
    for r in rows:
        assert 0 <= r.raw <= 1 and r.raw_low <= r.raw <= r.raw_high
        if r.estimate is not None:
            assert r.low <= r.estimate <= r.high
        if r.n < 30:
            assert r.status != "ok"  # flagged, not hidden
    assert result.rates["people"]["source"].startswith("test split")
    choice = result.settings["choice"]  # the default is chosen for this query, and says how
    assert choice["method"] == result.method.split("+")[0] and choice["reason"]
    if choice["cross_validation"]:
        assert set(choice["cross_validation"]) == set(METHODS)
    assert result.terms and {t.term for t in result.terms} == {"portrait", "study"}

    result.to_csv(tmp_path / "t.csv")
    result.to_parquet(tmp_path / "t.parquet")
    page = result.to_html(tmp_path / "t.html")
    assert (tmp_path / "t.csv").read_bytes().startswith("\ufeffgroup,".encode())  # as Excel
    with open(tmp_path / "t.csv", newline="", encoding="utf-8-sig") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == len(result.rows) + len(result.terms)
    assert pq.read_table(tmp_path / "t.parquet").num_rows == len(table)
    assert 'data-plot="band"' in page and "<script>" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page

    rc = main(["-w", str(ws.root), "trends", "--by", "date_text:decade", "--label", "people",
               "--method", "acc", "--where", "artist=" + next(ws.items()).meta["artist"],
               "--json"])
    assert rc in (None, 0)
    doc = json.loads(capsys.readouterr().out)
    assert doc["method"].startswith("acc") and doc["rows"] and sum(r["n"] for r in doc["rows"]) < 300


def test_explicit_rates_and_errors(make_ws):
    ws = make_ws("small", modality="text", labels=["a", "b"])
    add_items(ws, [{"id": f"i{i}", "text": "x", "meta": {"year": str(1850 + i % 3)}}
                   for i in range(90)])
    add_model_with_predictions(ws, {f"i{i}": {"a": 0.9 if i % 3 else 0.2,
                                              "b": 0.1 if i % 3 else 0.8} for i in range(90)})
    # a classifier that says "a" for 80% of true a and 10% of true b
    rates = {lab: ErrorRates.from_predictions(
        lab, [1] * 100 + [0] * 100,
        [0.9] * 80 + [0.1] * 20 + [0.9] * 10 + [0.1] * 90 if lab == "a" else
        [0.9] * 90 + [0.1] * 10 + [0.9] * 20 + [0.1] * 80,
        [1] * 80 + [0] * 20 + [1] * 10 + [0] * 90 if lab == "a" else
        [1] * 90 + [0] * 10 + [1] * 20 + [0] * 80) for lab in ("a", "b")}
    res = trends(ws, by="year", label="a", method="acc", rates=rates, n_boot=100)
    assert [r.group for r in res.rows] == ["1850", "1851", "1852"]
    by = {r.group: r for r in res.rows}
    assert by["1850"].raw == 0.0 and by["1851"].raw == 1.0
    assert by["1851"].estimate == 1.0 and by["1850"].estimate == 0.0  # clipped to [0, 1]
    # per-group rates: group 1850's own rates say the classifier never says "a" there
    odd = ErrorRates.from_predictions("a", [1] * 50 + [0] * 50, [0.1] * 100, [0] * 100)
    per = trends(ws, by="year", label="a", method="acc", n_boot=100, pooled=False,
                 rates={"a": {"*": rates["a"], "1851": odd}})
    per_by = {r.group: r for r in per.rows}
    assert per_by["1850"].estimate == by["1850"].estimate
    assert per_by["1851"].status.startswith("cannot correct")
    assert per.method == "acc+strata" and per.settings["pooled"] is False
    assert per.settings["choice"] == {"method": "acc", "reason": "given"}
    auto = trends(ws, by="year", label="a", rates=rates, n_boot=100)  # nothing to cross-validate
    assert auto.method == "cpcc" and auto.settings["choice"]["reason"].startswith("default")
    with pytest.raises(TrendsError) as err:
        trends(ws, by="year", label="nope", rates=rates)
    assert "a, b" in err.value.hint
    with pytest.raises(TrendsError):
        trends(ws, by="year", method="magic")
    with pytest.raises(ModelNotFound):
        trends(ws, by="year", model="nope", rates=rates)
    with pytest.raises(TrendsError) as err:
        trends(ws, by="year", label="a", rates={"b": rates["b"]})
    assert GroupStats.empty().n == 0


def test_no_predictions_is_one_clear_error(make_ws):
    ws = make_ws("empty", modality="text", labels=["a", "b"])
    with pytest.raises(TrendsError) as err:
        trends(ws, by="year")
    assert "run(ws, 'NAME')" in err.value.hint  # Python's words to a Python caller
    from glamlab.said import said_on_the_command_line

    with pytest.raises(TrendsError) as err, said_on_the_command_line():
        trends(ws, by="year")
    assert "glamlab run" in err.value.hint


def test_cli_error_is_one_line(make_ws, capsys):
    ws = make_ws("cli", modality="text", labels=["a", "b"])
    with pytest.raises(SystemExit) as ex:
        main(["-w", str(ws.root), "trends", "--by", "year:month"])
    assert ex.value.code == 2  # a usage error (errors.EXIT_USAGE)
    err = capsys.readouterr().err
    assert err.startswith("error: unknown bucket") and "fix:" in err


@pytest.mark.slow
def test_rates_predict_the_test_items_a_run_did_not_cover(tate_ws):
    """Test items without a stored prediction are predicted on the spot, with the same
    scores the run stored."""
    import sqlalchemy as sa

    from glamlab.registry import get_model
    from glamlab.trends.rates import labelled_rates

    ws = tate_ws
    model = get_model(ws, "subjects")
    stored = labelled_rates(ws, model, ["people"])["people"]
    t = ws.store.t
    with ws.store.write() as conn:
        conn.execute(sa.delete(t.predictions).where(t.predictions.c.model_id == model.id))
    again = labelled_rates(ws, model, ["people"])["people"]
    assert again.summary() == stored.summary()


def test_the_group_without_a_value_is_named_alike_in_tables_and_csv(make_ws, tmp_path, capsys):
    """Items with no year form the group "(no value)": in the label table, the term table
    and the CSV alike (the CSV used to leave its group cell empty)."""
    ws = make_ws("novalue", modality="text", labels=["a", "b"])
    add_items(ws, [{"id": f"i{i}", "text": "a portrait", "meta": {"year": "1850"} if i % 2 else {}}
                   for i in range(40)])
    add_model_with_predictions(ws, {f"i{i}": {"a": 0.9 if i % 3 else 0.2,
                                              "b": 0.1 if i % 3 else 0.8} for i in range(40)})
    rates = {"a": ErrorRates.from_predictions("a", [1] * 50 + [0] * 50, [0.9] * 40 + [0.1] * 60,
                                              [1] * 40 + [0] * 60)}
    res = trends(ws, by="year", label="a", method="acc", rates=rates, terms=["portrait"],
                 n_boot=100)
    assert {r.group for r in res.rows} == {"1850", None}
    with open(res.to_csv(tmp_path / "t.csv"), newline="", encoding="utf-8-sig") as fh:
        table = list(csv.DictReader(fh))
    assert sorted((r["series"], r["group"]) for r in table) == [
        ("label", "(no value)"), ("label", "1850"), ("term", "(no value)"), ("term", "1850")]
    assert main(["-w", str(ws.root), "trends", "--by", "year", "--label", "a", "--method", "cc",
                 "--term", "portrait", "--csv", str(tmp_path / "c.csv")]) in (None, 0)
    out = capsys.readouterr().out
    labels, terms = out.split("Words per 1,000:")
    assert "(no value)  a " in labels and "(no value)  portrait" in terms
    with open(tmp_path / "c.csv", newline="", encoding="utf-8-sig") as fh:
        assert [r["group"] for r in csv.DictReader(fh)].count("(no value)") == 2


def test_exports_to_a_new_folder_are_written_and_an_unwritable_path_is_one_error(
        make_ws, tmp_path, capsys):
    """--html/--csv/--parquet into a folder that does not exist yet create it (as export
    does); a path that cannot be written (its 'folder' is a file) is one error naming the
    path and the fix, not a FileNotFoundError/NotADirectoryError traceback."""
    ws = make_ws("outputs", modality="text", labels=["a", "b"])
    add_items(ws, [{"id": f"i{i}", "text": "x", "meta": {"year": "1850"}} for i in range(10)])
    add_model_with_predictions(ws, {f"i{i}": {"a": 0.9, "b": 0.1} for i in range(10)})
    new = tmp_path / "new" / "folder"
    assert main(["-w", str(ws.root), "trends", "--by", "year", "--method", "cc",
                 "--html", str(new / "t.html"), "--csv", str(new / "t.csv"),
                 "--parquet", str(new / "t.parquet")]) in (None, 0)
    assert "<svg" in (new / "t.html").read_text(encoding="utf-8")
    assert pq.read_table(new / "t.parquet").num_rows == 2
    with open(new / "t.csv", newline="", encoding="utf-8-sig") as fh:
        assert {r["name"] for r in csv.DictReader(fh)} == {"a", "b"}
    capsys.readouterr()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    for option in ("--html", "--csv", "--parquet"):
        with pytest.raises(SystemExit) as ex:
            main(["-w", str(ws.root), "trends", "--by", "year", "--method", "cc",
                  option, str(blocker / "t.out")])
        assert ex.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: cannot write {blocker / 't.out'}") and "fix:" in err


def test_a_misspelt_field_or_a_filter_that_matches_nothing_is_one_error(make_ws, capsys):
    """--by or --where naming a field no item has used to put every item in "(no value)"
    (or print "(none)") and exit 0; a --where value no item has printed "(none)". Each is
    now one error naming the field or value and the fix (the closest field name, the
    field's common values)."""
    ws = make_ws("fields", modality="text", labels=["a", "b"])
    add_items(ws, [{"id": f"i{i}", "text": "x",
                    "meta": {"date_text": str(1850 + i), "artist": "Gill" if i % 2 else "Rego"}}
                   for i in range(20)])
    add_model_with_predictions(ws, {f"i{i}": {"a": 0.9, "b": 0.1} for i in range(20)})
    with pytest.raises(TrendsError) as err:
        trends(ws, by="date_txt:decade", method="cc")
    assert "'date_txt'" in err.value.message and "did you mean 'date_text'" in err.value.hint
    with pytest.raises(TrendsError) as err:
        trends(ws, by="date_text:decade", where={"artst": "Gill"}, method="cc")
    assert "'artst'" in err.value.message and "did you mean 'artist'" in err.value.hint
    with pytest.raises(TrendsError) as err:
        trends(ws, by="date_text:decade", where={"artist": "Nobody"}, method="cc")
    assert "artist = 'Nobody'" in err.value.message
    assert "'Gill'" in err.value.hint and "'Rego'" in err.value.hint
    # what exists still works, item columns included
    assert {r.n for r in trends(ws, by="date_text:decade", where={"artist": "Gill"},
                                label="a", method="cc").rows} == {5}
    assert [r.n for r in trends(ws, by="source", label="a", method="cc").rows] == [20]
    with pytest.raises(SystemExit) as ex:
        main(["-w", str(ws.root), "trends", "--by", "date_txt:decade"])
    assert ex.value.code == 2
    assert capsys.readouterr().err.startswith("error: no item has the metadata field 'date_txt'")


def test_an_entity_trend_names_a_misspelt_field(make_ws):
    ws = make_ws("ents", task="entities", kind="entities", modality="text",
                 labels=["PER", "LOC"], metric="strict_micro_f1")
    add_items(ws, [{"id": f"i{i}", "text": "Paris", "meta": {"date": "1850"}} for i in range(3)])
    add_model_with_predictions(ws, {f"i{i}": {"LOC": 0.9, "PER": 0.1} for i in range(3)})
    with pytest.raises(TrendsError) as err:
        trends(ws, by="dat:decade")
    assert "'dat'" in err.value.message and "did you mean 'date'" in err.value.hint


def test_a_field_no_item_can_be_grouped_by_is_refused_naming_the_fields(make_ws, capsys):
    """--by a field no item has (a typo), or :year/:decade on a field holding no dates,
    put every item in the one group "(no value)", silently: a trend of one point. One
    error naming the fields the items have, or the values the field holds."""
    ws = make_ws("nofield", modality="text", labels=["a", "b"])
    add_items(ws, [{"id": f"i{i}", "text": "a portrait",
                    "meta": {"year": "1850" if i % 2 else "c.1900", "medium": "oil"}}
                   for i in range(20)])
    add_model_with_predictions(ws, {f"i{i}": {"a": 0.9, "b": 0.1} for i in range(20)})
    rates = {"a": ErrorRates.from_predictions("a", [1] * 50 + [0] * 50, [0.9] * 40 + [0.1] * 60,
                                              [1] * 40 + [0] * 60)}
    with pytest.raises(TrendsError, match="no item has the metadata field 'yeer'") as err:
        trends(ws, by="yeer:decade", label="a", method="cc", rates=rates, n_boot=50)
    assert "medium, year" in err.value.hint
    with pytest.raises(TrendsError, match="no value of the field 'medium' reads as a year"):
        trends(ws, by="medium:decade", label="a", method="cc", rates=rates, n_boot=50)
    with pytest.raises(SystemExit) as ex:
        main(["-w", str(ws.root), "trends", "--by", "medium:year", "--label", "a",
              "--method", "cc"])
    assert ex.value.code == 2
    assert "by 'medium' without :year" in capsys.readouterr().err
    # a field some items have, a field that reads as years, and a --where nothing matches
    assert {r.group for r in trends(ws, by="year:decade", label="a", method="cc",
                                    rates=rates, n_boot=50).rows} == {"1850s", "1900s"}
    with pytest.raises(TrendsError, match="no item has medium = "):  # a parameter, not SQL
        trends(ws, by="medium", label="a", method="cc", rates=rates, n_boot=50,
               where={"medium": "x' OR '1'='1"})


def _walkthrough_ws(make_ws):
    """A project whose labelled test items give the model a false-positive rate of 44% for
    'a' (80 of 100 with it predicted 'a', 44 of 100 without), and three years of items to
    trend: 1850, 3 of 24 predicted 'a' (below the false-positive rate: acc clips at 0);
    1851, 15 of 15 (above the true-positive rate: clips at 100%); 1852, 36 of 60 (inside);
    1853, 43 of 100 (below the false-positive rate by less than its noise: clips at 0%,
    unflagged)."""
    from glamlab.tasks.labels import import_labels

    ws = make_ws("walk", modality="text", labels=["a", "b"])
    years = [("1850", 24, 3), ("1851", 15, 15), ("1852", 60, 36), ("1853", 100, 43)]
    items = [{"id": f"{y}-{i}", "text": "x", "meta": {"year": y}}
             for y, n, _k in years for i in range(n)]
    tests = [{"id": f"t{i}", "text": "x", "meta": {"year": "labelled"}} for i in range(200)]
    add_items(ws, items + tests)
    said_a = {f"{y}-{i}" for y, _n, k in years for i in range(k)}
    said_a |= {f"t{i}" for i in range(80)} | {f"t{i}" for i in range(100, 144)}
    add_model_with_predictions(ws, {it["id"]: ({"a": 0.8, "b": 0.2} if it["id"] in said_a
                                               else {"a": 0.2, "b": 0.8})
                                    for it in items + tests})
    write_csv(ws.root / "test.csv", ["id", "label"],
              [[f"t{i}", "a" if i < 100 else "b"] for i in range(200)])
    import_labels(ws, ws.root / "test.csv", split="test")
    return ws


def test_a_clipped_group_is_flagged_in_every_output(make_ws, tmp_path, capsys):
    """The walkthrough: 'acc' read 0.000 (interval 0.000-0.000, "ok") for 3 of 24 items
    predicted yes against a false-positive rate of 44%, and 98.5-100% for 15 of 15. Now the
    text, --json, --csv and the HTML page say the share is clipped and not reliable there,
    and the interval holds at least the raw share's."""
    from glamlab.trends.words import label_summary

    ws = _walkthrough_ws(make_ws)
    res = trends(ws, by="year", label="a", method="acc", n_boot=300)
    by = {r.group: r for r in res.rows}
    assert res.rates["a"]["fpr"] == 0.44 and res.rates["a"]["tpr"] == 0.8
    for g, edge in (("1850", 0), ("1851", 100)):
        r = by[g]
        assert r.estimate == edge / 100 and f"clipped at {edge}%" in r.status, r.status
        assert r.status.startswith("too few items: n=") and "(fewer than 30); clipped at" in r.status
        assert "not reliable" in r.status
        assert r.low <= r.raw_low and r.high >= r.raw_high and r.high - r.low > 0.1
    assert "clipped" not in by["1852"].status and "clipped" not in by["labelled"].status
    assert any("whose count the model's measured error rates cannot explain" in s
               for s in label_summary(res, "a"))

    args = ["-w", str(ws.root), "trends", "--by", "year", "--label", "a", "--method", "acc"]
    assert main([*args, "--csv", str(tmp_path / "t.csv"), "--html", str(tmp_path / "t.html")]) \
        in (None, 0)
    text = capsys.readouterr().out
    line = next(ln for ln in text.splitlines() if ln.lstrip().startswith("1850"))
    assert "clipped at 0%" in line and "not reliable" in line
    assert ("1850, a: clipped at 0%: 12% predicted yes is below the false-positive rate "
            "measured on labelled items (44%)") in text  # the why, below the table
    assert main([*args, "--json"]) in (None, 0)
    rows = {r["group"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert "clipped at 0%" in rows["1850"]["status"] and rows["1850"]["high"] > 0.1
    assert "clipped at 100%" in rows["1851"]["status"] and rows["1851"]["low"] < 0.9
    with open(tmp_path / "t.csv", newline="", encoding="utf-8-sig") as fh:
        table = {r["group"]: r for r in csv.DictReader(fh)}
    assert "clipped at 0%" in table["1850"]["status"] and float(table["1850"]["high"]) > 0.1
    page = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert page.count("clipped at 0%") >= 2  # the chart's hollow point and the table
    assert "whose count lies outside what the model" in page


def test_the_clipped_field_in_json_csv_and_parquet(make_ws, tmp_path, capsys):
    """One boolean says whether a row's corrected share is clipped beyond noise (before:
    only inside the status text): true for 1850 and 1851, false for 1853, clipped at 0% by
    43% predicted yes against a false-positive rate of 44%, which is noise (its interval
    still holds the raw share's), and for the rows inside."""
    ws = _walkthrough_ws(make_ws)
    want = {"1850": True, "1851": True, "1852": False, "1853": False, "labelled": False}
    res = trends(ws, by="year", label="a", method="acc", n_boot=300)
    by = {r.group: r for r in res.rows}
    assert {g: r.clipped for g, r in by.items()} == want
    assert by["1853"].estimate == 0 and by["1853"].status == "ok"
    assert by["1853"].low <= by["1853"].raw_low and by["1853"].high >= by["1853"].raw_high

    args = ["-w", str(ws.root), "trends", "--by", "year", "--label", "a", "--method", "acc",
            "--term", "x"]
    assert main([*args, "--json"]) in (None, 0)
    data = json.loads(capsys.readouterr().out)
    assert {r["group"]: r["clipped"] for r in data["rows"]} == want
    assert main([*args, "--csv", str(tmp_path / "t.csv"), "--parquet",
                 str(tmp_path / "t.parquet")]) in (None, 0)
    with open(tmp_path / "t.csv", newline="", encoding="utf-8-sig") as fh:
        table = list(csv.DictReader(fh))
    assert {r["group"]: r["clipped"] == "True" for r in table if r["series"] == "label"} == want
    assert all(r["clipped"] == "" for r in table if r["series"] == "term")
    pt = pq.read_table(tmp_path / "t.parquet").to_pylist()
    assert {r["group"]: r["clipped"] for r in pt if r["series"] == "label"} == want
    assert all(r["clipped"] is None for r in pt if r["series"] == "term")


def test_json_rows_use_the_csv_names_and_keep_the_old_ones(make_ws, tmp_path, capsys):
    """--json and --csv named the same numbers differently (raw / raw_share, estimate /
    share, label / name, methods.M / share_M). Each JSON row now has every CSV column of a
    label row under the same name and value, and the old names beside them for one more
    release; term rows have the CSV's name and series too."""
    ws = _walkthrough_ws(make_ws)
    args = ["-w", str(ws.root), "trends", "--by", "year", "--label", "a", "--method", "acc",
            "--term", "x"]
    assert main([*args, "--json"]) in (None, 0)
    data = json.loads(capsys.readouterr().out)
    assert main([*args, "--csv", str(tmp_path / "t.csv")]) in (None, 0)
    with open(tmp_path / "t.csv", newline="", encoding="utf-8-sig") as fh:
        table = list(csv.DictReader(fh))
    labels = [r for r in table if r["series"] == "label"]
    assert len(labels) == len(data["rows"]) == 5
    for row, line in zip(data["rows"], labels, strict=True):
        for col, cell in line.items():
            if col in ("words", "hits", "per_1000_words", "per_1000_low",
                       "per_1000_high"):  # the term rows' columns
                continue
            if col in PROVENANCE_COLUMNS:  # said once, at the top of the JSON document
                # (made_at: the two commands ran a second apart, perhaps)
                assert col in ("where", "made_at") or data[col] == cell, (col, cell)
                continue
            value = row[col]
            assert ("" if value is None else str(value)) == cell, (col, value, cell)
        assert row["name"] == row["label"] == "a"  # the old names, still there
        assert row["raw_share"] == row["raw"] and row["share"] == row["estimate"]
        assert {f"share_{m}": v for m, v in row["methods"].items()} == {
            k: row[k] for k in row if k.startswith("share_")}
    terms = [r for r in table if r["series"] == "term"]
    assert [(t["name"], t["series"], t["term"]) for t in data["terms"]] == [
        (r["name"], "term", r["name"]) for r in terms]


@pytest.mark.parametrize("value", ["0", "-5"])
def test_min_items_below_one_is_refused(make_ws, capsys, value):
    ws = _walkthrough_ws(make_ws)
    with pytest.raises(SystemExit) as ex:
        main(["-w", str(ws.root), "trends", "--by", "year", "--min-items", value])
    assert ex.value.code == 2
    err = capsys.readouterr().err
    assert "--min-items" in err and ">=1" in err
    with pytest.raises(TrendsError) as e:
        trends(ws, by="year", min_items=int(value))
    assert "at least 1" in e.value.message and "min_items=30" in e.value.hint
    assert "--min-items" not in e.value.hint  # Python is told its own argument


def test_min_items_help_says_it_also_steers_the_method_choice(capsys):
    assert main(["trends", "--help"]) in (None, 0)
    helptext = " ".join(capsys.readouterr().out.split())
    assert "flagged 'too few items'" in helptext
    assert "cross-validation that picks the method" in helptext
    assert "raw = raw_share, estimate = share" in helptext  # --json's old names
    assert "clipped is true" in helptext


def test_parquet_columns_keep_their_types_when_empty_in_every_row(make_ws, tmp_path):
    """A trend with no --term wrote `words`, `hits` and `per_1000_words` as pyarrow's type
    "null" (no value in any row), which pandas reads back as columns of objects; each
    column now has its type whatever this file's rows hold, the same with terms or without."""
    import pandas as pd
    import pyarrow as pa

    ws = _walkthrough_ws(make_ws)
    plain = trends(ws, by="year", label="a", method="acc", n_boot=50)
    plain.to_parquet(tmp_path / "plain.parquet")
    with_terms = trends(ws, by="year", label="a", method="acc", n_boot=50, terms=["x"])
    with_terms.to_parquet(tmp_path / "terms.parquet")
    schemas = [pq.read_schema(tmp_path / f"{n}.parquet") for n in ("plain", "terms")]
    for schema in schemas:
        assert not [f.name for f in schema if pa.types.is_null(f.type)]
        assert schema.field("words").type == pa.int64() == schema.field("hits").type
        assert schema.field("per_1000_words").type == pa.float64()
        assert schema.field("clipped").type == pa.bool_()
    assert schemas[0].remove_metadata() == schemas[1].remove_metadata()
    df = pd.read_parquet(tmp_path / "plain.parquet")
    assert df["per_1000_words"].dtype == "float64" and df["clipped"].dtype == bool
    assert df["n"].tolist() == [r.n for r in plain.rows]
    back = pd.read_parquet(tmp_path / "terms.parquet")
    assert back.loc[back["series"] == "term", "words"].tolist() == [
        t.words for t in with_terms.terms]



def test_the_csv_shows_the_shares_with_at_most_four_decimals_as_json_and_parquet(
        make_ws, tmp_path):
    """A classification trend's shares, their intervals and each method's share_METHOD
    are rounded to 4 decimals where they are worked out (:mod:`glamlab.trends.quantify`),
    so its CSV shows them as an entity trend's CSV shows its rates (RATE_DECIMALS), and
    JSON and Parquet hold the same figures: nothing is cut short in one export only."""
    from glamlab.trends.trend import RATE_DECIMALS

    ws = _walkthrough_ws(make_ws)
    res = trends(ws, by="year", label="a", n_boot=300)
    with open(res.to_csv(tmp_path / "t.csv"), newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    full = res.table()
    assert len(rows) == len(full)
    cols = ["raw_share", "raw_low", "raw_high", "share", "low", "high",
            *(k for k in full[0] if k.startswith("share_"))]
    assert any(k.startswith("share_") for k in cols)  # each method's share is there too
    checked = 0
    for row, whole in zip(rows, full, strict=True):
        for col in cols:
            if whole[col] is None:
                assert row[col] == ""
                continue
            assert len(row[col].partition(".")[2]) <= RATE_DECIMALS, (col, row[col])
            assert float(row[col]) == whole[col], (col, row[col])  # the same figure
            checked += 1
    assert checked
    doc = json.loads(json.dumps(res.to_dict()))
    assert [r["share"] for r in doc["rows"]] == [r.estimate for r in res.rows]
    table = pq.read_table(res.to_parquet(tmp_path / "t.parquet")).to_pylist()
    assert [r["high"] for r in table] == [w["high"] for w in full]


def test_the_csv_keeps_the_term_columns_and_the_docs_say_when_they_are_empty(
        make_ws, tmp_path):
    """A trend with no --term writes `words`, `hits` and `per_1000_words` empty in every
    row; the columns stay (the same columns in every trend file, for scripts), and
    docs/trends.md's column table now names them and says when they are empty (it named
    every other column of the CSV, not these)."""
    import re
    from pathlib import Path

    ws = _walkthrough_ws(make_ws)
    headers, tables = [], []
    for terms in ([], ["x"]):
        path = trends(ws, by="year", label="a", method="acc", n_boot=50,
                      terms=terms).to_csv(tmp_path / f"t{len(terms)}.csv")
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            tables.append(list(reader))
            headers.append(list(reader.fieldnames or []))
    assert headers[0] == headers[1]  # a stable schema
    term_columns = ["words", "hits", "per_1000_words"]
    assert set(term_columns) <= set(headers[0])
    assert all(row[c] == "" for row in tables[0] for c in term_columns)
    assert all(row[c] for row in tables[1] if row["series"] == "term" for c in term_columns)

    docs = (Path(__file__).resolve().parents[2] / "docs" / "trends.md").read_text(
        encoding="utf-8")
    table = docs.split("| column | meaning |", 1)[1].split("\n\n", 1)[0]
    named = {name for line in table.splitlines() if line.startswith("| `")
             for name in re.findall(r"`([a-z_0-9]+)`", line.split(" | ", 1)[0])}
    prefixed = "`share_cc`, `share_pcc`, ..." in table
    missing = [c for c in headers[0]
               if c not in named and not (prefixed and c.startswith("share_"))]
    assert not missing, f"docs/trends.md's column table does not name {missing}"
    row = next(line for line in table.splitlines() if "`per_1000_words`" in line)
    assert "--term" in row and "empty" in row.lower()


def test_every_exported_row_says_where_its_figures_come_from(make_ws, tmp_path, capsys):
    """A historian cites a row of the CSV: it must say which model, which grouping, which
    filter and when (the CSV held only the method; a row pasted into a paper's sheet could
    not be traced back). Every row of the CSV and Parquet ends with the provenance columns,
    the same as --json's top, and a filter value a spreadsheet would take for a formula is
    written inert."""
    import glamlab

    ws = _walkthrough_ws(make_ws)
    with ws.store.write() as conn:  # a catalogue value that looks like a formula
        t = ws.store.t
        conn.execute(t.items.update().where(t.items.c.item_id.like("185%")).values(
            meta={"year": "1852", "shelf": "=HYPERLINK(\"http://x\")"}))
    where = {"shelf": '=HYPERLINK("http://x")'}
    res = trends(ws, by="year:decade", label="a", method="acc", terms=["x"], n_boot=50,
                 where=where)
    assert res.made_at.endswith("Z") and res.made_at[:4].isdigit()
    with open(res.to_csv(tmp_path / "t.csv"), newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    assert header[-len(PROVENANCE_COLUMNS):] == list(PROVENANCE_COLUMNS)
    assert {r["series"] for r in rows} == {"label", "term"}
    for r in rows:
        assert r["model"] == "m@1" and r["by"] == "year:decade"
        assert r["where"] == 'shelf==HYPERLINK("http://x")'
        assert r["made_at"] == res.made_at and r["glamlab_version"] == glamlab.__version__
    by_shelf = trends(ws, by="shelf", label="a", method="acc", n_boot=50, where=where)
    with open(by_shelf.to_csv(tmp_path / "s.csv"), newline="", encoding="utf-8-sig") as fh:
        rows += list(csv.DictReader(fh))
    assert "'=HYPERLINK(\"http://x\")" in {r["group"] for r in rows}  # inert
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    table = pq.read_table(res.to_parquet(tmp_path / "t.parquet"))
    assert table.column_names[-len(PROVENANCE_COLUMNS):] == list(PROVENANCE_COLUMNS)
    assert set(table.column("made_at").to_pylist()) == {res.made_at}
    doc = res.to_dict()
    assert (doc["made_at"], doc["glamlab_version"]) == (res.made_at, glamlab.__version__)


def test_dates_a_catalogue_writes_and_the_records_without_a_year_are_said_plainly(
        make_ws, capsys):
    """Catalogue dates such as 'c.1850-5' and '1850s' fall in the 1850s; '?', an empty
    cell and 'date not known' have no year. Those records are not dropped: they are the
    group '(no value)', and the command line and the summary in words (the demo, the web
    page) now say how many records that is and why, where they used to show a bare
    '(no value)' row a historian could take for a blank cell."""
    from glamlab.trends.words import label_summary, no_value_words

    ws = make_ws("dates", modality="text", labels=["a", "b"])
    dates = ["c.1850-5", "1850s", "1851", "?", "", "date not known"]
    add_items(ws, [{"id": f"i{i}", "text": "a portrait",
                    "meta": {"date_text": dates[i % len(dates)]}} for i in range(60)])
    add_model_with_predictions(ws, {f"i{i}": {"a": 0.9 if i % 3 else 0.2,
                                              "b": 0.1 if i % 3 else 0.8} for i in range(60)})
    rates = {"a": ErrorRates.from_predictions("a", [1] * 50 + [0] * 50, [0.9] * 40 + [0.1] * 60,
                                              [1] * 40 + [0] * 60)}
    res = trends(ws, by="date_text:decade", label="a", method="acc", rates=rates, n_boot=50)
    assert {r.group: r.n for r in res.rows} == {"1850s": 30, None: 30}
    said = ("30 of the 60 items (50%) have no year in date_text (it is empty, or written "
            "without a year from 1000 to 2099, such as 'n.d.' or '?'): they are counted, as "
            "the group '(no value)' shown after the decades, not left out.")
    assert no_value_words(res) == said  # said once for every label, not in each label's
    assert not any("no year" in s for s in label_summary(res, "a"))
    assert main(["-w", str(ws.root), "trends", "--by", "date_text:decade", "--label", "a",
                 "--method", "cc"]) in (None, 0)
    assert said in capsys.readouterr().out
    by_field = trends(ws, by="date_text", label="a", method="acc", rates=rates, n_boot=50)
    assert ("10 of the 60 items (17%) have no value of date_text: they are counted, as the "
            "group '(no value)' shown last, not left out.") == no_value_words(by_field)
    dated = trends(ws, by="date_text:decade", label="a", method="acc", rates=rates,
                   n_boot=50, where={"date_text": "1851"})
    assert no_value_words(dated) is None


def test_an_unknown_label_names_the_labels_so_that_one_with_a_comma_stays_whole(make_ws):
    """The Tate subjects include 'emotions, concepts and ideas': the list of labels to
    choose among was joined with ', ', so it read as three labels ('emotions', 'concepts
    and ideas', ...). Where a label holds a comma they are joined with ' | ', as
    `glamlab labels import` and `glamlab init` write them."""
    from glamlab.trends.aggregate import labels_of

    ws = make_ws("commas", modality="text",
                 labels=["people", "emotions, concepts and ideas"], multi_label=True)
    with pytest.raises(TrendsError) as err:
        labels_of(ws, ["unicorns"])  # what trends(), the command line and the page ask
    assert err.value.hint.endswith("choose among: people | emotions, concepts and ideas")
    plain = make_ws("plain", modality="text", labels=["a", "b"])
    with pytest.raises(TrendsError) as err:
        labels_of(plain, ["c"])
    assert err.value.hint.endswith("choose among: a, b")


@pytest.mark.parametrize("by, said, fix", [
    ("", "by='' names no metadata field", "by='date_text:decade'"),
    (":decade", "by=':decade' names no metadata field", "by='newspaper'"),
    ("year:month", "unknown bucket 'month' in by='year:month'", "'FIELD:decade'"),
])
def test_a_bad_by_from_python_is_said_in_pythons_words(make_ws, by, said, fix):
    """trends(ws, by="") said "--by '' names no metadata field": a flag nobody gave."""
    ws = make_ws("py-by", modality="text", labels=["a", "b"])
    with pytest.raises(TrendsError) as err:
        trends(ws, by=by)
    assert err.value.message == said and fix in (err.value.hint or "")
    assert "--by" not in err.value.message + (err.value.hint or "")


def test_a_bad_by_on_the_command_line_keeps_its_words(make_ws, capsys):
    ws = make_ws("cli-by", modality="text", labels=["a", "b"])
    with pytest.raises(SystemExit):
        main(["-w", str(ws.root), "trends", "--by", ""])
    err = capsys.readouterr().err
    assert err.startswith("error: --by '' names no metadata field")
    assert "fix: e.g. --by date_text:decade" in err


def _filtered_ws(make_ws):
    """Oil paintings with a year, drawings in ink without one: grouped by year, the
    drawings have no value to group by."""
    ws = make_ws("filtered", modality="text", labels=["a", "b"])
    items = ([{"id": f"o{i}", "text": "x", "meta": {"year": "1850", "medium": "oil"}}
              for i in range(4)]
             + [{"id": f"d{i}", "text": "y", "meta": {"medium": "ink"}} for i in range(3)])
    add_items(ws, items)
    add_model_with_predictions(ws, {it["id"]: {"a": 0.9, "b": 0.1} for it in items})
    return ws


def test_a_filter_with_nothing_to_group_is_said_in_each_callers_words(make_ws, capsys):
    """trends(ws, by="year", where={"medium": "ink"}) said "(e.g. --by FIELD or --by
    FIELD:decade)" from Python, and the web page turned the flags into "ask whoever runs
    glamlab on the server". Now Python's by=, the command line's --by, the page's list."""
    ws = _filtered_ws(make_ws)
    with pytest.raises(TrendsError) as err:
        trends(ws, by="year", where={"medium": "ink"}, method="cc")
    said = err.value.message + " " + (err.value.hint or "")
    assert err.value.message == "no item the filter keeps has a value in the field 'year' " \
                                "to group by"
    assert "by='FIELD' or by='FIELD:decade'" in said and "--" not in said, said
    with pytest.raises(TrendsError) as err:
        trends(ws, by="year", where={"medium": "ink"}, method="cc", web=True)
    hint = err.value.hint or ""
    assert hint.startswith("choose another way to group them in the list 'Group the items "
                           "by', or another filter after 'Only items whose'"), hint
    assert "--" not in hint and "by=" not in hint and ":decade" not in hint
    with pytest.raises(SystemExit):
        main(["-w", str(ws.root), "trends", "--by", "year", "--where", "medium=ink",
              "--method", "cc"])
    assert "(e.g. --by FIELD or --by FIELD:decade)" in capsys.readouterr().err


def test_a_filter_no_item_matches_is_said_in_each_callers_words(make_ws, monkeypatch,
                                                                capsys):
    """The fix for a filter value no item has, where no value of the field can be shown,
    said "check the value of --where medium=..." from Python and the web page too."""
    from glamlab.trends import aggregate

    ws = _filtered_ws(make_ws)
    monkeypatch.setattr(aggregate, "distinct_values", lambda *_a, **_k: [])
    hints = {}
    for web in (False, True):
        with pytest.raises(TrendsError) as err:
            trends(ws, by="year", where={"medium": "gouache"}, method="cc", web=web)
        assert err.value.message == "no item has medium = 'gouache'"
        hints[web] = err.value.hint or ""
    assert hints[False] == ("check the value of 'medium' in where={'medium': ...} (the "
                            "value must match exactly)")
    assert hints[True] == ("check the value typed for medium after 'Only items whose' (the "
                           "value must match exactly)")
    assert not any("--" in h for h in hints.values())
    with pytest.raises(SystemExit):
        main(["-w", str(ws.root), "trends", "--by", "year", "--where", "medium=gouache",
              "--method", "cc"])
    assert "check the value of --where medium=..." in capsys.readouterr().err
