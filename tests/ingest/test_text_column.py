"""A text task's table: the text column found from its values or asked for, items without
text refused at ingest, a new column mapping makes new versions, ``;`` and tab sniffed."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.errors import EXIT_USAGE
from glamlab.sheets import sniff_delimiter

SENTENCES = [
    ("s1", "Our assistance may be provided in the form of funds.", "en", "lingua", "a.txt:1"),
    ("s2", "Die Mitglieder des Vereins treffen sich am Montag.", "de", "lingua", "b.txt:2"),
    ("s3", "Le conseil municipal se réunira la semaine prochaine.", "fr", "lingua", "c.txt:3"),
    ("s4", "Het weer is vandaag bijzonder mooi in Amsterdam.", "nl", "lingua", "d.txt:4"),
]


def _write(path: Path, header: list[str], rows: list[tuple[str, ...]], delimiter: str = ",") -> str:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


def test_the_text_column_is_found_from_its_values(make_ws, tmp_path) -> None:
    ws = make_ws(modality="text", labels=["en", "de", "fr", "nl"])
    said: list[str] = []
    src = _write(tmp_path / "t.csv", ["id", "path_or_text", "lang", "source", "origin"], SENTENCES)
    report = ws.ingest([src], notify=said.append)
    assert (report.added, report.failed) == (4, 0)
    item = ws.item("s2")
    assert item.text == SENTENCES[1][1] and item.modality == "text"
    assert "path_or_text" not in item.meta and item.meta["lang"] == "de"
    assert any("'path_or_text'" in m and "text_column=" in m for m in said)


def test_several_candidates_are_listed_and_nothing_is_ingested(make_ws, tmp_path) -> None:
    ws = make_ws(modality="text", labels=["en", "de", "fr", "nl"])
    rows = [(i, s, s[::-1]) for i, s, *_ in SENTENCES]
    src = _write(tmp_path / "t.csv", ["id", "a", "b"], rows)
    report = ws.ingest([src])
    assert (report.added, report.failed) == (0, 1)
    reason, hint = report.problems[0]["reason"], report.problems[0]["hint"]
    assert "'a'" in reason and "'b'" in reason and "text_column=" in hint
    report = ws.ingest([src], text_column="b")
    assert report.added == 4 and ws.item("s1").text == SENTENCES[0][1][::-1]


def test_a_text_task_refuses_a_table_without_text_at_ingest(make_ws, tmp_path) -> None:
    ws = make_ws(modality="text", labels=["en", "de"])
    src = _write(tmp_path / "t.csv", ["id", "lang", "year"], [("s1", "en", "1900")])
    runner = CliRunner()
    res = runner.invoke(cli, ["-w", str(ws.root), "ingest", src])
    assert res.exit_code == EXIT_USAGE, res.output
    assert "text task" in res.output and "--text-column" in res.output
    assert ws.count_items() == 0
    # a row whose text cell is empty is a problem for that row only
    src = _write(tmp_path / "u.csv", ["id", "text"], [("s1", "some text"), ("s2", " ")])
    report = ws.ingest([src])
    assert (report.added, report.failed) == (1, 1)
    assert "'s2' has no text" in report.problems[0]["reason"]


def test_an_image_task_makes_no_item_of_a_table_without_text_or_images(make_ws, tmp_path
                                                                       ) -> None:
    ws = make_ws(modality="image")
    src = _write(tmp_path / "t.csv", ["id", "lang", "year"], [("s1", "en", "1900")])
    report = ws.ingest([src])
    assert (report.added, report.failed, ws.count_items()) == (0, 1, 0)
    assert "line 2: item 's1' has no image and no text" in report.problems[0]["reason"]
    assert "image_column='NAME'" in report.problems[0]["hint"]  # Python's words


def test_ingesting_again_with_another_text_column_makes_new_versions(make_ws, tmp_path) -> None:
    ws = make_ws(modality="text", labels=["en", "de", "fr", "nl"])
    rows = [(i, s, f"note {s}") for i, s, *_ in SENTENCES]
    src = _write(tmp_path / "t.csv", ["id", "body", "note"], rows)
    assert ws.ingest([src], text_column="note").added == 4
    again = ws.ingest([src], text_column="body")
    assert (again.added, again.updated, again.unchanged) == (0, 4, 0)
    item = ws.item("s1")
    assert item.text == SENTENCES[0][1] and item.version == 2
    assert ws.ingest([src], text_column="body").unchanged == 4  # still idempotent


def test_semicolon_and_tab_delimiters_are_sniffed(make_ws, tmp_path) -> None:
    semi = _write(tmp_path / "semi.csv", ["id", "text", "lang"],
                  [(i, s, lang) for i, s, lang, *_ in SENTENCES], delimiter=";")
    tab = _write(tmp_path / "tab.csv", ["id", "text"], [("t1", "a text, with; both")],
                 delimiter="\t")
    assert (sniff_delimiter(semi), sniff_delimiter(tab)) == (";", "\t")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('"id;odd","text"\n"x","y"\n', encoding="utf-8")
    assert sniff_delimiter(quoted) == ","
    ws = make_ws(modality="text", labels=["en", "de", "fr", "nl"])
    report = ws.ingest([semi, tab])
    assert (report.added, report.failed) == (5, 0)
    assert ws.item("s3").meta == {"lang": "fr"}
    assert ws.item("t1").text == "a text, with; both"


def test_a_label_column_is_not_the_title_nor_on_the_label_sheet(make_ws, tmp_path) -> None:
    """A table's ``label`` column (most often the gold label) was the item's title (a IIIF
    canvas's ``label`` is its page name): the export's ``title`` column and the labelling
    sheet named the answer, to a blind second labeller too."""
    from glamlab.tasks.labels import write_label_sheet

    ws = make_ws(modality="text", labels=["en", "de", "fr", "nl"])
    rows = [(i, s, lab) for i, s, lab, *_ in SENTENCES]
    ws.ingest([_write(tmp_path / "t.csv", ["id", "text", "label"], rows)])
    item = ws.item("s2")
    assert item.meta["label"] == "de" and item.title is None
    sheet = tmp_path / "sheet.csv"
    write_label_sheet(ws, ["s2"], sheet)
    with open(sheet, encoding="utf-8-sig", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["label"] == "" and "de" not in {row["title"], row["text"]}
    # a title or name column still names the item
    named = [(f"n{i}", s, lab, f"title {i}") for i, s, lab, *_ in SENTENCES]
    report = ws.ingest([_write(tmp_path / "n.csv", ["id", "text", "label", "title"], named)])
    assert report.failed == 0, report.problems
    assert ws.item("ns2").title == "title s2"
