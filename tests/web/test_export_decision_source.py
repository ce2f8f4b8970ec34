"""Where a reviewer's decision came from reaches the export (``confirmed_from``).

A decision keeps its source since migration 21 (``decisions.source``: the file ``glamlab
review import`` read it from, its name and sha256); the export did not carry it, so a
reader could not tell a correction made on the web queue from one imported from a
spreadsheet. Now every format that says who confirmed a value and when says where from:
the CSV, xlsx, JSONL and Parquet column ``confirmed_from``, the W3C annotation's
``confirmedFrom``, and the IIIF annotation's JSON provenance body. A decision made on
the web queue says ``web queue`` and one made through the JSON API ``JSON API`` (their
``source`` was NULL, so both read as "imported before glamlab kept the file"); only a
decision recorded before glamlab kept where it came from leaves it empty, and a glamlab
export imported back as labels keeps none of it as the items' information.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.cli.test_review_file import _queued

from .conftest import app_with_users, csrf_of
from .test_entities_review import entities_ws as entities_ws  # noqa: F401  (the fixture)


@pytest.fixture(params=[False, True], ids=["single-label", "multi-label"])
def decided(request: pytest.FixtureRequest, make_ws: Any, tmp_path: Path) -> Any:
    """A queue of letters; rey corrects one on the web queue, maria's file (a
    ``glamlab review import``) corrects another, jo accepts a third through the JSON
    API: yields ``(ws, client, web row, imported row, source words)``, the API's row
    as ``ws.api_row``."""
    from glamlab.review.sheet import import_decisions, open_rows

    ws = _queued(make_ws, tmp_path, multi=request.param)
    gen = app_with_users(ws)
    ws, _app, client = next(gen)
    from glamlab.auth import add_user

    from .conftest import PASSWORD
    add_user(ws, "maria", PASSWORD, "reviewer")
    add_user(ws, "jo", PASSWORD, "reviewer")
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(q.c.id, q.c.item_id, q.c.label, q.c.version)
                            .where(q.c.status == "open").order_by(q.c.id)).all()
    web, imported = rows[0], rows[1]
    # maria's file first (the web queue's page holds the rows it shows to rey)
    listed = [x for x in open_rows(ws) if int(x["queue_id"]) == imported.id]
    other = next(lab for lab in ws.card.labels if lab != imported.label)
    listed[0].update(decision="correct", correct_to=other)
    f = tmp_path / "maria's decisions.jsonl"
    f.write_text(json.dumps(listed[0]) + "\n", encoding="utf-8")
    assert import_decisions(ws, f, "maria").recorded == 1
    api = next(r for r in rows if r.item_id not in (web.item_id, imported.item_id))
    r = client("jo").post("/api/decisions", headers=_token(ws, "jo"), json={
        "queue_id": api.id, "action": "accept", "seen_version": api.version})
    assert r.status_code == 200, r.text
    rey = client("rey")
    rey.get("/queue")
    to = next(lab for lab in ws.card.labels if lab != web.label)
    r = rey.post("/queue/decide", data={"csrf": csrf_of(rey),
                                        "one": f"{web.id}:{web.version}:correct",
                                        f"label_{web.id}": to},
                 follow_redirects=False)
    assert r.status_code == 303, r.text
    sha = hashlib.sha256(f.read_bytes()).hexdigest()
    d = ws.store.t.decisions
    with ws.store.read() as conn:
        got = conn.execute(sa.select(d.c.user, d.c.source).order_by(d.c.id)).all()
    assert [(g.user, g.source) for g in got] == [
        ("maria", {"file": f.name, "sha256": sha}), ("jo", {"via": "api"}),
        ("rey", {"via": "web queue"})]
    words = f"review import of maria's decisions.jsonl (sha256 {sha})"
    ws.api_row = api
    try:
        yield ws, client, web, imported, words
    finally:
        for _ in gen:
            pass


def _token(ws: Any, user: str) -> dict[str, str]:
    from glamlab.auth import api_token

    return {"Authorization": f"Bearer {api_token(ws, user)}"}


def _decided_rows(rows: list[dict[str, Any]], web: Any, imported: Any
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rows of the two corrections: the person's value, confirmed."""
    def one(item: str, who: str) -> dict[str, Any]:
        mine = [x for x in rows if x["item_id"] == item and x["confirmed_by"] == who
                and x["action"] == "accept"]
        assert len(mine) == 1, rows
        return mine[0]

    return one(web.item_id, "rey"), one(imported.item_id, "maria")


