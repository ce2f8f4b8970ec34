"""The Export page: what the file holds, said plainly, and the same warning about ids a
spreadsheet would change that ``glamlab export --format csv`` gives."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from .conftest import PASSWORD, login, stage_page_worked_out

IDS = ["=1+2", "0042", "1E5", "-1234", "plain"]


@pytest.fixture
def export_client(make_ws: Any) -> Any:
    from fastapi.testclient import TestClient

    from glamlab.actions import act
    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.actions.helpers import add_items, add_model, add_predictions

    ws = make_ws("exp", task="t", labels=["a", "b"])
    add_items(ws, [{"item_id": i, "uri": f"/s/{n}.jpg"} for n, i in enumerate(IDS)])
    mid = add_model(ws, "m", 1)
    add_predictions(ws, mid, {i: ({"a": 0.99, "b": 0.01} if n % 2 else {"a": 0.55, "b": 0.45})
                              for n, i in enumerate(IDS)})
    act(ws)
    add_user(ws, "ada", PASSWORD, "admin")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        yield ws, c
    app.state.refresher.wait(120)  # the page's export check does not outlive the workspace


def test_the_export_page_warns_about_ids_a_spreadsheet_would_change(export_client: Any) -> None:
    from glamlab.actions import export

    ws, c = export_client
    page = c.get("/stages/export").text
    warning = page.split('id="export-id-warning">', 1)[1].split("</p>", 1)[0]
    assert "1 ids start with = + - or @" in warning  # "=1+2"; "-1234" is a plain number
    assert "2 ids look like numbers" in warning and "0042 as 42" in warning  # 0042, 1E5
    assert "Data &gt; From Text/CSV" in warning and "Text" in warning
    assert "Spaces around ids were removed" in warning
    # the CLI's CSV export says the same of the same ids
    res = export(ws, "csv", ws.root / "o.csv")
    assert any("1 ids start with = + - or @" in w and "2 ids look like numbers" in w
               for w in res["warnings"])
    # the file keeps every id as it is
    r = c.get("/stages/export/download?format=csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert sorted(row["item_id"] for row in rows) == sorted(IDS)
    # what the file holds: undecided rows too, said so
    assert "the values the project settled on" not in page
    assert "waiting for a person" in page
    assert {row["action"] for row in rows} == {"review"}  # nothing decided yet, all in it


def test_no_warning_when_every_id_is_safe(make_ws: Any) -> None:
    from glamlab.actions.export import spreadsheet_id_warning
    from tests.actions.helpers import add_items

    ws = make_ws("safe", task="t", labels=["a", "b"])
    add_items(ws, [{"item_id": i, "uri": "/s/x.jpg"} for i in ("a-1", "42", "-7", "e5", "0")])
    assert spreadsheet_id_warning(ws, "fix") is None
    add_items(ws, [{"item_id": "00123456789012345678", "uri": "/s/y.jpg"}])
    assert "1 ids look like numbers" in (spreadsheet_id_warning(ws, "fix") or "")


def test_the_export_page_warns_about_predictions_of_items_brought_in_again(
        export_client: Any) -> None:
    """Before, only the downloaded file's CLI twin said that items had changed since the
    model predicted them; the web page offered the download without a word."""
    ws, c = export_client
    assert 'id="export-stale-warning"' not in c.get("/stages/export").text
    t = ws.store.t.items
    with ws.store.write() as conn:  # "plain" re-ingested with another image
        conn.execute(ws.store.t.predictions.update().values(item_version=1))  # as a run does
        old = conn.execute(t.select().where(t.c.item_id == "plain")).one()._asdict()
        del old["pk"]
        conn.execute(t.update().where(t.c.item_id == "plain").values(is_current=False))
        conn.execute(t.insert().values({**old, "version": old["version"] + 1,
                                        "uri": "/s/new.jpg", "content_hash": "x" * 64}))
    page = c.get("/stages/export").text
    warning = page.split('id="export-stale-warning">', 1)[1].split("</p>", 1)[0]
    assert warning.startswith("1 item was brought in again with new text or a new image")
    assert "Run the model again" in warning


def test_the_export_page_shows_the_downloads_own_warnings(make_ws: Any, tmp_path: Any) -> None:
    """The download's own warnings never reached the page: an entities project whose
    reviewer-settled span no longer lies on the re-ingested text is left out of the file
    (the CLI export says so); the page said nothing. It now shows what the export itself
    says, worked out by the same function, in the web app's words (no commands)."""
    import re

    from glamlab.actions.entity_export import export_entities
    from glamlab.inference import run
    from glamlab.review.decisions import decide
    from glamlab.review.queue import lease_queue
    from tests.actions.test_re_ingested_entities import _acted, _ingest

    src = tmp_path / "pages.csv"
    ws, _, _ = _acted(make_ws, src)
    paris = next(r for r in lease_queue(ws, "ann") if r["value"]["text"] == "Paris")
    decide(ws, "ann", paris["id"], "accept", paris["version"])
    _ingest(ws, src, "M. Durand est arrivé à Paris et à Lyon.")  # a's text corrected
    run(ws, "rules", workers=0)  # predicted again: nothing stale, the decision stays
    cli = export_entities(ws, "csv", tmp_path / "cli.csv")["warnings"]
    assert any("no longer lie on the item's text" in w for w in cli), cli
    page = stage_page_worked_out(ws, "export")
    box = page.split('<div id="export-check">', 1)[1].split("</div>", 1)[0]
    shown = re.findall(r'<p class="problem" role="status">([^<]*)</p>', box)
    assert len(shown) == 1 and "no longer lie on the item&#39;s text" in shown[0], box
    assert "&#39;a&#39;" in shown[0] and "left out of this export" in shown[0]
    assert shown[0].startswith("1 item has spans") and "Review that item again" in shown[0]
    assert "glamlab " not in box


