"""act and its dry run on a model whose latest run stopped part way (Ctrl-C): the items
the run did not reach have no prediction, and the policy passed them by without a word
(only "20 of 60 items have predictions"). Now a warning says so and to resume first: in
Python as the call to make (it used to name the command even there, as the stopped
run's summary did), on the command line as the command, in the web app its page."""

from __future__ import annotations

import os
from typing import Any

import pytest
from click.testing import CliRunner

from glamlab.actions import act, plan
from glamlab.cli import cli
from glamlab.inference import RunInterrupted, run
from tests.inference.conftest import add_text_items, save_hash_model

WARNING = ("the run of hash@1 stopped after 20 of 60 items; the rest have no predictions "
           "and are not acted on: resume it first")


def test_act_on_a_stopped_run_warns_to_resume_it_first(make_ws: Any, tmp_path: Any) -> None:
    ws = make_ws("stopped", modality="text", labels=["a", "b", "c"])
    ids = sorted(add_text_items(ws, 60))
    ws.card.raw["policy"] = {"field": "subject", "labels": {
        label: {"accept": 0.9, "review": 0.3} for label in ("a", "b", "c")}}
    ws.save_card()
    save_hash_model(ws, sigint_on=(ids[22],), sigint_to=os.getpid(),
                    sigint_mark=str(tmp_path / "sent"))
    with pytest.raises(RunInterrupted) as stopped:  # Ctrl-C in the 5th batch: 4 of 5 stored
        run(ws, "hash", workers=0, batch_size=5)
    summary = stopped.value.report.summary()
    assert "Continue with: run(ws, 'hash@1', resume=True)" in summary
    assert "glamlab run" not in summary and "--" not in summary, summary
    assert "Continue with: glamlab run --resume --model hash@1" in \
        stopped.value.report.summary(cli=True)

    dry = plan(ws, model="hash@1")
    assert dry.items_with_predictions == 20
    assert any(w.startswith(WARNING) and "run(ws, 'hash@1', resume=True)" in w
               for w in dry.warnings), dry.warnings
    assert not any("glamlab run" in w or "--resume" in w for w in dry.warnings), dry.warnings
    done = act(ws, model="hash@1")
    assert any(w.startswith(WARNING) and "run(ws, 'hash@1', resume=True)" in w
               for w in done.warnings), done.warnings
    web = plan(ws, model="hash@1", web=True)
    assert any(w.startswith(WARNING) and "Run page" in w for w in web.warnings)
    out = CliRunner().invoke(cli, ["-w", str(ws.root), "act", "--dry-run", "--model",
                                    "hash@1"])
    said = " ".join(out.output.split())
    assert "WARNING: " + WARNING in said and "(glamlab run --model hash@1 --resume)" in said
    assert "run(ws" not in said, out.output

    run(ws, "hash", workers=0, batch_size=5, resume=True)
    assert not any("stopped after" in w for w in plan(ws, model="hash@1").warnings)
