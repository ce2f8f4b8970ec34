"""Entity review in Chromium: the words the boundary buttons ("word →") and the keys of a
card's text move by take a hyphenated compound as one word ("Neu-Läßig") and stop
before punctuation ("gewonnen," ends before its comma) (static/app.js: inWord)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import chromium_page
from tests.web.test_entities_review import _fresh_text
from tests.web.test_entities_review import entities_ws as entities_ws  # the fixture

HEAD = "Neu-Läßig hat gewonnen, sagt man. "


@pytest.mark.browser
def test_words_take_a_compound_whole_and_stop_before_a_comma(entities_ws: Any,
                                                              tmp_path: Path) -> None:
    """Before, the boundary buttons moved over whatever was not a space ("gewonnen,"
    with its comma), and the keys of the text took "Neu" alone."""
    text, _rows = _fresh_text(entities_ws, tmp_path, head=HEAD)
    assert text.startswith(HEAD)
    with chromium_page(entities_ws, "/queue") as (_sync_api, page, errors):
        card = page.locator("[data-add-text]").first
        rid = card.get_attribute("data-for")
        bounds = page.locator(f'[data-span-bounds][data-for="{rid}"]')

        def step(which: str) -> tuple[str, str]:
            bounds.locator(f'[data-step="{which}"]').click()
            return page.input_value(f"#start_{rid}"), page.input_value(f"#end_{rid}")

        page.fill(f"#start_{rid}", "0")
        page.fill(f"#end_{rid}", "9")  # "Neu-Läßig"
        assert step("end:1") == ("0", "13")  # "… hat"
        assert step("end:1") == ("0", "22")  # "… gewonnen", not its comma
        assert bounds.locator(".span-preview").inner_text() == "Neu-Läßig hat gewonnen"
        assert step("end:-1") == ("0", "13")
        assert step("end:-1") == ("0", "9")  # back to the compound's end, whole
        assert step("start:1") == ("0", "9")  # not past the end: nothing moves
        page.fill(f"#end_{rid}", "22")
        assert step("start:1") == ("10", "22")  # "hat …"
        assert step("start:-1") == ("0", "22")  # the compound's start
        # the keys of the card's text: the first word is the whole compound
        card.locator("xpath=ancestor::li[contains(@class,'qitem')]").focus()
        page.keyboard.press("e")
        page.keyboard.press("ArrowRight")
        assert (page.input_value(f"#add_start_{rid}"),
                page.input_value(f"#add_end_{rid}")) == ("0", "9")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Shift+ArrowLeft")
        box = page.locator(f'[data-span-add][data-for="{rid}"]')
        assert box.locator(".span-add-preview").inner_text() == "gewonnen"
        assert not errors, errors


@pytest.mark.browser
def test_letters_beyond_the_basic_plane_are_letters(entities_ws: Any, tmp_path: Path) -> None:
    """Review finding: a letter beyond U+FFFF (mathematical bold 𝐀, CJK extension B 𠀀)
    is two UTF-16 units to the browser, and the word rule (app.js: inWord) tested each
    alone, neither a letter: the word buttons and keys stepped over such words as if
    they were punctuation. Now the rule reads the whole character."""
    head = "𝐀𝐁𝐂 hat 𠀀𠀁 gewonnen. "  # in code points: 0-3, 4-7, 8-10, 11-19
    text, _rows = _fresh_text(entities_ws, tmp_path, head=head, name="astral")
    assert text.startswith(head)
    with chromium_page(entities_ws, "/queue") as (_sync_api, page, errors):
        card = page.locator("[data-add-text]").first
        rid = card.get_attribute("data-for")
        bounds = page.locator(f'[data-span-bounds][data-for="{rid}"]')

        def step(which: str) -> tuple[str, str]:
            bounds.locator(f'[data-step="{which}"]').click()
            return page.input_value(f"#start_{rid}"), page.input_value(f"#end_{rid}")

        page.fill(f"#start_{rid}", "0")
        page.fill(f"#end_{rid}", "3")  # "𝐀𝐁𝐂"
        assert step("end:1") == ("0", "7")  # "… hat"
        assert step("end:1") == ("0", "10")  # "… 𠀀𠀁", a word, not stepped over
        assert bounds.locator(".span-preview").inner_text() == "𝐀𝐁𝐂 hat 𠀀𠀁"
        assert step("start:1") == ("4", "10")  # "hat …"
        assert step("start:1") == ("8", "10")  # "𠀀𠀁"
        assert step("start:-1") == ("4", "10")
        # the keys of the card's text: the first word is the whole of "𝐀𝐁𝐂"
        card.locator("xpath=ancestor::li[contains(@class,'qitem')]").focus()
        page.keyboard.press("e")
        page.keyboard.press("ArrowRight")
        assert (page.input_value(f"#add_start_{rid}"),
                page.input_value(f"#add_end_{rid}")) == ("0", "3")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        box = page.locator(f'[data-span-add][data-for="{rid}"]')
        assert box.locator(".span-add-preview").inner_text() == "𠀀𠀁"
        assert not errors, errors
