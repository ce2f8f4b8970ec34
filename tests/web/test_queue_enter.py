"""Enter in a field of the review queue's form decides nothing. The queue is one form
whose first submit button was "Accept all selected": a reviewer who had ticked rows and
pressed Enter in a text field of a card (the record search, a boundary, the span to add)
accepted every ticked row, without JavaScript (the browser's implicit submission presses
the form's first submit button) and, in the fields the script does not watch, with it.
Now the form's first submit button is a disabled one, so Enter submits nothing; each
field's own button is pressed on purpose."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from .conftest import LiveServer, app_with_users, browser_login

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _first_submit(page: str) -> str:
    """The first submit button of the queue's form (the one Enter presses)."""
    form = page.split('id="queue-form"', 1)[1].split("</form>", 1)[0]
    for m in re.finditer(r"<button\b[^>]*>", form):
        if 'type="button"' not in m.group(0):
            return m.group(0)
    raise AssertionError("the queue form has no submit button")


def test_the_queue_form_s_default_button_does_nothing(client_for: Any) -> None:
    """Classification queue (the select, any field a widget adds): the button Enter
    presses is disabled, the Accept all selected button comes after it."""
    page = client_for("rey").get("/queue?view=list").text
    first = _first_submit(page)
    assert "disabled" in first and 'id="accept-selected"' not in first, first
    assert 'id="accept-selected"' in page


def _decisions(ws: Any) -> int:
    import sqlalchemy as sa

    t = ws.store.t.decisions
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("script", [False, True], ids=["no-js", "js"])
def test_enter_in_a_card_field_accepts_nothing(kind_template: Any, script: bool) -> None:
    """In Chromium, with and without JavaScript: rows ticked, Enter in the record
    search, a boundary and the span-to-add fields of an entities card: no decision is
    made, the rows stay ticked and waiting. Accept all selected still accepts them."""
    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip("needs Debian's chromium: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab.actions import act

    ws = kind_template("entities")
    act(ws, model="gazetteer@1")  # the two new texts' spans queued
    made = app_with_users(ws)
    ws, app, _client = next(made)
    try:
        with LiveServer(app) as server, sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_context(java_script_enabled=script).new_page()
            browser_login(page, server.url, "rey")
            page.goto(server.url + "/queue?view=list")
            boxes = page.locator('#queue-form input[name="sel"]')
            assert boxes.count() >= 2
            boxes.nth(0).check()
            boxes.nth(1).check()
            before = _decisions(ws)
            fields = page.locator('#queue-form input[type="search"], '
                                  '#queue-form input[type="number"]')
            assert fields.count() >= 3, page.content()[:2000]
            for i in range(min(fields.count(), 4)):
                field = fields.nth(i)
                if not field.is_visible():
                    continue
                field.fill("12" if field.get_attribute("type") == "number" else "Paris")
                field.press("Enter")
                page.wait_for_timeout(400)  # a submission would have posted by now
                assert _decisions(ws) == before, f"Enter in {field.get_attribute('name')}"
                assert "/queue" in page.url and boxes.nth(0).is_checked()
            # the button itself still accepts what is ticked
            page.locator("#accept-selected").click()
            page.wait_for_url(re.compile(r"done=accepted-|/queue"))
            sync_api.expect(page.locator("#queue-status")).to_contain_text("Accepted")
            assert _decisions(ws) == before + 2
            browser.close()
    finally:
        next(made, None)
        ws.close()
