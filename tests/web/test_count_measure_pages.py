"""A count task's evaluation on the web app's pages: the Evaluate page's leaderboard and
verdict, the Reports page and the project page name the measure the project is judged by
(the count error per slot, lower is better), as init, backtest, monitor and retrain do;
they used to show the rows' F1 (macro average) there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests import bookings
from tests.web.conftest import PASSWORD, login


def test_the_pages_judge_a_count_task_by_its_count_error(make_ws: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.evaluation import candidates_for, evaluate
    from glamlab.registry.tabular import train_tabular
    from glamlab.tasks.count import set_count_task
    from glamlab.web import create_app

    ws = bookings.rows_project(make_ws, tmp_path)
    set_count_task(ws, slot="D", metric="mae")
    train_tabular(ws, "tabular-gbm")
    result = evaluate(ws, candidates_for(ws), n_boot=50)
    assert result.count_metric == "mae"
    by = {c.name: c.metrics["mae"]["value"] for c in result.candidates}
    add_user(ws, "ada", PASSWORD, "admin")
    with TestClient(create_app(ws)) as c:
        login(c, "ada")
        page = c.get("/stages/evaluate").text
        reports = c.get("/reports").text
        project = c.get("/stages/project").text
    # the leaderboard: each candidate's count error, best (lowest) first
    assert "average miss of the count (MAE)" in page
    board = page.split("Leaderboard on the test set")[1].split("</table>")[0]
    shown = sorted(by, key=lambda name: board.index(f"<td>{name}</td>"))
    values = [by[name] for name in shown]
    assert values == sorted(values), (shown, values)
    order = shown
    assert f"{by[order[0]]:.3f}" in page
    # the verdict in words, on that measure
    assert "how far the predicted number is from the real one" in page
    assert "F1 (macro average)" not in board
    assert "average miss of the count (MAE) per slot" in reports
    assert "predicted number per slot" in project and "F1 averaged" not in project
