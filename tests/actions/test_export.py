"""Every export format, its filters, provenance, and formula-safe CSV."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from glamlab.actions import ExportFilter, act, export, formula_safe
from glamlab.errors import PolicyError

from .helpers import add_items, add_model, add_predictions

CANVAS = "https://iiif.example.org/iiif/book1/canvas/p{}"
MANIFEST = "https://iiif.example.org/iiif/book1/manifest.json"


@pytest.fixture
def ws(make_ws):
    ws = make_ws("pages", task="blank-pages", labels=["blank", "content", "=1+2", "@SUM(A1)"],
                 positive_label="blank")
    add_items(ws, [
        {"item_id": "p1", "source_kind": "iiif", "uri": "https://img.example.org/p1/full/max/0/default.jpg",
         "meta": {"canvas_id": CANVAS.format(1), "manifest": MANIFEST}},
        {"item_id": "p2", "source_kind": "iiif", "uri": "https://img.example.org/p2/full/max/0/default.jpg",
         "meta": {"canvas_id": CANVAS.format(2), "manifest": MANIFEST, "xywh": "10,20,300,400"}},
        {"item_id": "p3", "uri": "/scans/p3.jpg"},
        {"item_id": "p4", "uri": "=cmd|' /C calc'!A0"},
        {"item_id": "p5", "uri": "/scans/p5.jpg"},  # no prediction at all
    ])
    mid = add_model(ws, "blanks", 2)
    ws.run_id = add_predictions(ws, mid, {
        "p1": {"blank": 0.99, "content": 0.01}, "p2": {"blank": 0.7, "content": 0.3},
        "p3": {"content": 0.95, "blank": 0.05}, "p4": {"=1+2": 0.96, "@SUM(A1)": 0.04}})
    ws.card.raw["policy"] = {"field": "page_type", "labels": {
        "blank": {"accept": 0.9, "review": 0.5}, "content": {"accept": 0.9, "review": 0.5},
        "=1+2": {"accept": 0.9}}}
    ws.save_card()
    act(ws)
    return ws


def _export(ws, fmt, tmp_path, **kw):
    out = tmp_path / f"out.{fmt}"
    res = export(ws, fmt, out, **kw)
    return res, out


def test_formula_safe_cells():
    for bad in ("=1+2", "-2+3", "+1 2", "@SUM(A1)", "\tx", "\rx", "\uff1d1+2", "\uff20SUM(A1)",
                "-1e", "=-1234"):
        assert formula_safe(bad) == "'" + bad
    assert formula_safe("blank") == "blank" and formula_safe(-0.5) == -0.5
    for number in ("-1234", "+1", "-2", "-0.5", "+3.5e-2"):  # ids that are numbers join
        assert formula_safe(number) == number


def test_csv_is_formula_safe_and_openrefine_friendly(ws, tmp_path):
    res, out = _export(ws, "csv", tmp_path)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert res["rows"] == len(rows) == 4  # one row per item and field value
    assert rows[0].keys() >= {"item_id", "field", "value", "origin", "model", "model_version",
                              "score", "run_id", "prediction_id", "confirmed_by"}
    bad = next(r for r in rows if r["item_id"] == "p4")
    assert bad["value"] == "'=1+2" and bad["uri"].startswith("'=cmd")
    for r in rows:
        for cell in r.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert {r["origin"] for r in rows} == {"machine"}


def test_jsonl_rows_carry_provenance(ws, tmp_path):
    _, out = _export(ws, "jsonl", tmp_path)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    p1 = next(r for r in rows if r["item_id"] == "p1")
    assert (p1["action"], p1["value"], p1["model"], p1["model_version"]) == ("accept", "blank",
                                                                           "blanks", 2)
    assert p1["run_id"] == ws.run_id and p1["score"] == 0.99
    assert p1["written_at"] and p1["confirmed_by"] is None
    assert next(r for r in rows if r["item_id"] == "p2")["action"] == "review"


def test_parquet(ws, tmp_path):
    import pyarrow.parquet as pq

    res, out = _export(ws, "parquet", tmp_path, where=ExportFilter(actions=("accept",)))
    table = pq.read_table(out)
    assert res["rows"] == table.num_rows == 3
    assert set(table.column("action").to_pylist()) == {"accept"}
    assert table.schema.field("score").type.bit_width == 64


def test_parquet_carries_the_title_text_and_metadata_asked_for(ws, tmp_path):
    """``export(ws, "parquet", out, meta=[...])`` used to drop the metadata fields (and
    the title and text snippet) without a word, though the module says parquet has "the
    same columns": a data scientist could not join the decisions to the catalogue. The
    Parquet rows now carry what the JSONL rows carry, as text."""
    import pyarrow.parquet as pq

    _, out = _export(ws, "parquet", tmp_path, meta=["manifest", "xywh"])
    table = pq.read_table(out)
    for name in ("title", "text", "manifest", "xywh"):
        assert table.schema.field(name).type == "string"
    _, lines = _export(ws, "jsonl", tmp_path, meta=["manifest", "xywh"])
    jsonl = [json.loads(x) for x in lines.read_text(encoding="utf-8").splitlines()]
    rows = table.to_pylist()
    assert [r["item_id"] for r in rows] == [r["item_id"] for r in jsonl]
    for got, want in zip(rows, jsonl, strict=True):
        # the times are timestamps in Parquet, ISO texts in JSON
        assert {k: _iso_z(got[k]) if k.endswith("_at") else got[k] for k in want} == want
    by = {r["item_id"]: r for r in rows}
    assert by["p2"]["manifest"] == MANIFEST and by["p2"]["xywh"] == "10,20,300,400"
    assert by["p1"]["xywh"] is None


def _iso_z(at):
    return None if at is None else at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_filters_by_action_label_score_and_confirmation(ws, tmp_path):
    def ids(**kw):
        _, out = _export(ws, "jsonl", tmp_path, where=ExportFilter(**kw))
        return [json.loads(x)["item_id"] for x in out.read_text(encoding="utf-8").splitlines()]

    assert ids(actions=("review",)) == ["p2"]
    assert ids(label="content") == ["p3"]
    assert ids(min_score=0.96) == ["p1", "p4"]
    assert ids(confirmed=True) == []
    mm = ws.store.t.machine_metadata
    with ws.store.write() as conn:
        conn.execute(mm.update().where(mm.c.item_id == "p3").values(confirmed_by="curator"))
    assert ids(confirmed=True) == ["p3"]
    assert ids(confirmed=False, actions=("accept",)) == ["p1", "p4"]
    with pytest.raises(PolicyError, match="min score"):
        ids(min_score=2.0)


def test_web_annotations(ws, tmp_path):
    res, out = _export(ws, "w3c", tmp_path)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "AnnotationCollection" and doc["total"] == res["annotations"] == 4
    assert doc["@context"][0] == "http://www.w3.org/ns/anno.jsonld"
    assert doc["@context"][1]["confidence"]["@id"] == "glamlab:confidence"
    annos = doc["first"]["items"]
    assert doc["first"]["type"] == "AnnotationPage"
    assert len({a["id"] for a in annos}) == 4
    for a in annos:
        assert a["type"] == "Annotation" and a["motivation"] == "classifying"
        assert a["body"]["type"] == "TextualBody" and a["body"]["purpose"] == "classifying"
        assert a["generator"] == {"id": "urn:glamlab:model:blanks@2", "type": "Software",
                                  "name": "glamlab model blanks@2"}
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", a["created"])
        assert 0.0 <= a["confidence"] <= 1.0
    by = {a["target"]["source"]: a for a in annos}
    boxed = by[CANVAS.format(2)]
    assert boxed["target"]["selector"] == {"type": "FragmentSelector",
                                           "conformsTo": "http://www.w3.org/TR/media-frags/",
                                           "value": "xywh=10,20,300,400"}
    assert "selector" not in by[CANVAS.format(1)]["target"]
    assert "file:///scans/p3.jpg" in by
    # ids from a placeholder base and targets on local files are said, not silent
    assert any("base_url" in w for w in res["warnings"])
    assert any("target a local file" in w for w in res["warnings"])


def test_webanno_is_a_deprecated_alias_of_w3c(ws, tmp_path):
    res, out = _export(ws, "webanno", tmp_path)
    assert res["format"] == "w3c" and "deprecated" in res["warnings"][0]
    assert json.loads(out.read_text(encoding="utf-8"))["type"] == "AnnotationCollection"


def test_w3c_targets_are_the_items_own_urls(ws, tmp_path):
    t = ws.store.t.items
    with ws.store.write() as conn:  # a record URL kept in the metadata (a CSV column "url")
        conn.execute(t.update().where(t.c.item_id == "p4").values(
            meta={"url": "https://collection.example.org/objects/4"}))
    ws.card.raw["export"] = {"base_url": "https://example.museum/annos/",
                             "target_template": "https://example.museum/record/{item_id}"}
    ws.save_card()
    res, out = _export(ws, "w3c", tmp_path)
    doc = json.loads(out.read_text(encoding="utf-8"))
    sources = sorted(a["target"]["source"] for a in doc["first"]["items"])
    assert sources == sorted([CANVAS.format(1), CANVAS.format(2),
                              "https://example.museum/record/p3",
                              "https://collection.example.org/objects/4"])
    assert all(a["id"].startswith("https://example.museum/annos/") for a in doc["first"]["items"])
    assert res["warnings"] == []


def test_iiif_annotation_page_follows_presentation_3(ws, tmp_path):
    res, out = _export(ws, "iiif", tmp_path, base_url="https://example.museum/annos")
    assert res["annotations"] == 2 and res["skipped_not_iiif"] == 2
    assert [p["manifest"] for p in res["pages"]] == [MANIFEST]  # one page per manifest
    page = json.loads((out / res["pages"][0]["file"]).read_text(encoding="utf-8"))
    # only the official context: extensions broke the validator and iiif-prezi3
    assert page["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert page["type"] == "AnnotationPage"
    assert page["id"] == "https://example.museum/annos/" + res["pages"][0]["file"]
    for a in page["items"]:
        assert a["type"] == "Annotation" and a["id"].startswith("https://")
        assert a["motivation"] == "classifying"
        assert a["body"][0]["type"] == "TextualBody" and a["body"][0]["purpose"] == "classifying"
        provenance = json.loads(a["body"][1]["value"])
        assert provenance["model"] == "blanks" and 0 <= provenance["confidence"] <= 1
        assert a["target"]["source"]["partOf"] == [{"id": MANIFEST, "type": "Manifest"}]
    targets = sorted((a["target"]["source"]["id"], a["target"].get("selector", {}).get("value"))
                     for a in page["items"])
    assert targets == [(CANVAS.format(1), None), (CANVAS.format(2), "xywh=10,20,300,400")]
    with pytest.raises(PolicyError, match="HTTP"):
        export(ws, "iiif", tmp_path / "x", base_url="urn:x:")
    with pytest.raises(PolicyError, match="folder"):
        export(ws, "iiif", None, base_url="https://example.museum/annos")


def test_filter_list_is_everything_not_accepted_as_blank(ws, tmp_path):
    res, out = _export(ws, "filter", tmp_path)
    lines = out.read_text(encoding="utf-8").splitlines()
    # p1 is accepted as blank; p2 only in review, p3/p4 other labels, p5 never predicted
    assert lines == [CANVAS.format(2), "/scans/p3.jpg", "=cmd|' /C calc'!A0", "/scans/p5.jpg"]
    assert res["uris"] == 4 and "not accepted as 'blank'" in res["list"]
    res, out = _export(ws, "filter", tmp_path, where=ExportFilter(actions=("review",)))
    assert out.read_text(encoding="utf-8").splitlines() == [CANVAS.format(2)]


def test_a_filter_list_without_a_positive_label_warns_that_it_holds_back_nothing(ws, tmp_path,
                                                                                  capsys):
    """A blank-pages project made without ``--positive-label`` (the README's init line has
    none): the filter list is every predicted page, blanks too, and a cron job would send
    them all to OCR. The export says so, on stderr (the CLI) and in ``warnings``, with the
    fix; a list chosen with --label/--action, or with the label set, says nothing."""
    from glamlab.cli import main

    ws.card.positive_label = None
    ws.save_card()
    res, out = _export(ws, "filter", tmp_path)
    assert res["uris"] == 4
    warning = " ".join(res["warnings"])
    assert "holds every item the model predicted (4)" in warning, res["warnings"]
    assert 'positive_label = "blank"' in warning and "--label" in warning
    res, _ = _export(ws, "filter", tmp_path, where=ExportFilter(label="blank"))
    assert not any("positive_label" in w for w in res["warnings"])
    capsys.readouterr()
    main(["-w", str(ws.root), "export", "--format", "filter", "--out", str(tmp_path / "send.txt")])
    err = capsys.readouterr().err
    assert "warning: the list holds every item" in err, err
    ws.card.positive_label = "blank"
    ws.save_card()
    res, _ = _export(ws, "filter", tmp_path)
    assert not any("positive_label" in w for w in res["warnings"])


def test_a_uri_with_a_newline_never_adds_a_line_to_the_filter_list(ws, tmp_path, capsys):
    """Items stored before ingest refused control characters (or written by other tools)
    must not inject lines into the list sent to a paid service."""
    from glamlab.cli import main

    add_items(ws, [{"item_id": "p6", "uri": "/scans/new\nhttps://evil.example/x.jpg"},
                   {"item_id": "p7", "uri": "/scans/with space.jpg"}])
    res, out = _export(ws, "filter", tmp_path)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert "https://evil.example/x.jpg" not in lines and "/scans/with space.jpg" in lines
    assert [r["item_id"] for r in res["refused"]] == ["p6"]
    with pytest.raises(SystemExit) as exc:
        main(["-w", str(ws.root), "export", "--format", "filter", "--out",
              str(tmp_path / "f.txt")])
    assert exc.value.code == 1  # the rest of the list was written
    said = capsys.readouterr()
    assert "warning: left out 'p6'" in said.err and "What to do: rename the file" in said.err
    assert len((tmp_path / "f.txt").read_text().splitlines()) == len(lines)
    # the summary counts the item left out beside the addresses written
    assert f"wrote {len(lines)} URIs" in said.out
    assert "1 item left out of the list: its address holds control characters" in said.out
    assert res["left_out"] == 1


def test_the_web_send_on_list_names_an_item_it_leaves_out(ws):
    """The Export page's send-on list left an item whose address holds a control
    character out silently: the download was the rest of the list, and nothing said so.
    It names the item and the fix first, then offers the rest of the list. (An admin's
    list: a reviewer's leaves out every file on the server, whose paths only an admin is
    given: tests/web/test_export_server_paths.py.)"""
    from ..web.conftest import app_with_users

    add_items(ws, [{"item_id": "p6", "uri": "/scans/new\nhttps://evil.example/x.jpg"}])
    gen = app_with_users(ws)
    _, _app, client = next(gen)
    try:
        ada = client("ada")
        got = ada.get("/stages/export/download?format=filter")
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/html")
        page = got.text
        assert "1 item left out of the list" in page and "<b>p6</b>" in page
        assert "What to do: rename the file" in page and "The other 4 addresses" in page
        rest = ada.get("/stages/export/download?format=filter&left_out=ok")
        assert rest.headers["content-type"].startswith("text/plain")
        assert len(rest.text.splitlines()) == 4 and "evil" not in rest.text
    finally:
        next(gen, None)


def test_annotation_targets_are_percent_encoded(ws, tmp_path):
    add_items(ws, [{"item_id": "p8", "uri": "https://img.example.org/a b/\u00e9t\u00e9.jpg"}])
    mid = add_model(ws, "other", 1)
    add_predictions(ws, mid, {"p8": {"blank": 0.95, "content": 0.05}})
    _, out = _export(ws, "webanno", tmp_path, model="other@1")
    (anno,) = json.loads(out.read_text(encoding="utf-8"))["first"]["items"]
    assert anno["target"]["source"] == "https://img.example.org/a%20b/%C3%A9t%C3%A9.jpg"


def test_cli_export(ws, tmp_path, capsys):
    from glamlab.cli import main

    out = tmp_path / "x.csv"
    main(["-w", str(ws.root), "export", "--format", "csv", "--out", str(out),
          "--action", "accept", "--json"])
    assert json.loads(capsys.readouterr().out)["rows"] == 3
    main(["-w", str(ws.root), "export", "--format", "jsonl", "--label", "blank"])
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(x)["item_id"] for x in lines] == ["p1", "p2"]


def test_export_streams_in_batches(ws, tmp_path, monkeypatch):
    """Rows come out batch by batch: never the whole table in memory."""
    import sys

    act_mod = sys.modules["glamlab.actions.act"]

    monkeypatch.setattr(act_mod, "BATCH", 1)
    seen = []
    real = act_mod.iter_decisions

    def spy(*a, **kw):
        for batch in real(*a, **kw):
            seen.append(len(batch))
            yield batch

    monkeypatch.setattr(sys.modules["glamlab.actions.export"], "iter_decisions", spy)
    res, _ = _export(ws, "jsonl", tmp_path)
    assert res["rows"] == 4 and max(seen) == 1 and len(seen) == 4


def test_csv_ids_are_never_altered_and_risky_ids_are_counted(make_ws, tmp_path):
    ws = make_ws("ids", task="t", labels=["a", "b"])
    add_items(ws, [{"item_id": "-1234", "uri": "/s/1.jpg", "meta": {"title": "Carte"}},
                   {"item_id": "réc-001", "uri": "/s/2.jpg"},
                   {"item_id": "=HYPERLINK(1)", "uri": "/s/3.jpg"}])
    mid = add_model(ws, "m", 1)
    add_predictions(ws, mid, {i: {"a": 0.99, "b": 0.01}
                              for i in ("-1234", "réc-001", "=HYPERLINK(1)")})
    act(ws)
    res = export(ws, "csv", tmp_path / "o.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "o.csv").read_text("utf-8-sig"))))
    assert [r["item_id"] for r in rows] == ["-1234", "=HYPERLINK(1)", "réc-001"]
    assert rows[0]["title"] == "Carte"
    assert any("1 ids start with" in w and "xlsx" in w for w in res["warnings"])


def test_xlsx_cells_are_text_and_carry_the_details(make_ws, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    ws = make_ws("xl", task="t", modality="text", labels=["a", "=1+2"])
    from tests.tasks.helpers import add_items as add_text_items

    add_text_items(ws, [{"id": "-1234", "text": "Un texte " * 40,
                         "meta": {"title": "Lettre", "collection": "fonds A"}},
                        {"id": "r2", "text": "short", "meta": {}}])
    mid = add_model(ws, "m", 1)
    add_predictions(ws, mid, {"-1234": {"=1+2": 0.99, "a": 0.01}, "r2": {"a": 0.6, "=1+2": 0.4}})
    act(ws)
    res = export(ws, "xlsx", tmp_path / "o.xlsx", meta=["collection"])
    assert res["rows"] == 2
    sheet = openpyxl.load_workbook(tmp_path / "o.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[-3:] == ["title", "text", "collection"]
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert (first["item_id"].value, first["item_id"].data_type) == ("-1234", "s")
    assert (first["value"].value, first["value"].data_type) == ("=1+2", "s")
    assert first["title"].value == "Lettre" and first["collection"].value == "fonds A"
    assert first["text"].value.startswith("Un texte") and len(first["text"].value) == 200
    # jsonl rows carry the same details; [export] meta in the card chooses the fields
    ws.card.raw["export"] = {"meta": ["collection"]}
    ws.save_card()
    export(ws, "jsonl", tmp_path / "o.jsonl")
    first_json = json.loads((tmp_path / "o.jsonl").read_text("utf-8").splitlines()[0])
    assert (first_json["title"], first_json["collection"]) == ("Lettre", "fonds A")
    with pytest.raises(PolicyError, match="binary"):
        export(ws, "xlsx", None)


def test_a_multi_label_correction_to_another_suggestion_is_exported_once(make_ws):
    """A reviewer corrects the suggestion 'people' to 'maps', which the model suggested
    too. Before, the export said 'maps' twice: once as the person's value, once as the
    machine's suggestion 'accepted by reviewer', a decision on a row the reviewer never
    saw. Now 'people' is rejected (corrected to 'maps') and 'maps' is the reviewer's."""
    import sqlalchemy as sa

    from glamlab.actions import iter_rows
    from glamlab.actions.act import plan
    from glamlab.review.decisions import decide

    ws = make_ws("subjects", labels=["maps", "people", "ships"], multi_label=True)
    add_items(ws, [{"item_id": "r1"}])
    mid = add_model(ws, "subj")
    add_predictions(ws, mid, {"r1": {"maps": 0.73, "people": 0.6, "ships": 0.1}},
                    multi_label=True)
    ws.card.raw["policy"] = {"field": "subject", "default_action": "review"}
    ws.save_card()
    plan(ws, model="subj@1", dry_run=False)
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        row = conn.execute(sa.select(q).where(q.c.label == "people")).one()
    decide(ws, "rey", row.id, "correct", row.version, label="maps")
    rows = {r.row["predicted_value"]: r.row for r in iter_rows(ws, model="subj@1")}
    kept = [r for r in rows.values() if r["value"] == "maps" and r["action"] == "accept"]
    assert len(kept) == 1
    assert kept[0]["confirmed_by"] == "rey" and kept[0]["predicted_value"] == "maps"
    people = rows["people"]
    assert (people["action"], people["decision"], people["confirmed_by"]) == (
        "reject", "correct", "rey")
    assert "to 'maps'" in people["reason"]


