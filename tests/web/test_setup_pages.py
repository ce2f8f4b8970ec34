"""The project and bringing items in, from the browser (issue 18): the "new project" page
(admin only; refused once items are in), uploads of a spreadsheet with a column-mapping
step (delimiter sniffed, columns detected and changeable, a text task without text
refused, one problem per bad row), an Excel workbook, a ZIP of images (no path traversal,
one problem per bad member), a IIIF manifest and a METS file, size limits."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from glamlab.demo import demo_data

from .conftest import app_with_users, csrf_of

INTEROP = Path(__file__).resolve().parents[1] / "data" / "interop"


@pytest.fixture
def blank_app(make_ws: Any) -> Any:
    """A workspace as `glamlab init` leaves it before anything is in, with users."""
    ws = make_ws("new", task="new-project", modality="image", labels=["yes", "no"])
    yield from app_with_users(ws)


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _define(c: Any, **fields: str) -> Any:
    data = {"name": "Language of each text", "need": "Route texts to readers",
            "modality": "text", "kind": "single-label", "labels": "de\nen\nfr",
            "price_per_item": "0", **fields}
    return c.post("/stages/project", data={"csrf": csrf_of(c), **data},
                  follow_redirects=False)


def _lang_rows(n: int) -> list[dict[str, str]]:
    with open(demo_data("language") / "texts.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"] in ("de", "en", "fr")]
    return rows[:n]


def _upload(c: Any, name: str, data: bytes) -> Any:
    return c.post("/stages/items", data={"csrf": csrf_of(c)},
                  files={"file": (name, data)}, follow_redirects=False)


def _map(c: Any, r: Any, **cols: str) -> Any:
    assert r.status_code == 303, r.text
    q = dict(re.findall(r"(upload|file)=([^&]+)", r.headers["location"]))
    return c.post("/stages/items/table", data={"csrf": csrf_of(c), **q, **cols},
                  follow_redirects=False)


def test_new_project_is_the_card_glamlab_init_writes(blank_app: Any) -> None:
    ws, app, client = blank_app
    rey, ada = client("rey"), client("ada")
    assert "Set up a new project" not in rey.get("/stages/project").text
    assert _define(rey).status_code == 403  # admins only
    r = ada.post("/stages/project", data={"name": "x", "modality": "text",
                                          "kind": "single-label", "labels": "a\nb"},
                 follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
    bad = _define(ada, labels="only-one")
    assert bad.status_code == 422 and "at least two labels" in bad.text
    wrong = _define(ada, metric="strict_micro_f1")  # an entities measure, a label task
    assert wrong.status_code == 422 and "does not measure" in wrong.text
    assert 'value="accuracy"' in ada.get("/stages/project").text
    assert ws.card.task == "new-project"  # nothing changed
    r = _define(ada)
    assert r.status_code == 303 and r.headers["location"].startswith("/stages/items")
    from glamlab.config import ProjectCard

    card = ProjectCard.load(ws.root / "glamlab.toml")  # on disk, as glamlab init writes it
    assert (card.task, card.name, card.modality, card.kind, card.labels, card.metric) == (
        "language-of-each-text", "Language of each text", "text", "single-label",
        ["de", "en", "fr"], "f1_macro")
    assert app.state.kind.name == "single-label" and ws.card.need == "Route texts to readers"
    # the overview sends the curator to bring items in
    assert 'href="/stages/items"' in ada.get("/").text


def test_new_project_labels_that_hold_a_comma(blank_app: Any) -> None:
    """A curator types Tate's subject "emotions, concepts and ideas": one a line, or on
    one line with that label in double quotes (as `glamlab init --labels` reads it); the
    card keeps it whole and the project page lists it so that it does not read as two.
    Labels that read two ways are refused with the fix, in words without flags."""
    from glamlab.config import ProjectCard

    ws, _app, client = blank_app
    ada = client("ada")
    tate = "emotions, concepts and ideas"
    bad = _define(ada, kind="multi-label", labels=f'"{tate}|people')
    assert bad.status_code == 422 and "read two ways" in bad.text
    assert "--" not in re.sub(r"<[^>]*>", " ", bad.text)  # (not the CSRF token's)
    assert "a label may then hold commas" in bad.text
    assert ws.card.task == "new-project"  # nothing changed
    r = _define(ada, kind="multi-label", labels=f'people, "{tate}", nature')
    assert r.status_code == 303, r.text
    card = ProjectCard.load(ws.root / "glamlab.toml")
    assert card.labels == ["people", tate, "nature"]
    page = ada.get("/stages/project").text
    assert f"people | {tate} | nature" in page


def test_a_single_label_holding_a_comma_survives_saving_the_form_again(
        blank_app: Any) -> None:
    """Review finding: the form is filled in with the card's labels one a line, so a
    project whose one label holds a comma (a multi-label project of Tate's "emotions,
    concepts and ideas" alone, which glamlab init makes) showed it on a single line, which
    is read as a list separated by commas: saving the form again (to state the need)
    turned the one label into two, silently. Now the form gives such a label in double
    quotes, read back whole."""
    import html
    import re

    from glamlab.config import ProjectCard

    ws, _app, client = blank_app
    ada = client("ada")
    tate = "emotions, concepts and ideas"
    r = _define(ada, kind="multi-label", labels=f'"{tate}"')
    assert r.status_code == 303, r.text
    assert ProjectCard.load(ws.root / "glamlab.toml").labels == [tate]
    page = ada.get("/stages/project").text
    shown = re.search(r'<textarea id="p-labels"[^>]*>(.*?)</textarea>', page, re.S)
    assert shown is not None
    r = _define(ada, kind="multi-label", labels=html.unescape(shown.group(1)),
                need="Find the works about feelings")
    assert r.status_code == 303, r.text
    assert ProjectCard.load(ws.root / "glamlab.toml").labels == [tate]


def test_a_label_holding_a_bar_on_the_form_is_refused_in_the_forms_words(
        blank_app: Any) -> None:
    """Review finding: labels one a line, one of them holding '|', were refused on the
    project form with "What to do: rename it in [project] labels in glamlab.toml", a file
    a curator on the form neither sees nor needs. Now the fix is in the form's words."""
    ws, _app, client = blank_app
    ada = client("ada")
    r = _define(ada, kind="multi-label", labels="people\nstill life|nature")
    assert r.status_code == 422, r.text
    assert "still life|nature" in html_unescape(r.text)
    assert "glamlab.toml" not in r.text and "[project]" not in r.text, r.text
    assert "one a line" in r.text
    assert ws.card.task == "new-project"  # nothing changed


@pytest.mark.parametrize("labels, fix", [
    ("people\nsea|sky", "write that label without &#39;|&#39; in the labels"),
    ("people\nnature\npeople", "write each label once in the labels"),
], ids=["bar", "twice"])
def test_a_label_refused_on_the_form_says_the_fix_in_the_forms_words(
        blank_app: Any, labels: str, fix: str) -> None:
    """A label holding '|' (one a line, as the form asks) or typed twice was refused
    with "rename it in [project] labels in glamlab.toml" (or "edit ..."): a file the
    curator never saw, for labels typed on this form. Now the fix in the form's words."""
    ws, _app, client = blank_app
    bad = _define(client("ada"), kind="multi-label", labels=labels)
    assert bad.status_code == 422, bad.text
    assert fix in bad.text, bad.text
    # the page's words, not its tags: the form's random CSRF token may hold "--"
    words = re.sub(r"<[^>]*>", " ", bad.text)
    assert "glamlab.toml" not in words and "--" not in words, words
    assert ws.card.task == "new-project"  # nothing changed


def test_a_spreadsheet_with_its_columns_mapped(blank_app: Any) -> None:
    ws, app, client = blank_app
    ada = client("ada")
    assert _define(ada).status_code == 303
    rows = _lang_rows(40)
    out = io.StringIO()
    w = csv.writer(out, delimiter=";")  # as Excel writes CSV in France or Germany
    w.writerow(["shelfmark", "ocr", "lang", "note"])
    for i, r in enumerate(rows):
        text = "" if i == 3 else r["text"]  # a row without text: one problem
        label = "xx" if i == 5 else r["label"]  # a label the project has not: one problem
        w.writerow([r["id"], text, label, "kept"])
    r = _upload(ada, "letters.csv", out.getvalue().encode("utf-8-sig"))
    assert r.status_code == 303 and "upload=" in r.headers["location"]
    page = ada.get(r.headers["location"]).text
    assert "semicolon" in page and "40 rows" in page
    # the columns found: the id from its unique values, the text from its values, the
    # label from the project's label names
    for sel, col in (("map-id", "shelfmark"), ("map-text", "ocr"), ("map-label", "lang")):
        assert re.search(rf'id="{sel}".*?<option selected>{col}</option>', page, re.S), sel
    # a column chosen for two roles: said at once, on the mapping form, nothing queued
    twice = _map(ada, r, id_column="shelfmark", text_column="shelfmark", label_column="lang")
    assert twice.status_code == 422 and "two roles" in twice.text
    assert 'id="map-id"' in twice.text and ws.count_items() == 0
    from glamlab.web import jobs

    assert jobs.latest(ws, "ingest") is None
    done = _map(ada, r, id_column="shelfmark", text_column="ocr", label_column="lang")
    # a background job brings it in (a large spreadsheet takes minutes)
    assert done.status_code == 303 and "started=ingest" in done.headers["location"]
    assert app.state.jobs.wait(300)
    page = ada.get(done.headers["location"]).text
    assert ws.count_items() == 39
    assert rows[3]["id"] in page and "has no text" in page
    assert "&#39;xx&#39; is not one of this project" in page
    assert 'id="labels-imported"' in page
    # the count of items labelled (not the dict's items method, "<built-in method ...>")
    assert "Labels imported for <b>38</b> items" in page and "built-in" not in page
    from glamlab.tasks.splits import split_of

    splits = split_of(ws)
    assert len(splits) == 38 and set(splits.values()) == {"train", "test"}
    assert "lang" in ws.card.section("leakage")["label_columns"]  # never a feature


def test_a_text_task_without_text_is_refused(blank_app: Any) -> None:
    ws, app, client = blank_app
    ada = client("ada")
    assert _define(ada).status_code == 303
    body = "id,year,lang\n" + "".join(f"r{i},19{i:02d},de\n" for i in range(12))
    r = _upload(ada, "records.csv", body.encode())
    page = ada.get(r.headers["location"]).text
    assert re.search(r'id="map-text".*?<option value="" selected>|id="map-text"[^>]*>'
                     r'<option value="">\(none\)</option>(?:(?!selected).)*?</select>',
                     page, re.S)
    done = _map(ada, r, id_column="id", text_column="", label_column="lang")
    assert app.state.jobs.wait(300)
    page = ada.get(done.headers["location"]).text
    assert ws.count_items() == 0
    assert "this is a text task" in page and "nothing was ingested" in page


def test_an_excel_workbook(blank_app: Any, tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    from glamlab.sheets import write_sheet

    ws, app, client = blank_app
    ada = client("ada")
    assert _define(ada).status_code == 303
    rows = _lang_rows(12)
    buf = io.BytesIO()
    write_sheet(buf, ["id", "text", "label"], [[r["id"], r["text"], r["label"]] for r in rows],
                fmt="xlsx")
    r = _upload(ada, "sheet.xlsx", buf.getvalue())
    done = _map(ada, r, id_column="id", text_column="text", label_column="label")
    assert done.status_code == 303
    assert app.state.jobs.wait(300)
    assert ws.count_items() == 12
    assert {it.item_id for it in ws.items()} == {r["id"] for r in rows}


def test_a_zip_of_images_with_bad_members(blank_app: Any) -> None:
    ws, app, client = blank_app
    ada = client("ada")
    assert _define(ada, modality="image", labels="graphic\nno_graphic").status_code == 303
    images = sorted((demo_data("illustrations") / "images").glob("*.jpg"))[:4]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in images:
            z.write(p, f"scans/{p.name}")
        z.writestr("../../evil.jpg", images[0].read_bytes())  # path traversal
        z.writestr("scans/broken.jpg", b"not a jpeg")  # one bad image
        z.writestr("readme.pdf", b"%PDF")  # not an image
    r = _upload(ada, "../../scans.zip", buf.getvalue())
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/stages/items?started=ingest"  # a background job
    assert app.state.jobs.wait(300)
    page = ada.get(r.headers["location"]).text
    assert ws.count_items() == 4
    assert 'data-count="added">4<' in page
    assert "evil.jpg" in page and "points outside" in page
    assert "broken.jpg" in page and "readme.pdf" in page
    assert not (ws.root.parent / "evil.jpg").exists()
    assert not list(ws.root.parent.glob("scans.zip"))
    uploads = ws.root / "uploads"
    assert all(uploads in p.parents for p in uploads.rglob("*"))


def test_a_iiif_manifest_and_a_mets_file(blank_app: Any) -> None:
    ws, app, client = blank_app
    ada = client("ada")
    assert _define(ada, modality="image", labels="graphic\nno_graphic").status_code == 303
    r = _upload(ada, "bodleian.json", (INTEROP / "iiif" / "bodleian-v2.json").read_bytes())
    assert r.status_code == 303, r.text
    # a second upload while the first may still be in: both are queued, neither lost
    r = _upload(ada, "gdz.xml", (INTEROP / "mets" / "gdz-PPN595930174-excerpt.xml").read_bytes())
    assert r.status_code == 303, r.text
    assert app.state.jobs.wait(300)
    from glamlab.web import jobs

    done = jobs.list_jobs(ws, kind="ingest")
    assert [j["status"] for j in done] == ["done", "done"]
    assert all(j["result"]["added"] > 0 for j in done)
    assert ws.count_items() == sum(j["result"]["added"] for j in done)
    bad = _upload(ada, "not-a-manifest.json", b'{"hello": 1}')
    assert bad.status_code == 422 and "not a IIIF manifest" in bad.text


def test_what_an_upload_left_out_names_no_folder_of_the_server(blank_app: Any) -> None:
    """A manifest whose images point elsewhere on the server, and an XML file with entity
    declarations: each is one problem naming the file as uploaded. The page, which every
    signed-in person sees, used to give the workspace's path on the server with it."""
    import json

    ws, app, client = blank_app
    ada = client("ada")
    assert _define(ada, modality="image", labels="graphic\nno_graphic").status_code == 303
    canvases = [{"@id": f"http://x/c{i}", "@type": "sc:Canvas", "width": 9, "height": 9,
                 "images": [{"@type": "oa:Annotation", "motivation": "sc:painting",
                             "on": f"http://x/c{i}", "resource": {
                                 "@id": src, "@type": "dctypes:Image"}}]}
                for i, src in enumerate(["/etc/passwd", "../../glamlab.db"])]
    manifest = {"@context": "http://iiif.io/api/presentation/2/context.json",
                "@id": "http://x/m", "@type": "sc:Manifest", "label": "m",
                "sequences": [{"@type": "sc:Sequence", "canvases": canvases}]}
    assert _upload(ada, "m.json", json.dumps(manifest).encode()).status_code == 303
    assert app.state.jobs.wait(300)
    xxe = (b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<mets:mets xmlns:mets="http://www.loc.gov/METS/"><t>&x;</t></mets:mets>')
    assert _upload(ada, "pages.xml", xxe).status_code == 303
    assert app.state.jobs.wait(300)
    from glamlab.web import jobs

    done = jobs.list_jobs(ws, kind="ingest")
    said = json.dumps([j["result"] for j in done])
    assert "'/etc/passwd' is outside" in said and "pages.xml" in said
    assert str(ws.root.resolve()) not in said and str(ws.root) not in said
    page = client("rey").get("/stages/items").text
    assert "declares entities" in page and str(ws.root.resolve()) not in page


def test_uploads_refused_with_one_clear_error(blank_app: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from glamlab.tasks import uploads

    ws, app, client = blank_app
    ada, rey = client("ada"), client("rey")
    assert _define(ada).status_code == 303
    assert _upload(rey, "a.csv", b"id,text\n1,hello there\n").status_code == 403
    from fastapi.testclient import TestClient

    from glamlab.web.middleware import RejectNul

    with TestClient(app) as stranger:  # not signed in: to the login page, nothing kept
        r = stranger.post("/stages/items", files={"file": ("a.csv", b"id,text\n1,hi\n")},
                          follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert not (ws.root / "uploads").exists()
    monkeypatch.setattr(RejectNul, "MAX_UPLOAD", 100)
    r = _upload(ada, "a.csv", b"id,text\n" + b"1,some words here\n" * 20)
    assert r.status_code == 413 and "larger than the limit" in r.text
    monkeypatch.setattr(RejectNul, "MAX_UPLOAD", 510_000_000)
    r = _upload(ada, "notes.docx", b"x")
    assert r.status_code == 422 and "not a file this page takes" in r.text
    monkeypatch.setitem(uploads.MAX_BYTES, "table", 10)
    r = _upload(ada, "big.csv", b"id,text\n" + b"1,some words here\n" * 10)
    assert r.status_code == 422 and "larger than the limit" in r.text
    assert not list((ws.root / "uploads").rglob("big.csv"))
    # a mapping form sent back with another folder never leaves uploads/
    r = ada.post("/stages/items/table", data={"csrf": csrf_of(ada), "upload": "../..",
                                              "file": "glamlab.toml", "id_column": "id"},
                 follow_redirects=False)
    assert r.status_code == 422 and "no such upload" in r.text
    # once items are in, the project cannot be set up again
    monkeypatch.setitem(uploads.MAX_BYTES, "table", 10_000)
    rows = _lang_rows(3)
    out = io.StringIO()
    csv.writer(out).writerows([["id", "text"], *([r["id"], r["text"]] for r in rows)])
    assert _map(ada, _upload(ada, "a.csv", out.getvalue().encode()), id_column="id",
                text_column="text").status_code == 303
    again = _define(ada, labels="x\ny")
    assert again.status_code == 422 and "already holds 3 items" in again.text


def test_a_iiif_manifest_by_its_address(blank_app: Any) -> None:
    """A manifest on a (local) web server, brought in by a background job; an address
    that is not http(s) is refused at once. The server fetches only from the public
    internet unless the card allows the host ([fetch]): the manifest on 127.0.0.1 is
    refused, naming the fix, before any request reaches it (it was fetched before)."""
    import http.server
    import threading

    ws, app, client = blank_app
    ada = client("ada")
    assert _define(ada, modality="image", labels="graphic\nno_graphic").status_code == 303
    body = (INTEROP / "iiif" / "bodleian-v2.json").read_bytes()
    asked: list[str] = []

    class Manifest(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Manifest)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/manifest.json"
        r = ada.post("/stages/items/url", data={"csrf": csrf_of(ada), "url": url},
                     follow_redirects=False)
        assert r.status_code == 303, r.text
        assert app.state.jobs.wait(300)
        page = ada.get("/stages/items").text
        assert ws.count_items() == 0 and asked == []
        assert "internal network" in page and "allow_hosts" in page, page
        ws.update_card({"fetch": {"allow_hosts": ["127.0.0.1"]}})
        r = ada.post("/stages/items/url", data={"csrf": csrf_of(ada), "url": url},
                     follow_redirects=False)
        assert r.status_code == 303, r.text
        assert app.state.jobs.wait(300)
        page = ada.get("/stages/items").text
        assert asked == ["/manifest.json"]
        assert ws.count_items() > 0 and "is in</h2>" in page
        bad = ada.post("/stages/items/url", data={"csrf": csrf_of(ada),
                                                  "url": "file:///etc/passwd"},
                       follow_redirects=False)
        assert bad.status_code == 422 and "not a web address" in bad.text
        rey = client("rey")
        assert rey.post("/stages/items/url", data={"csrf": csrf_of(rey), "url": url},
                        follow_redirects=False).status_code == 403
    finally:
        server.shutdown()
        server.server_close()


def test_the_project_page_chooses_the_metric(blank_app: Any) -> None:
    from glamlab.config import ProjectCard

    ws, app, client = blank_app
    ada = client("ada")
    assert _define(ada, metric="accuracy").status_code == 303
    assert ProjectCard.load(ws.root / "glamlab.toml").metric == "accuracy"


def test_an_entities_project_takes_a_file_of_gold_entities(blank_app: Any) -> None:
    """A curator's HIPE file (texts with the entities people marked) on the upload page
    of an entities project: its texts come in with their gold spans and a test set is
    set aside, a document's sentences together; before, the file went to the column
    step as a spreadsheet and was refused there ("a quote ... is never closed")."""
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of

    ws, app, client = blank_app
    ada = client("ada")
    assert _define(ada, kind="entities", labels="PER\nLOC\nORG\nPROD\nTIME",
                   metric="").status_code == 303
    assert 'id="span-upload"' in ada.get("/stages/items").text  # the page says it takes one
    hipe = (Path(__file__).resolve().parents[1] / "data" / "ner" / "newseye-fr-gold.tsv")
    r = _upload(ada, "marked.tsv", hipe.read_bytes())
    assert r.status_code == 303 and r.headers["location"] == "/stages/items?started=ingest"
    assert app.state.jobs.wait(300)
    page = ada.get(r.headers["location"]).text
    assert 'id="labels-imported"' in page and "Entities marked by people" in page
    gold = gold_spans(ws)
    assert f"imported for <b>{len(gold)}</b> texts" in page and "built-in" not in page
    assert ws.count_items() == len(gold) > 0
    assert sum(len(s) for s in gold.values()) > 0
    splits = split_of(ws)
    assert set(splits) == set(gold) and set(splits.values()) == {"train", "test"}
    docs: dict[str, set[str]] = {}
    for item_id, split in splits.items():
        docs.setdefault(str(ws.item(item_id).meta["document_id"]), set()).add(split)
    assert all(len(s) == 1 for s in docs.values())  # a document stays in one split
    assert f"test {sum(v == 'test' for v in splits.values())}" in page


def test_a_file_of_entities_typed_otherwise_says_so_in_one_sentence(blank_app: Any) -> None:
    """The project's types in words (person, place, ...), the file's HIPE codes (PER,
    LOC, ...): one sentence naming both and the fix (the project page, while nothing is
    in), not a line per entity ("unknown label 'PER'" hundreds of times)."""
    from glamlab.web import jobs

    ws, app, client = blank_app
    ada = client("ada")
    assert _define(ada, kind="entities", labels="person\nplace\norganisation",
                   metric="").status_code == 303
    hipe = (Path(__file__).resolve().parents[1] / "data" / "ner" / "newseye-fr-gold.tsv")
    r = _upload(ada, "marked.tsv", hipe.read_bytes())
    assert app.state.jobs.wait(300)
    job = jobs.latest(ws, "ingest")
    assert job is not None and job["status"] == "failed"
    assert job["error"].startswith("marked.tsv marks its entities as LOC, ORG, PER")
    assert "on the project page give the file's types as the labels" in job["error"]
    assert "unknown label" not in job["error"] and ws.count_items() == 0
    assert "marks its entities as" in ada.get(r.headers["location"]).text


def test_the_project_page_says_entity_types_must_match_the_annotation_files(
        blank_app: Any) -> None:
    """Choosing "names in the text" said nothing about which labels to give: the entity
    types must be those of the HIPE/WebAnno files uploaded later, or the upload is
    refused; the page now names them, HIPE's by default (also after a refused form)."""
    from glamlab.tasks.spans.hipe import HIPE_TYPES

    _ws, _app, client = blank_app
    ada = client("ada")
    usual = ", ".join(dict.fromkeys(t for t in HIPE_TYPES.values() if t))
    for page in (ada.get("/stages/project").text,
                 _define(ada, kind="entities", labels="PER\nLOC", metric="accuracy").text):
        hint = re.search(r'<p class="hint" id="entity-types-hint">(.*?)</p>', page, re.S)
        assert hint, page
        words = " ".join(re.sub(r"<[^>]+>", "", hint.group(1)).split())
        assert "names in the text" in words and "HIPE or WebAnno" in words, words
        assert "use the type names those files use" in words, words
        assert f"as in HIPE files, are {usual}." in words, words
    assert usual.startswith("PER, LOC, ORG")


def test_a_duplicate_id_in_an_uploaded_table_says_the_fix_in_the_pages_words(
        blank_app: Any) -> None:
    """Two rows of an uploaded table with one id: the row left out said "choose another
    --id-column", a command-line flag a curator on the pages has nowhere to type; it
    says what to do on the pages."""
    import html

    ws, app, client = blank_app
    ada = client("ada")
    assert _define(ada).status_code == 303
    r = _upload(ada, "dup.csv", b"id,text\nx1,Paris est belle.\nx1,Lyon aussi.\n")
    assert _map(ada, r, id_column="id", text_column="text").status_code == 303
    assert app.state.jobs.wait(300)
    assert ws.count_items() == 1
    page = html.unescape(ada.get("/stages/items").text)
    table = page.split('id="items-problems"', 1)[1].split("</table>", 1)[0]
    said = " ".join(re.sub(r"<[^>]+>", " ", table).split())
    assert "duplicate id 'x1'" in said, said
    assert "--id-column" not in said and "--" not in said, said
    assert "choose another column as the id" in said and "Bring items in page" in said


def test_no_text_column_chosen_says_which_column_gave_the_text(blank_app: Any) -> None:
    """Choosing "(none)" as the text column of a text project's table still took the
    text from the column whose values read as running text ('body'), and the page said
    nothing of it: the choice was overruled without a word. The page now says which
    column gave the text and why."""
    ws, app, client = blank_app
    ada = client("ada")
    assert _define(ada).status_code == 303
    rows = _lang_rows(12)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["shelfmark", "body", "lang"])
    for r in rows:
        w.writerow([r["id"], r["text"], r["label"]])
    r = _upload(ada, "letters.csv", out.getvalue().encode())
    done = _map(ada, r, id_column="shelfmark", text_column="", label_column="lang")
    assert done.status_code == 303, done.text
    assert app.state.jobs.wait(300)
    page = ada.get(done.headers["location"]).text
    assert ws.count_items() == 12
    assert ("No text column was chosen, but the item text was taken from the column "
            "&#39;body&#39;") in page
    assert "found from the column&#39;s values" in page


def test_a_bad_rows_line_is_said_once_on_the_page(blank_app: Any) -> None:
    """The Bring items in page showed a table's bad row as 'labels.csv:line 3' beside
    'line 3: the id column ... is empty': the line said twice. The reason now starts with
    what is wrong."""
    import html

    ws, app, client = blank_app
    ada = client("ada")
    assert _define(ada).status_code == 303
    r = _upload(ada, "labels.csv", b"id,text\nx1,Paris est belle.\n,Lyon aussi.\n")
    assert _map(ada, r, id_column="id", text_column="text").status_code == 303
    assert app.state.jobs.wait(300)
    page = html.unescape(ada.get("/stages/items").text)
    table = page.split('id="items-problems"', 1)[1].split("</table>", 1)[0]
    cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split())
             for c in re.findall(r"<td>(.*?)</td>", table, re.S)]
    assert cells[0].endswith("labels.csv:line 3"), cells
    assert cells[1] == "the id column 'id' is empty", cells
