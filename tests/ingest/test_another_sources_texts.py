"""The same texts brought in twice, once as a table and once as a folder of files: each
file's id belongs to the table's item, and the ingest refuses it. It said "with other
content" though the texts were the same (the table's columns and the file's name are
part of what an item holds), and its progress line counted the refused texts as items
("ingest: 2 items")."""

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
    assert report.added == 0 and report.failed == 2
    said = {p["item"]: p for p in report.problems}
    same = said["d1"]["reason"]
    assert "with the same text: only the source and its metadata (date, file, lines) " \
           "differ" in same, same
    assert "other content" not in same
    assert said["d1"]["hint"].startswith("nothing to do if it is the same document")
    assert "with other content" in said["d2"]["reason"]  # another text: as before


def test_the_progress_line_does_not_count_refused_items(make_ws, tmp_path, capsys):
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    table, folder = _texts(tmp_path)
    ws.ingest([table], id_column="id", text_column="text")
    capsys.readouterr()
    ws.ingest([folder], progress=True)
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("ingest: ")]
    assert lines and lines[-1].startswith("ingest: 0 items, 2 problems"), lines