def test_the_export_check_speaks_web_words_about_changed_texts(make_ws: Any,
                                                              tmp_path: Any) -> None:
    """An entities export whose texts changed after the model predicted them told the
    web user to 'Run glamlab run ... then glamlab act'; in web words it names the Run
    stage. The CSV's id fix names the page's downloads, not --format xlsx."""
    from glamlab.actions import export
    from glamlab.actions.entity_export import stale_span_warnings
    from tests.actions.helpers import add_items, add_model, add_predictions

    web = stale_span_warnings({"changed": ["a"]}, web=True)[0]
    assert "the Run stage" in web and "glamlab " not in web
    # one item is said as one, several as several
    assert web.startswith("1 item was re-ingested") and "predicted it ('a'): its spans" in web
    two = stale_span_warnings({"changed": ["a", "b"]})[0]
    assert two.startswith("2 items were re-ingested") and "predict them again" in two
    assert "glamlab run" in stale_span_warnings({"changed": ["a"]})[0]  # the CLI's words
    ws = make_ws("exp", task="t", labels=["a", "b"])
    add_items(ws, [{"item_id": i, "uri": "/s/x.jpg"} for i in ("=1+2", "0042")])
    add_predictions(ws, add_model(ws, "m", 1), {"=1+2": {"a": 0.9, "b": 0.1},
                                                "0042": {"a": 0.2, "b": 0.8}})
    warned = export(ws, "csv", tmp_path / "w.csv", web=True)["warnings"]
    assert len(warned) == 1 and "JSON lines or Parquet" in warned[0], warned
    assert "--format" not in warned[0]


def test_the_export_check_does_not_repeat_the_pages_own_id_warning(export_client: Any) -> None:
    """The CSV export's id warning is the one the page shows above its links already."""
    ws, c = export_client
    c.get("/stages/export")
    refresher = c.app.state.refresher
    assert refresher.wait(120)
    page = c.get("/stages/export").text
    assert 'id="export-id-warning"' in page
    box = page.split('<div id="export-check">', 1)[1].split("</div>", 1)[0]
    assert "problem" not in box and "ids look like numbers" not in box, box


