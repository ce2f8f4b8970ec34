"""`glamlab act` on a blank-pages project whose [policy] is empty: blank-ink brings its own
thresholds (withhold a page only from the margin it chose on its training pages, so that
no page with text is withheld from OCR), and act used to ignore them and tune a 95%
precision target instead, which does not aim at that need. Only the demo wrote the model's
own. Now act applies them, says where they come from, and saves them when it acts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from glamlab.demo import project


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The blank-pages demo up to its run stage: trained, evaluated, run, no [policy]."""
    from glamlab import Workspace

    p = project("blank-pages")
    ws = Workspace.init(Path(tmp_path_factory.mktemp("own")) / "ws", **p.init)
    assert p.stages is not None
    for name, stage in p.stages:
        if name == "act":
            break
        stage(ws, p, lambda _said: None)
    yield ws
    ws.close()


def test_act_applies_blank_ink_s_own_thresholds_and_saves_them(ran: Any) -> None:
    from glamlab.actions import act, plan
    from glamlab.inference.runner import champion_spec
    from glamlab.registry import load_model

    ws = ran
    assert not (ws.card.raw.get("policy") or {}).get("labels")
    mv, model = load_model(ws, champion_spec(ws))
    assert mv.predictor == "blank-ink"
    own = model.policy()

    dry = plan(ws, dry_run=True).to_dict()
    assert dry["policy_source"] == "model"
    used = {r["label"]: r for r in dry["policy"]}
    assert used["blank"]["accept"] == pytest.approx(own["blank"]["accept"])
    assert used["blank"]["review"] == pytest.approx(own["blank"]["review"])
    assert used["content"]["accept"] == 0.0
    note = " ".join(dry["notes"])
    assert f"No thresholds in [policy] for {mv.spec} yet: it brings its own" in note
    assert "content always accepted" in note
    assert not (ws.card.raw.get("policy") or {}).get("labels")  # a dry run writes nothing

    done = act(ws).to_dict()
    assert done["policy_source"] == "model"
    saved = ws.card.raw["policy"]
    assert saved["labels"]["blank"]["accept"] == pytest.approx(own["blank"]["accept"])
    assert saved["proposed_by"] == "glamlab act" and saved["optimised_with"] == mv.spec
    # saved for this model: the next act applies the card as it is
    assert plan(ws, dry_run=True).to_dict()["policy_source"] == "card"


def test_a_model_without_its_own_thresholds_still_gets_them_proposed(make_ws) -> None:
    from glamlab.actions.act import _models_own_policy
    from glamlab.actions.policy import load_policy
    from glamlab.inference import run
    from tests.inference.conftest import add_text_items, save_hash_model

    ws = make_ws("hashed", modality="text", labels=["a", "b", "c"])
    add_text_items(ws, 10)
    save_hash_model(ws)
    run(ws, "hash", workers=0)
    assert _models_own_policy(ws, None, load_policy(ws.card), web=False, cli=True) is None
