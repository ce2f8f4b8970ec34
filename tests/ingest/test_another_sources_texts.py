"""The same texts brought in twice, once as a table and once as a folder of files: each
file's id belongs to the table's item. It said "with other content" though the texts
were the same (the table's columns and the file's name are part of what an item holds),
and its progress line counted the refused texts as items ("ingest: 2 items"). Then it
said "with the same text", as a problem whose fix was "nothing to do", and
``glamlab ingest`` exited 2 ("nothing was brought in"); now a text here already from
another source is like one ingested again from the same source: unchanged, said in a
note, exit 0. A text of another source with other words is still refused."""

from __future__ import annotations


def _texts(tmp_path):
    table = tmp_path / "texts.csv"
    table.write_text("id,text,date\nd1,Le journal du jour.,1900-01-01\n"
                     "d2,Un autre texte.,1900-01-02\n", encoding="utf-8")
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "d1.txt").write_text("Le journal du jour.", encoding="utf-8")
    (folder / "d2.txt").write_text("Un texte changé.", encoding="utf-8")
    return table, folder


def test_the_same_text_from_another_source_is_said_to_be_the_same(make_ws, tmp_path):
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    table, folder = _texts(tmp_path)
    assert ws.ingest([table], id_column="id", text_column="text").added == 2
    report = ws.ingest([folder])
    assert (report.added, report.updated, report.unchanged, report.failed) == (0, 0, 1, 1)
    assert report.same_text == 1 and report.to_dict()["unchanged_from_another_source"] == 1
    said = {p["item"]: p for p in report.problems}
    assert set(said) == {"d2"}  # d1 is no problem: its text is here already
    assert "with other content" in said["d2"]["reason"]  # another text: as before
    assert ("note: 1 of the unchanged is an item here already with the same text from "
            f"another source (e.g. 'd1', from {table}): not stored again, the item from "
            "there kept. Nothing to do if it is the same document; to store this "
            "source's metadata (date, file, lines) as a new version instead, ingest it "
            "again with --allow-source-change.") in report.summary()
    assert ws.item("d1").source == str(table) and ws.item("d1").version == 1


def test_the_progress_line_does_not_count_refused_items(make_ws, tmp_path, capsys):
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    table, folder = _texts(tmp_path)
    ws.ingest([table], id_column="id", text_column="text")
    capsys.readouterr()
    ws.ingest([folder], progress=True)
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("ingest: ")]
    # d1 is here already (counted as an item, unchanged); d2 is refused
    assert lines and lines[-1].startswith("ingest: 1 item, 1 problem"), lines


def test_a_page_image_whose_ocr_text_is_here_already_is_not_dropped_silently(make_ws,
                                                                            tmp_path):
    """The text is here (a table of texts), then its page image comes with the same OCR
    text: the image is not here, so it is not "unchanged": it stays refused, named, with
    the fix (it was counted unchanged, exit 0, the scan left out under a note)."""
    from .conftest import write_jpeg
    from .samples import ALTO_TEXT, alto

    ws = make_ws("t", modality="text", labels=["fr", "de"])
    table = tmp_path / "texts.csv"
    table.write_text('id,text\nscan_0001,"' + ALTO_TEXT + '"\n', encoding="utf-8")
    assert ws.ingest([table], id_column="id", text_column="text").added == 1
    folder = tmp_path / "scans"
    folder.mkdir()
    write_jpeg(folder / "scan_0001.jpg", (120, 180))
    (folder / "ocr.xml").write_text(alto(4, image="scan_0001.jpg"))
    report = ws.ingest([folder])
    assert (report.unchanged, report.same_text, report.failed) == (0, 0, 1)
    said = {p["item"]: p for p in report.problems}
    # called from Python: the fix names Python's argument (the command line's flag on it)
    assert "scan_0001" in said and "allow_source_change=True" in said["scan_0001"]["hint"]
    assert ws.item("scan_0001").modality == "text"
