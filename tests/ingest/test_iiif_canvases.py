"""IIIF canvases that cannot be items as they are: painted with nothing (Gallica lists the
pages it has no scan of so), of no size, or showing a region outside their image. Built
from the real manifests in ``tests/data/interop/iiif`` (see its SOURCE.md)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from glamlab.ingest import iiif
from glamlab.ingest.base import IngestOptions, Problem, Record

DATA = Path(__file__).resolve().parents[1] / "data" / "interop" / "iiif"


def _bodleian_book(n: int, empty: set[int]) -> dict:
    """The Bodleian v2 manifest with ``n`` canvases (copies of its one), those numbered in
    ``empty`` (from 1) painted with nothing, as Gallica writes them (``"images": []``)."""
    doc = json.loads((DATA / "bodleian-v2.json").read_text(encoding="utf-8"))
    one = doc["sequences"][0]["canvases"][0]
    canvases = []
    for i in range(1, n + 1):
        c = copy.deepcopy(one)
        c["@id"] = one["@id"].replace(".json", f"-f{i}.json")
        if i in empty:
            c["images"] = []
        canvases.append(c)
    doc["sequences"][0]["canvases"] = canvases
    return doc


def _read(tmp_path: Path, doc: dict) -> list[Record | Problem]:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return list(iiif.read(str(path), IngestOptions()))


def test_canvases_with_no_image_are_said_once_with_their_count(tmp_path, make_ws):
    # a Gallica volume: 84 of its canvases had no image, 84 problems (one each) that
    # buried everything else; now one, with the count and the canvases' numbers
    empty = set(range(1, 5)) | set(range(10, 90))
    doc = _bodleian_book(96, empty)
    out = _read(tmp_path, doc)
    problems = [r for r in out if isinstance(r, Problem)]
    assert len([r for r in out if isinstance(r, Record)]) == 12
    assert len(problems) == 1, [p.reason for p in problems]
    (p,) = problems
    assert "84 of the 96 canvases" in p.reason and "canvases 1-4, 10-89" in p.reason
    assert p.item_ref == doc["sequences"][0]["canvases"][0]["@id"]
    assert "skipped" in p.hint and "other canvases came in" in p.hint
    ws = make_ws()
    report = ws.ingest([tmp_path / "manifest.json"])
    assert (report.added, report.failed) == (12, 1)


def test_one_canvas_with_no_image_is_named(tmp_path):
    out = _read(tmp_path, _bodleian_book(3, {2}))
    (p,) = [r for r in out if isinstance(r, Problem)]
    assert p.reason.startswith("canvas 2 has no image (") and p.item_ref.endswith("-f2.json")
    assert p.reason.endswith('-f2.json, labelled "Whole Page")')  # its id and its label


def test_a_canvas_of_no_width_or_height_is_one_clear_error_the_rest_comes_in(tmp_path):
    # a canvas of width 0 took its image's width (or none) without a word: its regions
    # and annotations are placed in a space of no size
    doc = _bodleian_book(4, set())
    canvases = doc["sequences"][0]["canvases"]
    canvases[1]["width"] = 0
    canvases[2]["height"] = -3
    canvases[3]["width"], canvases[3]["height"] = "wide", 0
    out = _read(tmp_path, doc)
    assert [r.item_id for r in out if isinstance(r, Record)] == [canvases[0]["@id"]]
    problems = [r for r in out if isinstance(r, Problem)]
    assert [p.item_ref for p in problems] == [c["@id"] for c in canvases[1:]]
    assert problems[0].reason.startswith(f"canvas 2 ({canvases[1]['@id']}) has width 0:")
    assert "has height -3" in problems[1].reason
    assert "has width 'wide' and height 0" in problems[2].reason
    assert all("give the canvas its width and height" in p.hint for p in problems)


def _recipe(name: str, base: str) -> dict:
    """A cookbook recipe as its site build writes it (placeholders filled)."""
    text = (DATA / name).read_text(encoding="utf-8")
    return json.loads(text.replace("{{ id.url }}", f"{base}/manifest.json").replace(
        "{{ id.path }}", base))


def test_a_region_partly_outside_its_image_is_clipped_one_wholly_outside_refused(tmp_path):
    # cookbook recipe 0299: a canvas showing a region of a 3536 x 4999 newspaper page.
    # A region reaching past the page was asked of the image service as it was (a server
    # answers 400 or pads it), one wholly outside it made an item with no image at all
    from glamlab.items.images import image_urls

    base = "https://example.org/iiif/0299"
    doc = _recipe("region_0299-manifest.json", base)
    one = doc["items"][0]
    canvases = []
    for n, region in enumerate(["1768,2423,1768,2080",  # the recipe's, inside
                                "2000,4000,1768,2080",  # past the right and bottom edges
                                "4000,100,200,200",  # right of the page
                                "10,10,0,50",  # no width
                                "pct:80,0,40,50"], 1):  # past 100%
        c = copy.deepcopy(one)
        c["id"] = f"{base}/canvas/p{n}"
        c["items"][0]["items"][0]["body"]["selector"]["region"] = region
        canvases.append(c)
    doc["items"] = canvases
    out = _read(tmp_path, doc)
    recs = {r.item_id: r for r in out if isinstance(r, Record)}
    problems = [r for r in out if isinstance(r, Problem)]
    assert recs[f"{base}/canvas/p1"].meta["image_region"] == "1768,2423,1768,2080"
    assert "canvas_note" not in recs[f"{base}/canvas/p1"].meta
    clipped = recs[f"{base}/canvas/p2"]
    assert clipped.meta["image_region"] == "2000,4000,1536,999"
    assert "reaches past its image (3536 x 4999 pixels): clipped to 2000,4000,1536,999" in \
        clipped.meta["canvas_note"]
    assert image_urls(clipped)[0].endswith("/2000,4000,1536,999/max/0/default.jpg")
    assert recs[f"{base}/canvas/p5"].meta["image_region"] == "pct:80,0,20,50"
    assert [p.item_ref for p in problems] == [f"{base}/canvas/p3", f"{base}/canvas/p4"]
    assert problems[0].reason == (
        f"canvas 3 ({base}/canvas/p3) shows the region 4000,100,200,200 of its image, which "
        "lies wholly outside the image (3536 x 4999 pixels) or has no width or height")
    assert "correct the region in the manifest's selector" in problems[0].hint


def test_clip_region():
    from glamlab.ingest.iiif import clip_region

    assert clip_region("full", 10, 10) == "full"
    assert clip_region("-5,-5,20,20", 10, 10) == "0,0,10,10"
    assert clip_region("5,5,20,20", None, None) == "5,5,20,20"  # the image's size unknown
    assert clip_region("pct:80,10,40,50", None, None) == "pct:80,10,20,50"
    assert clip_region("pct:100,10,40,50", None, None) is None
    assert clip_region("0,0,0,0", None, None) is None
    assert clip_region("2.5,0,10,10", 10, 10) == "2.5,0,7.5,10"


COOKBOOK_IMAGES = "https://iiif.io/api/image/3.0/example/reference/"


def _half_red(path: Path, size: tuple[int, int]) -> None:
    """A PNG whose left half is red, the right blue: which way it was turned shows."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.new("RGB", size, "blue")
    im.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    im.save(path, "PNG")


