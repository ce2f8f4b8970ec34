"""A text's complete gold spans that no reviewer decision covers were exported without
what the gold says of their link: ``link_by: linker`` (the link is the linker's, not a
person's) was dropped, so a gold file imported from an export (``glamlab labels import``
of it, or the entities gold import) came out of the next export as the person's link.
Now a gold span keeps it (and the link's score) in the JSONL and CSV exports, whether the
model found the span too (the gold holds it) or not, and a round trip export -> import
-> export keeps it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.ner_project import gold_and_gazetteer, policy_and_run

Key = tuple[str, int, int, str]


def _exported(ws: Any, tmp_path: Path, stem: str
              ) -> tuple[Path, dict[Key, dict[str, Any]], dict[Key, dict[str, str]]]:
    """The JSONL file of the model's export, its entities and the CSV's rows, by span."""
    from glamlab.actions.entity_export import export_entities

    out = tmp_path / f"{stem}.jsonl"
    export_entities(ws, "jsonl", out, model="gazetteer@1")
    ents = {(d["id"], e["start"], e["end"], e["label"]): e
            for d in map(json.loads, out.read_text(encoding="utf-8").splitlines())
            for e in d["entities"]}
    sheet = tmp_path / f"{stem}.csv"
    export_entities(ws, "csv", sheet, model="gazetteer@1")
    rows = {(r["item_id"], int(r["start"]), int(r["end"]), r["type"]): r
            for r in csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig")))}
    return out, ents, rows


def test_gold_spans_keep_the_linkers_mark_through_an_export_round_trip(
        make_ws: Any, tmp_path: Path) -> None:
    from glamlab.actions.export import iter_rows
    from glamlab.tasks.spans import gold_spans, import_spans
    from glamlab.tasks.spans.model import MAIN_LAYER

    ws = policy_and_run(gold_and_gazetteer(make_ws), "accept")
    try:
        held = {(e.item.item_id, int(e.candidate.value["start"]),
                 int(e.candidate.value["end"]), e.candidate.label)
                for e in iter_rows(ws) if e.row["action"] == "accept"
                and (e.candidate.value.get("layer") or MAIN_LAYER) == MAIN_LAYER}
        linked = sorted((i, g.start, g.end, g.label) for i, spans in gold_spans(ws).items()
                        for g in spans if g.authority_id and g.authority_id != "NIL")
        # gold spans the model found too (held by the gold), and ones it missed
        marked = [k for k in linked if k in held][:2] + [k for k in linked
                                                         if k not in held][:2]
        assert len(marked) == 4, (len(held), len(linked))
        # the gold says these links are the linker's (as a gold file imported from an
        # export says of a link the linker made), one with the linker's score too
        sets, sp = ws.store.t.span_sets, ws.store.t.spans
        with ws.store.write() as conn:
            for n, (item_id, start, end, label) in enumerate(marked):
                attrs = {"link_by": "linker", **({"link_score": 0.75} if n % 2 else {})}
                done = conn.execute(sp.update().where(
                    sp.c.set_id.in_(sa.select(sets.c.id).where(
                        sets.c.item_id == item_id, sets.c.kind == "gold",
                        sets.c.active.is_(True))),
                    sp.c.char_start == start, sp.c.char_end == end, sp.c.label == label,
                    sp.c.layer == MAIN_LAYER).values(attrs=attrs))
                assert done.rowcount >= 1

        def check(ents: dict[Key, dict[str, Any]], rows: dict[Key, dict[str, str]]) -> None:
            for n, k in enumerate(marked):
                attrs = {"link_by": "linker", **({"link_score": 0.75} if n % 2 else {})}
                assert ents[k].get("attrs") == attrs, (k, ents[k])
                assert rows[k]["link_by"] == "linker", (k, rows[k])
            # a gold link no one marked is a person's, as before
            other = next(k for k in linked if k not in marked)
            assert "link_by" not in ents[other].get("attrs", {}), ents[other]
            assert rows[other]["link_by"] == "", rows[other]

        first, ents, rows = _exported(ws, tmp_path, "first")
        check(ents, rows)
        # the export imported again as a curator's gold, then exported: kept
        import_spans(ws, first, annotator="curator")
        again = gold_spans(ws)
        for k in marked:
            [g] = [g for g in again[k[0]] if (g.start, g.end, g.label) == k[1:]]
            assert g.attrs.get("link_by") == "linker", (k, g)
        _, ents, rows = _exported(ws, tmp_path, "second")
        check(ents, rows)
        assert {r["confirmed_by"] for k, r in rows.items() if k in marked} == {"curator"}
    finally:
        ws.close()
