"""``train(reuse=True)`` returns the identical earlier version instead of saving a copy,
also for predictors whose pickled state carries run-time noise (the CRF's temporary model
file descriptor and training log), and saves a new version when the data changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from glamlab.registry.models import list_models
from glamlab.registry.training import train
from glamlab.workspace import Workspace

DATA = Path(__file__).resolve().parents[1] / "data" / "ner"


@pytest.fixture
def ner_ws(tmp_path: Path, db_url: str | None) -> Workspace:
    from glamlab.tasks.kinds import prepare_card
    from glamlab.tasks.spans.gold import import_spans
    from glamlab.tasks.splits import split_labels

    ws = Workspace.init(tmp_path / "ner", task="entities", kind="entities", modality="text",
                        labels=["PER", "LOC", "ORG", "PROD", "TIME"], db=db_url, prepare=prepare_card)
    import_spans(ws, DATA / "newseye-fr-gold.tsv", format="hipe")
    split_labels(ws, test_size=0.3, seed=0, group_by="document_id")
    return ws


def test_retraining_the_same_crf_reuses_the_version(ner_ws: Workspace) -> None:
    first = train(ner_ws, "crf-ner", reuse=True, params={"max_iterations": 20})
    again = train(ner_ws, "crf-ner", reuse=True, params={"max_iterations": 20})
    assert not first.reused and again.reused
    assert again.model.spec == first.model.spec
    assert [m.spec for m in list_models(ner_ws)] == [first.model.spec]
    other = train(ner_ws, "crf-ner", reuse=True, params={"max_iterations": 21})
    assert not other.reused and other.model.spec != first.model.spec


def test_default_digest_is_the_saved_state_file(ner_ws: Workspace) -> None:
    res = train(ner_ws, "gazetteer", reuse=True)
    assert res.model.card["state_digest"] == res.model.artifacts["state.pkl"]
