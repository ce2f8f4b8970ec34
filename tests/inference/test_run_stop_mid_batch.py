"""Ctrl-C on ``glamlab run`` waited for the whole batch in flight (256 items: 20 s and
more, ~50 s on a slow model) before the run stopped; inline (``--workers 0``) it stopped
at once but dropped the items of the batch already predicted. Now the workers look at
the stop request every few items (``STOP_CHECK_ITEMS``) and hand back the part they
predicted; the rest of the batch stays unpredicted, and ``--resume`` predicts exactly
that rest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from glamlab.inference.worker import STOP_CHECK_ITEMS
from tests.inference.conftest import save_hash_model, wait_at_gate
from tests.inference.predictors import CLI_BOOT, HashPredictor

ROOT = Path(__file__).resolve().parents[2]


def _glamlab(ws, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    return subprocess.Popen([sys.executable, "-c", CLI_BOOT, "-w", str(ws.root), "run", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _stored(ws) -> list[str]:
    t = ws.store.t.predictions
    with ws.store.read() as conn:
        return list(conn.execute(sa.select(t.c.item_id)).scalars())


@pytest.mark.parametrize("workers", [0, 1])
def test_ctrl_c_stops_mid_batch_and_resume_predicts_exactly_the_rest(text_ws, tmp_path,
                                                                      workers):
    assert STOP_CHECK_ITEMS == HashPredictor.batch_size == 16  # the counts below
    ids = sorted(text_ws.ids)
    gate = tmp_path / "gate"
    # the 5th item of the second part (items 16-31) of the first batch of 40
    save_hash_model(text_ws, gate_on=(ids[20],), gate=str(gate))
    proc = _glamlab(text_ws, "--model", "hash", "--workers", str(workers),
                    "--batch-size", "40", "--json")
    try:
        wait_at_gate(proc, gate)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C at a terminal: the whole group
        time.sleep(2.0)  # the parent passes the stop on to its worker (each 0.5 s)
        Path(f"{gate}.go").touch()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    report = json.loads(out)
    # inline, the signal drops the part in flight and keeps the part before it; a
    # worker finishes the part in flight and hands back both; never the whole batch
    kept = 16 if workers == 0 else 32
    assert (report["status"], report["done"], report["done_this_time"]) == \
        ("stopped", kept, kept), err
    stored = _stored(text_ws)
    assert sorted(stored) == ids[:kept]

    proc = _glamlab(text_ws, "--model", "hash", "--workers", str(workers), "--resume",
                    "--json")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (out, err)
    report = json.loads(out)
    assert (report["status"], report["resumed"], report["done_this_time"], report["done"]) \
        == ("done", True, 60 - kept, 60)
    stored = _stored(text_ws)
    assert len(stored) == 60 and sorted(stored) == ids  # each item once, none twice


def test_a_worker_looks_at_the_stop_before_each_part(monkeypatch):
    """A batch that reaches a worker after the stop (it was still loading its model) is
    handed back whole, unpredicted, rather than its first part predicted first."""
    from glamlab.inference import worker

    calls: list[list[str]] = []

    def fake(predictor, items, kind):
        calls.append(list(items))
        return [(i, "a", "[]", "{}", 1.0) for i in items], []

    monkeypatch.setattr(worker, "predict_batch", fake)
    items = [f"i{n}" for n in range(40)]
    assert worker.predict_until_stopped(None, items, None, lambda: True) == ([], [], True)
    assert calls == []
    flags = iter([False, True])
    rows, failures, partial = worker.predict_until_stopped(None, items, None,
                                                           lambda: next(flags))
    assert (len(rows), failures, partial) == (STOP_CHECK_ITEMS, [], True)
    rows, failures, partial = worker.predict_until_stopped(None, items, None, lambda: False)
    assert (len(rows), partial, [len(c) for c in calls]) == \
        (40, False, [16, 16, 16, 8])  # 16 before the stop, then 40