def test_the_export_page_lets_a_curator_choose_the_item_details_the_downloads_add(
        make_ws: Any) -> None:
    """``glamlab export --meta FIELD`` chooses the item metadata fields a file adds; the
    Export page only ever gave the card's ``[export] meta``. It now lists the items'
    metadata fields to tick (the card's ticked first), and its download links carry the
    choice; ticking none gives none."""
    import html
    import re

    from fastapi.testclient import TestClient

    from glamlab.actions import act
    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.actions.helpers import add_items, add_model, add_predictions

    ws = make_ws("meta", task="t", labels=["a", "b"])
    add_items(ws, [{"item_id": f"i{n}", "uri": f"/s/{n}.jpg",
                    "meta": {"shelfmark": f"MS {n}", "date": f"188{n}-01-02"}}
                   for n in range(3)])
    mid = add_model(ws, "m", 1)
    add_predictions(ws, mid, {f"i{n}": {"a": 0.9, "b": 0.1} for n in range(3)})
    act(ws)
    ws.card.raw["export"] = {"meta": ["shelfmark"]}
    ws.save_card()
    add_user(ws, "ada", PASSWORD, "admin")
    app = create_app(ws)

    def links(page: str) -> dict[str, str]:
        return {m.group(2): html.unescape(m.group(1)) for m in re.finditer(
            r'<a href="([^"]+)" download data-format="(\w+)"', page)}

    def csv_of(c: Any, url: str) -> list[dict[str, str]]:
        r = c.get(url)
        assert r.status_code == 200, r.text
        return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))

    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        page = c.get("/stages/export").text
        form = page.split('id="export-meta"', 1)[1].split("</form>", 1)[0]
        assert 'value="shelfmark" checked' in form and 'value="date">' in form
        # the card's choice, as before
        rows = csv_of(c, links(page)["csv"])
        assert "shelfmark" in rows[0] and "date" not in rows[0]
        # the date ticked instead: the links carry it, and so do the files
        page = c.get("/stages/export?chosen=1&meta=date").text
        assert 'value="date" checked' in page and 'value="shelfmark" checked' not in page
        assert "The downloads add: date." in page
        rows = csv_of(c, links(page)["csv"])
        assert "date" in rows[0] and "shelfmark" not in rows[0]
        assert all(r["date"] == ws.item(r["item_id"]).meta["date"] for r in rows)
        r = c.get(links(page)["jsonl"])
        assert all(json.loads(x)["date"] == ws.item(json.loads(x)["item_id"]).meta["date"]
                   for x in r.text.splitlines())
        # nothing ticked: no details beyond the title and text, whatever the card says
        page = c.get("/stages/export?chosen=1").text
        assert "The downloads add no other details of the items." in page
        rows = csv_of(c, links(page)["csv"])
        assert "shelfmark" not in rows[0] and "date" not in rows[0]
    app.state.refresher.wait(120)


@pytest.mark.parametrize("section, bad", [
    ("policy", {"labels": {"LOC": {"accept": 2}}}),
    ("safety", {"denylist": 3}),
])
def test_an_entities_export_says_a_bad_policy_in_web_words(make_ws: Any, tmp_path: Any,
                                                           section: str, bad: Any) -> None:
    """An entities project whose [policy] (or [safety]) cannot be read: the Export page's
    check said "edit [policy] in glamlab.toml (see docs/safety.md and glamlab act
    --help)", a command, and the download's error page only "the fix is done there".
    Both now say what the web app's own words for it say (as the other exports do)."""
    from fastapi.testclient import TestClient

    from glamlab.actions import policy, safety
    from glamlab.actions.entity_export import export_entities
    from glamlab.errors import GlamlabError
    from glamlab.web import create_app
    from glamlab.web.words import has_command
    from tests.actions.test_re_ingested_entities import _acted

    ws, _, _ = _acted(make_ws, tmp_path / "pages.csv")
    ws.card.raw[section] = bad
    ws.save_card()
    with pytest.raises(GlamlabError) as cli:  # the terminal's words stay its own
        export_entities(ws, "csv", tmp_path / "cli.csv")
    with pytest.raises(GlamlabError) as web:
        export_entities(ws, "csv", tmp_path / "web.csv", web=True)
    assert not has_command(web.value.hint)
    assert web.value.hint != cli.value.hint
    page = stage_page_worked_out(ws, "export")
    box = page.split('<div id="export-check">', 1)[1].split("</div>", 1)[0]
    assert f"[{section}" in box and "glamlab act" not in box and "--help" not in box, box
    with TestClient(create_app(ws)) as c:
        assert login(c, "val").status_code == 303
        got = c.get("/stages/export/download?format=csv")
    assert got.status_code == 400 and f"[{section}" in got.text
    assert "glamlab act" not in got.text and "--help" not in got.text
    said = {"policy": policy.WEB_HINT, "safety": safety.WEB_HINT}[section]
    assert web.value.hint == said
    assert said in box.replace("&#39;", "'") and said in got.text.replace("&#39;", "'")


