"""A keyboard labeller's focus survives a part of the page that loads itself meanwhile.

The labelling page loads the labellers' agreement line on its own (/label/agreement),
which takes seconds on a large collection. A label chosen with Enter before that line
arrived lost the keyboard focus: the line settled first and made the page forget which
button had it, so the next item came with the focus at the top of the page (CI saw it
once, on a busy machine). Here the order is forced: the agreement answer is held until
the label is sent, let through, and the label's answer only after it."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import LiveServer, browser_login
from .test_browser import ARGS, CHROMIUM, pytestmark  # noqa: F401  (browser marks, skip)


def test_a_label_sent_while_the_agreement_line_loads_keeps_the_focus(queued_ws: Any) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab.web import create_app
    from glamlab.web.app import stop_background

    app = create_app(queued_ws)
    try:
        with LiveServer(app) as server, sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            browser_login(page, server.url, "ada")
            held: dict[str, Any] = {}
            page.route("**/label/agreement*", lambda route: held.__setitem__("agreement", route))
            page.route("**/label", lambda route: (
                held.__setitem__("label", route) if route.request.method == "POST"
                else route.continue_()))
            page.goto(server.url + "/label?strategy=random&split=test")
            first = page.locator('input[name="item_id"]').first.get_attribute("value")
            page.focus('[data-key="2"]')
            page.keyboard.press("Enter")
            for _ in range(1500):  # both on their way (30 s at most)
                if "agreement" in held and "label" in held:
                    break
                page.wait_for_timeout(20)
            assert set(held) == {"agreement", "label"}, f"held only {sorted(held)}"
            page.evaluate("""() => { window.__agreementSettled = false;
              document.addEventListener('htmx:afterSettle', e => {
                const c = e.detail && e.detail.requestConfig;
                if (c && String(c.path).includes('/label/agreement'))
                  window.__agreementSettled = true; }); }""")
            held["agreement"].continue_()
            page.wait_for_function("() => window.__agreementSettled === true")
            held["label"].continue_()
            expect = sync_api.expect
            expect(page.locator("#labelled-count")).to_have_text("1")
            assert page.locator('input[name="item_id"]').first.get_attribute("value") != first
            expect(page.locator(":focus")).to_have_attribute("data-key", "2")
            browser.close()
    finally:
        stop_background(app)
