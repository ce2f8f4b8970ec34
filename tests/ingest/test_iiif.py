"""IIIF Presentation manifests v2 and v3 from files and a local HTTP server; images
fetched lazily through the IIIF Image API and cached in the workspace."""

from __future__ import annotations

import json

import pytest

from .conftest import write_jpeg


def manifest_v3(base: str, n: int = 2) -> dict:
    canvases = []
    for i in range(1, n + 1):
        canvases.append({
            "id": f"{base}/book/canvas/p{i}",
            "type": "Canvas",
            "label": {"none": [f"f. {i}r"]},
            "width": 600, "height": 800,
            "metadata": [{"label": {"en": ["Folio"]}, "value": {"none": [f"{i}r"]}}],
            "items": [{
                "id": f"{base}/book/page/p{i}", "type": "AnnotationPage",
                "items": [{
                    "id": f"{base}/book/anno/p{i}", "type": "Annotation",
                    "motivation": "painting", "target": f"{base}/book/canvas/p{i}",
                    "body": {
                        "id": f"{base}/iiif3/img{i}/full/max/0/default.jpg",
                        "type": "Image", "format": "image/jpeg", "width": 60, "height": 80,
                        "service": [{"id": f"{base}/iiif3/img{i}", "type": "ImageService3",
                                     "profile": "level1"}],
                    },
                }],
            }],
        })
    return {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": f"{base}/book/manifest.json", "type": "Manifest",
        "label": {"en": ["Book of Hours"]},
        "metadata": [{"label": {"en": ["Date"]}, "value": {"en": ["c. 1480"]}}],
        "items": canvases,
    }


def manifest_v2(base: str) -> dict:
    return {
        "@context": "http://iiif.io/api/presentation/2/context.json",
        "@id": f"{base}/atlas/manifest.json", "@type": "sc:Manifest",
        "label": "Atlas",
        "metadata": [{"label": "Author", "value": "Mercator"}],
        "sequences": [{"@type": "sc:Sequence", "canvases": [
            {"@id": f"{base}/atlas/canvas/1", "@type": "sc:Canvas", "label": "Plate 1",
             "width": 1000, "height": 700,
             "images": [{"@type": "oa:Annotation", "motivation": "sc:painting",
                         "resource": {"@id": f"{base}/iiif2/plate1/full/full/0/default.jpg",
                                      "@type": "dctypes:Image", "format": "image/jpeg",
                                      "service": {"@context":
                                                  "http://iiif.io/api/image/2/context.json",
                                                  "@id": f"{base}/iiif2/plate1",
                                                  "profile": "http://iiif.io/api/image/2/"
                                                             "level1.json"}},
                         "on": f"{base}/atlas/canvas/1"}]},
            {"@id": f"{base}/atlas/canvas/2", "@type": "sc:Canvas", "label": "Blank",
             "width": 10, "height": 10, "images": []},
        ]}],
    }


LOCAL_SERVER = {"fetch": {"allow_hosts": ["127.0.0.1"]}}


def test_v3_manifest_over_http_and_lazy_cached_images(make_ws, http_server):
    www = http_server.root
    base = http_server.url
    (www / "book").mkdir()
    (www / "book" / "manifest.json").write_text(json.dumps(manifest_v3(base)))
    write_jpeg(www / "iiif3" / "img1" / "full" / "max" / "0" / "default.jpg", (60, 80), "red")
    write_jpeg(www / "iiif3" / "img2" / "full" / "max" / "0" / "default.jpg", (60, 80))
    ws = make_ws()
    ws.update_card(LOCAL_SERVER)  # the test server is on 127.0.0.1
    report = ws.ingest([f"{base}/book/manifest.json"])
    assert (report.added, report.failed) == (2, 0)
    assert http_server.requests == ["/book/manifest.json"]  # no image fetched at ingest
    item = ws.item(f"{base}/book/canvas/p1")
    assert item.source_kind == "iiif" and item.modality == "image"
    assert item.uri == f"{base}/iiif3/img1"
    assert (item.width, item.height) == (600, 800)
    assert item.meta["label"] == "f. 1r" and item.title == "f. 1r"  # the canvas label
    assert item.meta["manifest_label"] == "Book of Hours"
    assert item.meta["metadata"] == {"Date": "c. 1480", "Folio": "1r"}
    assert item.meta["image_api"] == 3 and item.meta["canvas_index"] == 1
    im = item.open_image()
    assert im.size == (60, 80) and im.getpixel((30, 40))[0] > 200
    assert http_server.requests[-1] == "/iiif3/img1/full/max/0/default.jpg"
    cached = list((ws.cache_dir / "iiif").rglob("*.img"))
    assert len(cached) == 1
    n = len(http_server.requests)
    item.open_image()
    assert len(http_server.requests) == n  # served from the cache
    assert ws.ingest([f"{base}/book/manifest.json"]).unchanged == 2


