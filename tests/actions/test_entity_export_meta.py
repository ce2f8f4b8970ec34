"""The entity CSV carries the item metadata fields asked for (the newspaper's title, the
date...), so an OpenRefine user can join its rows with the catalogue, as the
classification export does: ``meta=`` in Python, ``--meta FIELD`` on the command line,
``[export] meta`` in the card by default (the web app's Export download too)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from tests.ner_project import gold_and_new_texts

PAPERS = {"new0": ("Le Temps", "1890-01-04"), "new1": ("La Presse", "1901-06-12")}


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_entity_csv_carries_the_metadata_fields_asked_for(make_ws: Any, tmp_path: Path) -> None:
    from glamlab import Workspace
    from glamlab.actions import act
    from glamlab.actions.entity_export import ENTITY_COLUMNS, export_entities
    from glamlab.cli import cli

    ws, _gold = gold_and_new_texts(make_ws, tmp_path, 2)
    items = ws.store.t.items
    with ws.store.write() as conn:
        for item_id, (paper, date) in PAPERS.items():
            conn.execute(items.update().where(items.c.item_id == item_id).values(
                meta={"newspaper": paper, "date": date, "type": "article"}))
    act(ws, model="gazetteer@1")

    out = tmp_path / "python.csv"
    export_entities(ws, "csv", out, model="gazetteer@1", meta=["newspaper", "date", "type"])
    rows = _rows(out)
    assert list(rows[0]) == [*ENTITY_COLUMNS, "newspaper", "date", "meta_type"]
    # every item's own metadata (the imported texts have a date, no newspaper)
    meta = {i: ws.item(i).meta for i in {r["item_id"] for r in rows}}
    assert set(PAPERS) <= set(meta)

    def cell(item_id: str, field: str) -> str:
        return str(meta[item_id].get(field) or "")

    for r in rows:
        assert (r["newspaper"], r["date"], r["meta_type"]) == (
            cell(r["item_id"], "newspaper"), cell(r["item_id"], "date"),
            cell(r["item_id"], "type"))
    assert {(r["newspaper"], r["date"]) for r in rows if r["item_id"] in PAPERS} == set(
        PAPERS.values())
    # without meta (and none in the card): the columns as before
    export_entities(ws, "csv", out, model="gazetteer@1")
    assert list(_rows(out)[0]) == ENTITY_COLUMNS

    root, db = ws.root, (None if ws.store.is_sqlite else ws.store.url)
    base = ["-w", str(root)] + (["--db", db] if db else [])
    ws.close()
    out = tmp_path / "cli.csv"
    res = CliRunner().invoke(cli, [*base, "export", "--format", "csv", "--meta", "date",
                                   "--model", "gazetteer@1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = _rows(out)
    assert list(rows[0]) == [*ENTITY_COLUMNS, "date"]
    assert all(r["date"] == cell(r["item_id"], "date") for r in rows)

    # [export] meta in the card: the default, so the web app's download carries it too
    card = root / "glamlab.toml"
    card.write_text(card.read_text(encoding="utf-8") + '\n[export]\nmeta = ["newspaper"]\n',
                    encoding="utf-8")
    ws = Workspace.open(root, db=db)
    try:
        from tests.web.conftest import app_with_users

        gen = app_with_users(ws)
        _ws, _app, client = next(gen)
        r = client("rey").get("/stages/export/download?format=csv")
        assert r.status_code == 200, r.text
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert list(rows[0]) == [*ENTITY_COLUMNS, "newspaper"]
        assert set(PAPERS) <= {r["item_id"] for r in rows}
        assert all(r["newspaper"] == cell(r["item_id"], "newspaper") for r in rows)
        gen.close()
    finally:
        ws.close()


def test_entity_jsonl_carries_the_metadata_fields_asked_for_and_imports_them_back(
        make_ws: Any, tmp_path: Path) -> None:
    """The JSONL export gave no item metadata (the CSV did): it now gives the fields asked
    for in a "meta" object, null where an item has none, and the JSONL import reads them
    back as the item's metadata."""
    import json

    from glamlab.actions import act
    from glamlab.actions.entity_export import export_entities
    from glamlab.tasks.spans import import_spans

    ws, _gold = gold_and_new_texts(make_ws, tmp_path, 2)
    items = ws.store.t.items
    with ws.store.write() as conn:
        for item_id, (paper, date) in PAPERS.items():
            conn.execute(items.update().where(items.c.item_id == item_id).values(
                meta={"newspaper": paper, "date": date}))
    act(ws, model="gazetteer@1")

    out = tmp_path / "with-meta.jsonl"
    export_entities(ws, "jsonl", out, model="gazetteer@1", meta=["newspaper", "date"])
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert set(PAPERS) <= {o["id"] for o in lines}
    for o in lines:
        own = ws.item(o["id"]).meta
        assert o["meta"] == {"newspaper": own.get("newspaper"), "date": own.get("date")}
    assert {tuple(o["meta"].values()) for o in lines if o["id"] in PAPERS} == set(
        PAPERS.values())
    # without meta (and none in the card): no "meta" object, as before
    plain = tmp_path / "plain.jsonl"
    export_entities(ws, "jsonl", plain, model="gazetteer@1")
    assert all("meta" not in json.loads(x)
               for x in plain.read_text(encoding="utf-8").splitlines())

    # imported into a new project, the texts come with that metadata
    again = make_ws("again", task="ner", kind="entities", modality="text",
                    labels=list(ws.card.labels))
    import_spans(again, out)
    for item_id, (paper, date) in PAPERS.items():
        got = again.item(item_id).meta
        assert (got.get("newspaper"), got.get("date")) == (paper, date), got
        assert "meta" not in got