def _serve(http_server, name: str, edit=None) -> str:
    base = http_server.url
    text = (DATA / name).read_text(encoding="utf-8")
    text = text.replace("{{ id.url }}", f"{base}/{name}").replace(
        "{{ id.path }}", f"{base}/{name.partition('-')[0]}").replace(
        COOKBOOK_IMAGES, f"{base}/iiif3/")
    doc = json.loads(text)
    if edit is not None:
        edit(doc)
    (http_server.root / name).write_text(json.dumps(doc), encoding="utf-8")
    return f"{base}/{name}"


def test_a_canvas_turned_by_its_css_stylesheet_is_shown_turned(make_ws, http_server):
    # cookbook recipe 0040's second way: the painting annotation's stylesheet turns the
    # image 90 degrees (".rotated { transform: rotate(90deg) }"). It was read as the image
    # unturned: a 1523 x 2105 leaf shown on its side on a 2105 x 1523 canvas, in the
    # thumbnails, on the item page and to the models
    from glamlab.web.images import iiif_service

    url = _serve(http_server, "rotation-css_0040-manifest.json")
    leaf_image = "85a96c630f077e6ac6cb984f1b752bbf-0-21198-zz00022840-1-master"
    _half_red(http_server.root / "iiif3" / leaf_image / "full" / "max" / "0" / "default.jpg",
              (61, 84))
    ws = make_ws()
    ws.update_card({"fetch": {"allow_hosts": ["127.0.0.1"]}})
    report = ws.ingest([url])
    assert (report.added, report.failed) == (1, 0), report.problems
    leaf = ws.item(f"{http_server.url}/rotation/canvas/p1")
    assert leaf.meta["image_turn"] == "90" and "image_rotation" not in leaf.meta
    assert (leaf.width, leaf.height) == (2105, 1523)
    im = leaf.open_image()
    assert im.size == (84, 61)  # as the canvas: wide
    # turned clockwise: the image's left (red) is now its top
    assert im.getpixel((42, 5))[0] > 200 and im.getpixel((42, 55))[2] > 200
    assert iiif_service(leaf) is None  # the item page shows it turned, not the service's
    small = leaf.open_image(max_side=40)  # a thumbnail's reduced read: turned too
    assert small.size[0] > small.size[1]


