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
        # every span once, on its layer; ada's as hers
        assert sorted(r[:4] for r in rows) == [r for r in every if r[3] in layers]
        assert [r for r in ADA if r[3] in layers] == sorted(
            r for r in rows if r[:4] not in model)
        # the model's main Paris waits for a person: ada accepted the nested one only,
        # which no longer reads as her confirming the main one
        if "entity" in layers:
            assert [r[4] for r in rows if r[:4] == ("a", "Paris", "LOC", "entity")] == [""]

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


def test_the_inception_folder_refuses_another_layer_from_python_too(tmp_path: Path) -> None:
    """``write_inception_folder(layer=...)`` and ``export_spans(..., "inception",
    layers=[...])`` wrote a nested layer's spans onto INCEpTION's Named Entity layer,
    where they read back as main-layer entities; ``glamlab export`` and the Export page
    refuse it. Now the same refusal, nothing written; its fix names every format that
    says a span's layer (xlsx and parquet included: their ``layer`` column)."""
    import pytest

    from glamlab.actions.entity_export import (
        SpanProvenance,
        export_spans,
        write_entities_csv,
        write_inception_folder,
    )
    from glamlab.errors import PolicyError
    from glamlab.items import Item
    from glamlab.tasks.spans import Span

    item = Item(item_id="a", modality="text", text="M. Durand est à Paris.")
    rows = [(item, [Span(16, 21, "LOC"), Span(16, 21, "LOC", layer="nested")],
             SpanProvenance())]
    for write in (lambda: write_inception_folder(rows, tmp_path / "inc", layer="nested"),
                  lambda: export_spans(rows, "inception", tmp_path / "inc",
                                       layers=["nested"]),
                  lambda: export_spans(rows, "inception", tmp_path / "inc", layers=None),
                  lambda: export_spans(rows, "inception", tmp_path / "inc",
                                       layers=["entity", "nested"])):
        with pytest.raises(PolicyError, match="carries the main span layer, entity, only") \
                as err:
            write()
        assert "Named Entity layer" in str(err.value) and not (tmp_path / "inc").exists()
        assert "csv, jsonl, xlsx, parquet" in (err.value.hint or "")
    # the main layer, as before; and the formats the fix names do carry the layer
    assert write_inception_folder(rows, tmp_path / "inc")["entities"] == 1
    import io

    buf = io.StringIO()
    write_entities_csv(rows, buf, layers=None)
    import csv

    table = list(csv.DictReader(io.StringIO(buf.getvalue().lstrip("\ufeff"))))
    assert sorted(r["layer"] for r in table) == ["entity", "nested"]


def test_the_export_refusals_of_inception_name_xlsx_and_parquet(
        make_ws: Any, tmp_path: Path, monkeypatch: Any) -> None:
    ws = _project(make_ws, tmp_path, monkeypatch)
    out = _export(ws, "--format", "inception", "--layer", "nested", "--out",
                  str(tmp_path / "inc"), code=1)
    assert "Named Entity layer" in out and "csv, jsonl, xlsx, parquet, w3c or iiif" in out
    for fmt in ("xlsx", "parquet"):  # they do say each span's layer
        _export(ws, "--format", fmt, "--layer", "nested", "--out",
                str(tmp_path / f"n.{fmt}"))
    import pandas as pd

    assert set(pd.read_excel(tmp_path / "n.xlsx")["layer"]) == {"nested"}
    assert set(pd.read_parquet(tmp_path / "n.parquet")["layer"]) == {"nested"}