def test_v2_manifest_from_a_file_with_full_full_image_url(make_ws, tmp_path, http_server):
    base = http_server.url
    src = tmp_path / "atlas.json"
    src.write_text(json.dumps(manifest_v2(base)))
    write_jpeg(http_server.root / "iiif2" / "plate1" / "full" / "full" / "0" / "default.jpg",
               (100, 70))
    ws = make_ws()
    ws.update_card(LOCAL_SERVER)  # the test server is on 127.0.0.1
    report = ws.ingest([src])
    assert (report.added, report.failed) == (1, 1)
    assert "canvas 2 has no image" in report.problems[0]["reason"]
    item = ws.item(f"{base}/atlas/canvas/1")
    assert item.meta["label"] == "Plate 1" and item.meta["image_api"] == 2
    assert item.meta["metadata"] == {"Author": "Mercator"}
    assert item.open_image().size == (100, 70)
    assert http_server.requests == ["/iiif2/plate1/full/full/0/default.jpg"]


def test_unreachable_image_is_an_item_error_naming_the_item(make_ws, http_server):
    from glamlab.errors import ItemError

    base = http_server.url
    (http_server.root / "m.json").write_text(json.dumps(manifest_v3(base, n=1)))
    ws = make_ws()
    ws.update_card(LOCAL_SERVER)  # the test server is on 127.0.0.1
    ws.ingest([f"{base}/m.json"])
    item = ws.item(f"{base}/book/canvas/p1")
    with pytest.raises(ItemError) as err:
        item.open_image()
    assert err.value.item == item.item_id and "HTTP 404" in str(err.value)
    assert not list((ws.cache_dir / "iiif").rglob("*"))  or all(
        p.is_dir() for p in (ws.cache_dir / "iiif").rglob("*"))


def test_json_that_is_not_iiif_and_other_manifest_problems(make_ws, tmp_path, http_server,
                                                           monkeypatch):
    ws = make_ws()
    plain = tmp_path / "data.json"
    plain.write_text(json.dumps({"name": "not a manifest", "items": [1, 2]}))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    coll = tmp_path / "coll.json"
    coll.write_text(json.dumps({"@context": "http://iiif.io/api/presentation/3/context.json",
                                "id": "https://x/coll", "type": "Collection",
                                "items": [{"id": f"{http_server.url}/m1.json",
                                           "type": "Manifest"}]}))
    missing = f"{http_server.url}/nothing-here.json"
    report = ws.ingest([plain, broken, coll, missing])
    assert (report.added, report.failed) == (0, 4)
    reasons = [p["reason"] for p in report.problems]
    assert reasons[0].startswith("not a IIIF Presentation manifest")
    assert reasons[1].startswith("not a IIIF manifest: not JSON")
    # a collection is followed: its missing member is the problem, named with the collection
    assert "HTTP 404" in reasons[2] and "listed in the collection https://x/coll" in reasons[2]
    assert "HTTP 404" in reasons[3]
    assert [e["source"] for e in ws.ingest_errors()][::-1] == [str(plain), str(broken),
                                                               str(coll), missing]
    from glamlab.ingest import iiif

    (http_server.root / "big.json").write_text(json.dumps(manifest_v3(http_server.url, n=30)))
    monkeypatch.setattr(iiif, "MAX_MANIFEST_BYTES", 1000)
    report = ws.ingest([f"{http_server.url}/big.json"])
    assert report.failed == 1 and "limit" in report.problems[0]["reason"]


