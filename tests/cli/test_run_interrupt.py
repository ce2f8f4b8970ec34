"""Ctrl-C in the first seconds of `glamlab run`, while the worker processes are still
starting (their server imports numpy and scikit-learn), as a script or a person at a
terminal sends it: to the whole process group.

It used to kill the forkserver in the middle of its imports (a traceback on stderr),
the run could not start its worker and was marked *failed*, the command said "aborted"
and `--json` printed nothing; `glamlab run --resume` then had nothing to resume. Now
the run stops as after any Ctrl-C: status stopped, exit 130, its JSON summary on
stdout, and `--resume` finishes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from tests.inference.conftest import add_text_items, save_hash_model

ROOT = Path(__file__).resolve().parents[2]

# the forkserver imports this module with the others it preloads: it says so, then
# waits (as a slow import does) until the test lets it go on
GATE = """\
import os, time
d = os.environ["GLAMLAB_TEST_GATE"]
open(os.path.join(d, "importing"), "w").close()
while not os.path.exists(os.path.join(d, "go")):
    time.sleep(0.02)
"""

BOOT = ("import sys; import glamlab.inference.local as local; "
        "local.PRELOAD = [*local.PRELOAD, 'glamlab_test_gate']; "
        "from tests.inference.predictors import register; register(); "
        "from glamlab.cli import main; sys.argv[0] = 'glamlab'; main()")


def _spawn(ws, gate: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "GLAMLAB_TEST_GATE": str(gate),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), str(gate)])}
    return subprocess.Popen([sys.executable, "-c", BOOT, "-w", str(ws.root), "run", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def test_ctrl_c_while_the_workers_start_stops_the_run_resumable(make_ws, tmp_path):
    ws = make_ws("startup", modality="text", labels=["a", "b"])
    ids = add_text_items(ws, 30)
    mv = save_hash_model(ws)
    gate = tmp_path / "gate"
    gate.mkdir()
    (gate / "glamlab_test_gate.py").write_text(GATE)

    proc = _spawn(ws, gate, "--model", "hash", "--workers", "1", "--json")
    deadline = time.monotonic() + 120
    while not (gate / "importing").exists() and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (gate / "importing").exists(), proc.communicate(timeout=60)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: every process of the group
    (gate / "go").touch()
    out, err = proc.communicate(timeout=120)

    assert proc.returncode == 130, err
    assert "Traceback" not in err and "aborted" not in err, err
    summary = json.loads(out)  # the summary, as after any Ctrl-C
    assert summary["status"] == "stopped"
    t = ws.store.t
    with ws.store.read() as conn:
        run = conn.execute(sa.select(t.runs)).one()
    assert run.status == "stopped" and run.owner is None and run.id == summary["run_id"]

    final = _spawn(ws, gate, "--model", "hash", "--resume", "--workers", "1", "--json")
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    done = json.loads(out)
    assert (done["run_id"], done["resumed"], done["status"]) == (run.id, True, "done")
    with ws.store.read() as conn:
        predicted = conn.execute(sa.select(t.predictions.c.item_id)
                                 .where(t.predictions.c.model_id == mv.id)).scalars().all()
    assert sorted(predicted) == sorted(ids)
