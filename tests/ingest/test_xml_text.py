"""ALTO and PAGE XML, plain text files, and folders that pair OCR with page images."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import write_jpeg
from .samples import (
    ALTO_MEAN_WC,
    ALTO_TEXT,
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    alto,
    page_xml,
)


@pytest.mark.parametrize("version", [2, 3, 4])
def test_alto_text_lines_and_word_confidence(make_ws, tmp_path, version):
    ws = make_ws(modality="text")
    src = tmp_path / "p1.xml"
    src.write_text(alto(version, image=None))
    report = ws.ingest([src])
    assert (report.added, report.failed) == (1, 0)
    item = ws.item("p1")
    assert item.modality == "text" and item.source_kind == "alto"
    assert item.text == ALTO_TEXT
    assert item.meta["lines"] == 3 and item.meta["words"] == 6
    assert item.meta["hyphenated_words_joined"] == 1
    assert item.meta["mean_word_confidence"] == pytest.approx(ALTO_MEAN_WC, abs=1e-4)
    assert item.meta["ocr_schema"].endswith(f"ns-v{version}#")


def test_alto_linked_to_its_page_image(make_ws, tmp_path):
    ws = make_ws()
    write_jpeg(tmp_path / "scan_0001.jpg", (120, 180))
    src = tmp_path / "ocr.xml"
    src.write_text(alto(4, image="scan_0001.jpg"))
    ws.ingest([src])
    item = ws.item("scan_0001")
    assert (item.modality, item.width, item.height) == ("image", 120, 180)
    assert item.text == ALTO_TEXT
    assert item.meta["ocr_file"] == "ocr.xml" and item.meta["file"] == "scan_0001.jpg"
    assert ws.count_items() == 1


@pytest.mark.parametrize("year", [2013, 2019])
def test_page_xml_text_and_word_confidence(make_ws, tmp_path, year):
    ws = make_ws(modality="text")
    src = tmp_path / "p.xml"
    src.write_text(page_xml(year, image="absent.jpg"))
    ws.ingest([src])
    item = ws.item("p")
    assert item.source_kind == "page" and item.modality == "text"
    assert item.text == "Der Tag\nbricht an"
    assert item.meta["lines"] == 2
    assert item.meta["mean_word_confidence"] == pytest.approx(0.8)  # words 0.9 and 0.7
    assert item.meta["image_missing"] == "absent.jpg"
    assert (item.meta["page_width"], item.meta["page_height"]) == (800, 1200)


def test_page_xml_line_level_confidence(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = tmp_path / "p.xml"
    src.write_text(page_xml(2019, image=None, words=False))
    ws.ingest([src])
    meta = ws.item("p").meta
    assert meta["mean_word_confidence"] == pytest.approx(0.7)  # lines 0.8 and 0.6
    assert meta["confidence_level"] == "line"


@pytest.mark.parametrize("payload,word", [(EXTERNAL_ENTITY, "entities"),
                                          (BILLION_LAUGHS, "entities")])
def test_unsafe_xml_is_refused_and_recorded(make_ws, tmp_path, payload, word):
    ws = make_ws(modality="text")
    good = tmp_path / "good.xml"
    good.write_text(alto(4, image=None))
    ws.ingest([good])
    before = ws.item_versions("good")
    bad = tmp_path / "evil.xml"
    bad.write_text(payload)
    report = ws.ingest([bad, good])
    assert (report.added, report.unchanged, report.failed) == (0, 1, 1)
    err = ws.ingest_errors()[0]
    assert err["item_ref"] == str(bad) and word in err["reason"]
    assert "never processed" in err["reason"]
    assert ws.item_versions("good") == before
    assert "root:" not in "".join(str(i.text) for i in ws.items())


def test_xml_that_is_not_ocr_or_not_well_formed(make_ws, tmp_path):
    ws = make_ws(modality="text")
    (tmp_path / "tei.xml").write_text("<TEI><text>hi</text></TEI>")
    (tmp_path / "cut.xml").write_text("<alto><Layout>")
    report = ws.ingest([tmp_path / "tei.xml", tmp_path / "cut.xml"])
    assert report.failed == 2
    reasons = [p["reason"] for p in report.problems]
    assert "not ALTO or PAGE XML (the root element is <TEI>)" in reasons[0]
    assert "not well-formed" in reasons[1]


def test_text_files_utf8_and_not(make_ws, tmp_path):
    ws = make_ws(modality="text")
    folder = tmp_path / "texts"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("premi\u00e8re ligne\nseconde\n", encoding="utf-8")
    (folder / "sub" / "b.txt").write_bytes("\ufeffBOM text".encode())
    (folder / "latin.txt").write_bytes(b"ligne un\ncaf\xe9\n")
    report = ws.ingest([folder])
    assert (report.added, report.failed) == (2, 1)
    assert ws.item("a").text == "premi\u00e8re ligne\nseconde\n"
    assert ws.item("a").meta == {"file": "a.txt", "lines": 2}
    assert ws.item("sub/b").text == "BOM text"
    err = ws.ingest_errors()[0]
    assert "latin.txt" in err["item_ref"]
    assert "not UTF-8" in err["reason"] and "line 2" in err["reason"]
    assert "iconv" in err["hint"]
    single = ws.ingest([folder / "a.txt"])
    assert single.unchanged == 1  # a single file keeps the id "a"


def test_an_empty_text_file_is_a_problem_naming_it_and_the_rest_comes_in(make_ws, tmp_path):
    # a table's row with no text was skipped and named, an empty .txt came in as an item
    # of nothing (run, trends and exports then counted a text with no words)
    ws = make_ws(modality="text")
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("Vive Paris.", encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_text(" \n\n", encoding="utf-8")
    report = ws.ingest([folder])
    assert (report.added, report.failed) == (1, 2)
    assert [i.item_id for i in ws.items()] == ["a"]
    errors = sorted(ws.ingest_errors(), key=lambda e: e["item_ref"])
    assert [Path(e["item_ref"]).name for e in errors] == ["blank.txt", "empty.txt"]
    assert "empty.txt is empty (no text); it was skipped" in errors[1]["reason"]
    assert "fill in its text" in errors[1]["hint"]


def test_folder_pairs_page_images_with_their_ocr(make_ws, tmp_path):
    ws = make_ws()
    root = tmp_path / "book"
    write_jpeg(root / "p1.jpg", (100, 150))
    (root / "p1.xml").write_text(alto(3, image="p1.jpg"))
    write_jpeg(root / "p2.jpg", (100, 150))
    (root / "p2.xml").write_text(page_xml(2019, image="p2.jpg"))
    write_jpeg(root / "p3.jpg", (100, 150))
    (root / "p3.txt").write_text("plain OCR of page three")
    write_jpeg(root / "p4.jpg", (100, 150))
    (root / "notes.txt").write_text("a note")
    # ALTO in another folder naming its image by a relative path
    write_jpeg(root / "images" / "p5.jpg", (90, 90))
    (root / "alto").mkdir()
    (root / "alto" / "p5.xml").write_text(alto(4, image="../images/p5.jpg"))
    report = ws.ingest([root])
    assert report.failed == 0, report.problems
    ids = [i.item_id for i in ws.items()]
    assert ids == ["images/p5", "notes", "p1", "p2", "p3", "p4"]
    p1, p2, p3, p4 = (ws.item(f"p{i}") for i in range(1, 5))
    assert (p1.modality, p1.source_kind, p1.text) == ("image", "alto", ALTO_TEXT)
    assert p2.source_kind == "page" and p2.text == "Der Tag\nbricht an"
    assert p3.text == "plain OCR of page three" and p3.meta["text_file"] == "p3.txt"
    assert p4.text is None and p4.source_kind == "folder"
    assert ws.item("notes").modality == "text"
    assert ws.item("images/p5").text == ALTO_TEXT
    assert ws.ingest([root]).unchanged == 6
    (root / "p3.txt").write_text("corrected OCR of page three")
    again = ws.ingest([root])
    assert (again.updated, again.unchanged) == (1, 5)
    assert [v["version"] for v in ws.item_versions("p3")] == [1, 2]


def _mets_folder(root):
    from .samples import mets

    (root / "alto").mkdir(parents=True)
    for i in (1, 2, 3):
        write_jpeg(root / "images" / f"{i:04d}.jpg", (70 + i, 100))
        if i < 3:  # the ALTO files name no image: only the METS file links them
            (root / "alto" / f"{i:04d}.xml").write_text(alto(4, image=None))
    (root / "mets.xml").write_text(mets(pages=3, missing_ocr_for=3))


def test_mets_pages_pair_images_and_ocr(make_ws, tmp_path):
    root = tmp_path / "issue"
    _mets_folder(root)
    ws = make_ws()
    report = ws.ingest([root / "mets.xml"])
    assert (report.added, report.failed) == (3, 0), report.problems
    # ids start with the METS OBJID: unique across books
    p1 = ws.item("book1/images/0001")
    assert (p1.source_kind, p1.modality, p1.width) == ("mets", "image", 71)
    assert p1.text == ALTO_TEXT and p1.meta["lines"] == 3
    assert p1.meta["page_order"] == 1 and p1.meta["page_label"] == "[1]"
    assert p1.meta["title"] == "Le Petit Journal" and p1.meta["document"] == "book1"
    assert ws.item("book1/images/0003").text is None
    # the same folder ingested as a folder: one item per page, nothing twice
    ws2 = make_ws("ws2")
    report = ws2.ingest([root])
    assert (report.added, report.failed) == (3, 0), report.problems
    assert [i.item_id for i in ws2.items()] == [f"book1/images/000{i}" for i in (1, 2, 3)]
    assert ws2.item("book1/images/0002").source_kind == "mets"


def test_mets_items_of_an_older_workspace_keep_their_ids(make_ws, tmp_path):
    """A workspace filled before ids carried the document keeps its ids: re-ingesting
    updates those items instead of adding a second item per page."""

    root = tmp_path / "issue"
    _mets_folder(root)
    ws = make_ws()
    ws.ingest([root / "mets.xml"])
    t = ws.store.t.items
    with ws.store.write() as conn:  # the ids glamlab gave before: image path under the METS
        for i in (1, 2, 3):
            conn.execute(t.update().where(t.c.item_id == f"book1/images/000{i}")
                         .values(item_id=f"images/000{i}"))
    report = ws.ingest([root / "mets.xml"])
    assert report.added == 0 and report.kept_ids == 3, report.to_dict()
    assert [i.item_id for i in ws.items()] == ["images/0001", "images/0002", "images/0003"]
    assert ws.item("images/0001").meta["document"] == "book1"
    # a second book with the same file names is not mistaken for the first one
    other = tmp_path / "other"
    _mets_folder(other)
    (other / "mets.xml").write_text((other / "mets.xml").read_text().replace("book1", "book2"))
    report = ws.ingest([other / "mets.xml"])
    assert (report.added, report.kept_ids) == (3, 0)
    assert ws.count_items() == 6


def test_mets_with_entities_is_refused(make_ws, tmp_path):
    src = tmp_path / "mets.xml"
    src.write_text('<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                   '\n<mets:mets xmlns:mets="http://www.loc.gov/METS/">&x;</mets:mets>\n')
    ws = make_ws()
    report = ws.ingest([src])
    assert (report.added, report.failed) == (0, 1)
    assert "declares entities" in report.problems[0]["reason"]


def test_mets_files_outside_its_folder_are_not_read(make_ws, tmp_path):
    """A METS (an uploaded one, say) naming files elsewhere on the disk - an absolute
    path, file:///, or ../ out of its folder - gets one problem per page naming the file
    and the fix; nothing of those files is read, and the other pages come in."""
    secret = tmp_path / "elsewhere"
    write_jpeg(secret / "private.jpg", (50, 60))
    (secret / "private.xml").write_text(alto(4, image=None))
    root = tmp_path / "issue"
    _mets_folder(root)
    doc = (root / "mets.xml").read_text()
    doc = doc.replace('xlink:href="images/0001.jpg"', f'xlink:href="{secret}/private.jpg"')
    doc = doc.replace('xlink:href="alto/0002.xml"',
                      f'xlink:href="file://{secret}/private.xml"')
    (root / "mets.xml").write_text(doc)
    (root / "sub").mkdir()
    (root / "sub" / "link.jpg").symlink_to(secret / "private.jpg")
    ws = make_ws()
    report = ws.ingest([root / "mets.xml"])
    reasons = [p["reason"] for p in report.problems]
    assert report.added == 2 and len(reasons) == 2, reasons
    assert "private.jpg' of page 1 is outside the METS file's folder" in reasons[0]
    assert "page 2: its OCR file" in reasons[1] and "outside" in reasons[1]
    assert all("METS file's folder (or below it)" in p["hint"] for p in report.problems)
    assert ws.item("book1/images/0002").text is None  # the outside ALTO was not read
    assert ws.item("book1/images/0003").width == 73
    assert not any("private" in (i.uri or "") for i in ws.items())
    # ../ and a link out of the folder are outside too
    doc = (root / "mets.xml").read_text().replace(f"{secret}/private.jpg", "sub/link.jpg")
    (root / "mets.xml").write_text(doc.replace('xlink:href="images/0003.jpg"',
                                               'xlink:href="../elsewhere/private.jpg"'))
    ws2 = make_ws("ws2")
    report = ws2.ingest([root / "mets.xml"])
    assert report.added == 1 and len(report.problems) == 3, report.problems
    assert [i.item_id for i in ws2.items()] == ["book1/images/0002"]


def test_ocr_naming_an_image_outside_the_folder_links_none(make_ws, tmp_path):
    """An ALTO/PAGE file (in an uploaded ZIP, say) naming a page image elsewhere on the
    disk - absolute, or ../ out of the folder ingested - does not read that image: the
    page comes in as text, with one problem naming the image and the fix."""
    elsewhere = tmp_path / "elsewhere"
    write_jpeg(elsewhere / "private.jpg", (50, 60))
    root = tmp_path / "upload"
    root.mkdir()
    (root / "a.xml").write_text(alto(4, image=str(elsewhere / "private.jpg")))
    (root / "b.xml").write_text(page_xml(2019, image="../elsewhere/private.jpg"))
    write_jpeg(root / "c.jpg", (70, 80))
    (root / "c.xml").write_text(alto(4, image="c.jpg"))
    ws = make_ws()
    report = ws.ingest([root])
    assert report.added == 3, report.problems
    reasons = sorted(p["reason"] for p in report.problems)
    assert len(reasons) == 2 and all("outside the folder ingested" in r for r in reasons)
    assert "private.jpg" in reasons[0] and "put the page images" in report.problems[0]["hint"]
    assert ws.item("a").modality == "text" and ws.item("a").text == ALTO_TEXT
    assert ws.item("b").modality == "text"
    assert ws.item("c").width == 70
    assert not any("private" in (i.uri or "") for i in ws.items())


def test_an_alto_page_whose_image_is_missing_comes_in_with_a_warning_naming_it(
        make_ws, tmp_path):
    """An ALTO file naming its page image (``./0002.tif``) that is not beside it: the
    ingest said "No ingest problems". Its text comes in; the missing image is a warning
    naming the OCR file and the image, stored (``glamlab items --errors``), said in one
    line however many pages lack their image, and not counted as failed (the text may
    be all that is wanted)."""
    root = tmp_path / "upload"
    root.mkdir()
    (root / "page2.xml").write_text(alto(4, image="./0002.tif"))
    (root / "page3.xml").write_text(alto(4, image="./0003.tif"))
    ws = make_ws(modality="text")
    report = ws.ingest([root])
    assert report.added == 2 and ws.item("page2").text == ALTO_TEXT
    assert (report.failed, report.came_in, report.no_image) == (0, 0, 2)
    assert report.problems == []
    stored = ws.ingest_errors()
    assert sorted(r["reason"].split(":")[0] for r in stored) == ["page2.xml", "page3.xml"]
    assert any("'./0002.tif'" in r["reason"] and "stored as text only" in r["reason"]
               for r in stored)
    summary = report.summary()
    assert "problem" not in summary
    [line] = [w for w in summary.splitlines() if "page image" in w]
    assert line.startswith("warning: 2 OCR pages name a page image that is not there")
    assert "page2.xml" in line and "'./0002.tif'" in line, line
    assert "put each image beside its OCR file" in line
    data = report.to_dict()
    assert data["failed"] == 0 and data["pages_without_image"] == 2
    assert data["warnings"] == [line.removeprefix("warning: ")]


def test_a_page_refused_for_its_id_has_no_warning_that_its_text_came_in(make_ws, tmp_path):
    # the archive's texts came in first from a table; the OCR folder with the same ids
    # was refused (another source), yet it also said "their text came in" of each page
    table = tmp_path / "texts.csv"
    table.write_text("id,text\npage2,Another text of page two\n", encoding="utf-8")
    root = tmp_path / "upload"
    root.mkdir()
    (root / "page2.xml").write_text(alto(4, image="./0002.tif"))
    (root / "page3.xml").write_text(alto(4, image="./0003.tif"))
    ws = make_ws(modality="text")
    ws.ingest([table])
    report = ws.ingest([root])
    assert report.added == 1 and report.no_image == 1  # page3 only
    stored = ws.ingest_errors()
    refused = [r for r in stored if not r["warning"]]
    assert [r["item_ref"] for r in refused] == ["page2"]
    assert "already belongs to an item from" in refused[0]["reason"]
    warned = [r for r in stored if r["warning"]]
    assert [r["reason"].split(":")[0] for r in warned] == ["page3.xml"]
    assert "page2.xml" not in report.summary()


def test_the_refusal_of_entities_names_the_entity_in_plain_words():
    """The problem says which entity and what it points to, not a Python repr
    (``EntitiesForbidden(name='xxe', system_id=..., public_id=None)``)."""
    from glamlab.ingest.xml import BadXml, parse_bytes

    with pytest.raises(BadXml) as info:
        parse_bytes(EXTERNAL_ENTITY.encode())
    assert "EntitiesForbidden(" not in info.value.reason
    assert "declares entities (the entity 'secret', which points to file:///etc/passwd)" in \
        info.value.reason
