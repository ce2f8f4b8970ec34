"""glamlab run / glamlab runs on the command line, in-process and as real subprocesses
(kill -9 at random points, two runs at once)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from glamlab.cli import main
from tests.inference.conftest import add_text_items, save_hash_model
from tests.inference.predictors import CLI_BOOT

ROOT = Path(__file__).resolve().parents[2]


def _cli(capsys, *args):
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_run_and_runs_commands(text_ws, capsys):
    save_hash_model(text_ws, fail_on=(text_ws.ids[7],))
    w = str(text_ws.root)
    code, out, err = _cli(capsys, "-w", w, "run", "--model", "hash", "--workers", "1",
                          "--batch-size", "8", "--json")
    assert code == 1, err  # some items failed, the rest was done
    data = json.loads(out)
    assert (data["status"], data["done"], data["failed"]) == ("done", 59, 1)
    assert data["failures"][0]["item_id"] == text_ws.ids[7]

    code, out, _ = _cli(capsys, "-w", w, "run", "--model", "hash", "--workers", "0")
    assert code == 1
    assert "1 failed" in out and "skipped because this model version had already" in out
    assert "glamlab runs --failures 2" in out

    code, out, _ = _cli(capsys, "-w", w, "runs", "--json")
    rows = json.loads(out)
    assert [r["run_id"] for r in rows] == [2, 1] and rows[1]["done"] == 59
    code, out, _ = _cli(capsys, "-w", w, "runs")
    assert "hash@1" in out and "done" in out
    code, out, _ = _cli(capsys, "-w", w, "runs", "--failures", "1", "--json")
    assert [f["item_id"] for f in json.loads(out)] == [text_ws.ids[7]]


def test_runs_json_gives_times_in_iso_8601_saying_utc(text_ws, capsys):
    """`glamlab runs --json` gave "2026-12-05 08:53:07.123456", no time zone, where the
    text says UTC and `glamlab run --json` gives "...Z"."""
    from datetime import UTC, datetime

    save_hash_model(text_ws, fail_on=(text_ws.ids[7],))
    w = str(text_ws.root)
    _cli(capsys, "-w", w, "run", "--model", "hash", "--workers", "0")
    code, out, _ = _cli(capsys, "-w", w, "runs", "--json")
    (row,) = json.loads(out)
    for key in ("started_at", "finished_at", "heartbeat_at"):
        if row[key] is None:
            continue
        assert row[key].endswith("Z"), (key, row[key])
        when = datetime.fromisoformat(row[key])
        assert when.tzinfo is not None and when.utcoffset().total_seconds() == 0
        assert abs((datetime.now(UTC) - when).total_seconds()) < 600
    assert row["started_at"] and row["finished_at"]
    code, out, _ = _cli(capsys, "-w", w, "runs", "--failures", "1", "--json")
    (failure,) = json.loads(out)
    assert failure["at"].endswith("Z")
    code, out, _ = _cli(capsys, "-w", w, "runs")
    assert " UTC" in out  # the text says it as before


def test_export_summary_counts_the_items_the_model_has_no_prediction_for(text_ws, capsys,
                                                                        tmp_path):
    """``glamlab export`` said "wrote 59 rows" of 60 items and nothing of the one the run
    could not predict (its image failed) nor of items it never ran on: the summary now
    counts each, and says where to see them (``glamlab runs --failures``) or how to run."""
    save_hash_model(text_ws, fail_on=(text_ws.ids[7],))
    w = str(text_ws.root)
    code, _, _ = _cli(capsys, "-w", w, "run", "--model", "hash", "--workers", "0")
    assert code == 1  # one item failed
    out_csv = str(tmp_path / "out.csv")
    code, out, err = _cli(capsys, "-w", w, "export", "--format", "csv", "--out", out_csv)
    assert code == 0, err
    assert "wrote 59 rows" in out
    assert ("1 of the 60 items has no prediction from hash@1: the latest run could not "
            "predict it (see why: glamlab runs --failures 1)") in out
    code, out, _ = _cli(capsys, "-w", w, "export", "--format", "csv", "--out", out_csv,
                        "--json")
    assert json.loads(out)["unpredicted"] == {"items": 60, "failed": 1, "run_id": 1,
                                              "not_run": 0}
    # items brought in after the run: not run on yet, and the fix is to run
    add_text_items(text_ws, 2, prefix="late")
    code, out, _ = _cli(capsys, "-w", w, "export", "--format", "csv", "--out", out_csv)
    assert code == 0
    assert ("3 of the 62 items have no prediction from hash@1: the latest run could not "
            "predict 1 (see why: glamlab runs --failures 1); 2 it has not run on yet "
            "(glamlab run)") in out


def test_resume_with_no_stopped_run_says_it_started_a_new_one(text_ws, capsys):
    """``glamlab run --resume`` with no stopped run to resume quietly started a new run:
    it now says so, in one line (the web app's Run stage resumes-or-starts on purpose)."""
    save_hash_model(text_ws)
    w = str(text_ws.root)
    code, out, err = _cli(capsys, "-w", w, "run", "--model", "hash", "--workers", "0",
                          "--resume")
    assert code == 0, err
    line = ("Nothing to resume: hash@1 had no unfinished run, so this was a new run "
            "(glamlab runs lists the runs).")
    assert out.count(line) == 1
    add_text_items(text_ws, 2, prefix="late")
    code, out, _ = _cli(capsys, "-w", w, "run", "--model", "hash", "--workers", "0",
                        "--resume", "--json")
    assert json.loads(out)["notes"] == [line]
    # a plain run, or one that did resume, has no such line
    add_text_items(text_ws, 2, prefix="later")
    code, out, _ = _cli(capsys, "-w", w, "run", "--model", "hash", "--workers", "0")
    assert "Nothing to resume" not in out


def test_runs_prints_its_times_in_utc_as_the_rest_of_the_cli(text_ws, capsys):
    """``glamlab runs`` printed its times as Python writes a naive datetime (no timezone,
    microseconds), while the rest says ``2026-12-05 08:53 UTC``; so it does now, as do the
    failures of a run."""
    import re

    save_hash_model(text_ws, fail_on=(text_ws.ids[7],))
    w = str(text_ws.root)
    _cli(capsys, "-w", w, "run", "--model", "hash", "--workers", "0")
    stamp = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d UTC\b")
    for args in (("runs",), ("runs", "--failures", "1")):
        code, out, _ = _cli(capsys, "-w", w, *args)
        assert code == 0
        row = out.splitlines()[2]
        assert stamp.search(row), out
        assert not re.search(r"\d\d:\d\d:\d\d", row), out


def test_unknown_model_is_one_clear_error(text_ws, capsys):
    save_hash_model(text_ws)
    code, out, err = _cli(capsys, "-w", str(text_ws.root), "run", "--model", "hsah@champion")
    assert code == 2 and out == ""  # a usage or input error
    assert err.splitlines()[0] == "error: no model 'hsah@champion'"
    assert "Traceback" not in err and "the models there are: hash" in err


def _spawn(ws, *args):
    # this checkout's glamlab (src) and its tests, whatever glamlab the venv has installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    return subprocess.Popen([sys.executable, "-c", CLI_BOOT, "-w", str(ws.root), "run", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _check_exactly_once(ws, ids, model_id):
    t = ws.store.t
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t.predictions.c.item_id, t.predictions.c.run_id)
                            .where(t.predictions.c.model_id == model_id)).fetchall()
        runs = conn.execute(sa.select(t.runs.c.id, t.runs.c.done)).fetchall()
    assert sorted(r.item_id for r in rows) == sorted(ids)  # all there, none twice
    per_run: dict[int, int] = {}
    for r in rows:
        per_run[r.run_id] = per_run.get(r.run_id, 0) + 1
    # progress was committed with each batch: the counters match the rows exactly
    assert {r.id: r.done for r in runs if r.done} == per_run


