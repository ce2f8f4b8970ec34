"""Real files as libraries and tools publish them (tests/data/interop, see its SOURCE.md):
ALTO from NDNP, SBB and eScriptorium, PAGE tables from Transkribus and OCR-D, an OCR-D
workspace, a GDZ METS with remote OCR, IIIF v2/v3 manifests and a newspaper collection,
Annif corpora, and Git LFS pointers."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from glamlab.ingest import xml

DATA = Path(__file__).resolve().parents[1] / "data" / "interop"
KANT = DATA / "ocrd" / "kant_aufklaerung_1784"
LFS_POINTER = ("version https://git-lfs.github.com/spec/v1\n"
               "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
               "size 12345\n")


# -- ALTO ---------------------------------------------------------------------------
def test_ndnp_alto_joins_hyphenated_words():
    page = xml.parse_file(DATA / "alto" / "ndnp-chronam-excerpt.xml")
    raw = (DATA / "alto" / "ndnp-chronam-excerpt.xml").read_text(encoding="utf-8")
    assert raw.count('SUBS_TYPE="HypPart1"') == 12
    assert page.extra["hyphenated_words_joined"] == 12
    assert "New-York Harbor\nthat has been threatened" in page.text  # "Har-" / "bor"
    assert "Har\n" not in page.text and "\nbor " not in page.text
    assert page.lines == 60  # every TextLine still counted
    assert page.words == len(page.text.split())


def test_sbb_alto_has_no_soft_hyphens():
    page = xml.parse_file(DATA / "alto" / "sbb-abbyy-alto2.xml")
    raw = (DATA / "alto" / "sbb-abbyy-alto2.xml").read_text(encoding="utf-8-sig")
    assert "\u00ad" in raw  # the HYP holds a soft hyphen
    assert "\u00ad" not in page.text
    assert "damit es übersichtlich\nwird und bedeckt" in page.text
    assert "lich wird" not in page.text


def test_escriptorium_alto_counts_words_not_lines():
    page = xml.parse_file(DATA / "alto" / "escriptorium-testament.xml")
    assert page.lines == 16
    assert page.words == len(page.text.split()) > 3 * page.lines
    assert page.text.startswith("Je dis : le vingt-sept\nMars.")


# -- PAGE -----------------------------------------------------------------------------
def test_transkribus_table_cells_give_their_text():
    page = xml.parse_file(DATA / "page" / "transkribus-table.xml")
    assert page.lines == 25 and page.words > 50
    assert page.text.startswith("S.\n\nSal gemmæ")
    assert "Scammoneum Aleppicum" in page.text


def test_page_table_follows_the_reading_order():
    page = xml.parse_file(DATA / "page" / "table-region-order.xml")
    # the regions are r1..r5 then r6..r9 in the file; the ReadingOrder puts r6..r9 first
    assert page.text.split() == list("123456789")


# -- OCR-D ------------------------------------------------------------------------------
def _kant(tmp_path: Path, with_mets: bool = True) -> Path:
    root = tmp_path / "kant_aufklaerung_1784"
    shutil.copytree(KANT, root)
    if not with_mets:
        (root / "mets.xml").unlink()
    return root


@pytest.mark.parametrize("with_mets", [True, False])
def test_ocrd_workspace_one_item_per_page(make_ws, tmp_path, with_mets):
    root = _kant(tmp_path, with_mets)
    ws = make_ws()
    report = ws.ingest([root])
    assert report.failed == 0, report.problems
    items = list(ws.items())
    assert len(items) == 2  # two pages: no ALTO/PAGE file is an item of its own
    for item in items:
        assert item.modality == "image" and item.width == 300
        assert "Aufkl" in item.text or "aufkl" in item.text.lower() or len(item.text) > 500
        assert item.meta["document"] == "kant_aufklaerung_1784"
    first = items[0]
    if with_mets:
        assert first.item_id == "kant_aufklaerung_1784/OCR-D-IMG/INPUT_0017"
        assert first.source_kind == "mets" and first.meta["ocr_file"].startswith("OCR-D-GT-")
    else:
        assert first.item_id == "OCR-D-IMG/INPUT_0017"
        assert first.source_kind in ("page", "alto") and first.meta["ocr_alternatives"]
    assert first.text.startswith("Berlini")


def test_mets_page_whose_best_ocr_file_is_missing_reads_the_next_one(make_ws, tmp_path):
    # a workspace of which one OCR file group was only partly downloaded (or pruned): the
    # METS still lists OCR-D-GT-PAGE/PAGE_0017_PAGE.xml, ranked first, but the same page's
    # ALTO is there; as for images, the next OCR file is read rather than none
    root = _kant(tmp_path)
    (root / "OCR-D-GT-PAGE" / "PAGE_0017_PAGE.xml").unlink()
    ws = make_ws()
    report = ws.ingest([root])
    assert report.failed == 0, report.problems
    first, second = list(ws.items())
    assert first.meta["ocr_file"] == "OCR-D-GT-ALTO/PAGE_0017_ALTO.xml"
    assert first.text.startswith("Berlini") and first.meta["lines"] > 20
    assert "OCR-D-GT-PAGE/PAGE_0017_PAGE.xml" in first.meta["ocr_note"]
    assert second.meta["ocr_file"] == "OCR-D-GT-PAGE/PAGE_0020_PAGE.xml"
    assert "ocr_note" not in second.meta
    # no OCR file of the page at all: the page comes in without text, the first one named
    (root / "OCR-D-GT-ALTO" / "PAGE_0017_ALTO.xml").unlink()
    ws2 = make_ws("again")
    report = ws2.ingest([root])
    assert report.failed == 1
    assert "PAGE_0017_PAGE.xml" in report.problems[0]["reason"]
    assert not next(iter(ws2.items())).text


# -- METS with remote OCR -------------------------------------------------------------
def _gdz(tmp_path: Path, server) -> Path:
    text = (DATA / "mets" / "gdz-PPN595930174-excerpt.xml").read_text(encoding="utf-8")
    text = text.replace("http://gdz.sub.uni-goettingen.de", server.url)
    path = tmp_path / "PPN595930174.xml"
    path.write_text(text, encoding="utf-8")
    ocr = server.root / "gdzocr" / "PPN595930174"
    ocr.mkdir(parents=True)
    # real ALTO served for pages 1 and 2; page 3's OCR is missing on the server
    shutil.copy(DATA / "alto" / "ndnp-chronam-excerpt.xml", ocr / "00000001.xml")
    shutil.copy(DATA / "alto" / "sbb-abbyy-alto2.xml", ocr / "00000002.xml")
    return path


def test_mets_with_remote_ocr_is_fetched_and_cached(make_ws, tmp_path, http_server):
    path = _gdz(tmp_path, http_server)
    ws = make_ws()
    report = ws.ingest([path])
    assert (report.added, report.failed) == (3, 1), report.problems
    assert "page 3: cannot fetch its OCR" in report.problems[0]["reason"]
    assert "HTTP 404" in report.problems[0]["reason"]
    ids = [i.item_id for i in ws.items()]
    assert ids == ["PPN595930174#p1", "PPN595930174#p2", "PPN595930174#p3"]  # recordIdentifier
    p1, p2, p3 = (ws.item(i) for i in ids)
    assert "Harbor" in p1.text and "übersichtlich" in p2.text and p3.text is None
    assert p1.uri.endswith("/1000/0/00000001.jpg")  # MAX, not the thumbnail listed first
    assert p1.meta["document"] == "PPN595930174"
    assert p1.meta["title"] == "Praelectiones Matheseos Theoreticae Elementaris"
    fetched = [r for r in http_server.requests if "gdzocr" in r]
    assert len(fetched) == 3
    again = ws.ingest([path])
    assert (again.unchanged, again.failed) == (3, 1)
    # pages 1 and 2 came from the cache; only the missing page was asked for again
    assert len([r for r in http_server.requests if "gdzocr" in r]) == 4


def test_mets_remote_ocr_through_an_injected_transport(tmp_path):
    import httpx

    from glamlab.ingest import IngestOptions
    from glamlab.ingest.mets import read_mets

    text = (DATA / "mets" / "gdz-PPN595930174-excerpt.xml").read_text(encoding="utf-8")
    path = tmp_path / "mets.xml"
    path.write_text(text, encoding="utf-8")
    alto = (DATA / "alto" / "sbb-abbyy-alto2.xml").read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path.startswith("/gdzocr/PPN595930174/")
        return httpx.Response(200, content=alto)

    opts = IngestOptions(http_transport=httpx.MockTransport(handler),
                         cache_dir=str(tmp_path / "cache"))
    records = list(read_mets(path, tmp_path, str(path), opts))
    assert [r.text is not None and "übersichtlich" in r.text for r in records] == [True] * 3


def test_two_books_with_the_same_mets_name_do_not_collide(make_ws, tmp_path, http_server):
    path = _gdz(tmp_path, http_server)
    other = tmp_path / "b2" / "PPN595930174.xml"
    other.parent.mkdir()
    other.write_text(path.read_text(encoding="utf-8").replace(
        "PPN595930174</mods:recordIdentifier>", "PPN000000001</mods:recordIdentifier>"),
        encoding="utf-8")
    ws = make_ws()
    ws.ingest([path, other])
    assert ws.count_items() == 6


# -- IIIF -------------------------------------------------------------------------------
def test_repeated_metadata_labels_keep_every_value(make_ws):
    ws = make_ws()
    report = ws.ingest([DATA / "iiif" / "bodleian-v2.json"])
    assert report.failed == 0
    item = next(ws.items())
    md = item.meta["metadata"]
    doc = json.loads((DATA / "iiif" / "bodleian-v2.json").read_text(encoding="utf-8"))
    labels = [m["label"] for m in doc["metadata"]]
    assert (len(labels), len(set(labels))) == (24, 13)
    assert all(k in md for k in labels)
    assert len(md["Subject"]) == 8 and len(md["Other Identifier"]) == 3
    assert sum(len(md[k]) if isinstance(md[k], list) else 1 for k in set(labels)) == 24
    assert item.meta["document"] == item.meta["manifest"]


def _cookbook(folder: Path, base: str) -> None:
    """The cookbook's newspaper recipe as its site build writes it (placeholders filled)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("newspaper_title-collection.json", "newspaper_issue_1-manifest.json",
                 "newspaper_issue_2-manifest.json"):
        text = (DATA / "iiif" / name).read_text(encoding="utf-8")
        text = text.replace("{{ id.url }}", f"{base}/{name}").replace("{{ id.path }}", base)
        (folder / name).write_text(text, encoding="utf-8")


