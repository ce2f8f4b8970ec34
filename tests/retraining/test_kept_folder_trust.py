"""Switching to a retrained version reads the folder its job's stored result names, and
removes it afterwards. Only a folder under the workspace's ``retrained/`` is one a retrain
kept: a result naming another (``..``, an absolute path, the workspace itself: a restored
backup or an edited database) is refused, and nothing is loaded from it or removed.
Before, ``ws.root / kept["folder"]`` was trusted: a stored ``../victim`` whose file's
sha256 matched was loaded as a model and then deleted with ``shutil.rmtree``."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from glamlab.errors import PredictorError
from glamlab.retraining import tabular


def _digest(f: Path) -> str:
    return hashlib.sha256(f.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["../victim", "VICTIM", "", ".", "retrained",
                                  "retrained/../../victim"])
def test_a_folder_outside_retrained_is_refused_and_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    root = tmp_path / "ws"
    (root / "retrained").mkdir(parents=True)
    victim = tmp_path / "victim"
    (victim / "model").mkdir(parents=True)
    (victim / "model" / "m.bin").write_bytes(b"someone's files")
    (victim / tabular.KEPT_ITEMS).write_text("null", encoding="utf-8")
    saved: list[Any] = []
    monkeypatch.setattr("glamlab.predictors.base.Predictor.load",
                        classmethod(lambda cls, d, **kw: object()))
    monkeypatch.setattr("glamlab.registry.models.save_model",
                        lambda ws, p, **kw: saved.append(kw) or SimpleNamespace(spec="m@2"))
    folder = str(victim) if name == "VICTIM" else name
    kept = {"name": "m", "folder": folder, "card": {},
            "files": {"model/m.bin": _digest(victim / "model" / "m.bin"),
                      tabular.KEPT_ITEMS: _digest(victim / tabular.KEPT_ITEMS)}}
    with pytest.raises(PredictorError, match="not one a retrain keeps"):
        tabular.save_kept_version(SimpleNamespace(root=root), kept)
    assert saved == []
    assert (victim / "model" / "m.bin").read_bytes() == b"someone's files"
    assert (root / "retrained").is_dir()


def test_a_file_name_outside_the_kept_folder_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ws"
    folder = root / "retrained" / "job-1"
    folder.mkdir(parents=True)
    other = root / "secret.bin"
    other.write_bytes(b"x")
    monkeypatch.setattr("glamlab.predictors.base.Predictor.load",
                        classmethod(lambda cls, d, **kw: object()))
    kept = {"name": "m", "folder": "retrained/job-1", "card": {},
            "files": {"../../secret.bin": _digest(other)}}
    with pytest.raises(PredictorError, match="missing or has changed"):
        tabular.save_kept_version(SimpleNamespace(root=root), kept)
    assert folder.is_dir() and other.exists()