def _count(ws) -> int:
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count())
                                .select_from(ws.store.t.predictions)).scalar() or 0)


@pytest.mark.slow
def test_kill_9_at_random_points_then_resume_gives_exactly_one_prediction(make_ws):
    ws = make_ws("crash", modality="text", labels=["a", "b", "c"])
    ids = add_text_items(ws, 600)
    mv = save_hash_model(ws, sleep_each=0.02)
    rng = random.Random(20261126)
    mid_run = 0
    for attempt in range(10):
        before = _count(ws)
        proc = _spawn(ws, "--model", "hash", "--resume", "--workers", "2", "--batch-size", "10")
        if attempt % 4 == 0:
            # anywhere from start-up on (imports, lease, planning, model loading)
            time.sleep(rng.uniform(0.0, 1.5))
        else:
            # a random moment after this run has committed, whatever the machine's load
            deadline = time.monotonic() + 60
            while proc.poll() is None and _count(ws) == before and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the run and its workers, at once
            mid_run += _count(ws) > before
        proc.communicate(timeout=60)
    assert mid_run >= 3  # kills landed while runs were committing, not only at start-up
    assert 0 < _count(ws)
    final = _spawn(ws, "--model", "hash", "--resume", "--workers", "2", "--json")
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    assert json.loads(out)["status"] == "done"
    _check_exactly_once(ws, ids, mv.id)


