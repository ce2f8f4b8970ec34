"""The first model trained becomes the model in use at once (its name's first version is
its champion, and the run uses the champion): before, the Run and Admin pages then said
"in use" of a model no evaluation had scored, and the next step was to run it over the
collection. The model stays in use (a project with one model can run it), but every page
that says so says "not measured yet", and the next step is to evaluate it first."""

from __future__ import annotations

import html
import re
from typing import Any

from glamlab.review import save_label


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def test_a_model_in_use_that_no_evaluation_scored_is_said_to_be_not_measured(
        web_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.registry.training import train
    from glamlab.store import now
    from glamlab.web import create_app

    from .conftest import login

    ws = web_ws
    items = list(ws.items())
    for k, it in enumerate(items[:12]):
        save_label(ws, "ada", it.item_id, [ws.card.labels[k % 2]],
                   "test" if k < 4 else "train")
    res = train(ws, "majority")
    spec = res.model.spec
    assert res.champion  # trained first: put in use without any evaluation
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        run = _text(c.get("/stages/run").text)
        assert (f"Model in use: {spec}, not measured yet: no evaluation has scored it"
                in run), run
        admin = _text(c.get("/admin").text)
        assert f"In use: {spec}, not measured yet: no evaluation has scored it" in admin
        overview = _text(c.get("/").text)
        assert f"model in use: {spec} (not measured yet)" in overview, overview
        # the baselines measured, the model not: the next step is to evaluate it, not
        # to run it over the collection
        with ws.store.write() as conn:
            conn.execute(ws.store.t.evaluations.insert().values(
                candidate="majority", test_fingerprint="f" * 64, metric="macro_f1",
                results={"kind": "baseline"}, created_at=now()))
        overview = _text(c.get("/").text)
        assert (f"Next step {spec} is the model in use, but not measured yet: compare it "
                "with the baselines on the test set before running it over the "
                "collection.") in overview, overview
        assert "Run the model in use over the collection" not in overview
        assert f"{spec} is the model in use, but not measured yet" in ws.status()["next_step"]
        # an evaluation scores it: the pages say nothing more about it
        with ws.store.write() as conn:
            conn.execute(ws.store.t.evaluations.insert().values(
                model_id=res.model.id, candidate=spec, test_fingerprint="f" * 64,
                metric="macro_f1", results={"kind": "model", "spec": spec},
                created_at=now()))
        assert "not measured yet" not in _text(c.get("/stages/run").text)
        assert "not measured yet" not in _text(c.get("/admin").text)
        assert "not measured yet" not in ws.status()["next_step"]