def test_injected_transport(make_ws):
    import httpx

    from glamlab.ingest import IngestOptions, iiif

    doc = manifest_v3("https://example.org", n=1)

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url == "https://example.org/book/manifest.json"
        return httpx.Response(200, json=doc)

    opts = IngestOptions(http_transport=httpx.MockTransport(handler))
    records = list(iiif.read("https://example.org/book/manifest.json", opts))
    assert [r.item_id for r in records] == ["https://example.org/book/canvas/p1"]


def _local_image_manifest(base: str, image: str) -> dict:
    doc = manifest_v3(base, n=1)
    body = doc["items"][0]["items"][0]["items"][0]["body"]
    body["id"] = image
    body.pop("service")
    return doc


def test_a_remote_manifest_cannot_make_glamlab_read_local_files(make_ws, tmp_path,
                                                                http_server):
    secret = tmp_path / "secret.jpg"
    write_jpeg(secret)
    base = http_server.url
    for name, image in (("abs", str(secret)), ("file", secret.as_uri()),
                        ("rel", "../../secret.jpg")):
        (http_server.root / f"{name}.json").write_text(json.dumps(
            _local_image_manifest(base, image)))
    ws = make_ws()
    report = ws.ingest([f"{base}/{n}.json" for n in ("abs", "file", "rel")])
    assert (report.added, report.failed) == (0, 3)
    assert all("is not an http(s) URL" in p["reason"] for p in report.problems)
    assert ws.count_items() == 0


def test_a_local_manifest_may_point_to_images_in_its_own_folder_only(make_ws, tmp_path):
    book = tmp_path / "book"
    write_jpeg(book / "img" / "p1.jpg")
    write_jpeg(tmp_path / "outside.jpg")
    (book / "inside.json").write_text(json.dumps(
        _local_image_manifest("https://example.org", "img/p1.jpg")))
    (book / "outside.json").write_text(json.dumps(
        _local_image_manifest("https://example.org/x", "../outside.jpg")))
    ws = make_ws()
    report = ws.ingest([str(book / "inside.json"), str(book / "outside.json")])
    assert (report.added, report.failed) == (1, 1)
    assert "outside the manifest's folder" in report.problems[0]["reason"]
    (item,) = ws.items()
    assert item.uri == str((book / "img" / "p1.jpg").resolve())
    assert item.open_image().size[0] > 0


def test_an_unknown_presentation_context_is_refused(make_ws, tmp_path):
    doc = manifest_v3("https://example.org")
    doc["@context"] = "http://iiif.io/api/presentation/9/context.json"
    (tmp_path / "m.json").write_text(json.dumps(doc))
    ws = make_ws()
    report = ws.ingest([str(tmp_path / "m.json")])
    assert report.added == 0 and "unknown IIIF Presentation context" in \
        report.problems[0]["reason"]


def test_a_manifest_nested_too_deeply_is_its_own_problem_the_rest_comes_in(make_ws,
                                                                           tmp_path):
    """JSON nested deeper than Python's parser goes raised a RecursionError that stopped
    the whole ingest (in the web app: the job failed with it); now it is that file's one
    problem, named with the fix, and the good manifest beside it comes in."""
    book = tmp_path / "book"
    write_jpeg(book / "img" / "p1.jpg")
    (book / "good.json").write_text(json.dumps(
        _local_image_manifest("https://example.org", "img/p1.jpg")))
    (book / "deep.json").write_text('{"@context": "http://iiif.io/api/presentation/3/'
                                    'context.json", "x": ' + "[" * 100_000
                                    + "]" * 100_000 + "}")
    ws = make_ws()
    report = ws.ingest([str(book / "deep.json"), str(book / "good.json")])
    assert (report.added, report.failed) == (1, 1)
    (problem,) = report.problems
    assert problem["source"].endswith("deep.json")
    assert "nested too deeply" in problem["reason"] and problem["hint"]


