"""The ingest core: idempotency, versions, incremental ingest, progress, and bad input
that never changes what is already stored."""

from __future__ import annotations

from .conftest import write_jpeg


def _snapshot(ws):
    return {i.item_id: (i.version, i.content_hash, i.text, i.meta) for i in ws.items()}


def test_reingest_adds_nothing_and_changed_content_is_a_new_version(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = tmp_path / "t.csv"
    src.write_text("id,text,year\na,alpha,1900\nb,beta,1901\n")
    first = ws.ingest([src])
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    again = ws.ingest([src])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert ws.count_items() == 2
    src.write_text("id,text,year\na,alpha,1900\nb,beta corrected,1901\nc,gamma,1902\n")
    third = ws.ingest([src])
    assert (third.added, third.updated, third.unchanged) == (1, 1, 1)
    assert ws.item("b").text == "beta corrected" and ws.item("b").version == 2
    versions = ws.item_versions("b")
    assert [(v["version"], v["is_current"], v["text"]) for v in versions] == [
        (1, False, "beta"), (2, True, "beta corrected")]
    assert ws.count_items() == 3


def test_a_changed_item_is_a_new_row_never_an_update_in_place(make_ws, tmp_path):
    """What a run compares with its predictions: re-ingested content adds a row (the
    next version, its own content hash and time), the earlier row stays as it was but
    no longer current; a metadata-only change (a catalogue column) is a new version too,
    with the same text."""
    ws = make_ws(modality="text")
    src = tmp_path / "t.csv"
    src.write_text("id,text,year\nb,beta,1901\n")
    ws.ingest([src])
    before = ws.item_versions("b")[0]
    src.write_text("id,text,year\nb,beta corrected,1901\n")
    ws.ingest([src])
    src.write_text("id,text,year\nb,beta corrected,1902\n")
    ws.ingest([src])
    v1, v2, v3 = ws.item_versions("b")
    assert {k: v for k, v in v1.items() if k != "is_current"} == \
        {k: v for k, v in before.items() if k != "is_current"}
    assert (v1["is_current"], v2["is_current"], v3["is_current"]) == (False, False, True)
    assert len({v1["content_hash"], v2["content_hash"], v3["content_hash"]}) == 3
    assert v1["created_at"] < v2["created_at"] < v3["created_at"]
    assert (v2["text"], v3["text"]) == ("beta corrected", "beta corrected")
    assert v3["meta"]["year"] != v2["meta"]["year"]


def test_incremental_folder_ingest(make_ws, tmp_path):
    root = tmp_path / "scans"
    for i in range(3):
        write_jpeg(root / f"p{i}.jpg")
    ws = make_ws()
    assert ws.ingest([root]).added == 3
    write_jpeg(root / "p3.jpg")
    write_jpeg(root / "p0.jpg", (41, 30))  # re-scanned
    report = ws.ingest([root])
    assert (report.added, report.updated, report.unchanged) == (1, 1, 2)
    assert ws.item("p0").width == 41


def test_bad_input_never_changes_what_is_stored(make_ws, tmp_path):
    ws = make_ws(modality="text")
    good = tmp_path / "good.csv"
    good.write_text("id,text\na,alpha\nb,beta\n")
    ws.ingest([good])
    before = _snapshot(ws)
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_bytes(b"id,text\na,\xff\xfe broken\n,no id\n")
    no_id = tmp_path / "noid.csv"
    no_id.write_text("ref,text\na,changed!\n")
    not_iiif = tmp_path / "x.json"
    not_iiif.write_text("[]")
    latin = tmp_path / "b.txt"
    latin.write_bytes(b"caf\xe9")
    report = ws.ingest([bad_csv, no_id, not_iiif, latin, tmp_path / "does-not-exist.jpg"])
    assert report.added == report.updated == 0
    assert report.failed == 6  # bad.csv has two bad rows
    assert _snapshot(ws) == before
    summary = report.summary()
    assert "6 problems, 5 recorded" in summary and "glamlab items --errors" in summary
    # the missing path is said, not stored: no later ingest would ever clear it
    sources = {e["source"] for e in ws.ingest_errors()}
    assert len(sources) == 4 and str(tmp_path / "does-not-exist.jpg") not in sources
    missing = [p for p in report.problems if p["source"].endswith("does-not-exist.jpg")][0]
    assert "does-not-exist.jpg does not exist" in missing["reason"]


def test_duplicate_ids_across_sources(make_ws, tmp_path):
    ws = make_ws(modality="text")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "page.txt").write_text("one")
    (tmp_path / "b" / "page.txt").write_text("two")
    report = ws.ingest([tmp_path / "a" / "page.txt", tmp_path / "b" / "page.txt"])
    assert (report.added, report.failed) == (1, 1)
    assert ws.item("page").text == "one"
    assert "duplicate id 'page'" in report.problems[0]["reason"]
    assert report.problems[0]["source"] == str(tmp_path / "b" / "page.txt")
    # the reason names the one kept: a person who has page.jpg and page.png must know which
    assert str(tmp_path / "a" / "page.txt") in report.problems[0]["reason"]


