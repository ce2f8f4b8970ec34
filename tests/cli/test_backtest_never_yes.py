"""The baselines of a yes/no backtest give every row the share of 'yes' seen before it,
below one half: they never predict a cancellation, so their F1 is "0.000 [0.000, 0.000]".
Right, but unexplained: the text, the HTML report and the Evaluate page now say why."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.evaluation.backtest import never_yes
from tests import bookings
from tests.web.conftest import PASSWORD, csrf_of, login


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_a_baseline_that_never_predicts_yes_says_so(make_ws: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app, jobs

    ws = bookings.rows_project(make_ws, tmp_path)
    why = never_yes("is_canceled = 1")
    assert "never predicts 'is_canceled = 1'" in why
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    report = tmp_path / "backtest.html"
    res = CliRunner().invoke(cli, [*base, "backtest", "--n-boot", "20", "--html",
                                   str(report)])
    assert res.exit_code == 0, (res.output, res.exception)
    assert f"tabular-share            0.000 [0.000, 0.000] ({why})" in res.output
    gbm = next(line for line in res.output.splitlines() if "tabular-gbm" in line)
    assert why not in gbm  # the model predicts some cancellations
    shown = _text(report.read_text(encoding="utf-8"))
    assert f"0.000 [0.000, 0.000] ({why})" in shown
    add_user(ws, "ada", PASSWORD, "admin")
    app = create_app(ws)
    with TestClient(app) as c:
        login(c, "ada")
        r = c.post("/stages/evaluate/backtest", data={
            "csrf": csrf_of(c), "model": "tabular-gbm", "since": "", "until": "",
            "n_boot": "20"}, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert app.state.jobs.wait(300)
        result = jobs.latest(ws, "backtest")["result"]
        page = _text(c.get("/stages/evaluate").text)
    assert "tabular-share" in result["never_yes"]
    assert "tabular-gbm" not in result["never_yes"]
    assert f"tabular-share 0.000 [0.000, 0.000] ({why})" in page