def test_two_runs_of_one_model_started_at_once_do_not_double_write(make_ws, tmp_path):
    ws = make_ws("twice", modality="text", labels=["a", "b"])
    ids = add_text_items(ws, 150)
    # the run that starts first holds its first item until the other has ended: before,
    # it was done in 3 s, and a second process slower than that to start up (a loaded
    # machine) found no run going and did the same (codes [0, 0])
    gate = tmp_path / "gate"
    mv = save_hash_model(ws, sleep_each=0.02, gate_on=tuple(ids), gate=str(gate))
    procs = [_spawn(ws, "--model", "hash", "--workers", "1", "--json") for _ in range(2)]
    deadline = time.monotonic() + 120
    while all(p.poll() is None for p in procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    Path(f"{gate}.go").touch()
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 2], results  # the second is refused: nothing was done
    refused = next(r for r in results if r[0] == 2)
    assert "is already running" in refused[2] and "this run was not started" in refused[2]
    _check_exactly_once(ws, ids, mv.id)


def test_ctrl_c_on_the_command_line_stops_cleanly_and_resume_finishes(make_ws):
    ws = make_ws("sigint", modality="text", labels=["a", "b"])
    ids = add_text_items(ws, 200)
    mv = save_hash_model(ws, sleep_each=0.01)
    proc = _spawn(ws, "--model", "hash", "--workers", "2", "--batch-size", "10")
    t = ws.store.t
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with ws.store.read() as conn:
            n = conn.execute(sa.select(sa.func.count()).select_from(t.predictions)).scalar()
        if n:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C: every process
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "stopped (resumable)" in out and "glamlab run --resume" in out
    with ws.store.read() as conn:
        run = conn.execute(sa.select(t.runs)).one()
        stored = conn.execute(sa.select(sa.func.count()).select_from(t.predictions)).scalar()
    assert run.status == "stopped" and run.owner is None
    assert 0 < run.done == stored < 200 and run.done % 10 == 0  # whole batches only
    final = _spawn(ws, "--model", "hash", "--resume", "--json")
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    assert json.loads(out)["run_id"] == run.id
    _check_exactly_once(ws, ids, mv.id)


def test_sigterm_stops_an_inline_run_stuck_on_one_item(make_ws):
    """--workers 0 used to ignore SIGTERM while an item hung (the run stayed 'running'
    until kill -9): now it stops at once, resumable."""
    ws = make_ws("term", modality="text", labels=["a", "b"])
    ids = add_text_items(ws, 40)
    save_hash_model(ws, backtrack_on=(ids[25],))
    proc = _spawn(ws, "--model", "hash", "--workers", "0", "--batch-size", "5",
                  "--timeout", "600")
    t = ws.store.t
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with ws.store.read() as conn:
            if conn.execute(sa.select(sa.func.count()).select_from(t.predictions)).scalar() >= 25:
                break
        time.sleep(0.05)
    time.sleep(0.5)  # now inside the batch that holds the hanging item
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 20
    assert proc.returncode == 143, err  # SIGTERM's status (Ctrl-C's is 130)
    with ws.store.read() as conn:
        run_row = conn.execute(sa.select(t.runs)).one()
    assert run_row.status == "stopped" and run_row.owner is None and run_row.done == 25


def test_a_run_with_nothing_to_do_exits_0_and_records_no_run(text_ws, capsys):
    """A nightly ``glamlab run --resume`` with every item predicted exited 2 ("nothing
    to resume"), and a plain run again added an empty run record each time: both now
    say there is nothing to do, exit 0 and record no run."""
    save_hash_model(text_ws)
    w = str(text_ws.root)
    code, _, err = _cli(capsys, "-w", w, "run", "--model", "hash", "--workers", "0")
    assert code == 0, err
    line = ("Nothing to do: every item has a prediction from hash@1 (use --force to "
            "predict again).")
    for extra in (["--resume"], []):
        code, out, err = _cli(capsys, "-w", w, "run", "--model", "hash", "--workers", "0",
                              *extra)
        assert code == 0, err
        assert out.strip() == line
        code, out, err = _cli(capsys, "-w", w, "run", "--model", "hash", "--workers", "0",
                              "--json", *extra)
        assert code == 0, err
        data = json.loads(out)
        assert (data["nothing_to_do"], data["status"], data["run_id"]) == \
            (True, "nothing_to_do", None)
        assert (data["skipped_already_predicted"], data["done_this_time"]) == (60, 0)
    code, out, _ = _cli(capsys, "-w", w, "runs", "--json")
    assert len(json.loads(out)) == 1  # the first run only, no empty ones
    # --force still predicts again, in a new run
    code, out, err = _cli(capsys, "-w", w, "run", "--model", "hash", "--workers", "0",
                          "--force", "--json")
    assert code == 0, err
    assert json.loads(out)["done_this_time"] == 60
