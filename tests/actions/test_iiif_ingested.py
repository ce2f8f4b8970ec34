"""Items ingested from a real IIIF Presentation 3 manifest: the IIIF export targets their
canvases, and safety rules see the manifest's metadata."""

from __future__ import annotations

import json

import sqlalchemy as sa

from glamlab.actions import act, export

from .helpers import add_model, add_predictions

BASE = "https://iiif.example.org"


def _manifest(n: int = 2) -> dict:
    canvases = []
    for i in range(1, n + 1):
        canvases.append({
            "id": f"{BASE}/ww1/canvas/p{i}", "type": "Canvas", "label": {"none": [f"p. {i}"]},
            "width": 600, "height": 800,
            "items": [{"id": f"{BASE}/ww1/page/p{i}", "type": "AnnotationPage", "items": [{
                "id": f"{BASE}/ww1/anno/p{i}", "type": "Annotation", "motivation": "painting",
                "target": f"{BASE}/ww1/canvas/p{i}",
                "body": {"id": f"{BASE}/img{i}/full/max/0/default.jpg", "type": "Image",
                         "format": "image/jpeg", "width": 600, "height": 800,
                         "service": [{"id": f"{BASE}/img{i}", "type": "ImageService3",
                                      "profile": "level1"}]}}]}],
        })
    return {"@context": "http://iiif.io/api/presentation/3/context.json",
            "id": f"{BASE}/ww1/manifest.json", "type": "Manifest",
            "label": {"en": ["Album of the Western Front"]},
            "metadata": [{"label": {"en": ["Collection"]},
                          "value": {"en": ["First World War photographs"]}}],
            "items": canvases}


def test_iiif_export_and_safety_on_ingested_canvases(make_ws, tmp_path):
    ws = make_ws("album", task="tags", labels=["fireworks", "people"])
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(_manifest()), encoding="utf-8")
    ws.ingest([str(path)])
    items = list(ws.items())
    assert [i.source_kind for i in items] == ["iiif", "iiif"]
    ids = [i.item_id for i in items]
    mid = add_model(ws, "tagger", card={"external": True})
    add_predictions(ws, mid, {ids[0]: {"fireworks": 0.99, "people": 0.01},
                              ids[1]: {"people": 0.97, "fireworks": 0.03}})
    ws.card.raw["policy"] = {"field": "subject", "labels": {
        "fireworks": {"accept": 0.9, "review": 0.5}, "people": {"accept": 0.9, "review": 0.5}}}
    ws.card.raw["safety"] = {"rules": [{"name": "wartime explosions", "label": "fireworks",
                                        "when": {"collection": "First World War photographs"},
                                        "action": "review"}]}
    ws.save_card()
    report = act(ws).to_dict()
    assert [h["item_id"] for h in report["safety_hits"]] == [ids[0]]
    with ws.store.read() as conn:
        assert [r.item_id for r in conn.execute(sa.select(ws.store.t.machine_metadata))] \
            == [ids[1]]
    out = tmp_path / "iiif"
    res = export(ws, "iiif", out, base_url="https://example.museum/annotations/")
    assert res["annotations"] == 2 and res["skipped_not_iiif"] == 0
    page = json.loads((out / res["pages"][0]["file"]).read_text(encoding="utf-8"))
    by_target = {a["target"]["source"]["id"]: a for a in page["items"]}
    assert sorted(by_target) == [f"{BASE}/ww1/canvas/p1", f"{BASE}/ww1/canvas/p2"]
    action = {c: json.loads(a["body"][1]["value"])["action"] for c, a in by_target.items()}
    assert action == {f"{BASE}/ww1/canvas/p1": "review", f"{BASE}/ww1/canvas/p2": "accept"}
