"""A trend says, as ``glamlab act`` does, when no model is marked champion and it counted
the latest run's model's predictions (which one): ``notes`` in the Python API and
``--json``, a line of ``glamlab trends``' text, the ``--html`` page and the web app's
Trends page (in its words). Before, nothing said so."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from glamlab.cli import main
from glamlab.registry.models import set_alias
from glamlab.trends import trends
from tests.tasks.helpers import add_items
from tests.trends.helpers import add_model_with_predictions
from tests.web.conftest import PASSWORD, csrf_of, login

NOTE = "No model is in use yet"


@pytest.fixture
def two_runs(make_ws: Any) -> Any:
    """Two models run over 30 dated texts, neither marked champion: two@1 ran last."""
    ws = make_ws("trendnote", modality="text", labels=["a", "b"])
    ids = [f"i{k}" for k in range(30)]
    add_items(ws, [{"id": i, "text": "x", "meta": {"year": str(1850 + k % 3)}}
                   for k, i in enumerate(ids)])
    add_model_with_predictions(ws, {i: {"a": 0.9, "b": 0.1} for i in ids}, name="one")
    add_model_with_predictions(ws, {i: ({"a": 0.9, "b": 0.1} if k % 3 == 0 else
                                        {"a": 0.1, "b": 0.9}) for k, i in enumerate(ids)},
                               name="two")
    return ws


def test_a_trend_says_it_counted_the_latest_run_s_model(two_runs: Any, capsys: Any,
                                                         tmp_path: Path) -> None:
    ws = two_runs
    result = trends(ws, by="year", label="a", method="cc", n_boot=50)
    assert result.model == "two@1"
    said = [n for n in result.notes if NOTE in n]
    assert len(said) == 1 and "two@1" in said[0] and "glamlab evaluate" in said[0]
    assert result.to_dict()["notes"] == said
    assert said[0] in html.unescape(result.to_html())
    web = trends(ws, by="year", label="a", method="cc", n_boot=50, web=True)
    assert "Evaluate page" in web.notes[0] and "glamlab" not in web.notes[0]
    assert main(["-w", str(ws.root), "trends", "--by", "year", "--label", "a",
                 "--method", "cc", "--json"]) in (0, None)
    assert json.loads(capsys.readouterr().out)["notes"] == said
    assert main(["-w", str(ws.root), "trends", "--by", "year", "--label", "a",
                 "--method", "cc"]) in (0, None)
    assert said[0] in capsys.readouterr().out
    # named, or marked champion: nothing to say
    assert trends(ws, by="year", label="a", method="cc", n_boot=50,
                  model="one@1").notes == []
    set_alias(ws, "two@1", "champion")
    assert trends(ws, by="year", label="a", method="cc", n_boot=50).notes == []


def test_the_trends_page_says_it_too(two_runs: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    ws = two_runs
    add_user(ws, "val", PASSWORD, "viewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "val").status_code == 303

        def shown() -> list[str]:
            r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "year:year",
                                               "label": "a", "method": "cc"})
            assert r.status_code == 200, r.text
            return [html.unescape(n) for n in re.findall(
                r'<p class="hint trend-note" role="note">(.*?)</p>', r.text, re.S)]

        notes = shown()
        assert len(notes) == 1 and NOTE in notes[0] and "two@1" in notes[0], notes
        assert "Evaluate page" in notes[0]
        set_alias(ws, "two@1", "champion")
        assert shown() == []
