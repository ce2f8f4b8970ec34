"""A table whose image column gives each image's absolute path on the server: that path
is in the item's metadata, which GET /api/items and the item page showed to a reviewer or
viewer, though the API names the server's files to admins only."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from glamlab.demo import demo_data
from tests.web.conftest import PASSWORD, USERS, login


def test_a_tables_absolute_image_paths_are_shown_to_admins_only(make_ws: Any,
                                                                tmp_path: Path) -> None:
    from glamlab.auth import add_user
    from glamlab.web import create_app

    scans = tmp_path / "server-scans"
    scans.mkdir()
    images = sorted((demo_data("illustrations")).rglob("*.jpg"))[:2]
    rows = ["id,path"]
    for n, image in enumerate(images):
        shutil.copy(image, scans / image.name)
        rows.append(f"x{n},{(scans / image.name).resolve()}")
    (scans / "t.csv").write_text("\n".join(rows) + "\n")
    ws = make_ws("paths", modality="image", labels=["graphic", "no_graphic"])
    ws.ingest([str(scans / "t.csv")], id_column="id", image_column="path")
    for name, role in USERS.items():
        add_user(ws, name, PASSWORD, role)
    app = create_app(ws)
    folder = str(scans.resolve())

    def client(name: str) -> Any:
        c = TestClient(app)
        assert login(c, name).status_code == 303
        return c

    ada = client("ada")
    assert ada.get("/api/items/x0").json()["meta"]["path"].startswith(folder)
    assert folder in ada.get("/items/x0").text
    for name in ("rey", "val"):
        c = client(name)
        got = c.get("/api/items?limit=5")
        assert got.status_code == 200 and folder not in got.text
        assert {i["meta"]["path"] for i in got.json()} == {i.name for i in images}
        one = c.get("/api/items/x0")
        assert one.status_code == 200 and folder not in one.text
        page = c.get("/items/x0")
        assert page.status_code == 200 and folder not in page.text
        assert images[0].name in page.text
    ws.close()


def test_an_unreadable_images_error_names_its_file_not_its_server_path(
        make_ws: Any, tmp_path: Path) -> None:
    """The /image and /thumb error of an image that cannot be decoded (the file
    damaged after ingest) named its full path on the server to any signed-in user."""
    from glamlab.auth import add_user
    from glamlab.web import create_app

    scans = tmp_path / "server-scans"
    scans.mkdir()
    image = sorted((demo_data("illustrations")).rglob("*.jpg"))[0]
    shutil.copy(image, scans / "p.jpg")
    (scans / "t.csv").write_text(f"id,path\np,{(scans / 'p.jpg').resolve()}\n")
    ws = make_ws("broken", modality="image", labels=["graphic", "no_graphic"])
    ws.ingest([str(scans / "t.csv")], id_column="id", image_column="path")
    (scans / "p.jpg").write_bytes(b"not an image any more")
    for name, role in USERS.items():
        add_user(ws, name, PASSWORD, role)
    app = create_app(ws)
    folder = str(scans.resolve())
    for name, shown in (("ada", True), ("rey", False), ("val", False)):
        c = TestClient(app)
        assert login(c, name).status_code == 303
        for route in ("/image/p", "/thumb/p"):
            r = c.get(route)
            assert r.status_code >= 400 and "p.jpg" in r.text, (name, route, r.text)
            assert (folder in r.text) is shown, (name, route, r.text)
    ws.close()


def test_an_undecodable_web_images_error_names_no_server_cache_path(
        make_ws: Any, tmp_path: Path) -> None:
    """An image fetched from the web is decoded from its copy in the workspace's cache:
    the error of one that cannot be decoded (a server that sent a page, not an image)
    named that copy's full path on the server to a reviewer or viewer (only a local
    file's path was replaced by its name). Now they read the image's web address; an
    admin still sees the copy's path."""
    import json

    from glamlab.auth import add_user
    from glamlab.items.images import cache_path
    from glamlab.web import create_app

    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": "https://example.org/m", "type": "Manifest", "label": {"en": ["m"]},
        "items": [{"id": "https://example.org/c1", "type": "Canvas", "width": 10,
                   "height": 10, "items": [{"id": "https://example.org/p1",
                                            "type": "AnnotationPage", "items": [{
                       "id": "https://example.org/a1", "type": "Annotation",
                       "motivation": "painting", "target": "https://example.org/c1",
                       "body": {"id": "https://example.org/p1.jpg", "type": "Image",
                                "format": "image/jpeg"}}]}]}]}))
    ws = make_ws("webimg", modality="image", labels=["graphic", "no_graphic"])
    ws.ingest([str(manifest)])
    item = next(iter(ws.items()))
    cached = cache_path(item)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(b"<html>not an image</html>")  # as if fetched: nothing is fetched
    for name, role in USERS.items():
        add_user(ws, name, PASSWORD, role)
    app = create_app(ws)
    where = str(cached.parent.parent.parent)  # the workspace's cache folder
    for name, shown in (("ada", True), ("rey", False), ("val", False)):
        c = TestClient(app)
        assert login(c, name).status_code == 303
        for route in ("/image/", "/thumb/"):
            r = c.get(route + item.item_id.replace("/", "%2F"))
            assert r.status_code >= 400 and "cannot decode" in r.text, (name, route, r.text)
            assert (where in r.text) is shown, (name, route, r.text[r.text.find("cannot decode"):][:400])
            if not shown:
                assert "https://example.org/p1.jpg" in r.text, (name, route, r.text)
    ws.close()


def test_the_item_pages_explanation_error_names_no_server_path(
        make_ws: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """The item page says why the model cannot explain an item: for an image that cannot
    be decoded, the error named the file's full path on the server to a reviewer or
    viewer, as /image did before it named the file only. (The explaining model is stood
    in for: one that opens the item's image, as the blank-ink model does.)"""
    from glamlab.auth import add_user
    from glamlab.review import explain
    from glamlab.web import create_app

    scans = tmp_path / "server-scans"
    scans.mkdir()
    image = sorted((demo_data("illustrations")).rglob("*.jpg"))[0]
    shutil.copy(image, scans / "p.jpg")
    (scans / "t.csv").write_text(f"id,path\np,{(scans / 'p.jpg').resolve()}\n")
    ws = make_ws("explained", modality="image", labels=["graphic", "no_graphic"])
    ws.ingest([str(scans / "t.csv")], id_column="id", image_column="path")
    (scans / "p.jpg").write_bytes(b"not an image any more")

    def opens_the_image(ws: Any, item_id: str, model: str | None = None) -> Any:
        ws.item(item_id).open_image(max_side=64)
        return {"text": "ink", "model_spec": "blank@1"}

    monkeypatch.setattr(explain, "explain_item", opens_the_image)
    for name, role in USERS.items():
        add_user(ws, name, PASSWORD, role)
    app = create_app(ws)
    folder = str(scans.resolve())
    for name, shown in (("ada", True), ("rey", False), ("val", False)):
        c = TestClient(app)
        assert login(c, name).status_code == 303
        r = c.get("/items/p")
        assert r.status_code == 200 and "cannot explain this item" in r.text, (name, r.text)
        assert (folder in r.text) is shown, (name, r.text[r.text.find("cannot explain"):][:400])
        assert "p.jpg" in r.text
    ws.close()
