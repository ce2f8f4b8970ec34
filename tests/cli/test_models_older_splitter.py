"""``glamlab models`` and ``glamlab evaluate`` on a span model saved before glued words
were cut: the listing says its score may have changed and how to retrain it, and loading
it says so once, naming it as the listing does (``NAME@N``)."""

from __future__ import annotations

import json
import logging
import pickle
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from glamlab.cli import cli

DATA = Path(__file__).resolve().parents[1] / "data" / "ner"


def _cli(args: list[str]) -> str:
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    return res.stdout


def _as_saved_before(ws_dir: Path, db: str | None, spec: str) -> None:
    """Model ``spec`` as the code before the word splitter's version saved it: no version
    in its card (what the listing reads) nor in its state (a CRF's tokens cannot be
    re-keyed: only its card and state change)."""
    from glamlab import Workspace
    from glamlab.registry import get_model
    from glamlab.registry.models import _sha256

    ws = Workspace.open(ws_dir, db=db)
    try:
        mv = get_model(ws, spec)
        assert mv.card["tokeniser"] == 2
        card = {k: v for k, v in mv.card.items() if k != "tokeniser"}
        state_file = ws.root / str(mv.path) / "state.pkl"
        with open(state_file, "rb") as fh:
            state = pickle.load(fh)  # noqa: S301 - written by this test's model
        state.pop("tokeniser_")
        with open(state_file, "wb") as fh:
            pickle.dump(state, fh)
        artifacts = {**mv.artifacts, "state.pkl": _sha256(state_file)}
        t = ws.store.t
        with ws.store.write() as conn:
            conn.execute(sa.update(t.models).where(t.models.c.id == mv.id)
                         .values(card=card, artifacts=artifacts))
    finally:
        ws.close()


def _project(tmp_path: Path, db_url: str | None) -> tuple[Path, list[str]]:
    """An entities project of the NewsEye gold, split by document, made with the command
    line: its folder and the options that reach it."""
    ws_dir = tmp_path / "ner"
    base = ["-w", str(ws_dir)] + (["--db", db_url] if db_url else [])
    _cli([*base, "init", "--task", "entities", "--modality", "text", "--labels",
          "PER,LOC,ORG,PROD,TIME", "--json"])
    _cli([*base, "labels", "import", str(DATA / "newseye-fr-gold.tsv"), "--json"])
    _cli([*base, "labels", "split", "--group-by", "document_id", "--json"])
    return ws_dir, base


def test_models_and_evaluate_name_a_model_of_the_older_splitter(
        tmp_path: Path, db_url: str | None, caplog: pytest.LogCaptureFixture) -> None:
    ws_dir, base = _project(tmp_path, db_url)
    _cli([*base, "train", "crf-ner", "--param", "max_iterations=5", "--json"])
    _cli([*base, "train", "crf-ner", "--param", "max_iterations=6", "--json"])
    rows = json.loads(_cli([*base, "models", "--json"]))
    assert [r["note"] for r in rows] == [None, None]

    _as_saved_before(ws_dir, db_url, "crf-ner@1")
    rows = {r["model"]: r for r in json.loads(_cli([*base, "models", "--json"]))}
    note = ("trained with an older word splitter (words glued by OCR were not cut): its "
            "score may have changed (glamlab evaluate crf-ner@1 measures it now); retrain it "
            "to train it with today's (glamlab retrain, or glamlab train)")
    assert rows["crf-ner@1"]["note"] == note and rows["crf-ner@2"]["note"] is None
    listed = _cli([*base, "models"])
    assert f"crf-ner@1: {note}" in listed and "crf-ner@2:" not in listed

    with caplog.at_level(logging.WARNING):
        _cli([*base, "evaluate", "crf-ner@1", "crf-ner@2", "--n-boot", "20", "--json"])
    said = [r.getMessage() for r in caplog.records if "older word splitter" in r.getMessage()]
    assert len(said) == 1 and "retrain" in said[0]
    # named as glamlab models lists it, not by the folder it is saved in
    assert said[0].startswith("the crf-ner model crf-ner@1 was trained with an older word "
                              "splitter")
    assert "(glamlab evaluate crf-ner@1 measures them now)" in said[0]
    assert str(ws_dir / "models") not in said[0]


def test_training_again_does_not_reuse_a_model_of_the_older_splitter(
        tmp_path: Path, db_url: str | None) -> None:
    """train(reuse=True) (the web app's Train, evaluate's baselines) returns an identical
    earlier version instead of saving a copy. A CRF whose training texts hold no glued
    word learns the same weights with either splitter: the version saved before must not
    be returned, or the listing would go on saying to retrain it."""
    from glamlab import Workspace
    from glamlab.registry.training import train

    ws_dir, base = _project(tmp_path, db_url)
    ws = Workspace.open(ws_dir, db=db_url)
    try:
        first = train(ws, "crf-ner", reuse=True, params={"max_iterations": 5})
        assert train(ws, "crf-ner", reuse=True, params={"max_iterations": 5}).reused
    finally:
        ws.close()
    _as_saved_before(ws_dir, db_url, first.model.spec)
    ws = Workspace.open(ws_dir, db=db_url)
    try:
        again = train(ws, "crf-ner", reuse=True, params={"max_iterations": 5})
    finally:
        ws.close()
    assert not again.reused and again.model.spec == "crf-ner@2"
    rows = {r["model"]: r["note"] for r in json.loads(_cli([*base, "models", "--json"]))}
    assert rows == {"crf-ner@1": rows["crf-ner@1"], "crf-ner@2": None}
    assert rows["crf-ner@1"] is not None
