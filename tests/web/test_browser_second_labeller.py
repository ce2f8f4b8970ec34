"""In a real headless Chromium: a second labeller opens "Label a sample again as a second
labeller" on the Labelling page, labels the first person's items by keyboard without
seeing their labels, and the overview then shows how far the two agree."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from glamlab import review
from glamlab.tasks import agreement
from glamlab.tasks.agreement import items_needed

from .conftest import LiveServer, browser_login
from .test_browser import ARGS, CHROMIUM, pytestmark  # noqa: F401  (browser marks, skip)


def test_second_labeller_labels_blind_by_keyboard(web_ws: Any) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab.web import create_app

    ws = web_ws
    first = {i.item_id: ("graphic" if k % 2 else "no_graphic")
             for k, i in enumerate(ws.items(limit=5))}
    for item_id, label in first.items():
        review.save_label(ws, "rey", item_id, [label], "test", strategy="random")
    needed = items_needed(2)
    app = create_app(ws)
    with LiveServer(app) as server, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        expect = sync_api.expect
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        browser_login(page, server.url, "rob")
        # the overview: not measured yet (only rey labelled), worked out in the background
        assert app.state.refresher.wait(120)
        page.reload()
        expect(page.locator("#agreement-verdict")).to_contain_text(
            f"not measured yet: ask a second person to label all {len(first)} items "
            "labelled so far again")
        page.goto(server.url + "/label")
        page.get_by_role("link", name="Label a sample again as a second labeller").click()
        expect(page.locator("#second-h")).to_have_text("Labelling again, as a second labeller")
        done: list[str] = []
        for n in range(len(first)):
            expect(page.locator("#second-shared")).to_have_text(str(n))
            expect(page.locator("#second-needed")).to_have_text(str(needed))
            expect(page.locator("#second-left")).to_have_text(str(needed - n))
            item_id = page.locator("#item-id").inner_text()
            assert item_id in first and item_id not in done
            # blind: the first label is nowhere on the page, nor a link to the item's page
            assert page.locator(f'a[href="/items/{item_id}"]').count() == 0
            # rob gives the first item the other label, the rest the same as rey
            same = first[item_id] == "graphic"
            page.keyboard.press(("1" if same else "2") if n else ("2" if same else "1"))
            done.append(item_id)
            expect(page.locator("#second-mine")).to_have_text(str(n + 1))
        expect(page.locator("#second-none")).to_contain_text(
            "No item is left that someone else labelled and you did not")
        t = ws.store.t.labels
        with ws.store.read() as conn:
            rob = {r.item_id: r.label for r in conn.execute(
                sa.select(t).where(t.c.annotator == "rob", t.c.active.is_(True)))}
            rey = {r.item_id: r.label for r in conn.execute(
                sa.select(t).where(t.c.annotator == "rey", t.c.active.is_(True)))}
        assert rey == first and set(rob) == set(first)
        assert sum(rob[i] != first[i] for i in first) == 1
        # the overview: the agreement, measured now, with how many items are shared
        page.goto(server.url + "/")
        assert app.state.refresher.wait(120)
        page.reload()
        r = agreement(ws)
        expect(page.locator("#agreement-alpha")).to_have_text(f"{r['krippendorff_alpha']:.2f}")
        expect(page.locator("#agreement-shared")).to_have_text(str(len(first)))
        expect(page.locator("#agreement-verdict")).to_contain_text(
            f"too early to say: {len(first)} of the {needed} items needed")
        # the Labelling page loads its line on the agreement on its own (/label/agreement)
        page.goto(server.url + "/label")
        expect(page.locator("#agreement")).to_contain_text(
            f"Agreement between labellers: {r['summary']}.")
        expect(page.locator("#agreement")).to_be_visible()
        browser.close()
    assert errors == []
