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
