"""What ``glamlab demo entities`` says after evaluating: the model it describes is the one
the evaluation chose (and that runs over the collection), the verdict comes once and in a
curator's words. Before, the demo praised the model with the highest test score
(crf-ner-e5@1) right after a verdict naming crf-ner@1 as the best, and repeated that
verdict, metric names and all, as "In plain words"."""

from __future__ import annotations

from typing import Any

from glamlab.demo import project
from glamlab.registry.models import champion
from glamlab.reports.overview import plain_verdict


def test_the_entities_demo_describes_the_model_its_verdict_chose(make_ws: Any) -> None:
    p = project("entities")
    ws = make_ws("entities", **dict(p.init.items()))
    said: list[str] = []
    stages = dict(p.stages or [])
    for name in ("labels", "baseline", "train"):
        stages[name](ws, p, said.append)
    start = len(said)
    ev = stages["evaluate"](ws, p, said.append)
    lines = said[start:]
    # the verdict once, in plain words (the web app's), not the metric's name
    assert sum(ev["verdict"] in line for line in lines) == 0
    plain = [line for line in lines if line.startswith("In plain words:")]
    assert plain == [f"In plain words: {plain_verdict(ws)}"]
    assert "strict_micro_f1" not in plain[0]
    # the model described is the model in use, the one the plain verdict calls the best
    in_use = champion(ws).spec
    described = [line for line in lines if "finds the right stretch of text" in line]
    assert len(described) == 1
    name = described[0].split(",")[0]
    # "the model chosen" where a model the evaluation did not choose scores higher
    assert f"The best model, {name}," in plain[0] or f"The model chosen, {name} (" in plain[0]
    assert name == in_use
    # a model with a higher test score that was not chosen is named, with why
    board = ev["leaderboard"]
    top = max((r for r in board if r["kind"] == "model"), key=lambda r: r["strict_micro_f1"])
    if top["candidate"] != name:
        assert any(line.startswith(f"{top['candidate']} scores higher on this test split")
                   for line in lines)