def test_newspaper_collection_is_followed(make_ws, http_server):
    _cookbook(http_server.root, http_server.url)
    ws = make_ws()
    messages: list[str] = []
    report = ws.ingest([f"{http_server.url}/newspaper_title-collection.json"],
                       notify=messages.append)
    assert "a IIIF collection of 2 manifests and 0 collections" in messages[0]
    # the recipe gives both issues the canvas ids .../canvas/p1 and p2: the second issue's
    # canvases are refused as duplicates, named, and the first issue's are kept
    assert (report.added, report.failed) == (2, 2)
    assert all("duplicate id" in p["reason"] for p in report.problems)
    item = next(ws.items())
    assert item.meta["collection"].endswith("newspaper_title-collection.json")
    assert item.meta["document"].endswith("newspaper_issue_1-manifest.json")
    too_deep = make_ws("ws2").ingest([f"{http_server.url}/newspaper_title-collection.json"],
                                     collection_depth=0)
    assert too_deep.added == 0 and "--collection-depth" in too_deep.problems[0]["hint"]


COOKBOOK_IMAGES = "https://iiif.io/api/image/3.0/example/reference/"


def test_a_canvas_painted_with_a_part_of_its_image_or_with_it_turned(make_ws, http_server):
    # cookbook recipes 0299 (a newspaper article: the canvas shows a region of the page
    # image, a SpecificResource with an ImageApiSelector) and 0040 (the image turned by the
    # image service): both canvases were refused ("has no image"); each is read, and its
    # image is the part of the page the canvas shows, turned as the canvas shows it. The
    # recipe's image services are level 1, which promises a region (regionByPx) but no
    # rotation other than 0: the leaf's image is asked for unturned and turned here
    from glamlab.web.images import iiif_service

    from .conftest import write_jpeg

    base, www = http_server.url, http_server.root
    paths = []
    for name in ("region_0299-manifest.json", "rotation_0040-manifest.json"):
        text = (DATA / "iiif" / name).read_text(encoding="utf-8")
        text = text.replace("{{ id.url }}", f"{base}/{name}").replace(
            "{{ id.path }}", f"{base}/{name.partition('-')[0]}").replace(
            COOKBOOK_IMAGES, f"{base}/iiif3/")
        (www / name).write_text(text, encoding="utf-8")
        paths.append(f"{base}/{name}")
    page = "4ce82cef49fb16798f4c2440307c3d6f-newspaper-p2"
    write_jpeg(www / "iiif3" / page / "1768,2423,1768,2080" / "max" / "0" / "default.jpg",
               (68, 80), "red")
    turned = "85a96c630f077e6ac6cb984f1b752bbf-0-21198-zz00022840-1-page1"
    write_jpeg(www / "iiif3" / turned / "full" / "max" / "0" / "default.jpg", (61, 84))
    ws = make_ws()
    ws.update_card({"fetch": {"allow_hosts": ["127.0.0.1"]}})
    report = ws.ingest(paths)
    assert (report.added, report.failed) == (2, 0), report.problems
    article = ws.item(f"{base}/region_0299/canvas/p1")
    assert article.meta["image_region"] == "1768,2423,1768,2080"
    assert (article.width, article.height) == (1768, 2080)  # the canvas: the region's size
    assert article.open_image().size == (68, 80)
    assert http_server.requests[-1] == f"/iiif3/{page}/1768,2423,1768,2080/max/0/default.jpg"
    assert iiif_service(article) is None  # the item page shows that part, not the page
    leaf = ws.item(f"{base}/rotation_0040/canvas/p1")
    assert leaf.meta["image_rotation"] == "90" and "image_region" not in leaf.meta
    assert leaf.meta["image_level"] == 1
    assert leaf.open_image().size == (84, 61)
    assert http_server.requests[-1] == f"/iiif3/{turned}/full/max/0/default.jpg"
    assert not any("/90/" in r for r in http_server.requests)