def test_a_folder_with_a_manifest_and_its_images_gives_the_canvases_only(make_ws, tmp_path):
    """A folder holding a manifest and the scans its canvases are painted with (a IIIF
    bundle saved for offline work): each scan is its canvas's item, not an item of its own
    as well (which would put one page in the collection twice, perhaps on both sides of
    the test split). A canvas painted with two images (a spread) says that it reads the
    first, and claims the second; an image no canvas names still comes in."""
    book = tmp_path / "book"
    write_jpeg(book / "p1.jpg")
    write_jpeg(book / "p2a.jpg")
    write_jpeg(book / "p2b.jpg")
    write_jpeg(book / "loose.jpg")
    doc = manifest_v3("https://example.org", n=2)
    for i, canvas in enumerate(doc["items"], 1):
        anno = canvas["items"][0]["items"][0]
        anno["body"] = {"id": f"p{i}.jpg" if i == 1 else "p2a.jpg", "type": "Image",
                        "format": "image/jpeg", "width": 40, "height": 30}
    spread = doc["items"][1]
    second = json.loads(json.dumps(spread["items"][0]["items"][0]))
    second["id"] += "-b"
    second["body"]["id"] = "p2b.jpg"
    second["target"] = spread["id"] + "#xywh=300,0,300,800"
    spread["items"][0]["items"].append(second)
    (book / "manifest.json").write_text(json.dumps(doc))
    ws = make_ws()
    report = ws.ingest([book])
    assert report.failed == 0, report.problems
    assert sorted(i.item_id for i in ws.items()) == [
        "https://example.org/book/canvas/p1", "https://example.org/book/canvas/p2", "loose"]
    p2 = ws.item("https://example.org/book/canvas/p2")
    assert p2.uri == str((book / "p2a.jpg").resolve())
    assert p2.meta["other_images"] == ["p2b.jpg"]
    assert "painted with 2 images" in p2.meta["canvas_note"]


def test_a_folder_walk_streams_its_manifests_canvases(tmp_path, monkeypatch):
    """A folder's IIIF files are read for the local images their canvases claim without
    fetching anything, and their canvases come after the folder's other items, a
    manifest at a time: a local collection of remote manifests (a newspaper's thousands
    of issues) is not fetched, and held in memory, before the first item comes."""
    from glamlab.ingest import iiif
    from glamlab.ingest.base import IngestOptions, Record
    from glamlab.ingest.folders import walk

    folder = tmp_path / "coll"
    write_jpeg(folder / "loose.jpg")
    remote = "https://example.org/book/manifest.json"
    (folder / "collection.json").write_text(json.dumps({
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": "https://example.org/collection", "type": "Collection",
        "label": {"none": ["Issues"]},
        "items": [{"id": remote, "type": "Manifest", "label": {"none": ["Book"]}}]}))
    fetched: list[str] = []
    load = iiif._load

    def fake_load(source, options):
        if source.startswith("https://"):
            fetched.append(source)
            return json.dumps(manifest_v3("https://example.org", n=2)).encode()
        return load(source, options)

    monkeypatch.setattr(iiif, "_load", fake_load)
    records = walk(folder, str(folder), IngestOptions())
    first = next(records)
    assert isinstance(first, Record) and first.item_id == "loose"
    assert fetched == []  # nothing fetched before the folder's own items
    rest = [r.item_id for r in records if isinstance(r, Record)]
    assert rest == ["https://example.org/book/canvas/p1", "https://example.org/book/canvas/p2"]
    assert fetched == [remote]


def test_labels_and_values_in_several_languages_are_read_in_one(make_ws, tmp_path):
    """A label given in several languages (v3 language maps, v2 ``@language`` lists) is
    one text translated: one language is read (none, else English, else the first), so
    the metadata label is ``Subject`` (which ``--meta Subject`` and a safety rule name),
    not ``Subject; Sujet``; several values in one language are all kept."""
    from glamlab.ingest.iiif import text_of

    assert text_of({"en": ["Subject"], "fr": ["Sujet"]}) == "Subject"
    assert text_of({"cy": ["Llyfr"], "none": ["MS 1"]}) == "MS 1"
    assert text_of({"de": ["Titel"], "fr": ["Titre"]}) == "Titel"
    assert text_of({"en": ["Prayer", "Devotion"]}) == "Prayer; Devotion"
    assert text_of([{"@value": "Titel", "@language": "de"},
                    {"@value": "Title", "@language": "en"}]) == "Title"
    assert text_of(["a", "b"]) == "a; b"
    doc = manifest_v3("https://example.org", n=1)
    doc["label"] = {"en": ["Book of Hours"], "fr": ["Livre d'heures"]}
    doc["metadata"] = [{"label": {"en": ["Subject"], "fr": ["Sujet"]},
                        "value": {"en": ["Prayer"], "fr": ["Prière"]}}]
    (tmp_path / "m.json").write_text(json.dumps(doc))
    ws = make_ws()
    ws.ingest([str(tmp_path / "m.json")])
    (item,) = ws.items()
    assert item.meta["manifest_label"] == "Book of Hours"
    assert item.meta["metadata"]["Subject"] == "Prayer"


