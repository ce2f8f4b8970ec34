"""The demo's run stage, with and without a champion."""

from __future__ import annotations

from glamlab.demo import STAGES
from glamlab.demo.production_stages import stage_run
from glamlab.registry import set_alias
from tests.inference.conftest import save_hash_model


def test_run_stage_is_in_the_demo_before_act_and_status():
    names = [name for name, _ in STAGES]
    assert names.index("run") < names.index("status")
    if "act" in names:
        assert names.index("run") < names.index("act")


def test_run_stage_skips_plainly_without_a_champion(text_ws):
    said: list[str] = []
    assert stage_run(text_ws, said.append) == {"skipped": "no model in use"}
    assert "No model is in use yet" in said[0] and "champion" not in said[0]


def test_run_stage_runs_the_champion_and_says_what_happened(text_ws):
    save_hash_model(text_ws, fail_on=(text_ws.ids[1],))
    set_alias(text_ws, "hash", "champion")
    said: list[str] = []
    result = stage_run(text_ws, said.append)
    assert (result["status"], result["done"], result["failed"]) == ("done", 59, 1)
    text = "\n".join(said)
    assert "Running the model in use (hash@champion)" in text
    assert "hash@champion" in text and "59 of 60 items have a prediction from hash@1" in text
    assert f"glamlab runs --failures {result['run_id']}" in text
    assert "What the model says across the collection:" in text
    again: list[str] = []
    assert stage_run(text_ws, again.append)["skipped_already_predicted"] == 59