def test_a_v2_canvas_painted_with_a_segment_of_its_image(tmp_path):
    # Presentation 2.1 writes the same as an oa:SpecificResource whose "full" is the image,
    # with an iiif:ImageApiSelector or a media-fragment selector
    from types import SimpleNamespace

    from glamlab.ingest import iiif
    from glamlab.ingest.base import IngestOptions
    from glamlab.items.images import image_urls

    svc = "https://example.org/iiif/page1"
    def canvas(n, selector):
        return {"@id": f"https://example.org/c{n}", "@type": "sc:Canvas", "width": 1250,
                "height": 1850, "images": [{"@type": "oa:Annotation", "motivation":
                "sc:painting", "on": f"https://example.org/c{n}", "resource": {
                    "@id": f"{svc}/50,50,1250,1850/full/0/default.jpg",
                    "@type": "oa:SpecificResource", "full": {
                        "@id": f"{svc}/full/full/0/default.jpg", "@type": "dctypes:Image",
                        "service": {"@context": "http://iiif.io/api/image/2/context.json",
                                    "@id": svc, "profile": "http://iiif.io/api/image/2/"
                                                           "level2.json"}},
                    "selector": selector}}]}
    doc = {"@context": "http://iiif.io/api/presentation/2/context.json",
           "@id": "https://example.org/m", "@type": "sc:Manifest", "label": "segments",
           "sequences": [{"@type": "sc:Sequence", "canvases": [
               canvas(1, {"@context": "http://iiif.io/api/annex/openannotation/context.json",
                          "@type": "iiif:ImageApiSelector", "region": "50,50,1250,1850"}),
               canvas(2, {"@type": "oa:FragmentSelector", "value": "xywh=50,50,1250,1850"}),
           ]}]}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    recs = list(iiif.read(str(path), IngestOptions()))
    assert [r.meta.get("image_region") for r in recs] == ["50,50,1250,1850"] * 2
    for r in recs:
        assert image_urls(SimpleNamespace(meta=r.meta, uri=r.uri))[0] == \
            f"{svc}/50,50,1250,1850/full/0/default.jpg"


def _recipe(name: str, base: str) -> dict:
    """A cookbook recipe as its site build writes it (placeholders filled)."""
    text = (DATA / "iiif" / name).read_text(encoding="utf-8")
    return json.loads(text.replace("{{ id.url }}", f"{base}/manifest.json").replace(
        "{{ id.path }}", base))


