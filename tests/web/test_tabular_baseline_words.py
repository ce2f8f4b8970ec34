"""The evaluation page of a tabular project describes the baselines on its leaderboard
(tabular-share, tabular-last-period, tabular-last-year), not "always the most common
label, the label mix", which a visitor-services manager then looks for in vain."""

from __future__ import annotations

import re
from typing import Any

from .conftest import app_with_users, csrf_of


def test_the_evaluation_page_names_the_baselines_its_leaderboard_shows(
        kind_template: Any) -> None:
    ws = kind_template("rows")
    gen = app_with_users(ws)
    try:
        ws, app, client = next(gen)
        c = client("ada")
        r = c.post("/stages/evaluate", data={"csrf": csrf_of(c)}, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert app.state.jobs.wait(300)
        page = c.get("/stages/evaluate").text.split("<main", 1)[1]
        assert "tabular-last-year" in page  # on the leaderboard
        assert "the label mix" not in page and "most common label" not in page
        intro, verdict = page.count("among those of the same weeks a year before"), 2
        assert intro == verdict, page
    finally:
        gen.close()
        ws.close()


def test_a_tabular_export_offers_no_send_on_list_for_ocr(kind_template: Any) -> None:
    """The Export page of a bookings project offered "the send-on list …: send these to
    OCR (or the other paid service)", a list of the rows whose outcome is known, while
    its spreadsheet (rightly) holds none of them."""
    ws = kind_template("rows")
    ws.card.positive_label = "1"  # as the web app's project page sets it
    ws.save_card()
    gen = app_with_users(ws)
    try:
        ws, _app, client = next(gen)
        c = client("ada")
        page = c.get("/stages/export").text.split("<main", 1)[1]
        assert 'data-format="csv"' in page
        assert 'data-format="filter"' not in page
        assert "OCR" not in re.sub(r"<[^>]*>", " ", page)  # words, not the random CSRF token
        assert c.get("/stages/export/download?format=filter").status_code == 404
    finally:
        gen.close()
        ws.close()
