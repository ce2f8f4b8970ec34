"""SIGTERM during ``run`` called from a Python script: what a cluster's scheduler (SLURM)
sends before it kills a job. It used to return a 'stopped' report as if all was well, so
the script's next lines (act, export) went on over a partial run; Ctrl-C raised. Now it
raises RunInterrupted as Ctrl-C does, after storing the whole batches predicted, and a
run with ``resume=True`` finishes the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from glamlab.inference import list_runs, run
from tests.inference.conftest import save_hash_model, wait_at_gate

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """\
from glamlab import Workspace
from glamlab.inference import RunInterrupted, run

if __name__ == "__main__":
    ws = Workspace.open({root!r})
    try:
        report = run(ws, "hash@1", workers={workers}, batch_size=5)
    except RunInterrupted as exc:
        print("INTERRUPTED", exc.report.status, exc.report.done, flush=True)
        raise
    print("CARRIED ON", report.status, flush=True)
"""


def _stored(ws) -> list[str]:
    t = ws.store.t.predictions
    with ws.store.read() as conn:
        return list(conn.execute(sa.select(t.c.item_id)).scalars())


@pytest.mark.parametrize("workers", [0, 1])
def test_sigterm_in_a_python_script_raises_after_storing_and_resume_finishes(
        text_ws, tmp_path, workers):
    ids = sorted(text_ws.ids)
    gate = tmp_path / "gate"
    save_hash_model(text_ws, gate_on=(ids[22],), gate=str(gate))  # in the 5th batch of 5
    script = tmp_path / "predict_collection.py"
    script.write_text(SCRIPT.format(root=str(text_ws.root), workers=workers))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    proc = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        wait_at_gate(proc, gate)
        os.killpg(proc.pid, signal.SIGTERM)  # as the scheduler does: the whole job
        Path(f"{gate}.go").touch()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "CARRIED ON" not in out, (out, err)
    assert proc.returncode != 0, (out, err)
    [said] = [line for line in out.splitlines() if line.startswith("INTERRUPTED")]
    _, status, done = said.split()
    assert status == "stopped"
    assert "RunInterrupted" in err and "stopped (SIGTERM)" in err
    assert "run(ws, 'hash@1', resume=True)" in err

    [row] = list_runs(text_ws)
    assert row["status"] == "stopped"
    stored = _stored(text_ws)
    assert 0 < len(stored) == row["done"] == int(done) < 60 and len(stored) % 5 == 0
    finished = run(text_ws, "hash", workers=0, batch_size=5, resume=True)
    assert (finished.status, finished.run_id, finished.done) == ("done", row["run_id"], 60)
    assert sorted(_stored(text_ws)) == ids