def test_duplicate_id_in_one_folder_names_the_file_kept(make_ws, tmp_path):
    """page.jpg and page.png in one folder: the problem names the file that came in (the
    source is the folder for both, so naming it said nothing)."""
    from PIL import Image

    ws = make_ws()
    folder = tmp_path / "scans"
    write_jpeg(folder / "page.jpg", color="white")
    Image.new("RGB", (40, 30), "black").save(folder / "page.png")
    report = ws.ingest([folder])
    assert (report.added, report.failed) == (1, 1)
    kept = ws.item("page").uri
    reason = report.problems[0]["reason"]
    assert kept in reason and "row of the same table" not in reason, reason


def test_duplicate_id_in_one_table_says_an_earlier_row(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = tmp_path / "t.csv"
    src.write_text("id,text\nd1,one\nd1,two\n")
    report = ws.ingest([src])
    assert "an earlier row of the same table" in report.problems[0]["reason"]


def test_duplicate_id_counts_as_a_problem_in_the_progress_line(make_ws, tmp_path, capsys):
    """The closing progress line counts what the summary counts: a duplicate id with
    other content is a problem, not an item brought in."""
    ws = make_ws(modality="text")
    for name, text in (("a", "one"), ("b", "two")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "page.txt").write_text(text)
    report = ws.ingest([tmp_path / "a" / "page.txt", tmp_path / "b" / "page.txt"], progress=True)
    assert (report.added, report.failed) == (1, 1)
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("ingest: ")]
    assert lines[-1].startswith("ingest: 1 item, 1 problem"), lines[-1]


def test_progress_lines_in_a_non_terminal(make_ws, tmp_path, monkeypatch, capsys):
    import glamlab.ingest as core

    monkeypatch.setattr(core, "PROGRESS_INTERVAL", 0.0)
    ws = make_ws(modality="text")
    src = tmp_path / "t.csv"
    src.write_text("id,text\n" + "".join(f"r{i},text {i}\n" for i in range(5)))
    ws.ingest([src], progress=True)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("ingest: ")]
    assert len(lines) >= 5
    assert lines[-1].startswith("ingest: 5 items")
    assert "/s" in lines[-1]
    assert "\r" not in err  # plain lines, no terminal bar
    monkeypatch.setattr(core, "PROGRESS_INTERVAL", 3600.0)
    ws.ingest([src], progress=True)
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("ingest: ")]
    assert len(lines) == 1  # only the closing line


def test_report_to_dict(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = tmp_path / "t.csv"
    src.write_text("id,text\na,x\n,y\n")
    data = ws.ingest([src]).to_dict()
    assert data["added"] == 1 and data["failed"] == 1
    assert data["problems"][0]["item"] == f"{src}:line 3"


def test_counts_of_one_are_singular_in_the_progress_line_and_the_summary(make_ws, tmp_path,
                                                                         capsys):
    """A file refused as a whole is one problem: the progress line said "ingest: 1 items"
    (then "ingest: 1 item": a problem is not an item) and the summary "1 problems
    recorded"."""
    ws = make_ws(modality="text")
    refused = tmp_path / "noid.csv"
    refused.write_text("ark,title\nx1,Map\n", encoding="utf-8")
    report = ws.ingest([refused], progress=True)
    assert (report.added, report.failed) == (0, 1)
    assert "ingest: 0 items, 1 problem, " in capsys.readouterr().err
    summary = report.summary()
    assert "1 problem recorded" in summary and "0 new items" in summary
    one = tmp_path / "one.csv"
    one.write_text("id,text\na1,hello\n", encoding="utf-8")
    assert ws.ingest([one]).summary().startswith("1 new item, 0 new versions")
    one.write_text("id,text\na1,hello again\nb1,and more\n", encoding="utf-8")
    report = ws.ingest([one], progress=True)
    assert "ingest: 2 items, " in capsys.readouterr().err
    assert report.summary().startswith("1 new item, 1 new version of changed items")


def test_duplicate_id_in_one_folder_names_the_file_left_out(make_ws, tmp_path):
    """page.jpg and page.png in one folder: the problem names the file left out too (a
    script's log line must say which file to rename) and the fix is to rename one of them
    (a folder has no --id-column to choose)."""
    from PIL import Image

    ws = make_ws()
    folder = tmp_path / "scans"
    write_jpeg(folder / "page.jpg", color="white")
    Image.new("RGB", (40, 30), "black").save(folder / "page.png")
    report = ws.ingest([folder])
    problem = report.problems[0]
    left = str(folder / "page.png") if ws.item("page").uri.endswith(".jpg") else str(
        folder / "page.jpg")
    assert problem["item"] == left, problem
    assert f"this one ({left}) was left out" in problem["reason"], problem
    assert "rename one of the two files" in problem["hint"]
    assert "--id-column" not in problem["hint"]
