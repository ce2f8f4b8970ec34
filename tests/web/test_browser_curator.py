"""In a real headless Chromium: the curator of a project IT made with ``glamlab init``
(an image project, its labels given) states the need on the project page and saves it,
typing nothing else: the project stays an image project with its labels."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PASSWORD, LiveServer, browser_login
from .test_browser import ARGS, CHROMIUM, pytestmark  # noqa: F401  (browser marks, skip)


def test_stating_the_need_keeps_what_glamlab_init_set(make_ws: Any) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab.auth import add_user
    from glamlab.web import create_app
    from glamlab.workspace import Workspace

    ws = make_ws("proj", task="illustrations", modality="image",
                 labels=["graphic", "no_graphic"])
    add_user(ws, "ada", PASSWORD, "admin")
    app = create_app(ws)
    with LiveServer(app) as server, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        expect = sync_api.expect
        browser_login(page, server.url, "ada")
        page.goto(server.url + "/stages/project")
        expect(page.locator("input[name=modality][value=image]")).to_be_checked()
        expect(page.locator("#p-labels")).to_have_value("graphic\nno_graphic")
        page.fill("#p-need", "Find the pages with pictures")
        page.click("#create-project")
        expect(page.locator("h1")).to_have_text("Bring items in")
        browser.close()
    card = Workspace.open(ws.root).card
    assert (card.modality, card.labels, card.need) == (
        "image", ["graphic", "no_graphic"], "Find the pages with pictures")
