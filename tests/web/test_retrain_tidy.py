"""The retraining page's kept new versions (``retrained/job-N``) are tidied: at each
retrain and after each switch, a folder no one can switch to any more is removed (its
version switched to already, superseded by a newer retrain, compared with a model no
longer in use, left by a failed retrain, named by no job), said in the log and the audit
log; the version the page offers, and a retrain still writing its own, are kept. Before,
every retrain left its folder on disk for good.

A switch whose process died after claiming (renaming) the folder left ``job-N.saving``
behind, and every later switch to it was refused as "being saved by another switch right
now", for good. Now a claimed folder no live process holds is taken over by the next
switch (saved then, or, where the stopped switch had saved it already, that version:
not saved twice) or put back by the next retrain. The crash is a real one: a child
process that ends (``os._exit``) at the step after the rename."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from glamlab.errors import GlamlabError
from glamlab.items import Item
from glamlab.predictors.baselines import MajorityPredictor
from glamlab.registry.models import champion, get_model, list_models, save_model
from glamlab.retraining import promote, tabular
from glamlab.web import jobs

ROOT = Path(__file__).resolve().parents[2]


def _fitted() -> MajorityPredictor:
    items = [Item(item_id=f"t{i}", modality="text", text="x") for i in range(3)]
    return MajorityPredictor().fit(items, ["a", "b", "b"])


def _project(make_ws: Any) -> Any:
    ws = make_ws("tidy", modality="text")
    save_model(ws, _fitted(), name="m")
    promote(ws, "m@1", actor="ada")
    return ws


def _retrain(ws: Any, monkeypatch: pytest.MonkeyPatch, *, fails: bool = False) -> int:
    """A retrain job as the web app does it, the training itself left out: its new
    version kept in its folder (then, with ``fails``, the job fails)."""
    def retrain_project(ws_: Any, *, keep_in: Path, **kw: Any) -> dict[str, Any]:
        kept = tabular.keep_version(ws_, _fitted(), Path(keep_in), name="m", items=None,
                                    card={"trained_on": "recent"})
        if fails:
            raise OSError("disk full")
        return {"champion": champion(ws_).spec, "saved": None, "kept": kept}

    monkeypatch.setattr(tabular, "retrain_project", retrain_project)
    job_id = jobs.submit(ws, "retrain", "ada")
    worker = jobs.JobWorker(ws)
    job = worker._next()
    assert job is not None and job["id"] == job_id
    worker._do(job)
    assert jobs.get(ws, job_id)["status"] == ("failed" if fails else "done")  # type: ignore[index]
    return job_id


def _folders(ws: Any) -> list[str]:
    return sorted(p.name for p in (ws.root / "retrained").iterdir())


def _audited(ws: Any) -> list[str]:
    import sqlalchemy as sa

    t = ws.store.t.audit_log
    with ws.store.read() as conn:
        return [str(r.details["what"]) for r in conn.execute(
            sa.select(t).where(t.c.action == "retrained.tidy").order_by(t.c.id))]


def test_retrains_and_switches_leave_only_the_version_one_can_switch_to(
        make_ws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _project(make_ws)
    one = _retrain(ws, monkeypatch)
    assert _folders(ws) == [f"job-{one}"]
    two = _retrain(ws, monkeypatch)  # supersedes the first: it is what the page offers
    assert _folders(ws) == [f"job-{two}"]
    removed = jobs.get(ws, one)["result"]  # type: ignore[index]
    assert removed["kept"] is None and "newer retrain (job 2) superseded" in \
        removed["removed"]["why"]
    with pytest.raises(GlamlabError, match="no longer kept: a newer retrain"):
        jobs.switch_to_retrained(ws, one, "ada")  # an old tab: refused, in words
    three = _retrain(ws, monkeypatch, fails=True)  # the offer stays the second's
    assert _folders(ws) == [f"job-{two}", f"job-{three}"]
    (ws.root / "retrained" / "job-99").mkdir()  # no job names it (a restored database)
    (ws.root / "retrained" / "notes").mkdir()  # not one a retrain keeps: left alone
    said = jobs.tidy_retrained(ws, "ada")  # as at the start of the next retrain
    assert _folders(ws) == [f"job-{two}", "notes"], said
    assert any("job-3: its retrain failed" in s for s in said), said
    assert any("job-99: no retrain job names it" in s for s in said), said
    four = _retrain(ws, monkeypatch)
    assert _folders(ws) == [f"job-{four}", "notes"]
    assert jobs.switch_to_retrained(ws, four, "ada") == "m@2"
    assert _folders(ws) == ["notes"]
    # nothing saved is lost: both versions, the old one kept as previous
    assert [m.spec for m in list_models(ws)] == ["m@1", "m@2"]
    assert "previous" in get_model(ws, "m@1").aliases and champion(ws).spec == "m@2"
    audited = _audited(ws)
    assert any("removed retrained/job-1: a newer retrain (job 2) superseded it" in a
               for a in audited), audited
    assert any("removed retrained/job-2: a newer retrain (job 4) superseded it" in a
               for a in audited), audited


def test_a_switch_makes_the_other_retrains_versions_stale_and_they_go(
        make_ws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _project(make_ws)
    one = _retrain(ws, monkeypatch)
    # a retrain compared with m@1 that the page no longer offers, kept all the same
    # (from before the tidying): after the switch it was compared with a model replaced
    old = tabular.keep_version(ws, _fitted(), jobs.kept_folder(ws, 50), name="m", items=None,
                               card={})
    (ws.root / "retrained" / "job-50.saving").mkdir()  # a claimed one no job names
    assert jobs.switch_to_retrained(ws, one, "ada") == "m@2"
    assert old and _folders(ws) == []


def test_a_folder_a_switch_holds_right_now_is_left_alone(
        make_ws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _project(make_ws)
    one = _retrain(ws, monkeypatch)
    two = _retrain(ws, monkeypatch)
    kept_at = ws.root / "retrained" / f"job-{two}"
    fd = tabular.lock_folder(kept_at)  # a switch in another request, mid-way
    try:
        kept_at.rename(kept_at.with_name(kept_at.name + ".saving"))
        assert jobs.tidy_retrained(ws, "ada") == []
        assert _folders(ws) == [f"job-{two}.saving"]
    finally:
        assert fd is not None
        os.close(fd)
    assert one


CRASH = """
import os, shutil, sys
from glamlab import Workspace
from glamlab.web import jobs
import glamlab.registry.models as models

