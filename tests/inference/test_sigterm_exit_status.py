"""A job stopped by SIGTERM (what Slurm and Kubernetes send before they kill it) ends
with SIGTERM's exit status, so the scheduler reads it as stopped by SIGTERM: a Python
script whose run() raised RunInterrupted and did not catch it used to end as after an
uncaught error (status 1: RunInterrupted is a KeyboardInterrupt, but not the one Python
ends by SIGINT for), and ``glamlab run`` exited 130, Ctrl-C's status. Both end with 143
now (128 + 15, what a shell reports for a process SIGTERM ended).

Each run waits at a gate in the middle of a batch (the predictor makes a marker file
there); the test sends SIGTERM then, and opens the gate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.inference.conftest import add_text_items, save_hash_model, wait_at_gate
from tests.inference.predictors import CLI_BOOT

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """\
import sys
from tests.inference.predictors import register
register()
from glamlab import Workspace
from glamlab.inference import run

if __name__ == "__main__":
    ws = Workspace.open(sys.argv[1])
    try:
        run(ws, "hash", workers=int(sys.argv[2]), batch_size=5)
    finally:
        print("cleaned up", flush=True)  # a finally block still runs
    print("carried on")  # never: the run was stopped
"""

CAUGHT = """\
import sys
from tests.inference.predictors import register
register()
from glamlab import Workspace
from glamlab.inference import RunInterrupted, run

if __name__ == "__main__":
    ws = Workspace.open(sys.argv[1])
    try:
        run(ws, "hash", workers=0, batch_size=5)
    except RunInterrupted as stop:
        print("caught", stop.signum, flush=True)
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}


def _stop_at_the_gate(proc: subprocess.Popen[str], gate: Path,
                      sig: int = signal.SIGTERM) -> tuple[str, str]:
    """Wait until the run is inside a batch (:func:`wait_at_gate`), send ``sig``, open
    the gate."""
    try:
        wait_at_gate(proc, gate)
        proc.send_signal(sig)
        Path(str(gate) + ".go").touch()
        return proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()


def _gated_ws(make_ws, tmp_path: Path, name: str):
    ws = make_ws(name, modality="text", labels=["a", "b"])
    ids = add_text_items(ws, 40)
    gate = tmp_path / "gate"
    save_hash_model(ws, gate_on=(ids[12],), gate=str(gate))
    return ws, gate


def _stopped(ws) -> None:
    t = ws.store.t
    with ws.store.read() as conn:
        run = conn.execute(sa.select(t.runs)).one()
    assert run.status == "stopped" and run.owner is None and 0 < run.done < 40


@pytest.mark.parametrize(("workers", "sig", "why"), [(0, signal.SIGTERM, "SIGTERM"),
                                                    (1, signal.SIGTERM, "SIGTERM"),
                                                    (0, signal.SIGINT, "Ctrl-C")])
def test_a_script_stopped_by_a_signal_ends_with_its_status(make_ws, tmp_path, workers, sig,
                                                           why):
    ws, gate = _gated_ws(make_ws, tmp_path, f"term{workers}{int(sig)}")
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(ws.root), str(workers)],
                            cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    out, err = _stop_at_the_gate(proc, gate, sig)
    assert proc.returncode == 128 + sig, (proc.returncode, err)  # 143 SIGTERM, 130 Ctrl-C
    assert "cleaned up" in out and "carried on" not in out
    # the traceback says what stopped and how to finish the run
    assert "RunInterrupted" in err and f"stopped ({why})" in err and "resume=True" in err
    _stopped(ws)


def test_a_script_that_catches_the_stop_carries_on(make_ws, tmp_path):
    ws, gate = _gated_ws(make_ws, tmp_path, "caught")
    proc = subprocess.Popen([sys.executable, "-c", CAUGHT, str(ws.root)],
                            cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    out, err = _stop_at_the_gate(proc, gate)
    assert proc.returncode == 0, err
    assert out.strip() == f"caught {int(signal.SIGTERM)}"
    _stopped(ws)


def test_glamlab_run_stopped_by_sigterm_exits_143(make_ws, tmp_path):
    ws, gate = _gated_ws(make_ws, tmp_path, "cli")
    proc = subprocess.Popen([sys.executable, "-c", CLI_BOOT, "-w", str(ws.root), "run",
                             "--model", "hash", "--workers", "0", "--batch-size", "5"],
                            cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    out, err = _stop_at_the_gate(proc, gate)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "stopped (resumable)" in out and "glamlab run --resume" in out
    _stopped(ws)
