"""In a real headless Chromium: deciding on the review queue (htmx swaps the page in)
breaks no Content-Security-Policy rule, even when elements of the page carry a style
set through the CSSOM (which the policy allows: browser extensions such as password
managers and spelling checkers do it to form fields, the app's zoom and series toggles
too). htmx used to copy such a style attribute onto the swapped-in element while it
settled, and the policy refused each copy: dozens of "Applying inline style violates
... style-src 'self'" on the console for one accept."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import LiveServer, browser_login
from .test_browser import ARGS, CHROMIUM, pytestmark  # noqa: F401  (browser marks, skip)

STYLED = """() => {
  let n = 0;
  document.querySelectorAll('[id]').forEach(e => { e.style.outlineOffset = '1px'; n++; });
  return n;
}"""


def test_deciding_on_the_queue_breaks_no_content_security_rule(queued_ws: Any) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab.web import create_app

    with LiveServer(create_app(queued_ws)) as server, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        expect = sync_api.expect
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console.append(str(e)))
        browser_login(page, server.url, "rey")
        page.goto(server.url + "/queue?view=list&sort=score")
        expect(page.locator(".qitem").first).to_be_focused()
        waiting = int(page.locator("#open-count").inner_text())
        assert page.evaluate(STYLED) > 10
        page.keyboard.press("a")  # accept: htmx posts and swaps the queue in
        expect(page.locator("#open-count")).to_have_text(str(waiting - 1))
        expect(page.locator(".qitem").first).to_be_focused()
        page.evaluate(STYLED)
        page.keyboard.press("2")  # the second label: accepted or corrected
        expect(page.locator("#open-count")).to_have_text(str(waiting - 2))
        page.goto(server.url + "/queue?view=grid&sort=uncertainty")
        expect(page.locator(".qitem").first).to_be_focused()
        page.evaluate(STYLED)
        page.keyboard.press("x")
        page.keyboard.press("Shift+A")  # accept the selected
        expect(page.locator("#open-count")).to_have_text(str(waiting - 3))
        browser.close()
    assert console == [], console[:3]