def test_a_canvas_painted_with_a_caption_file_or_a_video_is_no_image(make_ws, tmp_path):
    # cookbook recipe 0219 (a video with a WebVTT caption file). Published with types, it
    # is a video: said as such. Found in the wild without the bodies' "type" (which glamlab
    # took to mean "Image"), the caption file became the canvas's image; a body without a
    # type is now an image by its format (image/*), an image service or an image file
    # extension, and a canvas painted with no image is one problem naming the canvas and
    # what it is painted with
    base = "https://example.org/iiif/0219"
    doc = _recipe("caption_0219-manifest.json", base)
    (tmp_path / "published.json").write_text(json.dumps(doc), encoding="utf-8")
    video, caption = (a["body"][0] for a in doc["items"][0]["items"][0]["items"])
    del caption["type"]  # the supplementing caption without its type
    (tmp_path / "no-type.json").write_text(json.dumps(doc), encoding="utf-8")
    canvas = doc["items"][0]
    caption_only = {**canvas, "id": f"{base}/canvas/captions", "items": [{
        **canvas["items"][0], "items": [{"id": f"{base}/anno/c", "type": "Annotation",
                                         "motivation": "painting",
                                         "body": {"id": caption["id"]}}]}]}
    still = _recipe("canvas-size_0004-manifest.json", "https://example.org/iiif/0004")
    image = still["items"][0]["items"][0]["items"][0]["body"]
    del image["type"]  # image/png by its format
    served = json.loads(json.dumps(still["items"][0]))
    served["id"] += "-served"
    body = served["items"][0]["items"][0]["body"]
    body.pop("format")
    body.update(id=f"{base}/iiif/still", service=[{"id": f"{base}/iiif/still",
                                                   "type": "ImageService3"}])
    mixed = {**still, "items": [caption_only, still["items"][0], served]}
    (tmp_path / "mixed.json").write_text(json.dumps(mixed), encoding="utf-8")
    ws = make_ws()
    report = ws.ingest([tmp_path / "published.json", tmp_path / "no-type.json",
                        tmp_path / "mixed.json"])
    assert sorted(i.item_id for i in ws.items()) == [
        "https://example.org/iiif/0004/canvas/p1", "https://example.org/iiif/0004/canvas/p1-served"]
    assert not any(str(i.uri).endswith((".vtt", ".mp4")) for i in ws.items())
    reasons = [p["reason"] for p in report.problems]
    assert len(reasons) == 3, reasons
    for reason in reasons[:2]:  # the video, as published and without the caption's type
        assert f"canvas 1 ({base}/canvas)" in reason and "not an image" in reason
        assert f"Video (video/mp4) {video['id']}" in reason and ".vtt" not in reason
    assert f"canvas 1 ({base}/canvas/captions) is painted with {caption['id']}, not an " \
        "image" in reasons[2]
    assert all("the canvas is skipped" in p["hint"] for p in report.problems)


def test_an_image_api_1_1_service_is_asked_for_native_jpg(make_ws, tmp_path, http_server):
    # Image API 1.1 services (Gallica: the 1/context with a 1.1 profile; Yale and Loris:
    # the library.stanford.edu 1.1 context) were taken as API 2 and asked for default.jpg,
    # which 1.1 does not define; the image came only by the fallback to the image's own
    # URL, or not at all. A 1.x service is recorded as such and asked for native.jpg
    from types import SimpleNamespace

    from glamlab.items.images import image_urls

    from .conftest import write_jpeg

    base = http_server.url
    stanford = "http://library.stanford.edu/iiif/image-api/1.1/"
    services = [
        {"@context": "http://iiif.io/api/image/1/context.json", "@id": f"{base}/ark/f1",
         "profile": f"{stanford}compliance.html#level2"},  # as Gallica writes it
        {"@context": f"{stanford}context.json", "@id": f"{base}/loris/f2",
         "profile": f"{stanford}compliance.html#level1"},  # Yale, Princeton (Loris)
        {"@id": f"{base}/ids/f3", "profile": f"{stanford}compliance.html#level1"},
    ]
    canvases = [{"@id": f"{base}/canvas/f{n}", "@type": "sc:Canvas", "label": f"f{n}",
                 "width": 3928, "height": 5584, "images": [{
                     "@type": "oa:Annotation", "motivation": "sc:painting",
                     "on": f"{base}/canvas/f{n}", "resource": {
                         "@id": f"{base}/elsewhere/f{n}.jpg", "@type": "dctypes:Image",
                         "format": "image/jpeg", "width": 3928, "height": 5584,
                         "service": svc}}]}
                for n, svc in enumerate(services, 1)]
    doc = {"@context": "http://iiif.io/api/presentation/2/context.json",
           "@id": f"{base}/manifest.json", "@type": "sc:Manifest", "label": "Atlas",
           "sequences": [{"@type": "sc:Sequence", "canvases": canvases}]}
    (tmp_path / "m.json").write_text(json.dumps(doc), encoding="utf-8")
    for svc in services:
        path = svc["@id"].removeprefix(base + "/")
        write_jpeg(http_server.root / path / "full" / "full" / "0" / "native.jpg", (39, 55))
    ws = make_ws()
    ws.update_card({"fetch": {"allow_hosts": ["127.0.0.1"]}})
    assert ws.ingest([tmp_path / "m.json"]).failed == 0
    for n, svc in enumerate(services, 1):
        item = ws.item(f"{base}/canvas/f{n}")
        assert item.meta["image_api"] == 1 and item.meta["image_service"] == svc["@id"]
        assert item.open_image().size == (39, 55)
        assert http_server.requests[-1] == \
            f"/{svc['@id'].removeprefix(base + '/')}/full/full/0/native.jpg"
    assert len(http_server.requests) == 3  # nothing asked for default.jpg first
    part = SimpleNamespace(uri=None, meta={**item.meta, "image_region": "10,20,300,400",
                                           "image_rotation": "90"})
    assert image_urls(part)[0] == f"{svc['@id']}/10,20,300,400/full/90/native.jpg"