def test_the_web_download_says_which_decision_came_from_a_file(decided):
    ws, client, web, imported, words = decided
    ada = client("ada")
    r = ada.get("/stages/export/download?format=csv")
    assert r.status_code == 200, r.text[:2000]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    from_web, from_file = _decided_rows(rows, web, imported)
    assert from_web["confirmed_from"] == "web queue" and from_web["decision"] == "correct"
    assert from_file["confirmed_from"] == words and from_file["decision"] == "correct"
    from_api = [x for x in rows if x["confirmed_by"] == "jo"]
    assert [(x["item_id"], x["decision"], x["confirmed_from"]) for x in from_api] == [
        (ws.api_row.item_id, "accept", "JSON API")]
    # nobody decided the others: nothing to say
    assert {x["confirmed_from"] for x in rows if not x["confirmed_by"]} == {""}
    r = ada.get("/stages/export/download?format=jsonl")
    assert r.status_code == 200, r.text[:2000]
    rows = [json.loads(line) for line in r.text.splitlines()]
    from_web, from_file = _decided_rows(rows, web, imported)
    assert from_web["confirmed_from"] == "web queue" and from_file["confirmed_from"] == words
    assert [x["confirmed_from"] for x in rows if x["confirmed_by"] == "jo"] == ["JSON API"]


def test_every_format_that_says_who_confirmed_says_where_from(decided, tmp_path):
    import pyarrow.parquet as pq

    from glamlab.actions import export

    ws, _client, web, imported, words = decided
    export(ws, "csv", tmp_path / "out.csv")
    with open(tmp_path / "out.csv", newline="", encoding="utf-8-sig") as fh:
        from_web, from_file = _decided_rows(list(csv.DictReader(fh)), web, imported)
    assert (from_web["confirmed_from"], from_file["confirmed_from"]) == ("web queue", words)
    export(ws, "parquet", tmp_path / "out.parquet")
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    from_web, from_file = _decided_rows(rows, web, imported)
    assert (from_web["confirmed_from"], from_file["confirmed_from"]) == ("web queue", words)
    pytest.importorskip("openpyxl")
    from glamlab.sheets import read_sheet

    export(ws, "xlsx", tmp_path / "out.xlsx")
    _header, sheet = read_sheet(tmp_path / "out.xlsx")
    from_web, from_file = _decided_rows([r for _n, r in sheet], web, imported)
    assert (from_web["confirmed_from"], from_file["confirmed_from"]) == ("web queue", words)


