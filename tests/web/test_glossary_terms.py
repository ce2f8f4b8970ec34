"""The statistics terms a curator meets, "Krippendorff's alpha" and "macro average",
were shown bare (the macro F1's tooltip said only its stored name, ``f1_macro``). Each
now has a short plain sentence beside it, from one glossary
(:data:`glamlab.reports.words.GLOSSARY`), in the web app's pages and the HTML reports;
the figures are unchanged."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from markupsafe import escape

from glamlab.reports.words import GLOSSARY, metric_title, plain_html
from glamlab.web import create_app
from glamlab.web.app import stop_background
from tests.web.conftest import login


def test_a_macro_average_says_what_it_is_in_its_tooltip() -> None:
    html = plain_html("<tr><td>f1_macro</td><td>0.812</td></tr>")
    title = escape(f"f1_macro: {GLOSSARY['macro_average']}")
    assert f'<abbr title="{title}">F1 (macro average)</abbr>' in html, html
    assert "<td>0.812</td>" in html  # the figure as it was
    assert metric_title("f1_micro") == "f1_micro"  # no macro average: its name alone


def test_the_overview_explains_krippendorff_s_alpha(make_ws: Any, tmp_path: Any) -> None:
    from glamlab.auth import add_user
    from glamlab.tasks.agreement import agreement
    from tests.tasks.helpers import label_twice

    from .conftest import PASSWORD

    ws = make_ws("explained", modality="text", labels=["yes", "no"])
    label_twice(ws, tmp_path, 110)
    add_user(ws, "rob", PASSWORD, "reviewer")
    app = create_app(ws)
    c = TestClient(app)
    try:
        assert login(c, "rob").status_code == 303
        c.get("/overview/agreement")
        assert app.state.refresher.wait(120)
        page = c.get("/overview/agreement").text
        title = escape(GLOSSARY["krippendorff_alpha"])
        assert f'<abbr title="{title}">Krippendorff\'s alpha:</abbr>' in page, page
        alpha = agreement(ws)["krippendorff_alpha"]
        assert f'id="agreement-alpha">{alpha:.2f}</b>' in page  # the figure unchanged
    finally:
        c.close()
        stop_background(app)
        ws.close()