def test_a_canvas_bigger_than_its_image_keeps_the_canvas_as_the_boxes_space(make_ws,
                                                                             http_server):
    # cookbook recipe 0004: a 1920 x 1080 canvas painted with a 640 x 360 image. The item's
    # size is the canvas's, the space annotations on the canvas measure in; the image is
    # decoded at its own size, and what glamlab cuts or draws from boxes goes by fractions
    # of the item's size (graphic windows), so a box on the canvas covers the same part
    # of the smaller image (a guard: nothing was mis-drawn)
    from PIL import Image

    from glamlab.features.grid import window_labels
    from glamlab.predictors.image.windows import _image_size

    base = http_server.url
    doc = _recipe("canvas-size_0004-manifest.json", f"{base}/0004")
    text = json.dumps(doc).replace("https://fixtures.iiif.io/video/indiana/", f"{base}/")
    (http_server.root / "0004.json").write_text(text, encoding="utf-8")
    still = http_server.root / "donizetti-elixir" / "act1-thumbnail.png"
    still.parent.mkdir()
    Image.new("RGB", (640, 360), "white").save(still)
    ws = make_ws()
    ws.update_card({"fetch": {"allow_hosts": ["127.0.0.1"]}})
    assert ws.ingest([f"{base}/0004.json"]).added == 1
    item = ws.item(f"{base}/0004/canvas/p1")
    assert (item.width, item.height) == (1920, 1080)
    assert item.open_image().size == (640, 360)
    on_canvas = [[960, 540, 960, 540]]  # the lower right quarter of the canvas
    assert (window_labels(on_canvas, _image_size(item), 12, 4) ==
            window_labels([[320, 180, 320, 180]], (640, 360), 12, 4)).all()


def test_a_folder_of_manifest_files_is_read(make_ws, tmp_path):
    folder = tmp_path / "manifests"
    _cookbook(folder, "https://example.org/iiif/news")
    shutil.copy(DATA / "iiif" / "bodleian-v2.json", folder / "bodleian.json")
    (folder / "notes.json").write_text('{"a": 1}')  # other JSON is skipped, as CSV is
    ws = make_ws()
    report = ws.ingest([folder])
    # bodleian (1 canvas) + issue 1 (2); issue 2 repeats issue 1's canvas ids (2 problems);
    # the title collection lists the two issues, read from the folder already: nothing is
    # fetched from https://example.org
    kinds = {i.source_kind for i in ws.items()}
    assert kinds == {"iiif"} and ws.count_items() == 3
    assert report.failed == 2 and all("duplicate id" in p["reason"] for p in report.problems)


# -- Annif -----------------------------------------------------------------------------
def test_annif_short_text_corpus(make_ws):
    ws = make_ws(modality="text")
    report = ws.ingest([DATA / "annif" / "documents.tsv"])
    assert (report.added, report.failed) == (30, 0)
    item = ws.item("documents:4")
    assert item.text.startswith("Pakkahuoneenkadun alta")
    assert item.meta["subjects"] == ["http://www.yso.fi/onto/yso/p14173",
                                     "http://www.yso.fi/onto/yso/p16323",
                                     "http://www.yso.fi/onto/yso/p5340"]


def test_annif_full_text_corpus(make_ws):
    ws = make_ws(modality="text")
    report = ws.ingest([DATA / "annif" / "fulltext"])
    assert (report.added, report.failed) == (5, 0)
    item = ws.item("385445")
    assert item.meta["subjects"][0] == "http://www.yso.fi/onto/yso/p3973"
    assert item.meta["subject_labels"][0] == "antiikki"


# -- Git LFS pointers -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["table.csv", "page.xml", "scan.jpg", "note.txt",
                                  "data.parquet", "manifest.json", "documents.tsv"])
def test_git_lfs_pointer_is_one_clear_problem(make_ws, tmp_path, name):
    path = tmp_path / name
    path.write_text(LFS_POINTER)
    ws = make_ws()
    report = ws.ingest([path])
    assert (report.added, report.failed) == (0, 1)
    problem = report.problems[0]
    assert "Git LFS pointer" in problem["reason"] and "git lfs pull" in problem["hint"]


