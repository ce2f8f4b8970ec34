"""In a real headless Chromium: a reviewer presses the wrong key in the review queue
and takes it back with ``u`` (the queue's Undo): the item is back, undecided, with the
gold as before."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from .conftest import LiveServer, browser_login

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason="needs Debian's chromium: apt-get install -y chromium"),
]


def test_wrong_key_in_the_queue_is_undone_with_u(queued_ws: Any) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab import review
    from glamlab.web import create_app

    ws = queued_ws
    t = ws.store.t

    def active_labels() -> int:
        with ws.store.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(t.labels)
                                    .where(t.labels.c.active.is_(True))).scalar() or 0)

    labels_before = active_labels()
    waiting = review.queue_counts(ws)["open"]
    with LiveServer(create_app(ws)) as server, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        expect = sync_api.expect
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        browser_login(page, server.url, "rey")
        page.goto(server.url + "/queue?view=list&sort=score")
        first = page.locator(".qitem").first
        expect(first).to_be_focused()
        assert page.locator("#undo-form").count() == 0  # nothing decided yet
        page.keyboard.press("u")  # no Undo shown: u does nothing
        expect(page.locator("#open-count")).to_have_text(str(waiting))
        page.keyboard.press("a")  # the wrong key
        expect(page.locator("#open-count")).to_have_text(str(waiting - 1))
        expect(page.locator("#undo-form button")).to_be_visible()
        assert active_labels() == labels_before + 1
        expect(page.locator(".qitem").first).to_be_focused()
        page.keyboard.press("u")
        expect(page.locator("#queue-status")).to_contain_text("taken back")
        expect(page.locator("#open-count")).to_have_text(str(waiting))
        assert page.locator("#undo-form").count() == 0
        assert active_labels() == labels_before
        with ws.store.read() as conn:
            actions = list(conn.execute(sa.select(t.decisions.c.action)).scalars())
        assert actions == ["accept-withdrawn"]
        assert not errors, errors
        browser.close()
