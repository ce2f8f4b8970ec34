"""While predictions wait for a person, ``glamlab status`` (and the demos' closing "Next
step" line, which is its words) said only "review them with `glamlab serve`". A label
project's queue can also be taken out as a file and the decisions brought back
(``glamlab review list`` / ``glamlab review import``): the step names them too, in the
form that works when followed as written. An entities project's spans are decided on the
web queue only: its step does not send anyone to a command that refuses it."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from tests.actions.helpers import run_cli

LIST = "`glamlab review list -o queue.csv`"
IMPORT = "`glamlab review import queue.csv --by NAME`"


def test_a_label_projects_queue_step_names_the_queue_as_a_file(
        make_ws: Any, tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    from glamlab.actions.act import act
    from glamlab.evaluation import candidates_for, evaluate, fit_baselines
    from glamlab.inference import run
    from tests.retraining.test_retrain import _workspace

    ws = _workspace(make_ws)
    # every prediction to a person
    ws.card.raw["policy"] = {"labels": {lab: {"action": "review"} for lab in ws.card.labels}}
    ws.save_card()
    fit_baselines(ws)
    evaluate(ws, candidates_for(ws), n_boot=200)
    run(ws, "len@champion", handle_signals=False, workers=0)
    act(ws)
    step = ws.status()["next_step"]
    waiting = ws.status()["stages"][5]["review_open"]
    assert waiting, step
    assert step.startswith(f"{waiting:,} predictions wait for a person: review them with "
                           "`glamlab serve`, or in a spreadsheet: "), step
    assert LIST in step and IMPORT in step, step
    assert step.endswith("writes what is decided so far."), step
    # followed as written, from the workspace's folder
    monkeypatch.chdir(tmp_path)
    code, _o, err = run_cli(capsys, ws, "review", "list", "-o", "queue.csv")
    assert code == 0, err
    with open(tmp_path / "queue.csv", newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == waiting
    for r in rows:
        r["decision"] = "accept"
    with open(tmp_path / "queue.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    code, out, err = run_cli(capsys, ws, "review", "import", "queue.csv", "--by", "maria")
    assert code == 0, err
    assert "predictions wait for a person" not in ws.status()["next_step"]


def test_a_multi_label_projects_step_and_an_entities_projects_step() -> None:
    """The same counts (a model in use, its predictions run and acted on, four open):
    the queue as a file for a multi-label project, the web queue alone for entities."""
    from glamlab.workspace.status import _next_step

    def step(kind: str) -> str:
        return _next_step("a need", 10, 6, {"train": 3, "test": 3}, 2, 1, 1, 10, 4, 0,
                          "m", in_use_spec="m@1", kind=kind)

    multi = step("multi-label")
    assert multi.startswith("4 predictions wait for a person: review them with "
                            "`glamlab serve`, or in a spreadsheet"), multi
    assert LIST in multi and IMPORT in multi
    entities = step("entities")
    assert entities.startswith("4 predictions wait for a person: review them with "
                               "`glamlab serve`;"), entities
    assert "review list" not in entities and "review import" not in entities


def test_a_tables_queue_step_names_the_queue_as_a_file_that_works(
        kind_template: Any, tmp_path: Path, capsys: Any) -> None:
    """A table's rows (one outcome each, a single-label project): the same step, and the
    command it names lists the open rows."""
    from glamlab.actions.act import act
    from glamlab.inference import run
    from glamlab.registry.tabular import train_tabular

    ws = kind_template("rows")
    try:
        ws.card.raw["policy"] = {"labels": {lab: {"action": "review"}
                                            for lab in ws.card.labels}}
        ws.save_card()
        train_tabular(ws, "tabular-gbm")
        run(ws, handle_signals=False, workers=0)
        act(ws)
        step = ws.status()["next_step"]
        assert ("predictions wait for a person: review them with `glamlab serve`, or in a "
                "spreadsheet") in step and LIST in step and IMPORT in step, step
        code, _o, err = run_cli(capsys, ws, "review", "list", "-o", str(tmp_path / "q.csv"))
        assert code == 0 and "open queue rows written" in err, err
    finally:
        ws.close()