def test_risky_ids_are_counted_once_however_many_rows_they_have():
    """A multi-label export writes a row per item and label: the warning counts ids, not
    rows (it said "30 ids" for two ids with 15 labels each)."""
    from glamlab.sheets import write_sheet

    buf = io.StringIO()
    rows = [[i, lab] for i in ("=1+2", "0042", "ok") for lab in ("a", "b", "c")]
    report = write_sheet(buf, ["item_id", "label"], rows, id_columns=["item_id"])
    assert report.rows == 9 and report.risky_ids == 1 and report.number_like_ids == 1
    assert "\n=1+2,a\n" in buf.getvalue() and "\n0042,a\n" in buf.getvalue()


def test_a_region_in_any_media_fragments_form_is_not_taken_for_the_whole_canvas():
    """``xywh=pixel:10,20,300,400``, decimals and ``percent:`` are Media Fragments
    regions too (crowdsourcing tools and viewers write them): each is a region, not the
    whole canvas (which an annotation without a selector says)."""
    from glamlab.actions.export import xywh
    from glamlab.items import Item

    def region(value: object) -> str | None:
        return xywh(Item(item_id="r", modality="image", meta={"xywh": value}))

    assert region("10,20,300,400") == "10,20,300,400"
    assert region("xywh=pixel:10,20,300,400") == "10,20,300,400"
    assert region("pixel:10.4,20.6,300,400") == "10,21,300,400"
    assert region("xywh=percent:10,20,50.5,40") == "percent:10,20,50.5,40"
    assert region([10.6, 20.2, 300, 400]) == "11,20,300,400"
    assert region("not a region") is None and region(["a", "b", "c", "d"]) is None