def test_the_export_page_says_how_many_mentions_the_iiif_download_leaves_out(
        make_ws: Any, tmp_path: Any) -> None:
    """``glamlab export --format iiif`` says how many entity mentions it left out (no ALTO
    word boxes to place them on the page, or a page with no IIIF canvas nor web address)
    and what to do; the web app's Export page offered no IIIF download and said nothing.
    Now an entities project's page offers it, and its check says, from the export itself,
    how many mentions the download leaves out, why, and what to do on the Items page."""
    import html
    import re

    import sqlalchemy as sa
    from fastapi.testclient import TestClient

    from glamlab.actions.entity_export import export_entities
    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.actions.test_re_ingested_entities import _acted
    from tests.web.conftest import stop_background

    ws, _, _ = _acted(make_ws, tmp_path / "pages.csv")
    # b ("Rien à Lyon.") is a page image with word boxes, as an ALTO page gives, but no
    # canvas nor web address; a has none: its two mentions have nowhere to go on a page
    items = ws.store.t.items
    with ws.store.write() as conn:
        meta = conn.execute(sa.select(items.c.meta).where(
            items.c.item_id == "b", items.c.is_current.is_(True))).scalar() or {}
        conn.execute(items.update().where(items.c.item_id == "b",
                                          items.c.is_current.is_(True))
                     .values(modality="image",
                             meta={**meta, "word_boxes": [0, 4, 10, 10, 40, 12,
                                                          7, 11, 60, 10, 40, 12]}))
    cli = export_entities(ws, "iiif", tmp_path / "cli.json")
    boxes, canvas = cli["skipped_without_word_boxes"], cli["skipped_without_canvas"]
    assert (boxes, canvas, cli["annotations"]) == (2, 1, 0), cli
    page = stage_page_worked_out(ws, "export")
    box = page.split('<div id="export-check">', 1)[1].split("</div>", 1)[0]
    said = [html.unescape(p) for p in
            re.findall(r'<p class="problem" role="status" data-for="iiif">([^<]*)</p>', box)]
    assert len(said) == 2, box
    assert said[0].startswith(f"The IIIF annotations download leaves out {boxes} of the "
                              f"{boxes + canvas} entity mentions")
    assert "no word positions on a page image (ALTO word boxes)" in said[0]
    assert "ALTO XML file beside its image (Items page)" in said[0]
    assert said[1].startswith(f"The IIIF annotations download leaves out {canvas} of the "
                              f"{boxes + canvas} entity mentions: its page has no IIIF canvas")
    assert "the address the annotations will be published at" in said[1]
    assert "glamlab " not in box and "--format" not in box
    # the download itself: annotations that place no mention are no file (an empty
    # AnnotationPage, sent as if it held them), but the reason and what to do
    add_user(ws, "ada", PASSWORD, "admin")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        assert 'data-format="iiif"' in c.get("/stages/export").text
        got = c.get("/stages/export/download?format=iiif")
        assert got.status_code == 409, got.text
        assert "content-disposition" not in got.headers
        text = html.unescape(got.text)
        assert "The IIIF annotations hold no mention: 1 mention is on page images" in text
        assert "Nothing was downloaded." in text
        assert "What to do: ask the person who set up this project" in text
        assert "glamlab " not in text.split("<main", 1)[-1] and "--base-url" not in text
        # once a mention can be placed (the page has a IIIF canvas), the same download
        # is the annotations the command writes
        with ws.store.write() as conn:
            meta = conn.execute(sa.select(items.c.meta).where(
                items.c.item_id == "b", items.c.is_current.is_(True))).scalar() or {}
            conn.execute(items.update().where(items.c.item_id == "b",
                                              items.c.is_current.is_(True))
                         .values(meta={**meta, "canvas": "https://example.org/canvas/b"}))
        cli = export_entities(ws, "iiif", tmp_path / "cli2.json")
        got = c.get("/stages/export/download?format=iiif")
        assert got.status_code == 200, got.text
        assert got.headers["content-disposition"].endswith('.iiif.json"')
        doc = json.loads(got.content)
        assert doc["type"] == "AnnotationPage" and len(doc["items"]) == cli["annotations"]
    stop_background(app)


