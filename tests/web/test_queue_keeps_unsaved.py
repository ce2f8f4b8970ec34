"""A decision in the review queue sends the whole queue form, and the page that comes
back replaces every card: what a reviewer had changed on the other cards and not saved
yet came back as the server drew it (their work lost), and the focus went to the top of
the list (the next key acted on a card passed over). Found walking the entities review
as a curator in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import chromium_page
from tests.web.test_entities_review import entities_ws  # noqa: F401  (the fixture)


@pytest.mark.browser
def test_a_decision_keeps_the_other_cards_unsaved_changes_and_moves_on_in_a_real_browser(
        entities_ws: Any) -> None:  # noqa: F811
    """Chromium, the entities queue: on one card the reviewer moves its start, gives it
    another type and ticks it for "Accept all selected", without saving; then rejects
    another card, of another text, with the key r. The first card still shows their
    changes (and the words they cover), and the focus is on the card that came after the
    one rejected, not on the first card of the list."""
    ws = entities_ws
    labels = ws.card.labels
    with chromium_page(ws, "/queue") as (sync_api, page, errors):
        expect = sync_api.expect
        rows = {r["id"]: r for r in page.evaluate(
            "async () => (await fetch('/api/queue?limit=200')).json()")}
        shown = [int(i) for i in page.locator(".qitem").evaluate_all(
            "els => els.map(e => e.dataset.queueId)")]
        assert len(shown) >= 4, shown
        # a card in the middle is decided; the one after it is of another text
        at = next(n for n in range(1, len(shown) - 1)
                  if rows[shown[n]]["item_id"] != rows[shown[n + 1]]["item_id"])
        decided, after = shown[at], shown[at + 1]
        # the card edited: of a text other than the decided one's, its span of 2+ characters
        edited = next(i for i in shown if rows[i]["item_id"] != rows[decided]["item_id"]
                      and rows[i]["value"]["end"] - rows[i]["value"]["start"] >= 2)
        v, t = rows[edited]["value"], rows[edited]["text"]
        other = next(lab for lab in labels if lab != rows[edited]["label"])
        card = page.locator(f'.qitem[data-queue-id="{edited}"]')
        page.fill(f"#start_{edited}", str(v["start"] + 1))
        page.select_option(f"#label_{edited}", other)
        card.locator('input[name="sel"]').check()
        expect(card.locator(".span-preview")).to_have_text(t[v["start"] + 1:v["end"]])

        page.locator(f'.qitem[data-queue-id="{decided}"]').focus()
        page.keyboard.press("r")
        expect(page.locator(f'.qitem[data-queue-id="{decided}"]')).to_have_count(0)
        expect(page.locator("#queue-status")).to_contain_text("Rejected")
        # the reviewer's unsaved changes on the other card are still there
        expect(page.locator(f"#start_{edited}")).to_have_value(str(v["start"] + 1))
        expect(page.locator(f"#label_{edited}")).to_have_value(other)
        expect(card.locator('input[name="sel"]')).to_be_checked()
        expect(card.locator(".span-preview")).to_have_text(t[v["start"] + 1:v["end"]])
        # the cards nobody changed are as the server drew them
        untouched = next(i for i in shown if i not in (decided, edited)
                         and rows[i]["item_id"] != rows[decided]["item_id"])
        expect(page.locator(f"#start_{untouched}")).to_have_value(
            str(rows[untouched]["value"]["start"]))
        # and the next key goes to the card after the one decided
        expect(page.locator(f'.qitem[data-queue-id="{after}"]')).to_be_focused()
        assert not errors, errors
