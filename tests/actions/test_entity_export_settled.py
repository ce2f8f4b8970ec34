"""A predicted span complete gold spans settle (the review queue does not ask about it:
:mod:`glamlab.store.queue`) is exported as what the gold says, not as ``review``: the CSV,
JSONL and W3C entity exports said ``action=review`` for spans no reviewer would ever be
shown. A span the text's gold holds is ``accept``, confirmed by who gave the gold; one it
does not hold is not an entity, left out as a rejected one is; the spans of texts without
gold still say ``review``; the per-prediction export says ``decision=gold`` and why. The
entity exports of a text with complete gold have its gold spans, those the model missed
too."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from tests.ner_project import gold_and_new_texts


def test_spans_settled_by_complete_gold_export_what_the_gold_says(make_ws: Any,
                                                                   tmp_path: Path) -> None:
    from glamlab.actions import act
    from glamlab.actions.entity_export import export_entities
    from glamlab.actions.export import iter_rows
    from glamlab.review import queue_counts, save_label
    from glamlab.tasks.spans import gold_spans

    ws, gold = gold_and_new_texts(make_ws, tmp_path, 3)
    try:
        act(ws, model="gazetteer@1")
        # a reviewer says on the labelling page that one text holds no entity at all
        empty = next(e.item.item_id for e in iter_rows(ws) if e.item.item_id in gold)
        save_label(ws, "bea", empty, ["[]"], split="train")
        who = {i: "bea" if i == empty else "import" for i in gold}
        settled = queue_counts(ws)["settled_by_gold"]
        assert settled > 0
        truth = {i: {(s.start, s.end, s.label) for s in spans}
                 for i, spans in gold_spans(ws, sorted(gold)).items()}
        rows = [e.row | {"span": (e.candidate.value["start"], e.candidate.value["end"],
                                  e.candidate.label)} for e in iter_rows(ws)]
        on_gold = [r for r in rows if r["item_id"] in gold]
        assert len(on_gold) == settled
        for r in on_gold:  # every one says what the gold says, and who gave it
            held = r["span"] in truth[r["item_id"]]
            assert (r["action"], r["decision"], r["confirmed_by"]) == (
                "accept" if held else "reject", "gold", who[r["item_id"]]), r
            assert r["reason"].startswith("settled by a gold label")
        held = sum(r["action"] == "accept" for r in on_gold)
        assert 0 < held < len(on_gold)
        assert {r["action"] for r in on_gold if r["item_id"] == empty} == {"reject"}
        assert {r["action"] for r in rows if r["item_id"] not in gold} == {"review"}

        out = tmp_path / "entities.csv"
        export_entities(ws, "csv", out, model="gazetteer@1")
        lines = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        gold_lines = [r for r in lines if r["item_id"] in gold]
        # on a text with complete gold the spans are the gold spans: those the model
        # found (held) and those it missed, each once, confirmed by who gave them
        every = sum(len(t) for t in truth.values())
        assert held < len(gold_lines) == every
        assert {(r["action"], r["confirmed_by"]) for r in gold_lines} == {("accept", "import")}
        assert {(r["item_id"], int(r["start"]), int(r["end"]), r["type"]) for r in gold_lines
                } == {(i, *s) for i, t in truth.items() for s in t}
        assert {r["action"] for r in lines if r["item_id"] not in gold} == {"review"}

        out = tmp_path / "entities.jsonl"
        export_entities(ws, "jsonl", out, model="gazetteer@1")
        actions = {(d["id"] in gold, e["action"])
                   for d in map(json.loads, out.read_text(encoding="utf-8").splitlines())
                   for e in d["entities"]}
        assert actions == {(True, "accept"), (False, "review")}

        out = tmp_path / "entities.json"
        export_entities(ws, "w3c", out, model="gazetteer@1")
        annos = json.loads(out.read_text(encoding="utf-8"))["first"]["items"]
        on_gold_annos = [a for a in annos if any(i in json.dumps(a["target"]) for i in gold)]
        assert len(on_gold_annos) == every
        assert {(a["action"], a.get("confirmedBy")) for a in on_gold_annos} == {
            ("accept", "import")}
    finally:
        ws.close()
