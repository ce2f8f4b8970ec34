"""End to end in a real headless Chromium (Debian's chromium, driven by playwright).

A curator logs in, labels 10 items by keyboard, reviews the queue with the bulk grid
(keyboard multi-select, accept all selected) and one single accept, and the counts and
the store change accordingly. The screenshots in docs/tutorial.md come from this test:
``GLAMLAB_SCREENSHOTS=docs/img pytest tests/web/test_browser.py`` refreshes them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from glamlab import review

from .conftest import PASSWORD, LiveServer, seed_queue

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # CI installs chromium (.ci/run), so there a missing browser fails rather than skips
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason="needs Debian's chromium: apt-get install -y chromium"),
]


def _count(ws: Any, table: Any, *where: Any) -> int:
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where))
                   .scalar())


def test_curator_labels_and_reviews_by_keyboard(web_ws: Any, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab.web import create_app

    shots = Path(os.environ.get("GLAMLAB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    ws = web_ws
    t = ws.store.t
    with LiveServer(create_app(ws)) as server, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        expect = sync_api.expect
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        def shot(name: str) -> None:
            page.screenshot(path=str(shots / f"{name}.png"))

        # Log in with the keyboard only.
        page.goto(server.url + "/")
        expect(page.locator("h1")).to_have_text("Log in")
        page.keyboard.type("ada")  # the user name field has focus
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        shot("01-login")
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text("Where the project stands")
        expect(page.locator("#labelled-count")).to_have_text("0")
        shot("02-overview")

        # Label 10 items for the test set: press 1 or 2 for each.
        page.goto(server.url + "/label?strategy=random&split=test")
        expect(page.locator("#labelled-count")).to_have_text("0")
        shot("03-labelling")
        for n in range(1, 11):
            item_id = page.locator('input[name="item_id"]').first.get_attribute("value")
            page.keyboard.press("1" if n % 3 else "2")
            expect(page.locator("#labelled-count")).to_have_text(str(n))
            assert page.locator('input[name="item_id"]').first.get_attribute("value") != item_id
        # Skip one and undo the last label, then label it again.
        page.keyboard.press("u")
        expect(page.locator("#labelled-count")).to_have_text("9")
        page.keyboard.press("2")
        expect(page.locator("#labelled-count")).to_have_text("10")
        assert _count(ws, t.labels, t.labels.c.active.is_(True), t.labels.c.annotator == "ada",
                      t.labels.c.source == "web") == 10
        assert _count(ws, t.splits, t.splits.c.split == "test") == 10

        # A model ran and the policy sent its unsure predictions to review.
        queued = seed_queue(ws)
        # predictions that agree with the gold labels given above are not asked about
        waiting = review.queue_counts(ws)["open"]
        assert waiting < queued
        page.goto(server.url + "/queue?view=grid&sort=uncertainty")
        expect(page.locator("#open-count")).to_have_text(str(waiting))
        first = page.locator(".qitem").first
        expect(first).to_be_focused()
        expect(page.locator(".qitem img").first).to_have_js_property("complete", True)
        # Select three with x, moving with j; then Shift+A accepts all selected.
        for _ in range(3):
            page.keyboard.press("x")
            page.keyboard.press("j")
        assert page.locator('input[name="sel"]:checked').count() == 3
        shot("04-review-grid")
        page.keyboard.press("Shift+A")
        expect(page.locator("#queue-status")).to_contain_text("Accepted 3 selected items")
        expect(page.locator("#open-count")).to_have_text(str(waiting - 3))
        assert _count(ws, t.decisions, t.decisions.c.action == "accept",
                      t.decisions.c.user == "ada") == 3

        # The list view: text and scores; accept the focused one with a, reject the next with r.
        page.goto(server.url + "/queue?view=list&sort=score")
        expect(page.locator(".qitem").first).to_be_focused()
        page.keyboard.press("a")
        expect(page.locator("#open-count")).to_have_text(str(waiting - 4))
        # the reloaded queue focuses its first row once its script has run; a key pressed
        # before that has no row to act on (as for a person, who sees the focus first)
        expect(page.locator(".qitem").first).to_be_focused()
        page.keyboard.press("r")
        expect(page.locator("#open-count")).to_have_text(str(waiting - 5))
        shot("05-review-list")
        assert _count(ws, t.decisions) == 5
        assert _count(ws, t.decisions, t.decisions.c.action == "reject") == 1
        assert _count(ws, t.audit_log, t.audit_log.c.action.like("review.%"),
                      t.audit_log.c.actor == "ada") >= 5

        # The item page: zoom with the keyboard.
        decided = ws.store.t.decisions
        with ws.store.read() as conn:
            item_id = conn.execute(sa.select(decided.c.item_id).limit(1)).scalar()
        page.goto(f"{server.url}/items/{item_id}")
        page.locator(".zoom").focus()
        page.keyboard.press("+")
        page.keyboard.press("+")
        transform = page.locator(".zoom img").evaluate("e => e.style.transform")
        assert "scale(1.5625)" in transform
        expect(page.locator("#dec-h")).to_be_visible()
        shot("06-item")

        page.goto(server.url + "/reports")
        expect(page.locator("h1")).to_have_text("Reports")
        shot("07-reports")
        page.goto(server.url + "/")
        expect(page.locator("#decision-count")).to_have_text("5")
        expect(page.locator("#labelled-count")).to_have_text(
            str(_count(ws, sa.select(t.labels.c.item_id).where(t.labels.c.active.is_(True))
                       .distinct().subquery())))
        shot("08-overview-after")
        assert not errors, errors
        browser.close()