def test_a_classification_project_offers_no_iiif_download_on_the_export_page(
        export_client: Any) -> None:
    """The IIIF annotations download is an entities project's (a row per mention)."""
    _, c = export_client
    assert 'data-format="iiif"' not in c.get("/stages/export").text
    assert c.get("/stages/export/download?format=iiif").status_code == 404


def test_a_failing_download_leaves_no_temporary_folder_behind(
        export_client: Any, tmp_path: Any, monkeypatch: Any) -> None:
    """The download is written into a temporary folder that only the sent response's
    background task removed: a refused export (here a [policy] that cannot be read) left
    its empty ``glamlab-export-*`` folder behind for good, one per try, on the server.
    Now it goes at once, and the page says the reason and the fix; a server whose
    temporary folder cannot be written says so in one clear page, not an error 500's
    traceback."""
    import tempfile

    ws, c = export_client
    scratch = tmp_path / "server-tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def left() -> list[str]:
        return sorted(p.name for p in scratch.iterdir() if p.name.startswith("glamlab-export-"))

    ok = c.get("/stages/export/download?format=csv")  # the file goes once it is sent
    assert ok.status_code == 200 and ok.content and left() == []
    ws.card.raw["policy"] = {"labels": {"a": {"accept": 2}}}
    ws.save_card()
    for fmt in ("csv", "parquet", "jsonl"):
        got = c.get(f"/stages/export/download?format={fmt}")
        assert got.status_code == 400 and "[policy" in got.text, got.text
        assert left() == [], fmt
    # the temporary folder itself cannot be written: one page with the reason and the fix
    monkeypatch.setattr(tempfile, "tempdir", str(scratch / "gone"))
    got = c.get("/stages/export/download?format=csv")
    assert got.status_code == 500, got.text
    assert "could not be written on the server" in got.text and "temporary folder" in got.text
    assert "Traceback" not in got.text


def test_a_ticked_field_named_like_a_column_downloads_as_meta_field(export_client: Any) -> None:
    """A ticked field ``Title`` came as a second ``title`` column but for case, which
    Excel and OpenRefine do not tell apart: it downloads as ``meta_Title``, and the page
    says so beside the fields it adds."""
    ws, c = export_client
    items = ws.store.t.items
    with ws.store.write() as conn:
        conn.execute(items.update().where(items.c.item_id == "plain").values(
            meta={"Title": "Letter to Zola", "shelfmark": "MS 12"}))
    page = c.get("/stages/export?chosen=1&meta=Title&meta=shelfmark").text
    hint = page.split('id="export-meta-chosen">', 1)[1].split("</p>", 1)[0]
    assert "The downloads add: Title, shelfmark." in hint
    assert "Title comes as the column meta_Title" in hint and "shelfmark comes" not in hint
    got = c.get("/stages/export/download?format=csv&chosen=1&meta=Title&meta=shelfmark")
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    head = list(rows[0])
    assert head[-4:] == ["title", "text", "meta_Title", "shelfmark"]
    assert len({h.casefold() for h in head}) == len(head)
    mine = next(r for r in rows if r["item_id"] == "plain")
    assert (mine["meta_Title"], mine["shelfmark"]) == ("Letter to Zola", "MS 12")


