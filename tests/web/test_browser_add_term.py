"""In a real headless Chromium, keys only: a cataloguer adds a subject term the model did
not suggest to a record on its review card (``t`` the list of the project's terms, the
arrow keys choose one, ``Tab`` then ``Enter`` adds it). Before, Correct was the only way
to give such a term, and it turned the suggestion down with it."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PASSWORD, chromium_page
from .test_subject_correction_export import subjects_ws

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_term_is_added_with_the_keys(make_ws: Any) -> None:
    from glamlab.auth import add_user
    from glamlab.tasks.labels import gold_labels

    ws = subjects_ws(make_ws)
    add_user(ws, "rey", PASSWORD, "reviewer")
    with chromium_page(ws, "/queue?view=list&sort=score") as (sync_api, page, errors):
        expect = sync_api.expect
        card = page.locator(".qitem", has_text="T07768").first
        card.focus()
        expect(card).to_be_focused()
        page.keyboard.press("t")
        terms = card.locator('select[data-act="t"]')
        expect(terms).to_be_focused()
        expect(terms).to_have_value("people")
        page.keyboard.press("ArrowDown")
        expect(terms).to_have_value("places")
        page.keyboard.press("Tab")
        add = card.locator('button[formaction="/queue/add-term"]')
        expect(add).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#queue-status")).to_contain_text(
            "Added the term places to T07768, saved as yours.")
        assert gold_labels(ws, ["T07768"]) == {"T07768": ["places"]}
        # the suggestion people still waits for a decision
        expect(page.locator(".qitem", has_text="T07768").first).to_contain_text(
            "Predicted people")
        assert not errors, errors