def test_a_region_in_fractions_or_under_a_pixel_is_no_region_of_no_size():
    """A normalised box (fractions of the image, as detection tools write them) was
    rounded to ``xywh=0,0,0,0``, and a width under half a pixel to 0: regions of no size,
    which a IIIF viewer shows nowhere. Fractions are written in percent; a width or
    height under a pixel is one pixel; whole pixels stay as they are."""
    from glamlab.actions.export import xywh
    from glamlab.items import Item

    def region(value: object) -> str | None:
        return xywh(Item(item_id="r", modality="image", meta={"box": value}))

    assert region("0.1,0.2,0.3,0.4") == "percent:10,20,30,40"
    assert region([0.125, 0.3, 0.25, 0.1]) == "percent:12.5,30,25,10"
    assert region("10,20,0.4,30") == "10,20,1,30"
    assert region("0,0,1,1") == "0,0,1,1"  # whole numbers: one pixel, not the whole image
    assert region("pixel:0.1,0.2,0.3,0.4") == "0,0,1,1"  # said to be pixels
    assert region("0.5,0.5,0.75,0.75") == "0,0,1,1"  # not inside the image as fractions


def test_a_region_given_as_a_list_of_numbers_in_text_or_not_numbers():
    """A region list from a JSON sidecar whose numbers are strings is still a region (as
    it was before decimals and ``percent:`` were read); one holding NaN is no region,
    not an error that stops the export."""
    from glamlab.actions.export import xywh
    from glamlab.items import Item

    def region(value: object) -> str | None:
        return xywh(Item(item_id="r", modality="image", meta={"xywh": value}))

    assert region(["10", "20", "300", "400"]) == "10,20,300,400"
    assert region(["10.6", 20, 300, 400]) == "11,20,300,400"
    assert region([float("nan"), 20, 300, 400]) is None
    assert region([True, 20, 300, 400]) is None