def test_an_entities_project_s_export_page_offers_the_inception_files(
        make_ws: Any, tmp_path: Any) -> None:
    """``glamlab export --format inception`` writes a folder of WebAnno TSV files for
    INCEpTION; the Export page offered no such download. Now it offers the same files,
    zipped (main layer only: no "with the nested ones" link), to a signed-in user only,
    and they import back into the project adding nothing."""
    import zipfile

    from fastapi.testclient import TestClient

    from glamlab.actions.entity_export import export_entities
    from glamlab.auth import add_user
    from glamlab.tasks.spans import import_spans
    from glamlab.web import create_app
    from tests.actions.test_re_ingested_entities import _acted
    from tests.web.conftest import stop_background

    ws, _, _ = _acted(make_ws, tmp_path / "pages.csv")
    cli = export_entities(ws, "inception", tmp_path / "cli")
    add_user(ws, "val", PASSWORD, "viewer")
    app = create_app(ws)
    with TestClient(app) as c:
        anonymous = c.get("/stages/export/download?format=inception",
                          follow_redirects=False)
        assert anonymous.status_code in (303, 401), anonymous.status_code
        assert login(c, "val").status_code == 303
        page = c.get("/stages/export").text
        assert 'data-format="inception"' in page and 'data-all-layers="inception"' not in page
        got = c.get("/stages/export/download?format=inception")
        assert got.status_code == 200, got.text
        assert got.headers["content-type"] == "application/zip"
        assert got.headers["content-disposition"].endswith('-inception.zip"')
        refused = c.get("/stages/export/download?format=inception&all_layers=1")
        assert refused.status_code == 400 and "main span layer" in refused.text
    stop_background(app)
    zipped = tmp_path / "web.zip"
    zipped.write_bytes(got.content)
    with zipfile.ZipFile(zipped) as zf:
        names = zf.namelist()
        folder = names[0].split("/")[0]
        assert {n.split("/", 1)[1] for n in names} == {
            p.name for p in (tmp_path / "cli").iterdir()}
        for p in (tmp_path / "cli").iterdir():
            assert zf.read(f"{folder}/{p.name}") == p.read_bytes()
        zf.extractall(tmp_path / "unzipped")
    assert cli["files"] >= 1
    back = import_spans(ws, tmp_path / "unzipped" / folder, format="webanno")
    assert (back.added, back.unchanged) == (0, cli["files"])


def test_the_export_page_offers_an_excel_workbook_that_keeps_the_ids(
        export_client: Any) -> None:
    """A curator who lives in Excel gets the workbook ``glamlab export --format xlsx``
    writes: every id a text cell (0042 stays 0042, =1+2 is no formula), the same rows
    as the CSV. The page offered CSV, JSON lines and Parquet only."""
    openpyxl = pytest.importorskip("openpyxl")
    _ws, c = export_client
    page = c.get("/stages/export").text
    assert 'data-format="xlsx"' in page and "an Excel workbook (.xlsx)" in page
    r = c.get("/stages/export/download?format=xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert 'filename="exp-export.xlsx"' in r.headers["content-disposition"] or \
        "export.xlsx" in r.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    rows = list(book.active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    ids = [row[header.index("item_id")] for row in body]
    assert sorted(ids) == sorted(IDS)  # strings, as they are: 0042, 1E5, =1+2
    cells = [cell for cell in next(book.active.iter_cols(min_col=1, max_col=1))][1:]
    assert all(cell.data_type == "s" for cell in cells)
    as_csv = c.get("/stages/export/download?format=csv").content.decode("utf-8-sig")
    assert len(body) == len(list(csv.DictReader(io.StringIO(as_csv))))


def test_an_entities_project_s_export_page_offers_w3c_web_annotations(
        make_ws: Any, tmp_path: Any) -> None:
    """``glamlab export --format w3c`` writes an entities project's mentions as W3C Web
    Annotations on the text (its words and their place: no page image needed), the
    format the README offers beside CSV and INCEpTION; the Export page offered IIIF
    annotations (page images, which a plain-text collection has not) but no W3C
    download, so a curator without the command line could not get them (the address
    answered 404). Now the page offers them, with the other layers too, as the command
    writes them."""
    from fastapi.testclient import TestClient

    from glamlab.actions.entity_export import export_entities
    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.actions.test_re_ingested_entities import _acted
    from tests.web.conftest import stop_background

    ws, _, _ = _acted(make_ws, tmp_path / "pages.csv")
    cli = export_entities(ws, "w3c", tmp_path / "cli.jsonld")
    add_user(ws, "val", PASSWORD, "viewer")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "val").status_code == 303
        page = c.get("/stages/export").text
        assert 'data-format="w3c"' in page and 'data-all-layers="w3c"' in page
        assert "W3C Web Annotations" in page
        got = c.get("/stages/export/download?format=w3c")
        assert got.status_code == 200, got.text
        assert got.headers["content-type"].startswith("application/ld+json")
        assert got.headers["content-disposition"].endswith('-export.jsonld"')
        layered = c.get("/stages/export/download?format=w3c&all_layers=1")
        assert layered.status_code == 200, layered.text
    stop_background(app)
    web, mine = json.loads(got.content), json.loads((tmp_path / "cli.jsonld").read_text())
    assert cli["annotations"] >= 1 and web == mine
