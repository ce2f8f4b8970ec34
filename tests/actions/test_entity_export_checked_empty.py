"""A text a person decided has no entities (every suggested span rejected, or the whole
text marked checked with none) is in the per-text entity exports: a JSONL record with an
empty ``entities`` list and who decided it and when, an INCEpTION document without
annotations. The exports left it out, and with it who checked it and when. The
one-row-per-mention formats (CSV...) have no row for it, and their result says so."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from tests.ner_project import gold_and_new_texts, queued_by_new_text


def test_texts_decided_without_entities_are_exported(make_ws: Any, tmp_path: Path) -> None:
    from glamlab.actions import act
    from glamlab.actions.entity_export import export_entities
    from glamlab.actions.export import ExportFilter
    from glamlab.review import decide, mark_text_done

    ws, _gold = gold_and_new_texts(make_ws, tmp_path, 3)
    try:
        act(ws, model="gazetteer@1")
        by_item = queued_by_new_text(ws, 1)
        rejected, checked = sorted(by_item)[:2]
        for r in by_item[rejected]:  # ana rejects every suggested span of one text
            decide(ws, "ana", r["id"], "reject", r["version"])
        mark_text_done(ws, "bea", checked)  # bea finds no entity in another
        others = set(by_item) - {rejected, checked}

        out = tmp_path / "entities.jsonl"
        res = export_entities(ws, "jsonl", out, model="gazetteer@1")
        records = {d["id"]: d for d in map(json.loads,
                                           out.read_text(encoding="utf-8").splitlines())}
        assert res["items"] == len(records)
        for item_id, who in ((rejected, "ana"), (checked, "bea")):
            assert item_id in records, item_id
            d = records[item_id]
            assert d["entities"] == []
            assert d["provenance"]["confirmed_by"] == who
            assert d["provenance"]["annotator"] == who
            assert d["provenance"]["model"] is None
            assert d["provenance"]["created"]
        for item_id in others:  # texts nobody decided still wait, with their spans
            assert {e["action"] for e in records[item_id]["entities"]} == {"review"}

        # a filter keeps them as a person's accepted span with no type nor score
        for where, kept in ((ExportFilter(confirmed=True), True),
                            (ExportFilter(actions=("review",)), False),
                            (ExportFilter(label="PER"), False)):
            export_entities(ws, "jsonl", out, model="gazetteer@1", where=where)
            ids = {json.loads(line)["id"] for line in
                   out.read_text(encoding="utf-8").splitlines()}
            assert ({rejected, checked} <= ids) is kept, where
            assert not ({rejected, checked} & ids) or kept, where

        folder = tmp_path / "inception"
        res = export_entities(ws, "inception", folder, model="gazetteer@1")
        index = (folder / "index.tsv").read_text(encoding="utf-8").splitlines()
        files = {line.split("\t")[1]: line.split("\t")[0] for line in index[1:]}
        for item_id in (rejected, checked):
            assert item_id in files, item_id
            tsv = (folder / files[item_id]).read_text(encoding="utf-8")
            assert "#Text=Nouvelle lettre." in tsv and "NamedEntity" in tsv
            tokens = [line.split("\t") for line in tsv.splitlines()
                      if line and not line.startswith("#")]
            assert tokens and all(t[3:5] == ["_", "_"] for t in tokens), tsv  # none

        out = tmp_path / "entities.csv"
        res = export_entities(ws, "csv", out, model="gazetteer@1")
        lines = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        assert not {rejected, checked} & {r["item_id"] for r in lines}
        # those two, and the imported gold texts without entities (the import says so)
        empty = {i for i, d in records.items() if not d["entities"]}
        assert {rejected, checked} <= empty
        assert {records[i]["provenance"]["confirmed_by"] for i in empty} == {
            "ana", "bea", "import"}
        assert res["checked_without_entities"] == len(empty)
        assert any("without entities" in n and "jsonl" in n for n in res["notes"]), res
    finally:
        ws.close()
