"""Two `glamlab run` processes on different models at the same time, on one store.

On PostgreSQL (make test-pg) their batches commit side by side; on SQLite they take
turns at the writer. Either way each model ends with exactly one prediction per item."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _test_predictors(monkeypatch: pytest.MonkeyPatch) -> None:
    from glamlab.predictors import catalogue
    from tests.inference.predictors import register

    monkeypatch.setattr(catalogue, "BUILTIN", dict(catalogue.BUILTIN))
    register()


@pytest.mark.slow
def test_two_runs_on_different_models_at_once(make_ws):
    from tests.inference.conftest import add_text_items, save_hash_model
    from tests.inference.predictors import CLI_BOOT

    ws = make_ws("tworuns", modality="text", labels=["a", "b", "c"])
    ids = add_text_items(ws, 240)
    models = {name: save_hash_model(ws, name=name, sleep_each=0.02).id
              for name in ("alpha", "beta")}
    # this checkout's glamlab (src) and its tests, whatever glamlab the venv has installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    procs = {name: subprocess.Popen(
        [sys.executable, "-c", CLI_BOOT, "-w", str(ws.root), "run", "--model", name,
         "--workers", "1", "--batch-size", "16", "--json"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in models}
    results = {name: (*p.communicate(timeout=240), p.returncode) for name, p in procs.items()}
    for name, (out, err, code) in results.items():
        assert code == 0, (name, err)
        report = json.loads(out)
        assert report["status"] == "done", report

    t = ws.store.t
    with ws.store.read() as conn:
        runs = conn.execute(sa.select(t.runs)).fetchall()
        for name, model_id in models.items():
            got = conn.execute(sa.select(t.predictions.c.item_id)
                               .where(t.predictions.c.model_id == model_id)).scalars().all()
            assert sorted(got) == sorted(ids), name  # every item once, none twice
    assert len(runs) == 2 and {r.status for r in runs} == {"done"}
    assert {r.model_id for r in runs} == set(models.values())
    assert all(r.done == len(ids) and r.failed == 0 for r in runs)
    first, second = sorted(runs, key=lambda r: r.started_at)
    assert second.started_at < first.finished_at  # they really ran at the same time