def test_the_web_annotations_say_it_too(decided, tmp_path):
    from glamlab.actions import export

    ws, _client, web, imported, words = decided
    export(ws, "w3c", tmp_path / "out.jsonld", base_url="https://example.org/anno/")
    doc = json.loads((tmp_path / "out.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"][1]["confirmedFrom"] == {"@id": "glamlab:confirmedFrom"}
    annos = doc["first"]["items"]
    said = {a.get("confirmedBy"): a.get("confirmedFrom") for a in annos
            if a.get("confirmedBy") and a["action"] == "accept"}
    assert said == {"rey": "web queue", "maria": words, "jo": "JSON API"}


def test_an_export_imported_back_as_labels_keeps_no_source_as_item_information(
        decided, tmp_path):
    from glamlab.actions import export
    from glamlab.tasks.labels import import_labels

    ws, _client, web, imported, words = decided
    export(ws, "csv", tmp_path / "out.csv")
    with open(tmp_path / "out.csv", newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = [r for r in reader if r["confirmed_by"] and r["action"] == "accept"]
    back = tmp_path / "reviewed.csv"
    with open(back, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    report = import_labels(ws, back, id_column="item_id", label_column="value")
    assert report.columns_kept["columns"] == []
    for item in ws.items(ids=[web.item_id, imported.item_id]):
        assert "confirmed_from" not in (item.meta or {}), item.meta


def test_the_iiif_provenance_body_and_an_older_decision():
    """IIIF annotations carry glamlab's fields in a JSON ``describing`` body: the file
    is one of them; a decision with no source (one recorded before glamlab kept it: NULL
    in an older workspace) says nothing, and is not a crash."""
    from glamlab.actions.export import decision_source
    from glamlab.actions.export_iiif import provenance_text

    row = {"field": "language", "confidence": None, "action": "accept",
           "decision": "correct", "model": "majority", "model_version": 1, "run_id": 1,
           "confirmed_from": "review import of a.csv (sha256 00)"}
    assert json.loads(provenance_text(row))["confirmed_from"] == row["confirmed_from"]
    assert "confirmed_from" not in json.loads(provenance_text({**row, "confirmed_from": None}))
    assert decision_source(None) is None and decision_source({}) is None
    assert decision_source({"file": "a.xlsx"}) == "review import of a.xlsx"
    assert decision_source({"via": "web queue"}) == "web queue"
    assert decision_source({"via": "api"}) == "JSON API"


def test_the_export_page_says_what_the_column_holds(decided):
    import html
    import re

    _ws, client, _web, _imported, _words = decided
    page = client("rey").get("/stages/export").text
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert ("confirmed_from says where a person's decision was made: web queue on these "
            "pages, JSON API through the API") in words
    assert ("brought in from it, that file (its name and a fingerprint of its contents); "
            "it is empty for a decision made before") in words


def test_a_decision_from_an_older_workspace_says_nothing(decided, tmp_path):
    """A decision recorded before glamlab kept where it came from (``source`` NULL, as
    every web queue's and API's decision of an older workspace) leaves the cell empty:
    not ``web queue``, nor a file."""
    from glamlab.actions import export

    ws, _client, web, imported, words = decided
    d = ws.store.t.decisions
    with ws.store.write() as conn:
        conn.execute(d.update().where(d.c.user == "rey").values(source=None))
    export(ws, "jsonl", tmp_path / "out.jsonl")
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    from_web, from_file = _decided_rows(rows, web, imported)
    assert (from_web["confirmed_from"], from_file["confirmed_from"]) == (None, words)
    assert [x["confirmed_from"] for x in rows if x["confirmed_by"] == "jo"] == ["JSON API"]


def test_bulk_accept_on_the_web_queue_says_web_queue(client_for, queued_ws):
    """"Accept selected" on the queue page decides several rows at once
    (``decide_many``): each keeps ``{"via": "web queue"}``, as ``GET /api/decisions``
    shows it."""
    ws = queued_ws
    rey = client_for("rey")
    rey.get("/queue")
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(q.c.id, q.c.version).where(
            q.c.status == "open", q.c.lease_owner == "rey").order_by(q.c.id).limit(2)).all()
    assert len(rows) == 2
    r = rey.post("/queue/bulk", data={"csrf": csrf_of(rey),
                                      "sel": [f"{x.id}:{x.version}" for x in rows]},
                 follow_redirects=False)
    assert r.status_code == 303, r.text
    got = rey.get("/api/decisions", headers=_token(ws, "rey")).json()
    assert sorted((x["queue_id"], x["source"]["via"]) for x in got) == [
        (x.id, "web queue") for x in rows]


@pytest.mark.parametrize("where", ["web queue", "api"])
def test_whole_record_checked_says_where_it_was_pressed(make_ws, tmp_path, where):
    """A multi-label record marked "Whole record checked" rejects its open suggestions
    as the reviewer's decisions: on the queue page they say ``web queue``, through
    ``PUT /api/records/{id}/checked`` ``JSON API``, in the export too."""
    from glamlab.actions import export

    ws = _queued(make_ws, tmp_path, multi=True)
    gen = app_with_users(ws)
    ws, _app, client = next(gen)
    try:
        q = ws.store.t.review_queue
        with ws.store.read() as conn:
            item = conn.execute(sa.select(q.c.item_id).where(q.c.status == "open")
                                .order_by(q.c.id).limit(1)).scalar()
        rey = client("rey")
        if where == "api":
            r = rey.put(f"/api/records/{item}/checked", headers=_token(ws, "rey"))
            assert r.status_code == 200, r.text
        else:
            rey.get("/queue")
            r = rey.post("/queue/record-checked", data={"csrf": csrf_of(rey),
                                                        "record_checked": item},
                         follow_redirects=False)
            assert r.status_code == 303, r.text
        d = ws.store.t.decisions
        with ws.store.read() as conn:
            got = conn.execute(sa.select(d.c.action, d.c.source)
                               .where(d.c.item_id == item)).all()
        assert got and {(g.action, g.source["via"]) for g in got} == {("reject", where)}
        export(ws, "jsonl", tmp_path / "out.jsonl")
        rows = [json.loads(x) for x in
                (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
        said = {x["confirmed_from"] for x in rows
                if x["item_id"] == item and x["decision"] == "reject"}
        assert said == {"web queue" if where == "web queue" else "JSON API"}
    finally:
        for _ in gen:
            pass


def test_an_entities_reviewers_decisions_keep_where_they_were_made(entities_ws, tmp_path):
    """The entities queue and its API: a span accepted or an entity added on the queue
    page keeps ``{"via": "web queue"}``, the same through the JSON API ``{"via":
    "api"}`` (``GET /api/decisions`` shows it), the spans an addition decides with it
    too."""
    from fastapi.testclient import TestClient

    from glamlab.web import create_app

    from .conftest import login
    from .test_entities_review import _fresh_text

    ws = entities_ws
    _text, rows = _fresh_text(ws, tmp_path)
    d = ws.store.t.decisions

    def since(last: int) -> list[Any]:
        with ws.store.read() as conn:
            return conn.execute(sa.select(d.c.id, d.c.action, d.c.source)
                                .where(d.c.id > last).order_by(d.c.id)).all()

    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        c.get("/queue?limit=300")
        r = c.post("/queue/add-span", data={
            "csrf": csrf_of(c), "add_span": str(rows[0]["id"]),
            f"add_item_{rows[0]['id']}": "fresh", f"add_start_{rows[0]['id']}": "0",
            f"add_end_{rows[0]['id']}": "9", f"add_label_{rows[0]['id']}": "ORG"},
            follow_redirects=False)
        assert r.status_code == 303, r.text
        web = since(0)
        r = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{rows[0]['id']}:{rows[0]['version']}:accept"},
            follow_redirects=False)
        assert r.status_code == 303, r.text
        web += since(web[-1].id)
        assert [x.action for x in web][:1] == ["add"] and "accept" in {x.action for x in web}
        assert {x.source["via"] for x in web} == {"web queue"}
        headers = {"X-CSRF-Token": csrf_of(c)}
        r = c.post("/api/texts/fresh/spans", json={"start": 9, "end": 15, "label": "PROD"},
                   headers=headers)
        assert r.status_code == 200, r.text
        queued = c.get("/api/queue?limit=300").json()
        other = next(x for x in queued if x["item_id"] == "fresh")
        r = c.post("/api/decisions", json={"queue_id": other["id"], "action": "reject",
                                           "seen_version": other["version"]}, headers=headers)
        assert r.status_code == 200, r.text
        api = since(web[-1].id)
        assert [x.action for x in api][0] == "add" and api[-1].action == "reject"
        assert {x.source["via"] for x in api} == {"api"}
        shown = {x["id"]: x["source"] for x in c.get("/api/decisions?limit=1000").json()}
        assert {shown[x.id]["via"] for x in web} == {"web queue"}
        assert {shown[x.id]["via"] for x in api} == {"api"}


def test_a_decision_a_script_makes_says_python(decided, tmp_path):
    """A script or notebook calling ``glamlab.review.decide`` without a ``source`` kept
    NULL, which read as "recorded before glamlab kept where it came from"; it keeps
    ``{"via": "python"}`` now, and the export says ``Python (glamlab.review.decide)``."""
    from glamlab import review
    from glamlab.actions import export

    ws, _client, web, imported, _words = decided
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        row = conn.execute(sa.select(q.c.id, q.c.item_id, q.c.version)
                           .where(q.c.status == "open").order_by(q.c.id)).first()
    assert row is not None
    review.decide(ws, "rey", row.id, "accept", row.version)
    d = ws.store.t.decisions
    with ws.store.read() as conn:
        kept = conn.execute(sa.select(d.c.source).where(d.c.queue_id == row.id)).scalar_one()
    assert kept == {"via": "python"}
    export(ws, "jsonl", tmp_path / "out.jsonl")
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    mine = [x for x in rows if x["item_id"] == row.item_id and x["confirmed_by"] == "rey"]
    assert mine and {x["confirmed_from"] for x in mine} == {"Python (glamlab.review.decide)"}


def test_entity_exports_say_where_a_span_was_confirmed_from(entities_ws, tmp_path):
    """The entity span exports (JSONL, CSV; Parquet, W3C and IIIF alike) said who
    confirmed a span and when, never where from. A span accepted on the web queue says
    ``web queue``, one accepted through the JSON API ``JSON API``, an entity added to a
    text through the API ``JSON API`` too (a span no prediction carries), and a span the
    imported gold settles (its confirmed_by ``import``) the file it was imported from; a
    span nobody confirmed says nothing. ``--gold`` says the import too."""
    import pyarrow.parquet as pq
    from fastapi.testclient import TestClient

    from glamlab.actions.entity_export import export_entities
    from glamlab.review import peek_queue
    from glamlab.web import create_app

    from .conftest import login

    ws = entities_ws
    sets = ws.store.t.span_sets
    with ws.store.read() as conn:
        gold_text, gold_file = conn.execute(
            sa.select(sets.c.item_id, sets.c.source).where(
                sets.c.kind == "gold", sets.c.annotator == "import")
            .order_by(sets.c.item_id)).first()
    assert gold_file == "newseye-fr-gold.tsv"
    queued = [r for r in peek_queue(ws, limit=300) if r["item_id"].startswith("unread")]
    web = queued[0]
    api = next(r for r in queued if r["item_id"] != web["item_id"])
    added_to = next(r["item_id"] for r in queued
                    if r["item_id"] not in (web["item_id"], api["item_id"]))
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        c.get("/queue?limit=300")
        r = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{web['id']}:{web['version']}:accept"},
            follow_redirects=False)
        assert r.status_code == 303, r.text
        headers = {"X-CSRF-Token": csrf_of(c)}
        r = c.post("/api/decisions", json={"queue_id": api["id"], "action": "accept",
                                           "seen_version": api["version"]}, headers=headers)
        assert r.status_code == 200, r.text
        r = c.post(f"/api/texts/{added_to}/spans",
                   json={"start": 0, "end": 8, "label": "ORG"}, headers=headers)
        assert r.status_code == 200, r.text

    def at(x: dict[str, Any]) -> tuple[str, int, int]:
        return x["item_id"], int(x["value"]["start"]), int(x["value"]["end"])

    want = {at(web): ("rey", "web queue"), at(api): ("rey", "JSON API"),
            (added_to, 0, 8): ("rey", "JSON API")}
    imported = ("import", f"import of {gold_file}")

    export_entities(ws, "csv", tmp_path / "out.csv")
    with open(tmp_path / "out.csv", newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    said = {(x["item_id"], int(x["start"]), int(x["end"])): (x["confirmed_by"],
                                                             x["confirmed_from"])
            for x in rows}
    assert {k: said.get(k) for k in want} == want
    assert {said[k] for k in said if k[0] == gold_text} == {imported}
    assert {v[1] for v in said.values() if not v[0]} == {""}  # nobody confirmed them

    export_entities(ws, "parquet", tmp_path / "out.parquet")
    table = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert {(x["item_id"], x["start"], x["end"]): x["confirmed_from"]
            for x in table if (x["item_id"], x["start"], x["end"]) in want} == {
        k: v[1] for k, v in want.items()}

    export_entities(ws, "jsonl", tmp_path / "out.jsonl")
    docs = {d["id"]: d for d in (json.loads(x) for x in
                                 (tmp_path / "out.jsonl").read_text("utf-8").splitlines())}

    def jsonl_said(doc: dict[str, Any]) -> dict[tuple[str, int, int], tuple[str, str]]:
        out = {}
        for e in doc["entities"]:
            p = e.get("provenance") or doc["provenance"]
            out[(doc["id"], e["start"], e["end"])] = (p["confirmed_by"], p["confirmed_from"])
        return out

    got: dict[tuple[str, int, int], Any] = {}
    for d in docs.values():
        got.update(jsonl_said(d))
    assert {k: got.get(k) for k in want} == want
    assert set(jsonl_said(docs[gold_text]).values()) == {imported}

    export_entities(ws, "w3c", tmp_path / "out.jsonld", base="https://example.org/anno/")
    doc = json.loads((tmp_path / "out.jsonld").read_text(encoding="utf-8"))
    annos = doc["first"]["items"]
    assert {a.get("confirmedFrom") for a in annos if a.get("confirmedBy") == "rey"} == {
        "web queue", "JSON API"}
    assert {a.get("confirmedFrom") for a in annos if a.get("confirmedBy") == "import"} == {
        imported[1]}

    export_entities(ws, "jsonl", tmp_path / "gold.jsonl", gold=True)
    gold_docs = [json.loads(x) for x in (tmp_path / "gold.jsonl").read_text("utf-8")
                 .splitlines()]
    assert {d["provenance"]["confirmed_from"] for d in gold_docs
            if d["provenance"]["annotator"] == "import"} == {imported[1]}


def test_the_entities_export_page_says_what_confirmed_from_holds(entities_ws):
    import html
    import re

    from fastapi.testclient import TestClient

    from glamlab.web import create_app

    from .conftest import login

    with TestClient(create_app(entities_ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/stages/export").text
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert ("confirmed_from where: web queue on these pages, JSON API through the API, "
            "import of and the file's name for entities from a file") in words
