"""A reviewer accepting one suggested subject of a record took the credit for the
record's other subjects in every export. A multi-label review decision writes the
item's whole new gold under the reviewer's name (a copy of the labels it had beside
the one decided), and the export named the annotator of the gold in force as who gave
each label: the cataloguer's subjects said ``confirmed_by`` the reviewer, and, the
model having rejected them, ``origin=machine`` with its low score, so filtering by score
in OpenRefine dropped them. Each label is now credited to whoever gave it first (the
cataloguer's stay theirs, only the decided one is the reviewer's), and a label the
policy rejects that a person's gold gives is exported as the person's label (as a gold
label in place of the model's is): ``origin=person``, no score, the person the W3C and
IIIF ``creator``. The item's gold set, what training and evaluation read, is as
before."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from glamlab.store import now

from .helpers import add_items, add_model, add_predictions

URL = "https://iiif.example.org/tate/{}/canvas/1"
MANIFEST = "https://iiif.example.org/tate/manifest.json"
SUBJECTS = ("sea", "ships", "storm", "dog")


def _tate(make_ws: Any) -> Any:
    """t1: the cataloguer (tate) gave {sea, ships}, which the model scores 0.04; it
    sends storm (0.7) to review. t2: no subjects, the model accepts sea."""
    ws = make_ws("tate", task="subjects", labels=list(SUBJECTS), multi_label=True)
    add_items(ws, [{"item_id": i, "source_kind": "iiif", "uri": f"https://example.org/{i}.jpg",
                    "meta": {"canvas_id": URL.format(i), "manifest": MANIFEST}}
                   for i in ("t1", "t2")])
    t = ws.store.t
    with ws.store.write() as conn:
        conn.execute(t.labels.insert(), [
            {"item_id": "t1", "label": x, "annotator": "tate", "source": "import",
             "active": True, "created_at": now()} for x in ("sea", "ships")])
        conn.execute(t.splits.insert().values(item_id="t1", split="train", created_at=now()))
    add_predictions(ws, add_model(ws, "subj", 1), {
        "t1": {"sea": 0.04, "ships": 0.04, "storm": 0.7, "dog": 0.01},
        "t2": {"sea": 0.95, "ships": 0.04, "storm": 0.01, "dog": 0.01}}, multi_label=True)
    ws.card.raw["policy"] = {"field": "subject",
                             "labels": {x: {"accept": 0.9, "review": 0.5} for x in SUBJECTS}}
    ws.save_card()
    return ws


def test_accepting_one_suggestion_leaves_the_cataloguers_subjects_theirs(
        make_ws: Any, tmp_path: Path) -> None:
    from glamlab.actions import act, export
    from glamlab.actions.export import ExportFilter, iter_rows
    from glamlab.review import decide, peek_queue
    from glamlab.tasks.labels import gold_labels

    ws = _tate(make_ws)
    act(ws)
    queued = [r for r in peek_queue(ws, limit=50) if r["item_id"] == "t1"]
    assert [r["label"] for r in queued] == ["storm"]
    decide(ws, "ada", queued[0]["id"], "accept", queued[0]["version"])
    assert sorted(gold_labels(ws, ["t1"])["t1"]) == ["sea", "ships", "storm"]

    rows = {(e.row["item_id"], e.row["value"]): e.row for e in iter_rows(ws)
            if e.row["action"] == "accept"}
    assert {k: (r["origin"], r["decision"], r["confirmed_by"], r["score"])
            for k, r in rows.items()} == {
        ("t1", "storm"): ("machine", "accept", "ada", 0.7),
        ("t1", "sea"): ("person", "gold", "tate", None),
        ("t1", "ships"): ("person", "gold", "tate", None),
        ("t2", "sea"): ("machine", None, None, 0.95)}
    assert rows[("t1", "sea")]["reason"] == "settled by a gold label: tate's label gives it"
    assert [(e.row["item_id"], e.row["value"]) for e in iter_rows(
        ws, where=ExportFilter(confirmed=True))] == [("t1", "storm"), ("t1", "sea"),
                                                      ("t1", "ships")]

    out = tmp_path / "export.csv"
    export(ws, "csv", out)
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert {(r["item_id"], r["value"]): (r["origin"], r["confirmed_by"], r["score"])
            for r in table if r["action"] == "accept"} == {
        ("t1", "storm"): ("machine", "ada", "0.7"), ("t1", "sea"): ("person", "tate", ""),
        ("t1", "ships"): ("person", "tate", ""), ("t2", "sea"): ("machine", "", "0.95")}

    out = tmp_path / "export.jsonl"
    export(ws, "jsonl", out)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert {(x["value"], x["confirmed_by"]) for x in lines
            if x["item_id"] == "t1" and x["action"] == "accept"} == {
        ("storm", "ada"), ("sea", "tate"), ("ships", "tate")}

    out = tmp_path / "export.json"
    export(ws, "w3c", out)
    annos = [a for a in json.loads(out.read_text(encoding="utf-8"))["first"]["items"]
             if a["target"]["source"] == URL.format("t1") and a["action"] == "accept"]
    assert {a["body"]["value"]: (a.get("creator", {}).get("name"), a["confirmedBy"],
                                 "generator" in a, a["confidence"]) for a in annos} == {
        "storm": (None, "ada", True, 0.7), "sea": ("tate", "tate", False, None),
        "ships": ("tate", "tate", False, None)}

    out = tmp_path / "iiif"
    res = export(ws, "iiif", out, base_url="https://example.org/annos/")
    on_t1 = [a for p in res["pages"] for a in json.loads(
        (out / p["file"]).read_text(encoding="utf-8"))["items"]
        if a["target"]["source"]["id"] == URL.format("t1")]
    assert {a["body"][0]["value"]: (a.get("creator", {}).get("name"), "generator" in a)
            for a in on_t1} == {"storm": ("ada", True), "sea": ("tate", False),
                                "ships": ("tate", False), "dog": (None, True)}


def test_each_reviewers_decided_label_stays_theirs(make_ws: Any) -> None:
    """A second reviewer's decision copies the first's label too: each label is still
    credited to whoever gave it."""
    from glamlab.actions import act
    from glamlab.actions.export import iter_rows
    from glamlab.review import decide, peek_queue

    ws = _tate(make_ws)
    add_predictions(ws, add_model(ws, "subj", 2), {
        "t1": {"sea": 0.04, "ships": 0.04, "storm": 0.7, "dog": 0.6}}, multi_label=True)
    ws.card.raw["policy"]["model"] = "subj@2"
    ws.save_card()
    act(ws)
    queued = {r["label"]: r for r in peek_queue(ws, limit=50) if r["item_id"] == "t1"}
    assert sorted(queued) == ["dog", "storm"]
    decide(ws, "ada", queued["storm"]["id"], "accept", queued["storm"]["version"])
    decide(ws, "bo", queued["dog"]["id"], "accept", queued["dog"]["version"])
    got = {e.row["value"]: (e.row["decision"], e.row["confirmed_by"])
           for e in iter_rows(ws) if e.row["item_id"] == "t1"}
    assert got == {"storm": ("accept", "ada"), "dog": ("accept", "bo"),
                   "sea": ("gold", "tate"), "ships": ("gold", "tate")}
