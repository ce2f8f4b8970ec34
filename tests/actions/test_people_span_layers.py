"""People's spans keep their layer in the entities exports.

The spans reviewers settled on (accepted, corrected to, or added) that the model's
current predictions do not carry reach the exports through
:func:`glamlab.actions.entity_export._people_spans`, which keyed them by type and
offsets only: a nested span a reviewer accepted or added came out as a main-layer span
(or not at all, where the model has a main-layer span of that type on the same words),
and a later decision on the same words on the main layer hid an earlier one on the
nested layer. Each is a person's work lost from the export."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from glamlab.predictors.entities.baselines import EntityRulesPredictor
from tests.cli.test_export_layers import LABELS, RULES, _export, _project


def _csv(path: Path) -> list[tuple[str, str, str, str, str]]:
    """(item, words, type, layer, who confirmed it) of each row."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return sorted((r["item_id"], r["text"], r["type"], r["layer"], r["confirmed_by"])
                      for r in csv.DictReader(fh))


def _jsonl(path: Path) -> list[tuple[str, str, str, str, str]]:
    out = []
    for line in path.read_text("utf-8").splitlines():
        obj = json.loads(line)
        # an entity's own provenance (a reviewer's span) stands for the line's
        out.extend((obj["id"], e["text"], e["label"], e.get("layer", "entity"),
                    (e.get("provenance") or obj.get("provenance") or {}).get("confirmed_by")
                    or "") for e in obj["entities"])
    return sorted(out)


def _reviewed(make_ws: Any, tmp_path: Path, monkeypatch: Any) -> Any:
    """The two-layer project (:func:`_project`: the model finds Durand on the main
    layer, Paris and Lyon on the main and the nested layers, every span queued); ada
    accepts the nested Paris, adds Durand on the nested layer (the model has it on the
    main one), Rien on the nested layer, and soir on the nested layer, then on the main
    one."""
    from glamlab.review import add_span, decide

    ws = _project(make_ws, tmp_path, monkeypatch)
    q = ws.store.t.review_queue
    import sqlalchemy as sa

    with ws.store.read() as conn:
        [(row, version)] = conn.execute(sa.select(q.c.id, q.c.version).where(
            q.c.item_id == "a", q.c.label == "LOC")).all()[1:]
        assert conn.execute(sa.select(q.c.value).where(q.c.id == row)).scalar()[
            "layer"] == "nested"
    decide(ws, "ada", row, "accept", version)
    text_a, text_b = ws.item("a").text or "", ws.item("b").text or ""
    at = text_a.index("Durand")
    add_span(ws, "ada", "a", at, at + 6, "PER", layer="nested")
    add_span(ws, "ada", "b", 0, 4, "PER", layer="nested")
    at = text_b.index("soir")
    add_span(ws, "ada", "b", at, at + 4, "LOC", layer="nested")
    add_span(ws, "ada", "b", at, at + 4, "LOC")  # later, the same words, the main layer
    return ws


#: what ada settled on, each span on its layer
ADA = [("a", "Durand", "PER", "nested", "ada"), ("a", "Paris", "LOC", "nested", "ada"),
       ("b", "Rien", "PER", "nested", "ada"), ("b", "soir", "LOC", "entity", "ada"),
       ("b", "soir", "LOC", "nested", "ada")]


def test_people_s_nested_spans_keep_their_layer_in_every_export(
        make_ws: Any, tmp_path: Path, monkeypatch: Any) -> None:
    ws = _reviewed(make_ws, tmp_path, monkeypatch)
    model = [("a", "Durand", "PER", "entity"), ("a", "Paris", "LOC", "entity"),
             ("b", "Lyon", "LOC", "entity"), ("b", "Lyon", "LOC", "nested")]
    every = sorted(model + [r[:4] for r in ADA])

    def check(rows: list[tuple[str, str, str, str, str]], layers: set[str]) -> None:
        # every span once, on its layer; ada's as hers (who confirmed the model's
        # main Paris is another matter: the model's rows are compared without it)
        assert sorted(r[:4] for r in rows) == [r for r in every if r[3] in layers]
        assert [r for r in ADA if r[3] in layers] == sorted(
            r for r in rows if r[:4] not in model)

    _export(ws, "--format", "csv", "--all-layers", "--out", str(tmp_path / "all.csv"))
    check(_csv(tmp_path / "all.csv"), {"entity", "nested"})
    _export(ws, "--format", "jsonl", "--all-layers", "--out", str(tmp_path / "all.jsonl"))
    check(_jsonl(tmp_path / "all.jsonl"), {"entity", "nested"})
    _export(ws, "--format", "csv", "--layer", "nested", "--out", str(tmp_path / "n.csv"))
    check(_csv(tmp_path / "n.csv"), {"nested"})
    _export(ws, "--format", "csv", "--out", str(tmp_path / "main.csv"))
    check(_csv(tmp_path / "main.csv"), {"entity"})


def test_people_s_spans_on_an_earlier_prediction_keep_their_layer(
        make_ws: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """Another model, which finds the cities on the main layer only, predicts the texts
    since: ada's spans come from her decisions alone, each still on its layer."""
    from glamlab.inference import run
    from glamlab.registry import save_model

    ws = _reviewed(make_ws, tmp_path, monkeypatch)
    save_model(ws, EntityRulesPredictor(rules=RULES[:1], preset=None)
               .fit([], [], classes=LABELS), name="cities")
    assert run(ws, "cities", workers=0).done == 2
    _export(ws, "--format", "csv", "--model", "cities", "--all-layers",
            "--out", str(tmp_path / "all.csv"))
    rows = _csv(tmp_path / "all.csv")
    assert [r for r in rows if r[4] == "ada"] == ADA
    assert sorted(r[:4] for r in rows if r[4] != "ada") == [
        ("a", "Paris", "LOC", "entity"), ("b", "Lyon", "LOC", "entity")]