def test_a_manifest_whose_context_is_written_with_https_is_read(make_ws, tmp_path):
    """``https://iiif.io/api/presentation/3/context.json`` (as some generators write it,
    and every viewer reads it) is the Presentation 3 context, not an unknown one."""
    doc = manifest_v3("https://example.org", n=1)
    doc["@context"] = "https://iiif.io/api/presentation/3/context.json"
    (tmp_path / "m.json").write_text(json.dumps(doc))
    v2 = manifest_v2("https://example.org")
    v2["@context"] = ["https://iiif.io/api/presentation/2/context.json"]
    (tmp_path / "v2.json").write_text(json.dumps(v2))
    ws = make_ws()
    report = ws.ingest([str(tmp_path / "m.json"), str(tmp_path / "v2.json")])
    assert report.added == 2, report.problems
    assert sorted(i.meta["presentation_api"] for i in ws.items()) == [2, 3]


def test_a_v2_canvas_whose_image_is_given_by_its_uri_alone_or_not_in_a_list(make_ws,
                                                                            tmp_path):
    """JSON-LD lets a v2 painting annotation's ``resource`` be the image's URI alone,
    and some generators write ``images`` as one object rather than a list: the canvas
    has its image either way (it was "canvas 1 has no image")."""
    doc = manifest_v2("https://example.org")
    c1, c2 = doc["sequences"][0]["canvases"]
    c1["images"][0]["resource"] = "https://example.org/plate1.jpg"
    c2["images"] = {"@type": "oa:Annotation", "motivation": "sc:painting",
                    "resource": {"@id": "https://example.org/blank.jpg"}, "on": c2["@id"]}
    (tmp_path / "m.json").write_text(json.dumps(doc))
    ws = make_ws()
    report = ws.ingest([str(tmp_path / "m.json")])
    assert (report.added, report.failed) == (2, 0), report.problems
    assert sorted(i.uri for i in ws.items()) == ["https://example.org/blank.jpg",
                                                 "https://example.org/plate1.jpg"]


def test_a_text_file_beside_a_canvas_image_is_said_not_read(make_ws, tmp_path):
    """A ``.txt`` beside a scan a local manifest's canvas is painted with was dropped
    without a word: the scan is the canvas's item (not an image item taking the text),
    and the text was not a text item either (it has an image beside it). It is now an
    ingest problem naming the file, why, and what to do; the text beside an image no
    canvas names still goes with that image."""
    book = tmp_path / "book"
    write_jpeg(book / "p1.jpg")
    (book / "p1.txt").write_text("Chapter one", encoding="utf-8")
    write_jpeg(book / "loose.jpg")
    (book / "loose.txt").write_text("A loose leaf", encoding="utf-8")
    (book / "manifest.json").write_text(json.dumps(
        _local_image_manifest("https://example.org", "p1.jpg")))
    ws = make_ws()
    report = ws.ingest([book])
    assert sorted(i.item_id for i in ws.items()) == [
        "https://example.org/book/canvas/p1", "loose"]
    assert ws.item("loose").text == "A loose leaf"
    (problem,) = report.problems
    assert problem["item"] == str(book / "p1.txt")
    assert "p1.txt: not read" in problem["reason"] and "p1.jpg" in problem["reason"]
    assert "IIIF manifest" in problem["reason"] and problem["hint"]
    # the fix it names works: the file by its own name is a text item
    again = ws.ingest([book / "p1.txt"])
    assert again.failed == 0 and any(i.text == "Chapter one" for i in ws.items())