def test_css_rotation():
    from glamlab.ingest.iiif import css_rotation

    sheet = {"type": "CssStylesheet", "value": ".a { color: red } .r { transform-origin: "
             "center; transform: rotate(-0.25turn); }"}
    assert css_rotation(sheet, "r") == "270"
    assert css_rotation(sheet, ["a"]) is None
    assert css_rotation([sheet], "x r") == "270"
    assert css_rotation("https://example.org/style.css", "r") is None  # not fetched
    assert css_rotation({"value": ".r { transform: rotate(360deg) }"}, "r") is None


def test_a_region_and_rotation_with_no_image_service_are_done_here(make_ws, http_server):
    # recipes 0299 and 0040 (by the selector) published without an image service: the
    # whole image was read, neither cut nor turned ("the whole image is read")
    def no_service(doc):
        del doc["items"][0]["items"][0]["items"][0]["body"]["source"]["service"]

    urls = [_serve(http_server, "region_0299-manifest.json", no_service),
            _serve(http_server, "rotation_0040-manifest.json", no_service)]
    www = http_server.root / "iiif3"
    page = "4ce82cef49fb16798f4c2440307c3d6f-newspaper-p2"
    # the page image served at a tenth of the size the manifest gives (3536 x 4999)
    _half_red(www / page / "full" / "max" / "0" / "default.jpg", (354, 500))
    leaf = "85a96c630f077e6ac6cb984f1b752bbf-0-21198-zz00022840-1-page1"
    _half_red(www / leaf / "full" / "max" / "0" / "default.jpg", (61, 84))
    ws = make_ws()
    ws.update_card({"fetch": {"allow_hosts": ["127.0.0.1"]}})
    report = ws.ingest(urls)
    assert (report.added, report.failed) == (2, 0), report.problems
    article = ws.item(f"{http_server.url}/region_0299/canvas/p1")
    assert article.meta["image_size"] == [3536, 4999]
    assert "cut and turned here" in article.meta["canvas_note"]
    im = article.open_image()
    # 1768,2423,1768,2080 of 3536 x 4999: the right half (blue), 177 x 208 of 354 x 500
    assert abs(im.size[0] - 177) <= 1 and abs(im.size[1] - 208) <= 1
    assert im.getpixel((100, 100))[2] > 200 and im.getpixel((100, 100))[0] < 60
    turned = ws.item(f"{http_server.url}/rotation_0040/canvas/p1").open_image()
    assert turned.size == (84, 61)
    assert turned.getpixel((42, 5))[0] > 200 and turned.getpixel((42, 55))[2] > 200


