"""CSV, TSV, JSONL and Parquet tables: one item per row, streamed, bad rows recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glamlab.demo import demo_data

from .conftest import write_jpeg


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_rows_become_text_items_with_metadata(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = _csv(tmp_path / "t.csv", "id,text,collection,year\n"
               "a1,Bonjour le monde,maps,1850\n"
               "a2,\"Hello, world\",books,1901\n"
               "a3,Hallo Welt,maps,1920\n")
    report = ws.ingest([src])
    assert (report.added, report.failed) == (3, 0)
    a2 = ws.item("a2")
    assert a2.modality == "text"
    assert a2.source_kind == "csv"
    assert a2.text == "Hello, world"
    assert a2.meta == {"collection": "books", "year": "1901"}
    assert len(a2.content_hash) == 64
    assert [i.item_id for i in ws.items(where={"collection": "maps"})] == ["a1", "a3"]


def test_id_and_text_columns_by_name_and_record_modality(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = _csv(tmp_path / "t.csv", "ark,title,subject\nx1,Map of Paris,maps\nx2,Atlas,maps\n")
    report = ws.ingest([src], id_column="ark", text_column="title")
    assert report.added == 2
    x1 = ws.item("x1")
    assert (x1.text, x1.meta, x1.modality) == ("Map of Paris", {"subject": "maps"}, "text")
    ws2 = make_ws("ws2", modality="image")  # an image task: a row with neither image nor
    report = ws2.ingest([src], id_column="ark")  # text would be an item with nothing to read
    assert (report.added, report.failed, ws2.count_items()) == (0, 2, 0)
    # with its text named, the same table comes in (text items, the rest metadata)
    assert ws2.ingest([src], id_column="ark", text_column="title").added == 2
    assert ws2.item("x1").meta == {"subject": "maps"}


def test_csv_without_the_id_column_is_one_problem_listing_the_columns(make_ws, tmp_path):
    ws = make_ws(modality="text")
    bad = _csv(tmp_path / "noid.csv", "ark,title\nx1,Map\n")
    good = _csv(tmp_path / "good.csv", "id,text\ng1,fine\n")
    report = ws.ingest([bad, good])
    assert (report.added, report.failed) == (1, 1)
    err = ws.ingest_errors()[0]
    assert "noid.csv" in err["reason"] and "ark, title" in err["reason"]
    assert "id_column='NAME'" in err["hint"]  # Python's words (glamlab.said)
    assert err["source"] == str(bad)
    report = ws.ingest([bad], id_column="nope")
    assert "'nope'" in report.problems[0]["reason"]


def test_unknown_text_or_image_column_is_a_problem(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = _csv(tmp_path / "t.csv", "id,body\n1,x\n")
    report = ws.ingest([src], text_column="text")
    assert report.failed == 1 and "text_column=" in report.problems[0]["reason"]
    report = ws.ingest([src], image_column="img")
    assert report.failed == 1 and "image_column=" in report.problems[0]["reason"]
    assert ws.count_items() == 0


def test_empty_id_wrong_width_and_non_utf8_rows_are_problems_with_line_numbers(make_ws,
                                                                              tmp_path):
    ws = make_ws(modality="text")
    raw = ("id,text\n" "r1,caf\u00e9\n" " ,no id\n" "r3,a,b\n").encode() + \
        b"r4,caf\xe9 latin-1\n" + b"r5,\"two\nlines\"\nr6,last\n"
    src = tmp_path / "mixed.csv"
    src.write_bytes(raw)
    report = ws.ingest([src])
    assert report.added == 3  # r1, r5, r6
    assert ws.item("r5").text == "two\nlines"
    assert ws.item("r1").text == "caf\u00e9"
    reasons = {e["item_ref"]: e["reason"] for e in ws.ingest_errors()}
    assert set(reasons) == {f"{src}:line 3", f"{src}:line 4", f"{src}:line 5"}
    assert "id column 'id' is empty" in reasons[f"{src}:line 3"]
    assert "3 values where the header has 2" in reasons[f"{src}:line 4"]
    assert "not UTF-8" in reasons[f"{src}:line 5"]


def test_utf8_bom_and_tsv(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = tmp_path / "t.tsv"
    src.write_bytes("\ufeffid\ttext\tlang\nt1\tK\u00f6nig, Kaiser\tde\n".encode())
    report = ws.ingest([src])
    assert report.added == 1
    assert ws.item("t1").text == "K\u00f6nig, Kaiser"
    assert ws.item("t1").meta == {"lang": "de"}


def test_image_column_reads_headers_and_reports_missing_and_corrupt(make_ws, tmp_path):
    ws = make_ws()
    write_jpeg(tmp_path / "imgs" / "p1.jpg", (64, 48))
    (tmp_path / "imgs" / "broken.jpg").write_bytes(b"not a jpeg at all")
    src = _csv(tmp_path / "pages.csv", "id,path,label\n"
               "p1,imgs/p1.jpg,graphic\n"
               "p2,imgs/missing.jpg,graphic\n"
               "p3,imgs/broken.jpg,no_graphic\n"
               "p4,,no_graphic\n")
    report = ws.ingest([src], image_column="path")
    assert (report.added, report.failed) == (1, 3)
    p1 = ws.item("p1")
    assert (p1.modality, p1.width, p1.height) == ("image", 64, 48)
    assert p1.path == (tmp_path / "imgs" / "p1.jpg").resolve()
    assert p1.meta["label"] == "graphic" and p1.meta["path"] == "imgs/p1.jpg"
    assert p1.open_image().size == (64, 48)
    reasons = " | ".join(e["reason"] for e in ws.ingest_errors())
    assert "'imgs/missing.jpg' of item 'p2' does not exist" in reasons
    assert "not a readable image" in reasons and "'p3'" in reasons
    assert "no value in the image column" in reasons


def test_jsonl_rows(make_ws, tmp_path):
    ws = make_ws(modality="text")
    lines = [json.dumps({"id": 1, "text": "first", "tags": ["a", "b"], "n": 2}),
             "{broken json",
             json.dumps([1, 2]),
             json.dumps({"id": "", "text": "no id"}),
             json.dumps({"id": 5, "text": "fifth"})]
    src = tmp_path / "rows.jsonl"
    src.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": 6, "text": "\xff"}\n')
    report = ws.ingest([src])
    assert report.added == 2
    one = ws.item("1")
    assert one.text == "first" and one.meta == {"tags": ["a", "b"], "n": 2}
    assert one.source_kind == "jsonl"
    refs = sorted(e["item_ref"].rsplit(":", 1)[1] for e in ws.ingest_errors())
    assert refs == ["line 2", "line 3", "line 4", "line 6"]


def test_jsonl_text_that_is_not_a_string_is_a_problem_for_its_row(make_ws, tmp_path):
    """A number, list or object as a row's text became the item's "text" through str():
    one problem per such row, naming the line, the item, the type and the fix; the rest
    of the file comes in."""
    ws = make_ws(modality="text")
    src = tmp_path / "rows.jsonl"
    rows = [{"id": "a", "text": "real text"}, {"id": "b", "text": 1850},
            {"id": "c", "text": ["one", "two"]}, {"id": "d", "text": {"fr": "x"}},
            {"id": "e", "text": True}, {"id": "f", "text": "also text"}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = ws.ingest([src])
    assert (report.added, report.failed) == (2, 4)
    assert [i.item_id for i in ws.items()] == ["a", "f"]
    errors = sorted(ws.ingest_errors(), key=lambda e: e["item_ref"])
    assert [e["item_ref"].rsplit(":", 1)[1] for e in errors] == [
        "line 2", "line 3", "line 4", "line 5"]
    reasons = [e["reason"] for e in errors]
    assert reasons[0].startswith("line 2: item 'b' has a number (JSON number) in the text "
                                 "field 'text' (1850), not text; it was skipped")
    assert "a list (JSON array)" in reasons[1] and "'c'" in reasons[1]
    assert "a record (JSON object)" in reasons[2] and "'d'" in reasons[2]
    assert "a yes/no value (JSON true/false)" in reasons[3]
    assert all("JSON string" in e["hint"] and "text_column=" in e["hint"] for e in errors)
    # a text field named with --text-column is checked the same way
    other = make_ws("other", modality="text")
    src2 = tmp_path / "named.jsonl"
    src2.write_text(json.dumps({"id": "x", "ocr": 12}) + "\n"
                    + json.dumps({"id": "y", "ocr": "words"}) + "\n", encoding="utf-8")
    report = other.ingest([src2], text_column="ocr")
    assert (report.added, report.failed) == (1, 1)
    assert "field 'ocr' (12)" in other.ingest_errors()[0]["reason"]


def test_jsonl_lone_surrogate_escapes_are_problems_and_the_rest_is_stored(make_ws, tmp_path):
    """A \ud800 escape (half of a UTF-16 pair) is no character: it cannot be stored, and it
    failed the whole batch with a UnicodeEncodeError traceback. One problem for its line."""
    ws = make_ws(modality="text")
    src = tmp_path / "rows.jsonl"
    src.write_text('{"id": "a", "text": "fine \\ud83d\\ude00"}\n'
                   '{"id": "b", "text": "half \\ud800 of a pair"}\n'
                   '{"id": "c\\uDFFF", "text": "in the id"}\n'
                   '{"id": "d", "text": "last"}\n', encoding="utf-8")
    report = ws.ingest([src])
    assert report.added == 2 and [i.item_id for i in ws.items()] == ["a", "d"]
    assert ws.item("a").text == "fine \U0001F600"
    errors = sorted(ws.ingest_errors(), key=lambda e: e["item_ref"])
    assert [e["item_ref"].rsplit(":", 1)[1] for e in errors] == ["line 2", "line 3"]
    assert "\\ud800 is half of a UTF-16 pair" in errors[0]["reason"]


def test_a_jsonl_line_nested_too_deeply_is_its_rows_problem_the_rest_comes_in(make_ws,
                                                                             tmp_path):
    """A first line of 200,000 '[' stopped the whole ingest with a RecursionError while
    the file's columns were being sampled (before any row was read): now that line is one
    problem, named with the reason, and the rows after it come in."""
    ws = make_ws(modality="text")
    src = tmp_path / "rows.jsonl"
    # (no column called text: glamlab samples the file's rows to find the text column)
    src.write_text("[" * 200_000 + "\n"
                   + json.dumps({"id": "a", "kladde": "the first page of the notebook"})
                   + "\n" + json.dumps({"id": "b", "kladde": "and its second page"}) + "\n",
                   encoding="utf-8")
    report = ws.ingest([src])
    assert (report.added, report.failed) == (2, 1)
    assert [i.item_id for i in ws.items()] == ["a", "b"]
    (error,) = ws.ingest_errors()
    assert error["item_ref"].endswith("line 1") and "nested too deeply" in error["reason"]


def test_parquet_streamed_by_record_batch(make_ws, tmp_path, monkeypatch):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from glamlab.ingest import tables

    monkeypatch.setattr(tables, "PARQUET_BATCH", 3)
    n = 10
    table = pa.table({
        "ark": [f"ark-{i}" for i in range(n)],
        "ocr": [f"text {i}" for i in range(n)],
        "year": list(range(1900, 1900 + n)),
        "seen": [dt.datetime(2020, 1, 1 + i) for i in range(n)],
    })
    src = tmp_path / "t.parquet"
    pq.write_table(table, src)
    ws = make_ws(modality="text")
    report = ws.ingest([src], id_column="ark", text_column="ocr")
    assert (report.added, report.failed) == (n, 0)
    item = ws.item("ark-7")
    assert item.text == "text 7" and item.source_kind == "parquet"
    assert item.meta == {"year": 1907, "seen": "2020-01-08T00:00:00"}
    assert ws.ingest([src], id_column="ark", text_column="ocr").unchanged == n
    not_parquet = tmp_path / "bad.parquet"
    not_parquet.write_bytes(b"PAR1 garbage")
    report = ws.ingest([not_parquet])
    assert report.failed == 1 and "Parquet" in report.problems[0]["reason"]


def test_a_parquet_table_of_texts_comes_in_as_a_csv_does(make_ws, tmp_path):
    """The bundled language texts saved as Parquet (id, text and metadata columns) come
    into a text classification project as the same CSV does; a wrong --text-column and
    a duplicate id with other content are one problem each; a text column that holds
    numbers (typed in a Parquet file) refuses the file naming the column and the
    columns of text to choose (before, each number became an item's "text")."""
    import pandas as pd

    from glamlab.demo import project

    p = project("language")
    rows = pd.read_csv(p.ingest[0]).head(40)
    src = tmp_path / "texts.parquet"
    rows.to_parquet(src, index=False)
    ws = make_ws(modality="text")
    report = ws.ingest([src])
    assert (report.added, report.failed) == (40, 0)
    first = ws.item(rows["id"][0])
    assert first.text == rows["text"][0] and first.source_kind == "parquet"
    assert first.meta["kind"] == rows["kind"][0]
    assert ws.ingest([src]).unchanged == 40

    wrong = make_ws("wrong", modality="text")
    report = wrong.ingest([src], text_column="txt")
    assert (report.added, report.failed) == (0, 1)
    assert "the column 'txt' given as text_column= is not in texts.parquet" in (
        report.problems[0]["reason"])

    dup = tmp_path / "dup.parquet"
    pd.concat([rows.head(3), rows.head(1).assign(text="Ein ganz anderer Satz.")]).to_parquet(
        dup, index=False)
    report = make_ws("dup", modality="text").ingest([dup])
    assert (report.added, report.failed) == (3, 1)
    assert f"duplicate id {rows['id'][0]!r}" in report.problems[0]["reason"]

    numbers = tmp_path / "numbers.parquet"
    rows.assign(text=range(len(rows))).to_parquet(numbers, index=False)
    ws = make_ws("numbers", modality="text")
    report = ws.ingest([numbers])
    assert (report.added, report.failed) == (0, 1)
    problem = report.problems[0]
    assert "the text column 'text' of numbers.parquet holds numbers (int64)" in problem["reason"]
    assert "nothing was ingested" in problem["reason"]
    assert "text_column=" in problem["hint"] and "origin" in problem["hint"]
    assert ws.count_items() == 0
    # the table's own text column named: it comes in
    report = ws.ingest([numbers], text_column="origin")
    assert (report.added, report.failed) == (40, 0)


def test_duplicate_ids_in_a_table(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = _csv(tmp_path / "d.csv", "id,text\nd1,one\nd1,one\nd1,other\nd2,two\n")
    report = ws.ingest([src])
    assert (report.added, report.failed) == (2, 1)
    assert ws.item("d1").text == "one"
    assert "duplicate id 'd1'" in ws.ingest_errors()[0]["reason"]
    # a row has no file of its own: the fix is the id column, not renaming a file
    assert "rename" not in ws.ingest_errors()[0]["hint"]
    assert "row" in ws.ingest_errors()[0]["hint"]


@pytest.mark.parametrize("name,options,modality", [
    ("illustrations", {"id_column": "id", "image_column": "path"}, "image"),
    ("language", {"id_column": "id", "text_column": "text"}, "text"),
    ("subjects", {"id_column": "id", "text_column": "title"}, "text"),
])
def test_bundled_demo_tables(make_ws, name, options, modality):
    from glamlab.demo import project

    p = project(name)
    assert p.ingest_options == options
    ws = make_ws(modality=modality)
    report = ws.ingest(p.ingest, **p.ingest_options)
    assert report.failed == 0, report.problems[:3]
    assert report.added > 50
    item = next(iter(ws.items(limit=1)))
    assert item.modality == modality
    if modality == "image":
        assert item.width and item.height and item.path and item.path.is_file()
        assert str(demo_data("illustrations")) in str(item.path.parent.parent)


def test_a_table_in_another_encoding_stops_after_many_bad_rows(make_ws, tmp_path, monkeypatch):
    from glamlab.ingest import tables

    monkeypatch.setattr(tables, "MAX_ENCODING_PROBLEMS", 3)
    src = tmp_path / "latin1.csv"
    src.write_bytes(b"id,text\n" + "".join(
        f"r{i},caf\u00e9 {i}\n" for i in range(10)).encode("latin-1"))
    ws = make_ws(modality="text")
    report = ws.ingest([src])
    assert (report.added, report.failed) == (0, 4)
    assert "3 rows of latin1.csv are not UTF-8" in report.problems[-1]["reason"]


def test_nul_bytes_in_text_are_removed_with_a_note(make_ws, tmp_path):
    """PostgreSQL cannot store NUL in text; both stores get the same cleaned text."""
    ws = make_ws(modality="text", labels=["a", "b"])
    src = tmp_path / "nul.csv"
    src.write_text("id,text\nx1,abc\x00def\nx2,clean\n", encoding="utf-8")
    report = ws.ingest([str(src)])
    assert report.added == 2 and report.failed == 0
    item = ws.item("x1")
    assert item.text == "abcdef"
    assert "NUL" in item.meta["ingest_note"]
    assert "ingest_note" not in ws.item("x2").meta


def test_control_characters_in_ids_are_problems_and_the_rest_is_stored(make_ws, tmp_path):
    """A NUL or a newline in an id is refused per row, with the same result on SQLite and
    PostgreSQL (where a NUL id used to fail the whole batch with a driver traceback)."""
    ws = make_ws(modality="text", labels=["a", "b"])
    src = tmp_path / "ids.csv"
    src.write_text('id,text,note\ngood1,one,ok\nbad\x00id,two,ok\n"new\nline",three,ok\n'
                   "good2,four,has\x00nul\n", encoding="utf-8")
    report = ws.ingest([str(src)])
    assert (report.added, report.failed) == (2, 2)
    assert sorted(i.item_id for i in ws.items()) == ["good1", "good2"]
    assert ws.item("good2").meta["note"] == "hasnul"
    assert "metadata" in ws.item("good2").meta["ingest_note"]
    reasons = " ".join(p["reason"] for p in report.problems)
    assert "'bad\\x00id'" in reasons and "'new\\nline'" in reasons
    assert all("printable" in p["hint"] for p in report.problems)
    import sqlalchemy as sa

    t = ws.store.t.ingest_errors
    with ws.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() == 2


def test_an_image_file_with_a_newline_in_its_name_is_a_problem(make_ws, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    write_jpeg(folder / "ok.jpg")
    write_jpeg(folder / "new\nline.jpg")
    ws = make_ws()
    report = ws.ingest([str(folder)])
    assert (report.added, report.failed) == (1, 1)
    assert "control characters" in report.problems[0]["reason"]


def test_a_row_the_database_refuses_does_not_take_its_neighbours(make_ws, tmp_path,
                                                                 monkeypatch):
    """Whatever the checks miss: the batch is written again row by row."""
    import sqlalchemy as sa

    from glamlab import ingest as ingest_mod

    real = ingest_mod._insert_rows

    def picky(conn, rows):
        if any(r[0] == "x2" for r in rows):
            raise sa.exc.DataError("INSERT", {}, Exception("value refused by the database"))
        real(conn, rows)

    monkeypatch.setattr(ingest_mod, "_insert_rows", picky)
    ws = make_ws(modality="text", labels=["a", "b"])
    src = tmp_path / "t.csv"
    src.write_text("id,text\nx1,one\nx2,two\nx3,three\n", encoding="utf-8")
    report = ws.ingest([str(src)])
    assert (report.added, report.failed) == (2, 1)
    assert sorted(i.item_id for i in ws.items()) == ["x1", "x3"]
    assert "refused" in report.problems[0]["reason"] and "x2" in report.problems[0]["reason"]


def test_the_same_id_from_another_source_is_not_a_silent_new_version(make_ws, tmp_path):
    ws = make_ws(modality="text", labels=["a", "b"])
    letters = tmp_path / "letters.csv"
    letters.write_text("id,text\n1,Dear Sir\n2,My dear friend\n")
    maps = tmp_path / "maps.csv"
    maps.write_text("id,text\n1,Map of Paris\n3,Atlas\n")
    ws.ingest([str(letters)])
    report = ws.ingest([str(maps)])
    assert (report.added, report.updated, report.failed) == (1, 0, 1)
    assert ws.item("1").text == "Dear Sir" and ws.item("1").version == 1
    assert "already belongs to an item from" in report.problems[0]["reason"]
    assert "allow_source_change=True" in report.problems[0]["hint"]  # Python's words
    # the same file again, under another spelling of its path, is the same source
    moved = ws.ingest([str(tmp_path / "." / "letters.csv")])
    assert (moved.unchanged, moved.failed) == (2, 0)
    # a table exported again under a new name: allowed on request
    again = ws.ingest([str(maps)], allow_source_change=True)
    assert (again.updated, again.failed) == (1, 0)
    assert ws.item("1").text == "Map of Paris" and ws.item("1").version == 2


def test_long_fields_are_read_without_changing_the_csv_limit_for_others(make_ws, tmp_path):
    """A 300 KB OCR text (over the csv module's 128 KiB default) is read; the module's
    limit, one setting for the whole process, is the same before and after."""
    import csv

    before = csv.field_size_limit()
    ws = make_ws(modality="text", labels=["a", "b"])
    src = tmp_path / "long.csv"
    src.write_text("id,text\nx1," + "w" * 300_000 + "\nx2,short\n", encoding="utf-8")
    report = ws.ingest([str(src)])
    assert (report.added, report.failed) == (2, 0)
    assert len(ws.item("x1").text or "") == 300_000
    assert csv.field_size_limit() == before


def test_a_quote_never_closed_is_one_problem_naming_its_line(make_ws, tmp_path):
    # a stray quote used to swallow the rest of the file into one cell: "1 new items",
    # L1's text holding L2 and L3, and L2, L3 gone without a word
    ws = make_ws(modality="text")
    src = _csv(tmp_path / "q.csv", 'id,title\nL0,fine\nL1,"unterminated quote\n'
                                   "L2,ok title\nL3,another\n")
    other = _csv(tmp_path / "other.csv", "id,title\nO1,still read\n")
    report = ws.ingest([src, other], text_column="title")
    assert (report.added, report.failed) == (2, 1)  # L0 (before the quote) and O1
    assert ws.item("L0").text == "fine"
    assert ws.count_items() == 2
    (err,) = ws.ingest_errors()
    assert err["item_ref"] == f"{src}:line 3"
    assert "line 3: a quote opens in this line and is never closed" in err["reason"]
    assert "lines 3-5" in err["reason"]
    assert "close the quote" in err["hint"]


def test_a_quote_closed_lines_later_names_where_it_opened(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = _csv(tmp_path / "q.csv", 'id,title\nL1,"oops\nL2,ok\nL3,"x"\nL4,fine\n')
    report = ws.ingest([src], text_column="title")
    assert (report.added, report.failed) == (1, 1)
    (err,) = ws.ingest_errors()
    assert err["item_ref"] == f"{src}:line 2"
    assert "lines 2-4 were skipped" in err["reason"]
    assert ws.item("L4").text == "fine"


def test_a_problem_is_resolved_when_its_source_is_ingested_again(make_ws, tmp_path):
    from glamlab.workspace.status import workspace_status

    ws = make_ws(modality="text")
    src = _csv(tmp_path / "t.csv", "id,title,note\nt1,A map of the town,bought in 1901 "
               "at auction\nt2,Ships in a harbour,gift of the artist's family\n")
    first = ws.ingest([src])  # two columns could hold the text: refused, one problem
    assert (first.added, first.failed) == (0, 1)
    assert len(ws.ingest_errors()) == 1
    stage = next(s for s in workspace_status(ws)["stages"] if s["stage"] == "items")
    assert stage["errors"] == 1
    again = ws.ingest([src], text_column="title")
    assert (again.added, again.failed) == (2, 0)
    assert ws.ingest_errors() == []
    stage = next(s for s in workspace_status(ws)["stages"] if s["stage"] == "items")
    assert stage["errors"] == 0
    (old,) = ws.ingest_errors(resolved=True)  # kept as history
    assert old["resolved_at"] is not None and "text_column=" in old["hint"]


def test_a_problem_still_there_is_listed_once_and_others_stay(make_ws, tmp_path):
    ws = make_ws(modality="text")
    a = _csv(tmp_path / "a.csv", "id,text\na1,fine\n,no id\n")
    b = _csv(tmp_path / "b.csv", "id,text\nb1,fine\n,no id either\n")
    ws.ingest([a, b])
    assert len(ws.ingest_errors()) == 2
    ws.ingest([a])  # a still has its bad row; b was not read again
    current = ws.ingest_errors()
    assert sorted(e["source"] for e in current) == [str(a), str(b)]
    assert len(ws.ingest_errors(resolved=True)) == 3


def test_a_source_that_could_not_be_read_keeps_its_rows_problems(make_ws, tmp_path):
    # a mistyped --text-column read nothing of the table, yet it used to mark the bad
    # rows found before as resolved: `items --errors` then listed none of them to fix
    ws = make_ws(modality="text")
    src = _csv(tmp_path / "t.csv", "id,text\na1,fine\na1,another text\na2,\n")
    ws.ingest([src], text_column="text")
    rows = sorted(e["item_ref"] for e in ws.ingest_errors())
    assert len(rows) == 2
    for _ in range(2):  # the same mistake twice is one current problem, not two
        again = ws.ingest([src], text_column="txt")
        assert (again.added, again.failed) == (0, 1)
        current = ws.ingest_errors()
        whole = [e for e in current if "'txt'" in e["reason"]]
        assert len(whole) == 1 and whole[0]["item_ref"] == str(src)
        assert sorted(e["item_ref"] for e in current if e not in whole) == rows
    ws.ingest([src], text_column="text")  # read in full again: its own problems only
    assert sorted(e["item_ref"] for e in ws.ingest_errors()) == rows


def test_a_cell_that_swallowed_rows_is_stored_and_reported(make_ws, tmp_path):
    # the quote opened on line 2 is closed at the end of line 4: valid CSV, but L2 and L3
    # are inside L1's text
    ws = make_ws(modality="text")
    src = _csv(tmp_path / "q.csv", 'id,title\nL1,"oops\nL2,ok\nL3,x"\nL4,fine\n'
                                   'L5,"a text over two lines,\nwith a comma, is fine"\n')
    report = ws.ingest([src], text_column="title")
    assert report.added == 3
    assert ws.item("L1").text == "oops\nL2,ok\nL3,x"  # nothing dropped
    (err,) = ws.ingest_errors()
    assert err["item_ref"] == f"{src}:line 2"
    assert "runs over lines 2-4" in err["reason"] and "'L2', 'L3'" in err["reason"]
    assert "close the quote" in err["hint"]


def test_a_stray_quote_inside_a_cell_is_read_as_text_as_before(make_ws, tmp_path):
    """`"Moby Dick" by Melville`: a quote, then more text before the comma. The strict
    reader that finds quotes never closed refused this row (a problem, the row gone);
    it is read as it always was, as text, and a quote never closed is still caught."""
    ws = make_ws(modality="text")
    src = _csv(tmp_path / "books.csv",
               'id,title,year\n1,"Moby Dick" by Melville,1851\n2,Emma,1815\n')
    report = ws.ingest([src], text_column="title")
    assert (report.added, report.failed) == (2, 0)
    assert ws.item("1").text == "Moby Dick by Melville"
    assert ws.item("1").meta["year"] == "1851"


def test_image_root_takes_local_images_inside_it_only(make_ws, tmp_path):
    """``image_root`` (a table uploaded in the web app): an image inside the folder comes
    in; one reached by ``..``, an absolute path or a link out of it is a problem for its
    row, even where the file is a readable image; without it (the command line) the
    same paths come in."""
    write_jpeg(tmp_path / "upload" / "p1.jpg", (64, 48))
    write_jpeg(tmp_path / "elsewhere" / "p2.jpg", (32, 32))
    (tmp_path / "upload" / "link.jpg").symlink_to(tmp_path / "elsewhere" / "p2.jpg")
    rows = ("id,path\n" "p1,p1.jpg\n" "p2,../elsewhere/p2.jpg\n"
            f"p3,{tmp_path / 'elsewhere' / 'p2.jpg'}\n" "p4,link.jpg\n")
    src = _csv(tmp_path / "upload" / "pages.csv", rows)
    ws = make_ws()
    report = ws.ingest([src], image_column="path", image_root=tmp_path / "upload")
    assert (report.added, report.failed) == (1, 3)
    assert ws.item("p1").width == 64
    reasons = {e["item_ref"].rsplit(":", 1)[1]: e["reason"] for e in ws.ingest_errors()}
    for line, item in (("line 3", "p2"), ("line 4", "p3"), ("line 5", "p4")):
        assert f"of item {item!r} is a path on the server outside the upload" in \
            reasons[line], reasons
    cli = make_ws(name="cli")
    assert cli.ingest([src], image_column="path").added == 4
