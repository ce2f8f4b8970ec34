"""A model's span of another layer than the main one (a predictor that finds nested
entities) keeps its layer through the review queue: accepted or corrected through the
JSON API, the reviewer's gold span is of that layer, and the exports of the gold say
so. Before, the queue kept no layer (every queued span read as a main-layer one), and
a correction sent only the new boundaries."""

from __future__ import annotations

import csv
import dataclasses
import html
import json
import re
from pathlib import Path
from typing import Any

from glamlab.predictors.entities.baselines import EntityRulesPredictor
from tests.web.conftest import PASSWORD, csrf_of, login

LABELS = ["PER", "LOC"]
RULES = [{"name": "city", "label": "LOC", "pattern": r"\b(?:Paris|Lyon)\b"}]


class NestedRules(EntityRulesPredictor):
    """The rules baseline, its spans on the ``nested`` layer (test only)."""

    name = "test-nested-rules"

    def predict_spans(self, texts: Any, *, langs: Any = None) -> Any:
        return [[dataclasses.replace(s, layer="nested") for s in spans]
                for spans in super().predict_spans(texts, langs=langs)]


def test_a_nested_span_keeps_its_layer_through_review(make_ws: Any, tmp_path: Path,
                                                      monkeypatch: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.actions.act import act
    from glamlab.actions.entity_export import export_spans, iter_gold_rows
    from glamlab.auth import add_user
    from glamlab.inference import run
    from glamlab.predictors import catalogue
    from glamlab.registry import save_model
    from glamlab.tasks.kinds import prepare_card
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    monkeypatch.setitem(catalogue.BUILTIN, NestedRules.name, f"{__name__}:NestedRules")
    ws = make_ws("ner", task="ner", kind="entities", modality="text", labels=LABELS,
                 prepare=prepare_card)
    src = tmp_path / "pages.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "text"], ["a", "M. Durand est à Paris."],
                                  ["b", "Rien à Lyon ce soir."],
                                  ["c", "Vu à Paris hier."]])
    ws.ingest([str(src)], id_column="id", text_column="text")
    save_model(ws, NestedRules(rules=RULES, preset=None).fit([], [], classes=LABELS),
               name="nested")
    assert run(ws, "nested", workers=0).done == 3
    ws.card_path.write_text(ws.card_path.read_text() + '\n[policy]\nmodel = "nested@1"\n\n'
                            '[policy.labels.LOC]\nreview = 0.0\n')
    act(ws)
    add_user(ws, "rey", PASSWORD, "reviewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        h = {"X-CSRF-Token": csrf_of(c)}
        rows = {r["item_id"]: r for r in c.get("/api/queue?limit=50").json()}
        assert {r["value"].get("layer") for r in rows.values()} == {"nested"}
        a, b = rows["a"], rows["b"]
        r = c.post("/api/decisions", json={"queue_id": a["id"], "action": "accept",
                                           "seen_version": a["version"]}, headers=h)
        assert r.status_code == 200, r.text
        # "Lyon ce" (new boundaries) as a person's name
        r = c.post("/api/decisions", json={
            "queue_id": b["id"], "action": "correct", "seen_version": b["version"],
            "label": "PER", "value": {"start": b["value"]["start"],
                                      "end": b["value"]["end"] + 3}}, headers=h)
        assert r.status_code == 200, r.text
        # the queue page: "Paris hier" (its boundaries fixed), with the value it gives
        c_row = rows["c"]
        page = c.get("/queue?limit=50").text
        m = re.search(rf"name=\"value_{c_row['id']}\" value='([^']*)'", page)
        assert m is not None, "no value field for the row on the queue page"
        r = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{c_row['id']}:{c_row['version']}:correct",
            f"label_{c_row['id']}": "LOC", f"value_{c_row['id']}": html.unescape(m.group(1)),
            f"start_{c_row['id']}": str(c_row["value"]["start"]),
            f"end_{c_row['id']}": str(c_row["value"]["end"] + 5)}, follow_redirects=False)
        assert r.status_code == 303, r.text
    gold = {i: [(s.layer, s.start, s.end, s.label) for s in spans]
            for i, spans in gold_spans(ws, layer=None).items()}
    paris, lyon = "M. Durand est à Paris.".index("Paris"), "Rien à Lyon ce soir.".index("Lyon")
    hier = "Vu à Paris hier.".index("Paris")
    assert gold == {"a": [("nested", paris, paris + 5, "LOC")],
                    "b": [("nested", lyon, lyon + 7, "PER")],
                    "c": [("nested", hier, hier + 10, "LOC")]}
    out = tmp_path / "gold.jsonl"
    export_spans(iter_gold_rows(ws), "jsonl", out, layers=None)
    layers = [e.get("layer") for line in out.read_text(encoding="utf-8").splitlines()
              for e in json.loads(line)["entities"]]
    assert layers == ["nested", "nested", "nested"]
