"""The span layers of an entities project's exports: the main layer by default, and
``glamlab export --layer NAME`` (repeatable) or ``--all-layers`` (and the Export page's
"with the nested and metonymic ones too" download) for the others, each span naming its
layer where the format has a place for it. Before, only Python could ask for another
layer: the command line and the web app gave the main layer's spans, and no option
reached the nested or metonymic ones."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.predictors.entities.baselines import EntityRulesPredictor

LABELS = ["PER", "LOC"]
RULES = [{"name": "city", "label": "LOC", "pattern": r"\b(?:Paris|Lyon)\b"},
         {"name": "person", "label": "PER", "pattern": r"\bDurand\b"}]


class TwoLayerRules(EntityRulesPredictor):
    """The rules baseline, each city also found on the ``nested`` layer (test only)."""

    name = "test-two-layer-rules"

    def predict_spans(self, texts: Any, *, langs: Any = None) -> Any:
        return [[*spans, *(dataclasses.replace(s, layer="nested") for s in spans
                           if s.label == "LOC")]
                for spans in super().predict_spans(texts, langs=langs)]


def _project(make_ws: Any, tmp_path: Path, monkeypatch: Any) -> Any:
    from glamlab.actions.act import act
    from glamlab.inference import run
    from glamlab.predictors import catalogue
    from glamlab.registry import save_model
    from glamlab.tasks.kinds import prepare_card

    monkeypatch.setitem(catalogue.BUILTIN, TwoLayerRules.name, f"{__name__}:TwoLayerRules")
    ws = make_ws("ner", task="ner", kind="entities", modality="text", labels=LABELS,
                 prepare=prepare_card)
    src = tmp_path / "pages.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "text"], ["a", "M. Durand est à Paris."],
                                  ["b", "Rien à Lyon ce soir."]])
    ws.ingest([str(src)], id_column="id", text_column="text")
    save_model(ws, TwoLayerRules(rules=RULES, preset=None).fit([], [], classes=LABELS),
               name="two")
    assert run(ws, "two", workers=0).done == 2
    ws.card_path.write_text(ws.card_path.read_text() + '\n[policy]\nmodel = "two@1"\n')
    act(ws)
    return ws


def _export(ws: Any, *args: str, code: int = 0) -> str:
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "export", *args])
    assert res.exit_code == code, res.output
    # a refusal is a GlamlabError the command line's main prints with its hint
    error = res.exception if code == 1 else None
    return res.output + (f"{error} (fix: {getattr(error, 'hint', '')})" if error else "")


def _csv(path: Path) -> list[tuple[str, str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return sorted((r["item_id"], r["text"], r["layer"]) for r in csv.DictReader(fh))


def test_export_layer_options_reach_every_span_layer(make_ws: Any, tmp_path: Path,
                                                     monkeypatch: Any) -> None:
    ws = _project(make_ws, tmp_path, monkeypatch)
    main = [("a", "Durand", "entity"), ("a", "Paris", "entity"), ("b", "Lyon", "entity")]
    nested = [("a", "Paris", "nested"), ("b", "Lyon", "nested")]

    _export(ws, "--format", "csv", "--out", str(tmp_path / "main.csv"))
    assert _csv(tmp_path / "main.csv") == main  # the default: the main layer
    _export(ws, "--format", "csv", "--layer", "nested", "--out", str(tmp_path / "n.csv"))
    assert _csv(tmp_path / "n.csv") == nested
    _export(ws, "--format", "csv", "--layer", "nested", "--layer", "entity",
            "--out", str(tmp_path / "both.csv"))
    assert _csv(tmp_path / "both.csv") == sorted(main + nested)
    _export(ws, "--format", "csv", "--all-layers", "--out", str(tmp_path / "all.csv"))
    assert _csv(tmp_path / "all.csv") == sorted(main + nested)

    # JSONL and W3C: a span of another layer names it (the JSONL import reads it back)
    _export(ws, "--format", "jsonl", "--all-layers", "--out", str(tmp_path / "all.jsonl"))
    entities = sorted((json.loads(line)["id"], e["text"], e.get("layer", "entity"))
                      for line in (tmp_path / "all.jsonl").read_text("utf-8").splitlines()
                      for e in json.loads(line)["entities"])
    assert entities == sorted(main + nested)
    _export(ws, "--format", "w3c", "--all-layers", "--out", str(tmp_path / "all.jsonld"))
    doc = json.loads((tmp_path / "all.jsonld").read_text("utf-8"))
    annos = doc["first"]["items"]
    assert sorted((a["target"]["selector"][0]["exact"], a.get("layer", "entity"))
                  for a in annos) == sorted((t, layer) for _, t, layer in main + nested)
    assert doc["@context"][1]["layer"] == {"@id": "glamlab:layer"}

    # an unknown layer: one error naming the project's layers, nothing written
    out = _export(ws, "--format", "csv", "--layer", "nestd", "--out",
                  str(tmp_path / "bad.csv"), code=1)
    assert "unknown span layer 'nestd'" in out and "entity, metonymic, nested" in out
    assert "--layer" in out and not (tmp_path / "bad.csv").exists()
    # the INCEpTION folder carries the main layer only: refused, with what to do
    out = _export(ws, "--format", "inception", "--all-layers", "--out",
                  str(tmp_path / "inc"), code=1)
    assert "Named Entity layer" in out and "csv, jsonl" in out
    assert not (tmp_path / "inc").exists()
    _export(ws, "--format", "inception", "--layer", "entity", "--out", str(tmp_path / "inc"))
    assert _export(ws, "--format", "csv", "--layer", "nested", "--all-layers",
                   code=2).count("not both") == 1


def test_the_export_page_downloads_every_span_layer(make_ws: Any, tmp_path: Path,
                                                    monkeypatch: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.web.conftest import PASSWORD, login

    ws = _project(make_ws, tmp_path, monkeypatch)
    add_user(ws, "ada", PASSWORD, "admin")
    with TestClient(create_app(ws)) as c:
        assert login(c, "ada").status_code == 303
        page = c.get("/stages/export").text
        assert "/stages/export/download?format=csv&all_layers=1" in page
        main = c.get("/stages/export/download?format=csv")
        every = c.get("/stages/export/download?format=csv&all_layers=1")
        assert main.status_code == every.status_code == 200
        layers = [sorted(r["layer"] for r in csv.DictReader(r.text.lstrip("\ufeff")
                                                            .splitlines()))
                  for r in (main, every)]
        assert layers == [["entity"] * 3, ["entity"] * 3 + ["nested"] * 2]
        bad = c.get("/stages/export/download?format=csv&layer=nestd")
        assert bad.status_code >= 400
        assert "nestd" in bad.text and "entity, metonymic, nested" in bad.text
        assert "--layer" not in bad.text  # the web app's words, no flags


def test_a_iiif_export_that_places_no_mention_says_why_and_exits_1(make_ws, tmp_path,
                                                                   monkeypatch):
    """``glamlab export --format iiif`` of texts with no page image wrote an empty
    AnnotationPage and exited 0. It still writes the page, but says that no mention was
    placed, why, and what works, and exits 1."""
    ws = _project(make_ws, tmp_path, monkeypatch)
    out = tmp_path / "a.iiif.json"
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    res = CliRunner().invoke(cli, [*base, "export", "--format", "iiif", "--out", str(out)])
    assert res.exit_code == 1, res.output
    assert "wrote 0 mentions as IIIF annotations" in res.stdout
    assert "the IIIF annotations hold no mention" in res.stderr
    assert "export --format w3c, which needs no page image" in res.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["items"] == []
