"""Exports checked the way the communities that read them check them: IIIF v3 pages by
the IIIF presentation validator's schema and iiif-prezi3, v2 lists by the Presentation
2.1 structure, W3C annotations by the data model, Annif subject files by Annif's format;
on items ingested from real manifests and corpora (tests/data/interop)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from glamlab.actions import ExportFilter, act, export
from tests import interop_validate as validate

from .helpers import add_model, add_predictions

DATA = Path(__file__).resolve().parents[1] / "data" / "interop"


def _newspaper(folder: Path) -> Path:
    name = "newspaper_issue_1-manifest.json"
    base = "https://iiif.io/api/cookbook/recipe/0068-newspaper"
    text = (DATA / "iiif" / name).read_text(encoding="utf-8")
    text = text.replace("{{ id.url }}", f"{base}/{name}").replace("{{ id.path }}", base)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def iiif_ws(make_ws, tmp_path):
    ws = make_ws("pages", task="page-type", labels=["text", "illustration"])
    report = ws.ingest([DATA / "iiif" / "bodleian-v2.json", _newspaper(tmp_path)])
    assert report.failed == 0, report.problems
    ids = [i.item_id for i in ws.items()]
    assert len(ids) == 3
    mid = add_model(ws, "pages", 3)
    add_predictions(ws, mid, {i: {"text": 0.95 - 0.3 * n, "illustration": 0.05 + 0.3 * n}
                              for n, i in enumerate(ids)})
    ws.card.raw["policy"] = {"field": "page_type", "labels": {
        "text": {"accept": 0.9, "review": 0.5}, "illustration": {"accept": 0.9, "review": 0.5}}}
    ws.save_card()
    act(ws)
    return ws


def test_iiif_export_one_valid_page_per_manifest(iiif_ws, tmp_path):
    out = tmp_path / "iiif"
    res = export(iiif_ws, "iiif", out, base_url="https://example.museum/annotations/")
    assert res["annotations"] == 3 and res["skipped_not_iiif"] == 0
    pages = {p["presentation_api"]: p for p in res["pages"]}
    assert sorted(pages) == [2, 3] and len(res["pages"]) == 2
    v3 = json.loads((out / pages[3]["file"]).read_text(encoding="utf-8"))
    assert validate.iiif_v3(v3) == []
    assert v3["id"] == "https://example.museum/annotations/" + pages[3]["file"]
    manifest = pages[3]["manifest"]
    for a in v3["items"]:
        assert a["target"]["source"]["partOf"][0]["id"] == manifest
        assert a["target"]["source"]["id"].startswith(manifest.rsplit("/", 1)[0])
    v2 = json.loads((out / pages[2]["file"]).read_text(encoding="utf-8"))
    assert validate.iiif_v2(v2) == []
    assert v2["within"]["@id"].startswith("https://iiif.bodleian.ox.ac.uk/")
    assert v2["resources"][0]["on"]["within"]["@id"] == v2["within"]["@id"]
    assert res["warnings"] == []


def test_iiif_export_to_one_file(iiif_ws, tmp_path):
    from glamlab.errors import PolicyError

    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PolicyError, match="2 manifests"):
        export(iiif_ws, "iiif", out / "page.json", base_url="https://example.museum/a/")
    assert list(out.iterdir()) == []  # nothing left behind
    # only the Bodleian page is accepted: one manifest, one file, as --out page.json asks
    res = export(iiif_ws, "iiif", out / "page.json", base_url="https://example.museum/a/",
                 where=ExportFilter(actions=("accept",)))
    assert [(p["file"], p["presentation_api"]) for p in res["pages"]] == [("page.json", 2)]
    assert [p.name for p in out.iterdir()] == ["page.json"]
    doc = json.loads((out / "page.json").read_text(encoding="utf-8"))
    assert validate.iiif_v2(doc) == [] and doc["@id"] == "https://example.museum/a/page.json"


def test_iiif_validators_can_fail():
    """The checks are real: a page with the old inline extension context, and a v2 list
    whose annotations point nowhere, are refused."""
    bad3 = {"@context": [{"glamlab": "urn:glamlab:ns:"},
                         "http://iiif.io/api/presentation/3/context.json"],
            "id": "https://example.org/p", "type": "AnnotationPage",
            "items": [{"id": "https://example.org/a", "type": "Annotation",
                       "target": "file:///scans/p1.jpg"}]}
    assert validate.iiif_v3(bad3)
    bad2 = {"@context": "http://iiif.io/api/presentation/2/context.json",
            "@id": "https://example.org/l", "@type": "sc:AnnotationList",
            "resources": [{"@id": "https://example.org/a", "@type": "oa:Annotation",
                           "motivation": "oa:classifying", "resource": {"@type": "dctypes:Text",
                                                                        "chars": "x"},
                           "on": "urn:x"}]}
    assert validate.iiif_v2(bad2) == ["resources[0]: on is not a canvas URI"]


def test_iiif_export_without_a_base_url_warns(iiif_ws, tmp_path):
    res = export(iiif_ws, "iiif", tmp_path / "iiif")
    assert any("no [export] base_url" in w for w in res["warnings"])
    for page in res["pages"]:
        doc = json.loads((tmp_path / "iiif" / page["file"]).read_text(encoding="utf-8"))
        assert (doc.get("id") or doc.get("@id")).startswith("https://example.org/")


def test_w3c_export_is_valid_and_targets_canvases(iiif_ws, tmp_path):
    iiif_ws.card.raw["export"] = {"base_url": "https://example.museum/annotations/"}
    iiif_ws.save_card()
    res = export(iiif_ws, "w3c", tmp_path / "w3c.jsonld")
    doc = json.loads((tmp_path / "w3c.jsonld").read_text(encoding="utf-8"))
    assert validate.w3c(doc) == [] and res["warnings"] == []
    canvases = {i.meta["canvas"] for i in iiif_ws.items()}
    assert {a["target"]["source"] for a in doc["first"]["items"]} == canvases


def test_cli_export_webanno_warns_on_stderr(iiif_ws, tmp_path, capsys):
    from glamlab.cli import main

    out = tmp_path / "a.jsonld"
    main(["-w", str(iiif_ws.root), "export", "--format", "webanno", "--out", str(out)])
    captured = capsys.readouterr()
    assert "deprecated" in captured.err and "--format w3c" in captured.err
    assert "deprecated" not in captured.out
    assert validate.w3c(json.loads(out.read_text(encoding="utf-8"))) == []


# -- Annif -------------------------------------------------------------------------------
YSO = "http://www.yso.fi/onto/yso/"


def _all_labels() -> list[str]:
    out = set()
    for f in (DATA / "annif" / "fulltext").glob("*.tsv"):
        for line in f.read_text(encoding="utf-8").splitlines():
            out.add(line.split("\t")[1])
    return sorted(out)


def _annif_ws(make_ws, vocab: str, labels: list[str], name: str = "subjects"):
    ws = make_ws(name, task="subjects", modality="text", labels=labels, multi_label=True)
    shutil.copy(DATA / "annif" / vocab, ws.root / vocab)
    ws.card.raw["labels"] = {"uris": vocab}
    ws.save_card()
    report = ws.ingest([DATA / "annif" / "fulltext"])
    assert report.added == 5
    return ws


@pytest.fixture(params=["subjects.csv", "yso-archaeology.ttl"])
def annif_ws(request, make_ws):
    return _annif_ws(make_ws, request.param, _all_labels())


def test_annif_labels_import_maps_uris_to_labels(annif_ws, make_ws):
    from glamlab.errors import LabelError
    from glamlab.tasks import gold_labels, import_labels

    report = import_labels(annif_ws, DATA / "annif" / "fulltext")
    assert report.items == 5
    assert gold_labels(annif_ws)["385445"] == sorted(
        ["antiikki", "ihmeet", "muinaisjäännökset", "muistomerkit", "pyramidit"])
    # subjects outside the task's labels: all or nothing, each named
    few = _annif_ws(make_ws, "subjects.csv", ["antiikki", "pyramidit"], name="few")
    with pytest.raises(LabelError) as err:
        import_labels(few, DATA / "annif" / "fulltext")
    assert "subjects not among the task's labels" in str(err.value)
    assert gold_labels(few) == {}


def test_annif_export_writes_subject_uris(annif_ws, tmp_path):
    ids = [i.item_id for i in annif_ws.items()]
    mid = add_model(annif_ws, "yso", 1)
    add_predictions(annif_ws, mid, {ids[0]: {"antiikki": 0.97, "pyramidit": 0.93,
                                             "arkeologia": 0.2},
                                    ids[1]: {"ihmeet": 0.6}}, multi_label=True)
    annif_ws.card.raw["policy"] = {"field": "subject", "labels": {
        label: {"accept": 0.9, "review": 0.5} for label in annif_ws.card.labels}}
    annif_ws.save_card()
    act(annif_ws)
    res = export(annif_ws, "annif", tmp_path / "annif")
    assert res["items"] == 1 and res["subjects"] == res["subjects_with_uri"] == 2
    assert validate.annif_folder(tmp_path / "annif") == []
    lines = (tmp_path / "annif" / f"{ids[0]}.tsv").read_text(encoding="utf-8").splitlines()
    assert lines == [f"<{YSO}p3973>\tantiikki", f"<{YSO}p18569>\tpyramidit"]
    assert (tmp_path / "annif" / f"{ids[0]}.txt").read_text(encoding="utf-8").strip()
    index = (tmp_path / "annif" / "index.tsv").read_text(encoding="utf-8")
    assert index == f"{ids[0]}\t{ids[0]}\n"


def test_annif_short_text_corpus_as_labels(make_ws, tmp_path):
    from glamlab.tasks import gold_labels, import_labels

    corpus = DATA / "annif" / "documents.tsv"
    uris = set()
    for line in corpus.read_text(encoding="utf-8").splitlines():
        uris.update(u.strip("<> ") for u in line.rsplit("\t", 1)[1].split(">") if u.strip())
    ws = make_ws("docs", task="subjects", modality="text", labels=sorted(uris),
                 multi_label=True)
    ws.ingest([corpus])
    report = import_labels(ws, corpus)  # no vocabulary: the labels are the URIs themselves
    assert report.items == 30
    assert gold_labels(ws)["documents:1"] == [f"{YSO}p2557"]


def test_iiif_targets_carry_the_metadata_asked_for_in_v2_and_v3(iiif_ws, tmp_path):
    """The IIIF export dropped the item metadata fields asked for (the CSV had them): a
    v3 target canvas now carries them as ``metadata`` label/value pairs, a v2 annotation's
    ``on`` resource as v2 pairs (its ``full`` stays the canvas id viewers match on); both
    still pass the validators."""
    t = iiif_ws.store.t.items
    items = list(iiif_ws.items())
    with iiif_ws.store.write() as conn:
        for n, item in enumerate(items):
            conn.execute(t.update().where(t.c.item_id == item.item_id).values(
                meta={**item.meta, "shelfmark": f"MS {n + 1}", "year": 1890 + n}))
    out = tmp_path / "iiif"
    res = export(iiif_ws, "iiif", out, base_url="https://example.museum/annotations/",
                 meta=["shelfmark", "year", "absent"])
    pages = {p["presentation_api"]: p for p in res["pages"]}
    v3 = json.loads((out / pages[3]["file"]).read_text(encoding="utf-8"))
    v2 = json.loads((out / pages[2]["file"]).read_text(encoding="utf-8"))
    assert validate.iiif_v3(v3) == [] and validate.iiif_v2(v2) == []
    by_canvas = {}
    for item in iiif_ws.items():
        by_canvas[item.meta.get("canvas_id") or item.meta.get("canvas")] = item.meta
    assert len(v3["items"]) + len(v2["resources"]) == len(items)
    for a in v3["items"]:
        source = a["target"]["source"]
        own = by_canvas[source["id"]]
        assert source["metadata"] == [
            {"label": {"none": ["shelfmark"]}, "value": {"none": [own["shelfmark"]]}},
            {"label": {"none": ["year"]}, "value": {"none": [str(own["year"])]}}]
    for a in v2["resources"]:
        own = by_canvas[a["on"]["full"]]
        assert isinstance(a["on"]["full"], str)
        assert a["on"]["metadata"] == [{"label": "shelfmark", "value": own["shelfmark"]},
                                       {"label": "year", "value": str(own["year"])}]


def test_every_iiif_page_loads_in_iiif_prezi3_unchanged(iiif_ws, make_ws, tmp_path):
    """Every IIIF page glamlab writes (classification v3 and v2 pages, an entities
    project's page) loads in iiif-prezi3, and what it writes back holds the same
    annotations, bodies, targets and target canvas metadata (validate.iiif_v3). The
    entity page had an inline glamlab context, which iiif-prezi3 refused (a context must
    be URIs, the IIIF one last), and glamlab's fields as keys IIIF has no place for."""
    from glamlab.actions.entity_export import SpanProvenance, export_spans
    from glamlab.cli.act import _entity_export_line
    from glamlab.tasks.spans import Span

    from .test_entity_export import ALTO, LABELS

    # classification: a v3 page and a v2 list, their targets with item metadata
    t = iiif_ws.store.t.items
    with iiif_ws.store.write() as conn:
        for n, item in enumerate(iiif_ws.items()):
            conn.execute(t.update().where(t.c.item_id == item.item_id).values(
                meta={**item.meta, "shelfmark": f"MS {n + 1}"}))
    out = tmp_path / "iiif"
    res = export(iiif_ws, "iiif", out, base_url="https://example.museum/annotations/",
                 meta=["shelfmark"])
    pages = {p["presentation_api"]: json.loads((out / p["file"]).read_text(encoding="utf-8"))
             for p in res["pages"]}
    assert sorted(pages) == [2, 3]
    assert validate.iiif_v2(pages[2]) == []
    assert validate.iiif_v3(pages[3]) == []
    assert len(pages[3]["items"]) == 2 and all(
        a["target"]["source"]["metadata"][0]["label"] == {"none": ["shelfmark"]}
        for a in pages[3]["items"])

    # entities: mentions on ALTO word boxes, on a page with a canvas and one without
    ws = make_ws("ner", task="entities", kind="entities", modality="text", labels=LABELS)
    folder = tmp_path / "ocr"
    folder.mkdir()
    (folder / "page1.xml").write_text(ALTO, encoding="utf-8")
    (folder / "page2.xml").write_text(ALTO, encoding="utf-8")
    ws.ingest([folder])
    t = ws.store.t.items
    with ws.store.write() as conn:
        item = ws.item("page1")
        conn.execute(t.update().where(t.c.item_id == "page1").values(
            meta={**item.meta, "canvas": "https://iiif.example.org/c1",
                  "newspaper": "Le Temps"}))
    page1, page2 = ws.item("page1"), ws.item("page2")
    text = page1.text or ""
    ferry = Span(0, text.index("Ferry") + 5, "PER", score=0.91, attrs={"action": "accept"})
    paris = Span(text.index("Paris"), text.index("Paris") + 5, "LOC", score=0.8,
                 authority_id="Q90", attrs={"action": "review"})
    model = SpanProvenance(model="ner", model_version=2, created="2026-01-02T03:04:05Z",
                           confirmed_by="ana")
    person = SpanProvenance(annotator="bob", created="2026-01-03T00:00:00Z")
    for meta in (["newspaper"], []):
        path = tmp_path / f"entities-{len(meta)}.json"
        res = export_spans([(page1, [ferry, paris], model), (page1, [paris], person),
                            (page2, [paris], model)], "iiif", path,
                           base="https://example.museum/entities/", meta=meta)
        page = json.loads(path.read_text(encoding="utf-8"))
        assert validate.iiif_v3(page) == []
        # the page without a canvas is ALTO read without its image: left out
        assert (res["annotations"], res["skipped_without_image"]) == (3, 1)
        assert "1 mentions left out: they are in ALTO files ingested without their page " \
            "image" in _entity_export_line("iiif", str(path), res)
        assert len(page["items"]) == 3
        first, second, third = page["items"]
        # glamlab's own fields ride in a describing body
        described = json.loads(first["body"][-1]["value"])
        assert first["body"][-1]["purpose"] == "describing"
        assert described == {"confidence": 0.91, "action": "accept", "confirmed_by": "ana",
                             "model": "ner", "model_version": 2}
        assert second["body"][1]["source"] == "http://www.wikidata.org/entity/Q90"
        assert third["creator"] == {"type": "Person", "nickname": "bob"}
        targets = first["target"]
        assert isinstance(targets, list) and len(targets) == 2  # Ferry runs over two lines
        if meta:
            assert targets[0]["source"]["metadata"] == [
                {"label": {"none": ["newspaper"]}, "value": {"none": ["Le Temps"]}}]
        else:
            assert targets[0].startswith("https://iiif.example.org/c1#xywh=")


def test_iiif_mentions_on_a_local_alto_page_image_get_a_canvas_and_a_manifest(
        make_ws, tmp_path):
    """A page image ingested with its ALTO file beside it has word boxes but no IIIF
    canvas (it is a file on this computer): with a published base URL its mentions are
    placed on a canvas minted under it, in a manifest written beside the annotations;
    without one nothing is placed, and the export says so and what works."""
    from glamlab.actions.entity_export import (
        SpanProvenance,
        export_spans,
        iiif_nothing_placed,
    )
    from glamlab.cli.act import _entity_export_line
    from glamlab.tasks.spans import Span

    kant = Path(__file__).resolve().parents[1] / "data" / "interop" / "ocrd" / \
        "kant_aufklaerung_1784"
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(kant / "OCR-D-IMG" / "INPUT_0017.tif", folder / "p0017.tif")
    shutil.copy(kant / "OCR-D-GT-ALTO" / "PAGE_0017_ALTO.xml", folder / "p0017.xml")
    ws = make_ws("ner", task="entities", kind="entities", modality="text", labels=["PER", "LOC", "ORG", "PROD"])
    ws.ingest([folder])
    page = ws.item("p0017")
    assert page.modality == "image" and page.meta.get("word_boxes")
    text = page.text or ""
    word = text.split()[0]
    span = Span(text.index(word), text.index(word) + len(word), "PROD", score=0.5,
                attrs={"action": "review"})
    rows = [(page, [span], SpanProvenance(model="ner", model_version=1))]
    # no published base: nothing placed, said with a fix that works
    res = export_spans(rows, "iiif", tmp_path / "none.json")
    assert (res["annotations"], res["skipped_without_canvas"]) == (0, 1)
    warning = iiif_nothing_placed(res)
    assert res["empty"] and warning and "--base-url" in warning
    assert "have no IIIF canvas" in warning
    # a published base: the page gets a canvas there, in a manifest beside
    out = tmp_path / "entities.json"
    res = export_spans(rows, "iiif", out, base="https://lib.example/ner/", mint=True)
    assert (res["annotations"], res["skipped_without_canvas"]) == (1, 0)
    assert iiif_nothing_placed(res) is None
    annotations = json.loads(out.read_text(encoding="utf-8"))
    assert validate.iiif_v3(annotations) == []
    target = annotations["items"][0]["target"]
    assert target.startswith("https://lib.example/ner/canvas/p0017#xywh=")
    manifest = json.loads(Path(res["manifest"]).read_text(encoding="utf-8"))
    assert Path(res["manifest"]).name == "entities.manifest.json"
    prezi3 = pytest.importorskip("iiif_prezi3")
    assert len(prezi3.Manifest(**manifest).items) == 1
    canvas = manifest["items"][0]
    assert canvas["id"] == "https://lib.example/ner/canvas/p0017"
    assert (canvas["width"], canvas["height"]) == (page.width, page.height)
    image = canvas["items"][0]["items"][0]["body"]
    assert image["id"] == "https://lib.example/ner/images/p0017.tif"
    assert canvas["annotations"][0]["id"] == "https://lib.example/ner/page"
    assert "1 pages on this computer got canvases" in _entity_export_line("iiif", str(out),
                                                                          res)


def test_the_manifest_paints_each_local_page_with_its_own_image(make_ws, tmp_path):
    """Local page images were painted with ``BASE/images/FILE NAME``: ``vol1/0001.jpg``
    and ``vol2/0001.jpg`` got one image, and every page of a multi-page TIFF the same.
    Each page now has its own path: the item id with the file's extension (a page of a
    multi-page file ``FILE#pN``, percent-encoded in the URL)."""
    from PIL import Image

    from glamlab.actions.entity_export import local_page_manifest, published_image
    from glamlab.errors import PolicyError
    from glamlab.items import Item
    from tests.ingest.conftest import write_jpeg

    root = tmp_path / "scans"
    for vol in ("vol1", "vol2"):
        (root / vol).mkdir(parents=True)
        write_jpeg(root / vol / "0001.jpg")
    frames = [Image.new("RGB", (30, 20), c) for c in ("red", "blue")]
    frames[0].save(root / "vol1" / "book.tif", save_all=True, append_images=frames[1:])
    ws = make_ws("pages", modality="image")
    ws.ingest([root])
    items = sorted(ws.items(), key=lambda i: i.item_id)
    assert [i.item_id for i in items] == ["vol1/0001", "vol1/book#p1", "vol1/book#p2",
                                          "vol2/0001"]
    base = "https://lib.example/ner/"
    manifest = local_page_manifest(items, base, "pages", f"{base}page")
    bodies = [c["items"][0]["items"][0]["body"] for c in manifest["items"]]
    assert [b["id"] for b in bodies] == [
        f"{base}images/vol1/0001.jpg", f"{base}images/vol1/book%23p1.tif",
        f"{base}images/vol1/book%23p2.tif", f"{base}images/vol2/0001.jpg"]
    assert [b["format"] for b in bodies] == ["image/jpeg", "image/tiff", "image/tiff",
                                             "image/jpeg"]
    assert published_image(items[2]) == "vol1/book#p2.tif"
    # an id cannot walk out of images/; two pages on one path are refused, named
    odd = Item(item_id="../x", modality="image", uri="/elsewhere/x.png", width=1, height=1)
    assert local_page_manifest([odd], base, "x", f"{base}page")["items"][0]["items"][0][
        "items"][0]["body"]["id"] == f"{base}images/%2E%2E/x.png"
    twins = [Item(item_id="p", modality="image", uri="/a/p.jpg"),
             Item(item_id="p.jpg", modality="image", uri="/a/blob")]
    with pytest.raises(PolicyError, match="would both be published as images/p.jpg"):
        local_page_manifest(twins, base, "x", f"{base}page")


def test_iiif_mentions_on_a_page_xml_page_are_placed_on_its_words(make_ws, tmp_path):
    """PAGE XML (OCR-D, Transkribus, eScriptorium) has ``Word`` coordinates as ALTO has
    ``String`` boxes: its mentions are placed on the page image too (they were all left
    out, "no word positions"), at the same place as the same page's ALTO puts them, and
    scaled to the page image's size."""
    from glamlab.actions.entity_export import SpanProvenance, export_spans, span_regions
    from glamlab.ingest import xml
    from glamlab.tasks.spans import Span

    kant = DATA / "ocrd" / "kant_aufklaerung_1784"
    alto = xml.parse_file(kant / "OCR-D-GT-ALTO" / "PAGE_0017_ALTO.xml")
    page_xml = (kant / "OCR-D-GT-PAGE" / "PAGE_0017_PAGE.xml").read_text(encoding="utf-8")
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(kant / "OCR-D-IMG" / "INPUT_0017.tif", folder / "p0017.tif")
    (folder / "p0017.xml").write_text(
        page_xml.replace("OCR-D-IMG/INPUT_0017.tif", "p0017.tif"), encoding="utf-8")
    ws = make_ws("ner", task="entities", kind="entities", modality="text",
                 labels=["PER", "LOC", "ORG", "PROD"])
    ws.ingest([folder])
    page = ws.item("p0017")
    assert page.modality == "image" and page.meta["ocr_format"] == "page"
    text = page.text or ""
    boxes = page.meta["word_boxes"]
    assert len(boxes) // 6 > 100
    # the words and boxes the ALTO export of the same ground truth gives
    a = alto.extra["word_boxes"]
    alto_words = {(alto.text[a[i]:a[i + 1]], tuple(a[i + 2:i + 6])) for i in range(0, len(a), 6)}
    page_words = {(text[boxes[i]:boxes[i + 1]], tuple(boxes[i + 2:i + 6]))
                  for i in range(0, len(boxes), 6)}
    assert len(page_words & alto_words) > 0.9 * len(page_words)
    start = text.index("Monats")
    span = Span(start, start + len("Monatsſchrift"), "PROD", score=0.5,
                attrs={"action": "review"})
    # 1457 px in the XML, the image reduced to 300 px: the region scales
    scale = page.width / 1457
    assert span_regions(page, span) == [(round(482 * scale), round(367 * scale),
                                         round(420 * scale), round(69 * scale))]
    res = export_spans([(page, [span], SpanProvenance(model="ner", model_version=1))],
                       "iiif", tmp_path / "e.json", base="https://lib.example/ner/",
                       mint=True)
    assert (res["annotations"], res["skipped_without_word_boxes"]) == (1, 0)
    annotations = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    assert validate.iiif_v3(annotations) == []