def stop(*a, **kw):
    os._exit(3)

if sys.argv[2] == "before-saving":
    models.save_model = stop  # the step after the rename
elif sys.argv[2] == "before-recording":  # saved, folder removed, the job not told
    set_ = jobs._set
    def _set(ws, job_id, **kw):
        if (kw.get("result") or {}).get("saved"):
            os._exit(3)
        return set_(ws, job_id, **kw)
    jobs._set = _set
else:  # after the version is saved, before the folder is removed and the job records it
    shutil.rmtree = stop
jobs.switch_to_retrained(Workspace.open(sys.argv[1]), int(sys.argv[3]), "ada")
"""


def _crash_a_switch(ws: Any, job_id: int, when: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CRASH, str(ws.root), when, str(job_id)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr[-3000:]
    # what a crash leaves
    assert _folders(ws) == ([] if when == "before-recording" else [f"job-{job_id}.saving"])


def test_a_switch_that_stopped_after_saving_before_the_job_recorded_it_is_not_stranded(
        make_ws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # the version saved and its folder removed, the server killed before the job said
    # so: the next switch found the folder "missing, retrain again" for ever; it is the
    # version saved then, not saved twice
    ws = _project(make_ws)
    one = _retrain(ws, monkeypatch)
    _crash_a_switch(ws, one, "before-recording")
    assert [m.spec for m in list_models(ws)] == ["m@1", "m@2"]
    assert jobs.switch_to_retrained(ws, one, "ada") == "m@2"
    assert champion(ws).spec == "m@2"
    assert [m.spec for m in list_models(ws)] == ["m@1", "m@2"]


@pytest.mark.parametrize("when", ["before-saving", "after-saving"])
@pytest.mark.parametrize("recovered_by", ["the next switch", "the next retrain"])
def test_a_switch_that_crashed_after_claiming_the_folder_is_recovered(
        make_ws: Any, monkeypatch: pytest.MonkeyPatch, when: str, recovered_by: str) -> None:
    ws = _project(make_ws)
    one = _retrain(ws, monkeypatch)
    _crash_a_switch(ws, one, when)
    assert champion(ws).spec == "m@1"
    assert [m.spec for m in list_models(ws)] == (
        ["m@1"] if when == "before-saving" else ["m@1", "m@2"])
    if recovered_by == "the next retrain":
        said = jobs.tidy_retrained(ws, "ada")  # what a retrain does before it trains
        if when == "before-saving":
            assert _folders(ws) == [f"job-{one}"] and "put back" in said[0], said
        else:  # the version is saved: the job offers it, the folder's copy goes
            assert _folders(ws) == [] and "m@2 was saved from" in said[0], said
            assert jobs.get(ws, one)["result"]["saved"] == "m@2"  # type: ignore[index]
    assert jobs.switch_to_retrained(ws, one, "ada") == "m@2"
    assert champion(ws).spec == "m@2"
    assert [m.spec for m in list_models(ws)] == ["m@1", "m@2"]  # saved once
    assert _folders(ws) == []


def test_the_page_says_a_version_is_no_longer_kept_and_its_switch_is_refused(
        make_ws: Any) -> None:
    from .conftest import app_with_users, csrf_of

    ws = make_ws("page", modality="tabular", labels=["0", "1"])
    save_model(ws, _fitted(), name="m")
    promote(ws, "m@1", actor="ada")
    job_id = jobs.submit(ws, "retrain", "ada")
    why = "it was compared with m@0, which is no longer the model in use"
    jobs._set(ws, job_id, status="done", result={
        "champion": "m@0", "saved": None, "kept": None, "metric": "auc", "chosen": "recent",
        "scores": {"champion": 0.7, "recent": 0.72, "all": 0.71}, "intervals": {},
        "train_rows": {"recent": 10, "all": 20}, "window": ["2017-08-01", "2017-09-01"],
        "window_rows": 30, "promoted": False, "gate": {"reasons": []},
        "removed": {"why": why, "at": "now"}})
    made = app_with_users(ws)
    _, app, client = next(made)
    try:
        ada = client("ada")
        page = ada.get("/stages/retrain").text
        assert 'id="retrain-removed"' in page and why in page, page[-3000:]
        assert 'id="retrain-switch"' not in page
        r = ada.post("/stages/retrain/switch", data={"csrf": csrf_of(ada), "job": str(job_id),
                                                      "confirmed": "yes"})
        assert r.status_code >= 400 and "no longer kept" in r.text, r.text[-2000:]
        assert champion(ws).spec == "m@1"
    finally:
        next(made, None)