def test_git_lfs_pointers_in_a_folder(make_ws, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    for name in ("a.jpg", "a.xml", "b.txt"):
        (folder / name).write_text(LFS_POINTER)
    ws = make_ws()
    report = ws.ingest([folder])
    assert report.added == 0 and report.failed == 3
    assert all("Git LFS pointer" in p["reason"] for p in report.problems)


# -- grouped splits ---------------------------------------------------------------------
def test_split_by_document_on_mets_and_iiif_items(make_ws, tmp_path, http_server):
    from glamlab.tasks import import_labels, split_labels

    ws = make_ws(labels=["text", "blank"])
    ws.ingest([_kant(tmp_path), _gdz(tmp_path, http_server),
               DATA / "iiif" / "bodleian-v2.json"])
    ids = [i.item_id for i in ws.items()]
    assert len(ids) == 6
    labels = tmp_path / "labels.csv"
    labels.write_text("id,label\n" + "".join(
        f"{i},{'blank' if n % 2 else 'text'}\n" for n, i in enumerate(ids)), encoding="utf-8")
    import_labels(ws, labels)
    report = split_labels(ws, test_size=0.4, group_by="document", seed=1)
    assert report.groups == 3 and report.ungrouped == 0
    from glamlab.tasks.splits import split_of

    sides = split_of(ws)
    by_doc: dict[str, set[str]] = {}
    for item in ws.items():
        by_doc.setdefault(item.meta["document"], set()).add(sides[item.item_id])
    assert all(len(s) == 1 for s in by_doc.values()), by_doc


def test_document_of_items_ingested_before_the_document_key():
    from glamlab.ingest.base import document_of

    assert document_of({"manifest": "https://x/m.json"}, "https://img/1") == "https://x/m.json"
    assert document_of({}, "/data/book1/OCR-D-IMG/p1.tif") == "/data/book1"
    assert document_of({}, "https://img/1") is None


def test_hocr(tmp_path):
    hocr = tmp_path / "p.hocr"
    hocr.write_text(
        '<!DOCTYPE html><html><body><div class="ocr_page" title="image &quot;p.png&quot;; '
        'bbox 0 0 800 1000"><p class="ocr_par"><span class="ocr_line">'
        '<span class="ocrx_word" title="x_wconf 90">Kopen</span> '
        '<span class="ocrx_word" title="x_wconf 70">Haven-</span></span>'
        '<span class="ocr_line"><span class="ocrx_word" title="x_wconf 80">hagen</span>'
        '</span></p></div></body></html>', encoding="utf-8")
    page = xml.parse_file(hocr)
    # a plain "-" at a line end may be a real hyphen: kept (soft hyphens are joined)
    assert page.format == "hocr" and page.text == "Kopen Haven-\nhagen"
    assert page.lines == 2 and page.image_ref == "p.png"
    assert page.mean_word_confidence == pytest.approx(0.8)


def test_interop_files_have_a_source_entry():
    listed = (DATA / "SOURCE.md").read_text(encoding="utf-8")
    for path in DATA.rglob("*"):
        if path.is_file() and path.name != "SOURCE.md" and path.parent.name not in (
                "fulltext", "OCR-D-IMG", "OCR-D-GT-PAGE", "OCR-D-GT-ALTO"):
            rel = path.relative_to(DATA).as_posix()
            assert rel in listed or re.sub(r"_\d", "_{1,2}", rel) in listed or \
                rel.split("/")[0] + "/" + rel.split("/")[1] + "/" in listed, rel


def test_cli_says_what_a_collection_holds_on_stderr(make_ws, http_server, capsys):
    from glamlab.cli import main

    _cookbook(http_server.root, http_server.url)
    ws = make_ws()
    with pytest.raises(SystemExit) as exc:
        main(["-w", str(ws.root), "ingest", f"{http_server.url}/newspaper_title-collection.json",
              "--collection-depth", "2", "--json"])
    assert exc.value.code == 1  # the recipe's second issue repeats the first one's canvas ids
    captured = capsys.readouterr()
    assert "a IIIF collection of 2 manifests" in captured.err
    assert json.loads(captured.out)["added"] == 2  # stdout holds the JSON report only


def test_cli_labels_import_of_an_annif_folder(make_ws, capsys):
    from glamlab.cli import main

    labels = sorted({line.split("\t")[1] for f in (DATA / "annif" / "fulltext").glob("*.tsv")
                     for line in f.read_text(encoding="utf-8").splitlines()})
    ws = make_ws(modality="text", labels=labels, multi_label=True)
    ws.ingest([DATA / "annif" / "fulltext"])
    main(["-w", str(ws.root), "labels", "import", str(DATA / "annif" / "fulltext"), "--json"])
    assert json.loads(capsys.readouterr().out)["items"] == 5


def test_split_by_document_on_items_ingested_before_the_key(make_ws, tmp_path):
    """Items without meta.document (an older workspace) are grouped by manifest/folder."""
    from glamlab.items import Item
    from glamlab.tasks.splits import _group_value

    old = Item("p1", "image", uri="/data/book1/OCR-D-IMG/p1.tif", meta={})
    assert _group_value(old, "document") == "/data/book1"
    iiif = Item("c1", "image", uri="https://img/1", meta={"manifest": "https://m/1"})
    assert _group_value(iiif, "document") == "https://m/1"


def test_safety_rules_see_every_value_of_a_repeated_label(make_ws):
    from glamlab.actions.safety import Condition

    ws = make_ws()
    ws.ingest([DATA / "iiif" / "bodleian-v2.json"])
    item = next(ws.items())
    subjects = item.meta["metadata"]["Subject"]
    assert Condition("Subject", equals=(subjects[-1].casefold(),)).holds(item)
    assert Condition("Subject", contains=subjects[3][:5].casefold()).holds(item)
    assert not Condition("Subject", equals=("no such subject",)).holds(item)


PAGE_BY_REGION = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15">
  <Page imageFilename="p.tif" imageWidth="1000" imageHeight="1500">
    <TextRegion id="r1" type="heading"><Coords points="0,0 9,0 9,9 0,9"/>
      <TextEquiv><Unicode>Briefe aus Weimar</Unicode></TextEquiv>
    </TextRegion>
    <TextRegion id="r2" type="paragraph"><Coords points="0,9 9,9 9,19 0,19"/>
      <TextEquiv conf="0.8"><Unicode>Goethe schrieb
an Schiller.</Unicode></TextEquiv>
    </TextRegion>
    <TextRegion id="r3"><Coords points="0,19 9,19 9,29 0,29"/>
      <TextLine id="l1"><Coords points="0,0 1,0 1,1 0,1"/>
        <Word id="w1"><Coords points="0,0 1,0 1,1 0,1"/>
          <TextEquiv conf="0.9"><Unicode>Jena</Unicode></TextEquiv></Word>
        <Word id="w2"><Coords points="0,0 1,0 1,1 0,1"/>
          <TextEquiv conf="0.9"><Unicode>1794</Unicode></TextEquiv></Word>
        <TextEquiv><Unicode></Unicode></TextEquiv>
      </TextLine>
      <TextEquiv><Unicode>Jena 1794</Unicode></TextEquiv>
    </TextRegion>
  </Page>
</PcGts>
"""


def test_page_text_given_by_region_or_by_word_only_is_kept(tmp_path):
    """PAGE ground truth transcribed by region (Aletheia: a ``TextRegion`` with its own
    ``TextEquiv`` and no ``TextLine``) and a line whose own ``TextEquiv`` is empty beside
    its words' text: the text is read, not dropped; a region's ``TextEquiv`` beside its
    lines is not read twice."""
    path = tmp_path / "p.xml"
    path.write_text(PAGE_BY_REGION, encoding="utf-8")
    page = xml.parse_file(path)
    assert page.text == "Briefe aus Weimar\n\nGoethe schrieb\nan Schiller.\n\nJena 1794"
    assert page.lines == 4 and page.words == 9


NDNP_ISSUE = """<?xml version="1.0" encoding="UTF-8"?>
<mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink"
  TYPE="urn:library-of-congress:ndnp:mets:newspaper:issue"
  PROFILE="urn:library-of-congress:mets:profiles:ndnp:issue:v1.5"
  LABEL="The Jamaica herald, 1903-05-04">
  <mets:fileSec>
    <mets:fileGrp>
      {groups}
    </mets:fileGrp>
  </mets:fileSec>
  <mets:structMap xmlns:np="urn:library-of-congress:ndnp:mets:newspaper">
    <mets:div TYPE="np:issue" DMDID="issueModsBib">
      {divs}
    </mets:div>
  </mets:structMap>
</mets:mets>
"""
NDNP_GROUP = """<mets:fileGrp ID="pageFileGrp{n}">
  <mets:file ID="masterFile{n}" USE="master"><mets:FLocat LOCTYPE="OTHER" OTHERLOCTYPE="file" xlink:href="./000{n}.tif"/></mets:file>
  <mets:file ID="serviceFile{n}" USE="service"><mets:FLocat LOCTYPE="OTHER" OTHERLOCTYPE="file" xlink:href="./000{n}.jp2"/></mets:file>
  <mets:file ID="otherDerivativeFile{n}" USE="derivative"><mets:FLocat LOCTYPE="OTHER" OTHERLOCTYPE="file" xlink:href="./000{n}.pdf"/></mets:file>
  <mets:file ID="ocrFile{n}" USE="ocr"><mets:FLocat LOCTYPE="OTHER" OTHERLOCTYPE="file" xlink:href="./000{n}.xml"/></mets:file>
</mets:fileGrp>"""
NDNP_DIV = """<mets:div TYPE="np:page" DMDID="pageModsBib{n}"><mets:fptr FILEID="masterFile{n}"/>
  <mets:fptr FILEID="serviceFile{n}"/><mets:fptr FILEID="otherDerivativeFile{n}"/>
  <mets:fptr FILEID="ocrFile{n}"/></mets:div>"""


def test_an_ndnp_issue_mets_gives_its_pages_with_their_alto(make_ws, tmp_path):
    """An NDNP (Chronicling America) issue METS: one structMap with no TYPE whose pages
    are ``np:page``, the files' USE on the files (``master``, ``service``, ``ocr``) in
    unnamed groups, no MIMETYPE. Each page is one item: its master TIFF, else its
    service JPEG 2000 (batches often ship without TIFFs), with its ALTO; the title is
    the METS LABEL; nothing else of the folder comes in as well."""
    from PIL import Image

    issue = tmp_path / "sn83030214" / "1903050401"
    issue.mkdir(parents=True)
    alto = (DATA / "alto" / "ndnp-chronam-excerpt.xml").read_text(encoding="utf-8")
    for n in (1, 2):
        Image.new("L", (60, 80), 255).save(issue / f"000{n}.jp2")
        (issue / f"000{n}.xml").write_text(alto, encoding="utf-8")
    Image.new("L", (60, 80), 255).save(issue / "0002.tif")  # page 2 still has its master
    (issue / "1903050401.xml").write_text(NDNP_ISSUE.format(
        groups="\n".join(NDNP_GROUP.format(n=n) for n in (1, 2)),
        divs="\n".join(NDNP_DIV.format(n=n) for n in (1, 2))), encoding="utf-8")
    ws = make_ws()
    report = ws.ingest([tmp_path / "sn83030214"])
    assert report.failed == 0, report.problems
    items = sorted(ws.items(), key=lambda i: i.item_id)
    assert [i.item_id for i in items] == ["1903050401/0001", "1903050401/0002"]
    assert [Path(i.uri or "").name for i in items] == ["0001.jp2", "0002.tif"]
    assert all("New-York Harbor" in (i.text or "") for i in items)
    assert items[0].meta["title"] == "The Jamaica herald, 1903-05-04"
    assert items[0].meta["page_order"] == 1 and items[1].meta["page_order"] == 2


def test_hocr_word_bboxes_become_word_boxes(tmp_path):
    """Tesseract's hOCR gives each ``ocrx_word`` a ``bbox x0 y0 x1 y1`` in pixels: these
    are word boxes as ALTO's (the entity IIIF export places mentions on them), at the
    words' offsets in the text; a word hyphenated across lines has a box on each half."""
    hocr = tmp_path / "p.hocr"
    hocr.write_text(
        '<!DOCTYPE html><html><body><div class="ocr_page" title="image &quot;p.png&quot;; '
        'bbox 0 0 800 1000; ppageno 0"><div class="ocr_carea"><p class="ocr_par">'
        '<span class="ocr_line" title="bbox 100 100 500 140; baseline 0 -5">'
        '<span class="ocrx_word" title="bbox 100 100 200 140; x_wconf 90">Goethe</span> '
        '<span class="ocrx_word" title="bbox 210 100 250 140; x_wconf 90">in</span> '
        '<span class="ocrx_word" title="bbox 260 100 330 140; x_wconf 90">Wei\u00ad</span>'
        '</span><span class="ocr_line" title="bbox 100 150 500 190">'
        '<span class="ocrx_word" title="bbox 100 150 170 190; x_wconf 80">mar.</span>'
        '</span></p></div></div></body></html>', encoding="utf-8")
    page = xml.parse_file(hocr)
    assert page.text == "Goethe in Weimar."
    boxes = page.extra["word_boxes"]
    words = [(page.text[boxes[i]:boxes[i + 1]], boxes[i + 2:i + 6])
             for i in range(0, len(boxes), 6)]
    assert words == [("Goethe", [100, 100, 100, 40]), ("in", [210, 100, 40, 40]),
                     ("Weimar.", [260, 100, 70, 40]), ("Weimar.", [100, 150, 70, 40])]
    assert (page.extra["page_width"], page.extra["page_height"]) == (800, 1000)


PAGE_LINE_OF_TWO = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15">
  <Page imageFilename="p.jpg" imageWidth="100" imageHeight="100">
    <TextRegion id="r1"><Coords points="0,0 100,0 100,100 0,100"/>
      <TextLine id="l1"><Coords points="0,0 50,0 50,10 0,10"/>
        <Word id="w1"><Coords points="0,0 10,0 10,10 0,10"/>
          <TextEquiv><Unicode>Goethe</Unicode></TextEquiv></Word>
        <Word id="w2"><Coords points="12,0 30,0 30,10 12,10"/>
          <TextEquiv><Unicode>Weimar</Unicode></TextEquiv></Word>
        <TextEquiv><Unicode>Goethe
Weimar</Unicode></TextEquiv>
      </TextLine>
      <TextLine id="l2"><Coords points="0,20 50,20 50,30 0,30"/>
        <Word id="w3"><Coords points="0,20 20,20 20,30 0,30"/>
          <TextEquiv><Unicode>Jena</Unicode></TextEquiv></Word>
        <TextEquiv><Unicode>Jena</Unicode></TextEquiv>
      </TextLine>
    </TextRegion>
  </Page>
</PcGts>
"""


def test_page_line_whose_text_holds_a_line_break_keeps_its_word_boxes(tmp_path):
    """A PAGE ``TextLine`` whose ``Unicode`` holds a line break of its own is read (not
    an error while placing its words' boxes), and each word's box is at its offsets."""
    path = tmp_path / "p.xml"
    path.write_text(PAGE_LINE_OF_TWO, encoding="utf-8")
    page = xml.parse_file(path)
    assert page.text == "Goethe\nWeimar\nJena"
    boxes = page.extra["word_boxes"]
    words = [page.text[boxes[i]:boxes[i + 1]] for i in range(0, len(boxes), 6)]
    assert words == ["Goethe", "Weimar", "Jena"]


def test_alto_hyppart1_whose_second_half_is_not_marked_is_not_written_twice():
    """ALTO whose ``HypPart1`` gives ``SUBS_CONTENT`` but whose next line starts with the
    rest of the word without ``SUBS_TYPE="HypPart2"``: "Goethe" ends the first line and
    the rest ("the") is not left as a word of its own on the next ("Goethe\\nthe"); its
    punctuation stays ("Weimar."). A next word that is not the rest stays."""
    def alto(first: str, second: str) -> bytes:
        return ('<alto xmlns="http://www.loc.gov/standards/alto/ns-v3#"><Layout><Page>'
                f'<PrintSpace><TextBlock><TextLine>{first}</TextLine><TextLine>{second}'
                '</TextLine></TextBlock></PrintSpace></Page></Layout></alto>').encode()

    page = xml.parse_bytes(alto(
        '<String CONTENT="Goe" SUBS_TYPE="HypPart1" SUBS_CONTENT="Goethe"/><HYP CONTENT="-"/>',
        '<String CONTENT="the"/><SP/><String CONTENT="lebte"/>'))
    assert page.text == "Goethe\nlebte"
    page = xml.parse_bytes(alto(
        '<String CONTENT="Wei-" SUBS_TYPE="HypPart1" SUBS_CONTENT="Weimar"/>',
        '<String CONTENT="mar."/><SP/><String CONTENT="1799"/>'))
    assert page.text == "Weimar.\n1799"
    page = xml.parse_bytes(alto(
        '<String CONTENT="Goe" SUBS_TYPE="HypPart1" SUBS_CONTENT="Goethe"/>',
        '<String CONTENT="lebte"/>'))
    assert page.text == "Goethe\nlebte"


def test_a_v2_image_resource_that_says_nothing_of_itself_is_still_read_as_the_image():
    """An older v2 manifest may give a canvas's image resource as a bare address with no
    type, format, service or file extension: the canvas's ``images`` are its image, so it
    is read (not refused as 'not an image'); a video file extension is refused."""
    from glamlab.ingest.iiif import _is_image

    assert _is_image({"@id": "https://example.org/iiif/page-12"})
    assert _is_image({"id": "https://example.org/scans/page-12.jpg"})
    assert not _is_image({"id": "https://example.org/media/clip.mp4"})
    assert not _is_image({"id": "https://example.org/captions/clip.vtt"})
    assert not _is_image({"id": "https://example.org/p", "format": "text/vtt"})


def test_v2_image_types_as_lists_in_any_case_or_with_an_image_format_are_images():
    """JSON-LD allows a list of types, manifests write ``dctypes:image`` lower-case, and
    an image format says image whatever the type: all were read before the check for
    non-image canvases and must stay read."""
    from glamlab.ingest.iiif import _is_image, _what

    assert _is_image({"@id": "https://e.org/a", "@type": ["dctypes:Image", "foaf:Image"]})
    assert _is_image({"@id": "https://e.org/a", "@type": "dctypes:image"})
    assert _is_image({"@id": "https://e.org/a", "@type": "dctypes:Text", "format": "image/jpeg"})
    assert not _is_image({"id": "https://e.org/v.mp4", "type": ["Video"], "format": "video/mp4"})
    assert _what({"id": "https://e.org/v", "type": ["Video", "dctypes:MovingImage"]}) == \
        "Video/MovingImage https://e.org/v"


def test_a_selector_region_or_rotation_not_in_image_api_syntax_is_not_put_in_the_address():
    """A manifest's selector region goes into the image service's address: only the Image
    API's own syntax is, never a path or a query."""
    from glamlab.ingest.iiif import _selector

    assert _selector({"type": "ImageApiSelector", "region": "../../../admin?x=",
                      "rotation": "90/../../x"}) == {}
    assert _selector({"type": "ImageApiSelector", "region": "pct:10,10,50,50",
                      "rotation": "!90"}) == {"region": "pct:10,10,50,50", "rotation": "!90"}