def test_annotations_with_an_empty_body_are_canvases_with_no_image(make_ws, tmp_path):
    # an image annotation with an empty resource ({}), or a SpecificResource or Choice
    # with no image in it, paints nothing: it was one problem each, said as "painted with
    # ..., not an image" or "neither an image service nor an image URL", beside the
    # canvases with no annotation at all. Now they are all canvases with no image, said in
    # one line naming them with the fix; the other canvases come in (exit status 1, as a
    # folder with a corrupt image: the problems recorded, the rest stored)
    from click.testing import CliRunner

    from glamlab.cli import cli

    doc = _bodleian_book(6, {2})
    canvases = doc["sequences"][0]["canvases"]
    for n, c in enumerate(canvases, 1):
        c["label"] = f"f. {n}"
    canvases[2]["images"][0]["resource"] = {}
    canvases[3]["images"][0]["resource"] = {"@type": "oa:SpecificResource"}
    canvases[4]["images"][0]["resource"] = {"@type": "oa:Choice"}
    del canvases[5]["images"][0]["resource"]
    out = _read(tmp_path, doc)
    assert [r.item_id for r in out if isinstance(r, Record)] == [canvases[0]["@id"]]
    (p,) = [r for r in out if isinstance(r, Problem)]
    assert "5 of the 6 canvases" in p.reason and "have no image: canvases 2-6 (labelled " \
        '"f. 2", "f. 3", "f. 4", "f. 5", "f. 6")' in p.reason
    assert p.item_ref == canvases[1]["@id"]
    ws = make_ws()
    result = CliRunner().invoke(cli, ["-w", str(ws.root), "ingest",
                                      str(tmp_path / "manifest.json")],
                                catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "1 new item" in result.stdout
    (line,) = [x for x in result.stderr.splitlines() if "have no image" in x]
    assert canvases[1]["@id"] in line and "other canvases came in" in line


def test_a_v3_body_given_by_its_uri_alone_is_the_canvas_image(tmp_path):
    # JSON-LD allows a body to be its URI alone; a v2 resource so was read, a v3 body
    # made the canvas "have no image"
    base = "https://example.org/iiif/0004"
    doc = _recipe("canvas-size_0004-manifest.json", base)
    anno = doc["items"][0]["items"][0]["items"][0]
    image = anno["body"]["id"]
    anno["body"] = image
    (rec,) = _read(tmp_path, doc)
    assert isinstance(rec, Record) and rec.uri == image and rec.meta["image"] == image


def test_an_image_painted_on_part_of_its_canvas_keeps_that_part(tmp_path):
    # a painting annotation whose target (v2 "on") is the canvas with a media fragment,
    # canvas#xywh=x,y,w,h, or a SpecificResource on the canvas with a FragmentSelector:
    # the canvas is matched by its id without the fragment, and the part of the canvas
    # the image lies on is kept (canvas_region), said in the canvas's note; the canvas's
    # size stays the space its regions are measured in
    doc = _bodleian_book(4, set())
    canvases = doc["sequences"][0]["canvases"]
    canvases[1]["images"][0]["on"] = canvases[1]["@id"] + "#xywh=0,0,100,200"
    canvases[2]["images"][0]["on"] = {
        "@type": "oa:SpecificResource", "full": canvases[2]["@id"],
        "selector": {"@type": "oa:FragmentSelector", "value": "xywh=10,20,3000,4000"}}
    canvases[3]["images"][0]["on"] = canvases[3]["@id"] + "#xywh=0,0,5776,9125"  # whole
    recs = _read(tmp_path, doc)
    assert all(isinstance(r, Record) for r in recs) and len(recs) == 4
    assert [r.meta.get("canvas_region") for r in recs] == \
        [None, "0,0,100,200", "10,20,3000,4000", None]
    assert (recs[1].width, recs[1].height) == (5776, 9125)
    assert recs[1].meta["canvas_note"] == ("the image is painted on the part 0,0,100,200 "
                                           "of the canvas (5776 x 9125), not on the whole "
                                           "of it")
    base = "https://example.org/iiif/0004"
    v3 = _recipe("canvas-size_0004-manifest.json", base)
    anno = v3["items"][0]["items"][0]["items"][0]
    anno["target"] = f"{base}/canvas/p1#xywh=640,360,640,360"
    (rec,) = _read(tmp_path, v3)
    assert rec.item_id == f"{base}/canvas/p1"
    assert rec.meta["canvas_region"] == "640,360,640,360"
    anno["target"] = {"type": "SpecificResource", "source": {"id": f"{base}/canvas/p1",
                                                            "type": "Canvas"},
                      "selector": {"type": "FragmentSelector",
                                   "value": "xywh=percent:0,0,50,50"}}
    (rec,) = _read(tmp_path, v3)
    assert rec.meta["canvas_region"] == "pct:0,0,50,50"
    anno["target"] = f"{base}/canvas/other#xywh=0,0,10,10"  # another canvas's part
    (rec,) = _read(tmp_path, v3)
    assert isinstance(rec, Record) and "canvas_region" not in rec.meta


def _service_of(doc: dict) -> dict:
    return doc["items"][0]["items"][0]["items"][0]["body"]["source"]["service"][0]


def test_an_image_service_is_asked_only_what_its_compliance_level_promises(tmp_path):
    # Image API compliance: level 0 promises the whole image only (full/full, v3
    # full/max), level 1 a region in pixels and sizes by width or height but no turn (and
    # in Image API 3 no region in percent), level 2 a turn by right angles. Recipe 0040's
    # level 1 service was asked for /90/ (a server may answer 400 or 501); what a level
    # does not promise is asked unturned or whole and done here (local_view)
    from types import SimpleNamespace

    from glamlab.items.images import image_urls, local_view

    base = "https://example.org/iiif/0040"
    doc = _recipe("rotation_0040-manifest.json", base)
    svc = _service_of(doc)["id"]

    def seen(region=None, rotation="90", level="level1", **service):
        d = copy.deepcopy(doc)
        body = d["items"][0]["items"][0]["items"][0]["body"]
        _service_of(d).update(profile=level, **service)
        body["selector"] = {"type": "ImageApiSelector", "rotation": rotation,
                            **({"region": region} if region else {})}
        (rec,) = _read(tmp_path, d)
        item = SimpleNamespace(meta=rec.meta, uri=rec.uri)
        return image_urls(item)[0].removeprefix(svc), local_view(item)

    assert seen() == ("/full/max/0/default.jpg", (None, False, 90.0))
    assert seen("10,20,300,400") == ("/10,20,300,400/max/0/default.jpg", (None, False, 90.0))
    assert seen("pct:10,20,30,40") == ("/full/max/0/default.jpg",
                                       ("pct:10,20,30,40", False, 90.0))
    assert seen("10,20,300,400", level="level0") == ("/full/max/0/default.jpg",
                                                      ("10,20,300,400", False, 90.0))
    assert seen("pct:10,20,30,40", level="level2") == (
        "/pct:10,20,30,40/max/90/default.jpg", (None, False, 0.0))
    assert seen(rotation="!90", level="level2") == ("/full/max/0/default.jpg",
                                                    (None, True, 90.0))
    assert seen(rotation="!90", level="level2", extraFeatures=["mirroring"])[0] == \
        "/full/max/!90/default.jpg"
    assert seen(rotation="45", level="level2")[0] == "/full/max/0/default.jpg"
    assert seen(extraFeatures=["rotationBy90s"])[0] == "/full/max/90/default.jpg"
    assert seen(level=None)[0] == "/full/max/90/default.jpg"  # no level said: as before

    # Image API 2 (the Bodleian's level 1 service, as published): the same, and a level 1
    # service that says it supports turning (the profile's "supports") is asked to
    v2 = _bodleian_book(1, set())
    res = v2["sequences"][0]["canvases"][0]["images"][0]["resource"]
    v2_svc = res["service"]["@id"]
    v2["sequences"][0]["canvases"][0]["images"][0]["resource"] = {
        "@type": "oa:SpecificResource", "full": res, "selector": {
            "@type": "iiif:ImageApiSelector", "region": "10,20,300,400", "rotation": "90"}}
    (rec,) = _read(tmp_path, v2)
    assert rec.meta["image_level"] == 1
    item = SimpleNamespace(meta=rec.meta, uri=rec.uri)
    assert image_urls(item)[0] == f"{v2_svc}/10,20,300,400/full/0/default.jpg"
    assert local_view(item) == (None, False, 90.0)
    res["service"]["profile"] = [res["service"]["profile"],
                                 {"supports": ["rotationBy90s", "mirroring"]}]
    (rec,) = _read(tmp_path, v2)
    assert rec.meta["image_features"] == ["rotationBy90s", "mirroring"]
    assert image_urls(SimpleNamespace(meta=rec.meta, uri=rec.uri))[0] == \
        f"{v2_svc}/10,20,300,400/full/90/default.jpg"


def test_a_level_0_service_is_asked_for_the_whole_image_and_the_region_cut_here(
        make_ws, http_server):
    # recipe 0299 (the canvas shows a region of a newspaper page) with a level 0 image
    # service: the region is not promised; the whole page is asked for and cut here
    def level0(doc):
        _service_of(doc)["profile"] = "level0"

    url = _serve(http_server, "region_0299-manifest.json", level0)
    page = "4ce82cef49fb16798f4c2440307c3d6f-newspaper-p2"
    _half_red(http_server.root / "iiif3" / page / "full" / "max" / "0" / "default.jpg",
              (354, 500))
    ws = make_ws()
    ws.update_card({"fetch": {"allow_hosts": ["127.0.0.1"]}})
    report = ws.ingest([url])
    assert (report.added, report.failed) == (1, 0), report.problems
    article = ws.item(f"{http_server.url}/region_0299/canvas/p1")
    im = article.open_image()
    assert abs(im.size[0] - 177) <= 1 and abs(im.size[1] - 208) <= 1  # the right half
    assert im.getpixel((100, 100))[2] > 200 and im.getpixel((100, 100))[0] < 60
    assert http_server.requests[-1] == f"/iiif3/{page}/full/max/0/default.jpg"


def test_the_item_page_asks_a_size_the_service_promises(tmp_path):
    # the item page asked every image service for full/!1600,1600/0 (sizeByConfinedWh),
    # which only level 2 promises: a level 1 service is asked for the longer side's width
    # or height, no bigger than the image; a level 0 one for the whole image
    from glamlab.items import Item
    from glamlab.web.images import iiif_display_url

    def shown(meta, width=5776, height=9125):
        return iiif_display_url(Item(item_id="c", modality="image", source_kind="iiif",
                                     source="m", uri=meta["image_service"],
                                     content_hash="h", width=width, height=height,
                                     meta=meta))

    s = "https://example.org/iiif/p1"
    v2 = {"image_service": s, "image_api": 2}
    assert shown(v2) == f"{s}/full/!1600,1600/0/default.jpg"  # no level said
    assert shown({**v2, "image_level": 2}) == f"{s}/full/!1600,1600/0/default.jpg"
    assert shown({**v2, "image_level": 1}) == f"{s}/full/,1600/0/default.jpg"
    assert shown({**v2, "image_level": 1}, 9000, 300) == f"{s}/full/1600,/0/default.jpg"
    assert shown({**v2, "image_level": 0}) == f"{s}/full/full/0/default.jpg"
    v3 = {"image_service": s, "image_api": 3, "image_level": 1}
    # recipe 0004: a 1920 x 1080 canvas painted with a 640 x 360 image: no upscaling
    assert shown({**v3, "image_size": [640, 360]}, 1920, 1080) == \
        f"{s}/full/640,/0/default.jpg"
    assert shown({**v3, "image_level": 0}) == f"{s}/full/max/0/default.jpg"
    assert shown({"image_service": s, "image_api": 1, "image_level": 1}) == \
        f"{s}/full/,1600/0/native.jpg"


def test_a_manifest_none_of_whose_canvases_has_an_image_says_so(make_ws, tmp_path):
    # it said "the canvas is skipped, the manifest's other canvases came in" of a manifest
    # with no other canvas; nothing came in (exit status 2)
    from click.testing import CliRunner

    from glamlab.cli import cli

    doc = _bodleian_book(3, {1, 2, 3})
    out = _read(tmp_path, doc)
    (p,) = out
    assert isinstance(p, Problem)
    assert p.reason.startswith("none of the 3 canvases of the manifest ")
    assert p.reason.endswith('has an image (labelled "Whole Page", "Whole Page", '
                             '"Whole Page")')
    assert "came in" not in p.hint and "check that this is the manifest meant" in p.hint
    one = _bodleian_book(1, {1})
    (p,) = _read(tmp_path, one)
    assert p.reason.startswith("the one canvas of the manifest ")
    ws = make_ws()
    result = CliRunner().invoke(cli, ["-w", str(ws.root), "ingest",
                                      str(tmp_path / "manifest.json")],
                                catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "error: nothing was brought in:" in result.stderr
    assert "fix: check that this is the manifest meant" in result.stderr
