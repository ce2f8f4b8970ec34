"""The item metadata fields asked for (``meta=``, ``--meta``, ``[export] meta``) come in
every export format, where the format keeps an item's description: the CSV, XLSX, JSONL
and Parquet rows had them, the W3C and IIIF annotations and the Annif folder dropped them
without a word (a developer loading the annotations into a IIIF viewer lost the shelfmark
and the date). The filter list, one URI a line, has no place for them: asked for, they
are refused with one message, not dropped. Parquet keeps the times as timestamps."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from glamlab.actions import act, export
from glamlab.errors import PolicyError

from .helpers import add_items, add_model, add_predictions

CANVAS = "https://iiif.example.org/iiif/book1/canvas/p{}"
MANIFEST = "https://iiif.example.org/iiif/book1/manifest.json"
SHELF = {"p1": ("MS Lat. 12", "1887-03-02"), "p2": ("MS Lat. 13", "1887-04-11"),
         "p3": ("Fol. 7", None)}


@pytest.fixture
def ws(make_ws):
    ws = make_ws("pages", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank")
    add_items(ws, [
        {"item_id": "p1", "source_kind": "iiif",
         "meta": {"canvas_id": CANVAS.format(1), "manifest": MANIFEST,
                  "shelfmark": "MS Lat. 12", "date": "1887-03-02",
                  "subjects": ["letters", "Paris"]}},
        {"item_id": "p2", "source_kind": "iiif",
         "meta": {"canvas_id": CANVAS.format(2), "manifest": MANIFEST, "xywh": "10,20,300,400",
                  "shelfmark": "MS Lat. 13", "date": "1887-04-11"}},
        {"item_id": "p3", "uri": "https://img.example.org/p3.jpg",
         "meta": {"shelfmark": "Fol. 7"}},
    ])
    mid = add_model(ws, "blanks", 2)
    add_predictions(ws, mid, {"p1": {"blank": 0.99, "content": 0.01},
                              "p2": {"blank": 0.95, "content": 0.05},
                              "p3": {"content": 0.97, "blank": 0.03}})
    ws.card.raw["policy"] = {"field": "page_type", "labels": {
        "blank": {"accept": 0.9, "review": 0.5}, "content": {"accept": 0.9, "review": 0.5}}}
    ws.card.raw["export"] = {"base_url": "https://example.museum/annos/"}
    ws.save_card()
    act(ws)
    return ws


def _cli_base(ws):
    return ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])


def _own(ws, item_id, field):
    value = ws.item(item_id).meta.get(field)
    return [value] if isinstance(value, str) else value


def test_w3c_annotation_targets_carry_the_metadata_asked_for(ws, tmp_path):
    out = tmp_path / "annos.jsonld"
    export(ws, "w3c", out, meta=["shelfmark", "date", "subjects"])
    doc = json.loads(out.read_text(encoding="utf-8"))
    # the term is defined in the context: label/value are rdfs:label and rdf:value there
    assert doc["@context"][1]["metadata"]["@id"] == "glamlab:metadata"
    annos = doc["first"]["items"]
    assert len(annos) == 3
    for a in annos:
        item_id = {CANVAS.format(1): "p1", CANVAS.format(2): "p2"}.get(
            a["target"]["source"], "p3")
        pairs = {p["label"]: p["value"] for p in a["target"]["metadata"]}
        want = {f: (v[0] if len(v) == 1 else v) for f in ("shelfmark", "date", "subjects")
                if (v := _own(ws, item_id, f))}
        assert pairs == want
    by = {a["target"]["source"]: a["target"]["metadata"] for a in annos}
    assert by[CANVAS.format(1)] == [{"label": "shelfmark", "value": "MS Lat. 12"},
                                    {"label": "date", "value": "1887-03-02"},
                                    {"label": "subjects", "value": ["letters", "Paris"]}]
    # p3 has no date: its pair is left out (no nulls in the annotation)
    assert by["https://img.example.org/p3.jpg"] == [{"label": "shelfmark", "value": "Fol. 7"}]
    # nothing asked for (and none in the card): the targets as before
    export(ws, "w3c", out)
    assert all("metadata" not in a["target"] for a in
               json.loads(out.read_text(encoding="utf-8"))["first"]["items"])


def test_iiif_target_canvases_carry_the_metadata_as_iiif_label_value_pairs(ws, tmp_path):
    from tests import interop_validate as validate

    res = export(ws, "iiif", tmp_path / "iiif", meta=["shelfmark", "date", "subjects"])
    [page] = res["pages"]
    doc = json.loads((tmp_path / "iiif" / page["file"]).read_text(encoding="utf-8"))
    assert validate.iiif_v3(doc) == []  # iiif-prezi3 loads it (and the schema, if given)
    by = {a["target"]["source"]["id"]: a["target"]["source"] for a in doc["items"]}
    assert sorted(by) == [CANVAS.format(1), CANVAS.format(2)]
    assert by[CANVAS.format(1)]["metadata"] == [
        {"label": {"none": ["shelfmark"]}, "value": {"none": ["MS Lat. 12"]}},
        {"label": {"none": ["date"]}, "value": {"none": ["1887-03-02"]}},
        {"label": {"none": ["subjects"]}, "value": {"none": ["letters", "Paris"]}}]
    for canvas, source in by.items():
        item_id = "p1" if canvas == CANVAS.format(1) else "p2"
        assert {m["label"]["none"][0]: m["value"]["none"] for m in source["metadata"]} == {
            f: _own(ws, item_id, f) for f in ("shelfmark", "date", "subjects")
            if _own(ws, item_id, f)}
        assert source["partOf"] == [{"id": MANIFEST, "type": "Manifest"}]


def test_the_card_default_reaches_the_annotations_and_the_cli_option_too(ws, tmp_path):
    from click.testing import CliRunner

    from glamlab.cli import cli

    ws.card.raw["export"] = {**ws.card.raw["export"], "meta": ["shelfmark"]}
    ws.save_card()
    out = tmp_path / "card.jsonld"
    export(ws, "w3c", out)
    annos = json.loads(out.read_text(encoding="utf-8"))["first"]["items"]
    assert sorted(a["target"]["metadata"][0]["value"] for a in annos) == sorted(
        s for s, _ in SHELF.values())
    base = _cli_base(ws)
    ws.close()
    cli_out = tmp_path / "cli"
    res = CliRunner().invoke(cli, [*base, "export", "--format", "iiif", "--meta",
                                   "date", "--out", str(cli_out)])
    assert res.exit_code == 0, res.output
    [name] = [p.name for p in cli_out.iterdir()]
    doc = json.loads((cli_out / name).read_text(encoding="utf-8"))
    assert sorted(a["target"]["source"]["metadata"][0]["value"]["none"][0]
                  for a in doc["items"]) == ["1887-03-02", "1887-04-11"]


def test_the_annif_index_gives_the_metadata_a_column_each(ws, tmp_path):
    folder = tmp_path / "annif"
    export(ws, "annif", folder, meta=["shelfmark", "date", "subjects"])
    lines = [x.split("\t") for x in (folder / "index.tsv").read_text(
        encoding="utf-8").splitlines()]
    assert lines[0] == ["file", "item_id", "shelfmark", "date", "subjects"]
    rows = {r[1]: r for r in lines[1:]}
    assert sorted(rows) == ["p1", "p2", "p3"]
    for item_id, r in rows.items():
        meta = ws.item(item_id).meta
        assert r[2:] == [meta.get("shelfmark") or "", meta.get("date") or "",
                         "|".join(meta.get("subjects") or [])]
        assert (folder / f"{r[0]}.tsv").is_file()  # Annif's subject file, as before
    assert rows["p1"][4] == "letters|Paris"
    # nothing asked for: the index as before, no header
    export(ws, "annif", folder)
    first = (folder / "index.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert first.split("\t")[1] in {"p1", "p2", "p3"}


def test_the_filter_list_refuses_meta_in_one_message_and_ignores_the_card_default(
        ws, tmp_path, capsys):
    out = tmp_path / "list.txt"
    with pytest.raises(PolicyError) as err:
        export(ws, "filter", out, meta=["shelfmark"])
    assert "no place for an item's metadata" in str(err.value)
    assert "--format csv" in str(err.value)
    assert not out.exists()
    from glamlab.cli import main

    with pytest.raises(SystemExit) as code:
        main([*_cli_base(ws), "export", "--format", "filter", "--meta", "shelfmark",
              "--out", str(out)])
    err = capsys.readouterr().err
    assert code.value.code != 0 and err.count("no place for an item's metadata") == 1, err
    assert not out.exists()
    # the card's [export] meta (for the other formats) does not stop the list
    ws.card.raw["export"] = {**ws.card.raw["export"], "meta": ["shelfmark"]}
    ws.save_card()
    res = export(ws, "filter", out)
    assert res["uris"] == len(out.read_text(encoding="utf-8").splitlines()) == 1


def test_parquet_times_are_timestamps_and_table_dates_too(ws, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "plain.parquet"
    export(ws, "parquet", out, meta=["date"])
    table = pq.read_table(out)
    for col in ("predicted_at", "written_at", "confirmed_at"):
        assert table.schema.field(col).type == pa.timestamp("ms", tz="UTC")
    jsonl = tmp_path / "rows.jsonl"
    export(ws, "jsonl", jsonl, meta=["date"])
    want = {r["item_id"]: r for r in map(json.loads, jsonl.read_text(
        encoding="utf-8").splitlines())}
    for row in table.to_pylist():
        at = datetime.fromisoformat(want[row["item_id"]]["predicted_at"])
        assert row["predicted_at"] == at.astimezone(UTC)
        assert row["written_at"] is not None and row["confirmed_at"] is None
    # not typed as a date by the project: the metadata stays text
    assert table.schema.field("date").type == pa.string()

    # the project's table says "date" is a date: a timestamp
    ws.card.raw["tabular"] = {"time_column": "date"}
    ws.save_card()
    export(ws, "parquet", out, meta=["date", "shelfmark"])
    table = pq.read_table(out)
    assert table.schema.field("date").type == pa.timestamp("ms")
    assert table.schema.field("shelfmark").type == pa.string()
    got = {r["item_id"]: r["date"] for r in table.to_pylist()}
    assert got == {i: None if d is None else datetime.fromisoformat(d)
                   for i, (_, d) in SHELF.items()}

    # a value that is not a date: one message naming the item, nothing half-written
    t = ws.store.t.items
    with ws.store.write() as conn:
        conn.execute(t.update().where(t.c.item_id == "p2").values(
            meta={**ws.item("p2").meta, "date": "spring 1887"}))
    with pytest.raises(PolicyError, match="item 'p2': its date 'spring 1887' is not a date"):
        export(ws, "parquet", tmp_path / "bad.parquet", meta=["date"])
    assert not (tmp_path / "bad.parquet").exists()
