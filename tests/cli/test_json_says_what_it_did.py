"""--json says what the command did, not only stderr: `labels sample --out FILE --json`
names the file it wrote (it did not), and `ingest --json` gives the text column it chose
by itself (it was said on stderr only)."""

from __future__ import annotations

import csv
import json

from tests.cli.test_nothing_brought_in import _run


def _letters(path):
    path.write_text("id,title,body\n"
                    "b1,Lettre,\"Mon cher ami, je vous écris depuis Paris pour vous dire que "
                    "tout va bien ici et que la saison est belle.\"\n"
                    "b2,Brief,\"Lieber Freund, ich schreibe dir aus Berlin, um dir zu sagen, "
                    "dass hier alles gut ist und das Wetter schön.\"\n", encoding="utf-8")
    return path


def test_ingest_json_gives_the_text_column_it_chose(make_ws, tmp_path, capsys):
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    table = _letters(tmp_path / "letters.csv")
    code, out, err = _run(capsys, ws, "ingest", str(table), "--json")
    report = json.loads(out)
    assert code == 0 and report["added"] == 2
    assert report["text_columns"] == [{"source": str(table), "column": "body"}]
    said = [line for line in err.splitlines() if "taken from the column 'body'" in line]
    assert said and report["notes"] == said  # what stderr said, in the JSON too
    assert [i.text for i in ws.items()][0].startswith("Mon cher ami")
    # named with --text-column: nothing was chosen
    code, out, _err = _run(capsys, ws, "ingest", str(table), "--text-column", "title",
                           "--json")
    assert code == 0 and json.loads(out)["text_columns"] == []


def test_labels_sample_json_names_the_sheet_it_wrote(make_ws, tmp_path, capsys):
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    code, _out, _err = _run(capsys, ws, "ingest", str(_letters(tmp_path / "letters.csv")))
    assert code == 0
    sheet = tmp_path / "to-label.csv"
    code, out, _err = _run(capsys, ws, "labels", "sample", "--n", "2", "--out", str(sheet),
                           "--json")
    data = json.loads(out)
    assert code == 0 and data["out"] == str(sheet.resolve())
    with open(data["out"], encoding="utf-8-sig", newline="") as fh:
        ids = [row["id"] for row in csv.DictReader(fh)]
    assert sorted(ids) == sorted(row["id"] for row in data["items"])
    assert data["out_rows"] == len(ids) == 2
    code, out, _err = _run(capsys, ws, "labels", "sample", "--n", "1", "--json")
    assert code == 0 and json.loads(out)["out"] is None
