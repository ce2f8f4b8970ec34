"""A walk through a tabular project's pages found words meant for other projects, or
garbled: the Export page promised "the title and the start of the text"; Trends was
listed though a table has no trends to show; the Monitoring page said "Rows are placed
in weeks, or months when weeks hold too few rows by their date in the column"; and a
project without its need told an admin to "ask whoever set the project up" to edit
glamlab.toml, with no place in the web app to write it once the project held rows."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from tests import bookings
from tests.web.conftest import PASSWORD, csrf_of, login


def _text(page: str) -> str:
    said = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    return re.sub(r" ([,.;:])", r"\1", said)


def _app(ws: Any) -> Any:
    from glamlab.auth import add_user
    from glamlab.web import create_app

    add_user(ws, "ada", PASSWORD, "admin")
    add_user(ws, "val", PASSWORD, "viewer")
    return create_app(ws)


def test_a_tabular_projects_pages_speak_of_rows(make_ws: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    ws = bookings.rows_project(make_ws, tmp_path)
    with TestClient(_app(ws)) as c:
        login(c, "ada")
        export = _text(c.get("/stages/export").text)
        assert "the start of the text" not in export
        assert "each row always has its id and chance_is_canceled_1" in export
        # Trends: not listed; reached by its address, it says what to use instead
        evaluate = c.get("/stages/evaluate").text
        assert 'href="/stages/trends"' not in evaluate
        assert 'href="/stages/monitoring"' in evaluate
        trends = c.get("/stages/trends")
        assert trends.status_code == 200
        said = _text(trends.text)
        assert "A table's rows have no trends to show here" in said
        assert 'href="/stages/evaluate#backtest"' in trends.text
        assert "How often a label occurs" not in said
        monitoring = _text(c.get("/stages/monitoring").text)
        assert "by their date in the column" not in monitoring
        assert ("Each row is placed by its date in the column arrival_date, the date "
                "chosen when the project's first table was brought in. The rows are "
                "compared week by week, or month by month where a week holds too few rows "
                "to judge.") in monitoring


def test_an_admin_writes_the_need_in_the_web_app(make_ws: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    ws = bookings.rows_project(make_ws, tmp_path)
    ws.card.need = ""
    ws.save_card()
    app = _app(ws)
    with TestClient(app) as c:
        login(c, "ada")
        overview = c.get("/").text
        assert "ask whoever set the project up" not in overview
        assert "glamlab.toml" not in _text(overview)
        assert 'href="/stages/project#need-form"' in overview
        page = c.get("/stages/project").text
        assert 'id="need-form"' in page
        r = c.post("/stages/project/need", data={"csrf": csrf_of(c),
                                                 "need": "  Sell the places  no-shows free "},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
        assert app.state.ws.card.need == "Sell the places no-shows free"
        assert "Sell the places no-shows free" in c.get("/stages/project").text
        # who wrote it, and what it said before, in the audit log
        import sqlalchemy as sa

        a = ws.store.t.audit_log
        with ws.store.read() as conn:
            rows = conn.execute(sa.select(a.c.actor, a.c.details)
                                .where(a.c.action == "project.need")).all()
        assert [(r.actor, r.details) for r in rows] == [
            ("ada", {"need": "Sell the places no-shows free", "before": ""})]
    with TestClient(app) as v:
        login(v, "val")
        assert 'id="need-form"' not in v.get("/stages/project").text
        r = v.post("/stages/project/need", data={"csrf": csrf_of(v), "need": "x"},
                   follow_redirects=False)
        assert r.status_code == 403
