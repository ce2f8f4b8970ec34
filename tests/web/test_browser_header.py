"""In a real headless Chromium at 1280 px: a long project name ("People and places in
Marie-Claire") pushed the header's Log out button onto a second line. The name is cut
with an ellipsis now (the whole name in its tooltip), and the header is one line."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import LiveServer, browser_login
from .test_browser import ARGS, CHROMIUM, pytestmark  # noqa: F401  (browser marks, skip)

LONG = "People and places in Marie-Claire"


def test_a_long_project_name_keeps_the_header_on_one_line(web_ws: Any, tmp_path: Any
                                                          ) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab.auth import add_user
    from glamlab.web import create_app

    from .conftest import PASSWORD

    web_ws.card.name = LONG
    web_ws.save_card()
    add_user(web_ws, "administrator", PASSWORD, "admin")  # the most links, a long name
    with LiveServer(create_app(web_ws)) as server, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        browser_login(page, server.url, "administrator")
        page.goto(server.url + "/reports")
        page.screenshot(path=str(tmp_path / "header.png"))  # to look at, when it fails
        brand = page.locator("header .brand")
        sync_api.expect(brand).to_contain_text("glamlab")
        assert LONG in (brand.get_attribute("title") or "")
        logout = page.locator("header button", has_text="Log out")
        top = brand.bounding_box()
        button = logout.bounding_box()
        assert top and button
        nav = page.locator("header nav").bounding_box()
        assert nav
        # one line: the button beside the name, the header no taller than one line
        assert abs((button["y"] + button["height"] / 2) - (top["y"] + top["height"] / 2)) < 8
        assert nav["height"] < 3 * button["height"], nav
        browser.close()
