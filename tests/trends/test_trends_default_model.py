"""Which model's predictions a trend counts without ``--model``: the one act, export and
link use (``[policy] model``, else the champion), not the latest run's model, so that a
baseline run only to look at it (``glamlab run --model prior``) does not change the
trend's figures."""

from __future__ import annotations

import json
from typing import Any

from glamlab.cli import main
from glamlab.registry.models import set_alias
from glamlab.trends import trends
from tests.tasks.helpers import add_items
from tests.trends.helpers import add_model_with_predictions


def test_a_later_baseline_run_does_not_change_the_trend(make_ws: Any, capsys: Any) -> None:
    ws = make_ws("trendmodel", modality="text", labels=["a", "b"])
    ids = [f"i{k}" for k in range(30)]
    add_items(ws, [{"id": i, "text": "x", "meta": {"year": str(1850 + k % 3)}}
                   for k, i in enumerate(ids)])
    # the champion says "a" for a third of the items
    add_model_with_predictions(ws, {i: ({"a": 0.9, "b": 0.1} if k % 3 == 0 else
                                        {"a": 0.1, "b": 0.9}) for k, i in enumerate(ids)},
                               name="champ")
    set_alias(ws, "champ@1", "champion")
    before = trends(ws, by="year", label="a", method="cc", n_boot=50)
    assert before.model == "champ@1"
    # then a baseline, run only to be looked at, says "a" for everything
    add_model_with_predictions(ws, {i: {"a": 0.95, "b": 0.05} for i in ids}, name="prior")
    after = trends(ws, by="year", label="a", method="cc", n_boot=50)
    assert after.model == "champ@1"
    assert [(r.group, r.raw) for r in after.rows] == [(r.group, r.raw) for r in before.rows]
    assert main(["-w", str(ws.root), "trends", "--by", "year", "--label", "a",
                 "--method", "cc", "--json"]) in (0, None)
    assert json.loads(capsys.readouterr().out)["model"] == "champ@1"
    # asked for by name, or named in [policy] model, the baseline is counted
    assert trends(ws, by="year", label="a", method="cc", n_boot=50,
                  model="prior@1").model == "prior@1"
    ws.card.raw["policy"] = {"field": "x", "labels": {"a": {"accept": 0.9, "review": 0.5}},
                             "model": "prior@1"}
    ws.save_card()
    assert trends(ws, by="year", label="a", method="cc", n_boot=50).model == "prior@1"
