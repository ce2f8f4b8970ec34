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


def _kept(tmp_path: Path) -> tuple[SimpleNamespace, dict[str, Any], Path]:
    root = tmp_path / "ws"
    folder = root / "retrained" / "job-3"
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "m.bin").write_bytes(b"the new version")
    (folder / tabular.KEPT_ITEMS).write_text("null", encoding="utf-8")
    kept = {"name": "m", "folder": "retrained/job-3", "card": {},
            "files": {"model/m.bin": _digest(folder / "model" / "m.bin"),
                      tabular.KEPT_ITEMS: _digest(folder / tabular.KEPT_ITEMS)}}
    return SimpleNamespace(root=root), kept, folder


def test_two_switches_at_once_save_the_version_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second admin's switch arrives while the first is saving (forced: the first's
    save_model starts the second): before, both passed the sha256 check and both saved
    it, m@2 and m@3 from one retrain."""
    ws, kept, folder = _kept(tmp_path)
    monkeypatch.setattr("glamlab.predictors.base.Predictor.load",
                        classmethod(lambda cls, d, **kw: object()))
    saved: list[str] = []
    second: list[BaseException] = []

    def save_model(ws_: Any, p: Any, **kw: Any) -> SimpleNamespace:
        if not saved and not second:
            try:
                tabular.save_kept_version(ws, dict(kept))
            except PredictorError as exc:
                second.append(exc)
        saved.append(f"m@{len(saved) + 2}")
        return SimpleNamespace(spec=saved[-1])

    monkeypatch.setattr("glamlab.registry.models.save_model", save_model)
    assert tabular.save_kept_version(ws, kept).spec == "m@2"
    assert saved == ["m@2"]
    assert len(second) == 1 and "being saved by another switch" in str(second[0])
    assert not folder.exists() and not folder.with_name("job-3.saving").exists()


def test_a_failed_save_leaves_the_kept_version_to_try_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws, kept, folder = _kept(tmp_path)
    monkeypatch.setattr("glamlab.predictors.base.Predictor.load",
                        classmethod(lambda cls, d, **kw: object()))

    def fails(*a: Any, **kw: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("glamlab.registry.models.save_model", fails)
    with pytest.raises(OSError):
        tabular.save_kept_version(ws, kept)
    assert (folder / "model" / "m.bin").read_bytes() == b"the new version"
