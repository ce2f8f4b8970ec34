"""In a real headless Chromium, keys only: a cataloguer presses ``d`` ("Whole record
checked") on a multi-label record and takes it back with ``u``, as every other decision
in the review queue. The Undo after ``d`` had no key: a keyboard-only reviewer had to
reach for the mouse (or Tab through the page) to take a wrong ``d`` back."""

from __future__ import annotations

from typing import Any

import pytest

from ..review.test_multilabel_record_checked import _project, _training
from .conftest import PASSWORD, chromium_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_whole_record_checked_is_taken_back_with_u(make_ws: Any) -> None:
    from glamlab.auth import add_user

    ws = _project(make_ws)
    add_user(ws, "rey", PASSWORD, "reviewer")
    assert "t2" not in _training(ws)[0]  # no gold yet: storm and ships are suggested
    with chromium_page(ws, "/queue?view=list&sort=score") as (sync_api, page, errors):
        expect = sync_api.expect
        card = page.locator(".qitem", has_text="t2").first
        card.focus()
        expect(card).to_be_focused()
        page.keyboard.press("d")
        expect(page.locator("#queue-status")).to_contain_text("Record marked checked")
        assert _training(ws)[0]["t2"] == ["sea"]  # the policy's term; the others rejected
        expect(page.locator("#undo-form button")).to_contain_text("(u)")
        page.keyboard.press("u")
        expect(page.locator("#queue-status")).to_contain_text("Mark taken back")
        assert "t2" not in _training(ws)[0]  # as before: its suggestions are open again
        assert not errors, errors
