"""Every CSV glamlab writes for people is written the same way (glamlab.sheets): UTF-8
with a byte-order mark, so Excel shows "Journal de Genève" and not "Journal de GenÃ¨ve",
and formula-safe. glamlab's own CSV readers take such a file back (a re-import of an
export)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

BOM = "\ufeff".encode()
PLACE = "Journal de Genève"


def _rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(BOM), raw[:20]
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))  # the BOM kept: a key


def test_a_trend_csv_opens_in_excel_with_its_accents_and_runs_no_formula(tmp_path: Path
                                                                        ) -> None:
    from glamlab.trends.trend import NO_VALUE, TrendResult, TrendRow

    def row(group: str | None, n: int) -> TrendRow:
        return TrendRow(group=group, label="people", n=n, raw=0.5, raw_low=0.4, raw_high=0.6,
                        estimate=0.5, low=0.4, high=0.6, method="cc", status="ok")

    result = TrendResult(by="newspaper", model="m@1", method="cc", labels=["people"],
                         rows=[row(PLACE, 40), row("=1+2", 30), row(None, 31)], rates={})
    path = result.to_csv(tmp_path / "trend.csv")
    raw = path.read_bytes()
    assert raw.startswith(BOM + b"group,")  # Excel reads it as UTF-8
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["group"] for r in table] == [PLACE, "'=1+2", NO_VALUE]
    assert [int(r["n"]) for r in table] == [r.n for r in result.rows]


def test_glamlab_reads_back_the_csv_it_writes(make_ws: Any, tmp_path: Path) -> None:
    """Items, labels, an authority file and an entity corpus, each written as glamlab
    writes a CSV (with the BOM), read by ingest, labels import, authority import and the
    entity corpus reader: the first column is found by its name."""
    from glamlab.linking import import_authority
    from glamlab.linking.authority import authority_records
    from glamlab.predictors.entities.corpus import read_sentences
    from glamlab.sheets import write_csv_file
    from glamlab.tasks.labels import import_labels

    ws = make_ws("bom", modality="text", labels=["PER", "LOC"])
    texts = tmp_path / "texts.csv"
    write_csv_file(texts, ["id", "text", "place"],
                   [["n1", f"Lettre du {PLACE}", PLACE], ["n2", "Une autre lettre", "Lyon"]])
    assert _rows(texts)[0]["\ufeffid"] == "n1"  # the file does start with the mark
    report = ws.ingest([texts], id_column="id", text_column="text")
    assert (report.added, report.failed) == (2, 0), report.problems
    assert ws.item("n1").text == f"Lettre du {PLACE}" and ws.item("n1").meta["place"] == PLACE

    labels = tmp_path / "labels.csv"
    write_csv_file(labels, ["id", "label"], [["n1", "LOC"], ["n2", "PER"]])
    assert import_labels(ws, labels).items == 2

    names = tmp_path / "names.csv"
    write_csv_file(names, ["id", "label", "alt_labels", "type"],
                   [["Q71", "Genève", "Genf|Ginevra", "LOC"]])
    assert import_authority(ws, names).added == 1
    (record,) = authority_records(ws, ["Q71"]).values()
    assert (record.label, record.alt_labels, record.type) == ("Genève", ["Genf", "Ginevra"],
                                                              "LOC")

    corpus = tmp_path / "labels-entities.csv"
    write_csv_file(corpus, ["id", "path_or_text", "label"],
                   [["s1", f"Le {PLACE}.", json.dumps([{"start": 3, "end": 20, "type": "ORG"}])]])
    (sentence,) = read_sentences(corpus)
    assert sentence.id == "s1" and sentence.text[3:20] == PLACE


def test_a_carriage_return_inside_a_cell_is_quoted_so_no_row_starts_after_it() -> None:
    """A lone CR left unquoted ends the row in a spreadsheet: what follows it in the cell
    (here a formula) became the first cell of a new row, unseen by formula_safe. The
    cell is quoted, rows still end in LF, and a strict reader gets the cell back whole."""
    from glamlab.sheets import csv_bytes

    raw = csv_bytes(["item_id", "title"], [["a", "x\r=HYPERLINK(\"http://evil/\")"],
                                            ["b", "\r=1+1"], ["c", "plain"]])
    text = raw.decode("utf-8-sig")
    assert "\r" not in text.replace('"x\r=', "").replace("\"'\r=1+1\"", "")
    assert text.endswith("c,plain\n") and "\r\n" not in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["item_id", "title"], ["a", "x\r=HYPERLINK(\"http://evil/\")"],
                    ["b", "'\r=1+1"], ["c", "plain"]]
    # every line a spreadsheet sees (CR, LF or CRLF ending a line outside quotes) starts
    # a row: none starts with a formula
    for line in csv.reader(io.StringIO(text.replace("\r", "\n"))):
        assert not line or not line[0].startswith("="), line