def _with_papers(ws: Any) -> None:
    items = ws.store.t.items
    with ws.store.write() as conn:
        for item_id, (paper, date) in PAPERS.items():
            meta = ws.item(item_id).meta
            conn.execute(items.update().where(items.c.item_id == item_id).values(
                meta={**meta, "newspaper": paper, "date": date}))


def test_entity_w3c_targets_and_the_inception_index_carry_the_metadata_asked_for(
        make_ws: Any, tmp_path: Path) -> None:
    """The W3C annotations and the INCEpTION folder of an entities project dropped the
    item metadata fields asked for (the CSV and JSONL had them): each W3C target now
    carries them as ``metadata`` label/value pairs, and the folder's ``index.tsv`` a
    column each (WebAnno TSV has no place for a document's metadata); the folder still
    imports back onto the same items."""
    import json

    from glamlab.actions import act
    from glamlab.actions.entity_export import export_entities
    from glamlab.tasks.spans import import_spans

    ws, _gold = gold_and_new_texts(make_ws, tmp_path, 2)
    _with_papers(ws)
    act(ws, model="gazetteer@1")

    out = tmp_path / "annos.jsonld"
    export_entities(ws, "w3c", out, model="gazetteer@1", meta=["newspaper", "date"])
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["@context"][1]["metadata"]["@id"] == "glamlab:metadata"
    annos = doc["first"]["items"]
    assert annos
    texts = {i.item_id: i.text for i in ws.items()}
    seen = set()
    for a in annos:
        exact = a["target"]["selector"][0]["exact"]
        [item_id] = [i for i in texts if a["id"].split(":annotation:")[-1].startswith(i + "-")]
        assert exact in texts[item_id]
        own = ws.item(item_id).meta
        want = [{"label": f, "value": own[f]} for f in ("newspaper", "date") if own.get(f)]
        assert a["target"].get("metadata", []) == want
        seen.add(item_id)
    assert set(PAPERS) <= seen  # the papers' mentions carry their newspaper and date

    folder = tmp_path / "inception"
    res = export_entities(ws, "inception", folder, model="gazetteer@1",
                          meta=["newspaper", "date"])
    lines = [x.split("\t") for x in (folder / "index.tsv").read_text(
        encoding="utf-8").splitlines()]
    assert lines[0] == ["file", "item_id", "newspaper", "date", "glamlab_sha256"]
    assert len(lines) - 1 == res["files"]
    for name, item_id, paper, date, _digest in lines[1:]:
        own = ws.item(item_id).meta
        assert (paper, date) == (own.get("newspaper") or "", own.get("date") or "")
        assert (folder / name).is_file()
    assert {(r[2], r[3]) for r in lines[1:] if r[1] in PAPERS} == set(PAPERS.values())

    again = make_ws("again", task="ner", kind="entities", modality="text",
                    labels=list(ws.card.labels))
    import_spans(again, folder)
    assert {i.item_id for i in again.items()} == {r[1] for r in lines[1:]}


def test_entity_iiif_target_canvases_carry_the_metadata_as_iiif_pairs(
        make_ws: Any, tmp_path: Path) -> None:
    """The IIIF annotations of mentions dropped the item metadata asked for: the target
    (a ``canvas#xywh=`` URI, which has no place for it) becomes a ``SpecificResource`` on
    the canvas, whose ``metadata`` are IIIF label/value pairs, and the page still loads
    in iiif-prezi3."""
    import json

    from glamlab.actions.entity_export import SpanProvenance, write_span_iiif
    from glamlab.items import Item
    from glamlab.tasks.spans import Span
    from tests import interop_validate as validate
    from tests.actions.test_entity_export import ALTO, LABELS

    ws = make_ws(task="entities", modality="text", labels=LABELS)
    (tmp_path / "ocr").mkdir()
    (tmp_path / "ocr" / "page1.xml").write_text(ALTO, encoding="utf-8")
    ws.ingest([tmp_path / "ocr"])
    item = ws.item("page1")
    item = Item(**{**item.__dict__, "meta": {**item.meta, "canvas": "https://iiif.example.org/c1",
                                             "newspaper": "Le Temps", "date": "1890-01-04"}})
    text = item.text or ""
    paris = Span(text.index("Paris"), text.index("Paris") + 5, "LOC")
    ferry = Span(0, text.index("Ferry") + 5, "PER")
    buf = io.StringIO()
    written, _ = write_span_iiif([(item, [ferry, paris], SpanProvenance(model="m"))], buf,
                                 base="https://example.org/anno/",
                                 meta=["newspaper", "date", "absent"])
    page = json.loads(buf.getvalue())
    assert written == 2
    # the page is valid IIIF: it loads in iiif-prezi3 and comes back the same
    assert validate.iiif_v3(page) == []
    pairs = [{"label": {"none": ["newspaper"]}, "value": {"none": ["Le Temps"]}},
             {"label": {"none": ["date"]}, "value": {"none": ["1890-01-04"]}}]
    one, two = (a["target"] for a in page["items"])
    assert isinstance(one, list) and len(one) == 2  # Ferry runs over two lines
    for target in [*one, two]:
        assert target["type"] == "SpecificResource"
        assert target["source"] == {"id": "https://iiif.example.org/c1", "type": "Canvas",
                                    "metadata": pairs}
        assert target["selector"]["value"].startswith("xywh=")
    # nothing asked for: the canvas#xywh= URIs as before
    plain = io.StringIO()
    write_span_iiif([(item, [paris], SpanProvenance(model="m"))], plain,
                    base="https://example.org/anno/")
    assert json.loads(plain.getvalue())["items"][0]["target"].startswith(
        "https://iiif.example.org/c1#xywh=")
