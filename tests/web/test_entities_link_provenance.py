"""Entities review: a span whose type a reviewer changes by its number key (the queue
page posts the whole card: the link list as the linker left it) keeps the linker's
link as the linker's, not as a record the reviewer chose (routes.review.queue_decide,
actions.entity_export)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.web.conftest import csrf_of, login
from tests.web.test_entities_review import entities_ws as entities_ws  # the fixture


def _linked_rows(ws: Any, tmp_path: Path) -> list[dict[str, Any]]:
    """An authority file of the gold's mentions, the model's spans linked to it: the open
    rows with a link, one per text."""
    import csv

    from glamlab.actions.link import link_choices, link_predictions, training_mentions
    from glamlab.linking import authority_from_mentions, import_authority
    from glamlab.review import peek_queue

    names = tmp_path / "names.csv"
    with names.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label", "alt_labels", "type", "description"])
        for r in authority_from_mentions(training_mentions(ws)):
            w.writerow([r.record_id, r.label, "|".join(r.alt_labels), r.type, r.label])
    import_authority(ws, names)
    assert link_predictions(ws, model="gazetteer@1").mentions > 0
    rows = peek_queue(ws, limit=500)
    link_choices(ws, rows)
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r.get("link") and r["link"]["authority_id"] != "NIL":
            out.setdefault(r["item_id"], r)
    return list(out.values())


def test_a_type_changed_by_number_key_keeps_the_linkers_link_as_the_linkers(
        entities_ws: Any, tmp_path: Path) -> None:
    """Before, the link the list showed (the linker's pick) was saved as the reviewer's
    choice: the gold span held it as the reviewer's (the linker learned its own guess
    back as a person's) and the exports gave no sign it was the linker's. Now the gold
    span keeps it, marked the linker's (``attrs.link_by``, left out of what the linker
    learns), and the JSONL and W3C exports say so (JSONL ``attrs.link_by``, the W3C
    identifying body's ``generator``)."""
    from fastapi.testclient import TestClient

    from glamlab.actions.entity_export import export_entities
    from glamlab.actions.link import training_mentions
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    linked = _linked_rows(ws, tmp_path)
    assert linked, "no open review row is linked to a record"
    row = linked[0]
    rid, v, kept = row["id"], row["value"], row["link"]["authority_id"]
    new = "ORG" if row["label"] != "ORG" else "PER"
    learned = len(training_mentions(ws))
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue?limit=500").text
        assert f'name="linked_{rid}" value="{kept}"' in page
        # the form as the number key posts it: the type changed, the rest as shown
        r = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{rid}:{row['version']}:correct",
            f"label_{rid}": new, f"predicted_{rid}": row["label"],
            f"authority_{rid}": kept, f"linked_{rid}": kept,
            f"start_{rid}": str(v["start"]), f"end_{rid}": str(v["end"]),
            f"value_{rid}": json.dumps({"start": v["start"], "end": v["end"]})},
            follow_redirects=False)
        assert r.status_code == 303, r.text
    mine = [s for s in gold_spans(ws, [row["item_id"]])[row["item_id"]]
            if (s.start, s.end) == (v["start"], v["end"])]
    assert [(s.label, s.authority_id, s.attrs.get("link_by")) for s in mine] == [
        (new, kept, "linker")], mine
    # the linker does not learn its own guess back as a person's
    assert len(training_mentions(ws)) == learned

    out = tmp_path / "e.jsonl"
    export_entities(ws, "jsonl", out, model="gazetteer@1")
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    ents = [e for i in items if i["id"] == row["item_id"] for e in i["entities"]
            if (e["start"], e["end"]) == (v["start"], v["end"])]
    assert len(ents) == 1, ents
    assert (ents[0]["label"], ents[0]["authority_id"]) == (new, kept), ents
    assert ents[0].get("attrs", {}).get("link_by") == "linker", ents

    w3c = tmp_path / "e.json"
    export_entities(ws, "w3c", w3c, model="gazetteer@1")
    annos = json.loads(w3c.read_text(encoding="utf-8"))
    annos = annos.get("items") or annos.get("first", {}).get("items") or []
    mine_a = [a for a in annos if a["id"].endswith(f"-{v['start']}-{v['end']}-{new}")
              and row["item_id"] in a["id"]]
    assert len(mine_a) == 1, [a["id"] for a in annos][:5]
    ident = [b for b in mine_a[0]["body"] if b.get("purpose") == "identifying"]
    assert len(ident) == 1 and ident[0].get("generator", {}).get("name") == "glamlab link", ident
    assert mine_a[0].get("creator", {}).get("nickname") == "rey"  # the span is the reviewer's

    # the CSV for OpenRefine says it too, beside the reviewer who corrected the span
    import csv

    sheet = tmp_path / "e.csv"
    export_entities(ws, "csv", sheet, model="gazetteer@1")
    with sheet.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["item_id"] == row["item_id"]
                and (int(r["start"]), int(r["end"])) == (v["start"], v["end"])]
    assert len(rows) == 1, rows
    assert (rows[0]["type"], rows[0]["authority_id"], rows[0]["link_by"]) == (new, kept, "linker")
    assert rows[0]["confirmed_by"] == "rey"
