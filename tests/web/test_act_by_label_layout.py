"""The Act page's per-label table sat right under the filter's held-back figure with only
a small centred "By label" caption: "blank 38" beside "40 items held back as 'blank'"
read as one table whose figures disagree. The table has a heading of its own that says
what it counts, and a note on why its 'blank' row can differ from the filter's figure."""

from __future__ import annotations

import re
from typing import Any

from tests.actions.test_export import ws  # noqa: F401  (a filter project, the policy applied)

from .conftest import app_with_users


def test_the_by_label_table_is_told_apart_from_the_filter_figures(ws: Any) -> None:  # noqa: F811
    ws.card.raw.setdefault("costs", {})["price_per_item"] = 0.03
    ws.save_card()
    gen = app_with_users(ws)
    _, app, client = next(gen)
    try:
        rey = client("rey")
        rey.get("/stages/act")
        assert app.state.refresher.wait(120)
        page = rey.get("/stages/act").text
    finally:
        next(gen, None)
    assert "<caption>By label</caption>" not in page
    heading = re.search(r'<h3 id="act-by-label-h">([^<]*)</h3>', page)
    assert heading and heading.group(1) == "The model's suggestions, label by label", page
    note = page.split('id="act-by-label-note">', 1)[1].split("</p>", 1)[0]
    assert "A separate count from the figures above" in note
    # the filter's figures, then the table, in that order
    assert page.index('id="act-filter"') < page.index('id="act-by-label-h"')
    assert "can differ from the 'blank' row here" in note, note
    table = page.split('id="act-by-label-h"', 1)[1]
    assert '<table class="act-by-label" aria-labelledby="act-by-label-h">' in table
    assert "<th scope=\"col\">Accepted automatically</th>" in table
