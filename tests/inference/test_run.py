"""glamlab.inference.run: planning, batching, failures, leases, stop and resume."""

from __future__ import annotations

import json
import os
import socket

import pytest
import sqlalchemy as sa

from glamlab.errors import ModelNotFound, RunError, RunInProgress
from glamlab.inference import RunInterrupted, list_runs, run, run_failures
from glamlab.store import now
from tests.inference.conftest import add_text_items, save_hash_model


def _predictions(ws, model_id=None):
    t = ws.store.t.predictions
    q = sa.select(t).order_by(t.c.item_id)
    if model_id is not None:
        q = q.where(t.c.model_id == model_id)
    with ws.store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def test_run_predicts_every_item_once_and_skips_on_rerun(text_ws):
    mv = save_hash_model(text_ws)
    report = run(text_ws, "hash", workers=2, batch_size=7)
    assert report.status == "done"
    assert (report.planned, report.done, report.failed) == (60, 60, 0)
    rows = _predictions(text_ws)
    assert [r["item_id"] for r in rows] == sorted(text_ws.ids)
    for r in rows:
        assert r["model_id"] == mv.id and r["run_id"] == report.run_id
        assert set(r["scores"]) == {"a", "b", "c"}
        assert abs(sum(r["scores"].values()) - 1.0) < 1e-9
        assert r["label"] == max(r["scores"], key=r["scores"].get)
        assert r["labels"] == [r["label"]] and r["score"] == r["scores"][r["label"]]
        assert r["created_at"] is not None

    again = run(text_ws, "hash", workers=2)
    assert (again.planned, again.done, again.skipped) == (0, 0, 60)
    assert len(_predictions(text_ws)) == 60

    forced = run(text_ws, "hash", workers=1, force=True, batch_size=25)
    assert forced.done == 60
    rows2 = _predictions(text_ws)
    assert len(rows2) == 60 and {r["run_id"] for r in rows2} == {forced.run_id}
    assert [r["scores"] for r in rows2] == [r["scores"] for r in rows]


def test_engines_inline_and_processes_store_identical_predictions(make_ws):
    out = []
    for name, workers in (("inline", 0), ("procs", 2)):
        ws = make_ws(name, modality="text", labels=["x", "y"])
        add_text_items(ws, 30)
        save_hash_model(ws)
        run(ws, "hash", workers=workers, batch_size=4)
        out.append([(r["item_id"], r["label"], r["scores"], r["score"]) for r in _predictions(ws)])
    assert out[0] == out[1] and len(out[0]) == 30


def test_item_query_filters_on_metadata_labels_and_predictions(text_ws):
    save_hash_model(text_ws)
    save_hash_model(text_ws, name="other")
    r = run(text_ws, "hash", "collection=maps", workers=0)
    assert r.done == 20
    assert all(p["item_id"] in text_ws.ids[::3] for p in _predictions(text_ws))
    with text_ws.store.write() as conn:
        conn.execute(text_ws.store.t.labels.insert(), [
            {"item_id": i, "label": "a", "annotator": "t", "created_at": now()}
            for i in text_ws.ids[:5]])
    r2 = run(text_ws, "other", "label=a", workers=0)
    assert r2.done == 5
    r3 = run(text_ws, "other", "unlabelled collection=maps", workers=0)
    assert r3.done == 20 - 2  # ids 0 and 3 are labelled maps items
    hash_a = {p["item_id"] for p in _predictions(text_ws) if p["label"] == "a"
              and p["run_id"] == r.run_id}
    r4 = run(text_ws, "hash", "pred.other=a", workers=0)
    other_a = {p["item_id"] for p in _predictions(text_ws) if p["label"] == "a"
               and p["run_id"] in (r2.run_id, r3.run_id)}
    assert r4.done == len(other_a - hash_a)
    with pytest.raises(RunError, match="cannot read the item query term"):
        run(text_ws, "hash", "collection", workers=0)
    runs_before = len(list_runs(text_ws))
    with pytest.raises(ModelNotFound, match="no model 'ghost'"):
        run(text_ws, "hash", "pred.ghost=a", workers=0)
    assert len(list_runs(text_ws)) == runs_before  # refused before a run was started


def test_a_misspelled_metadata_field_in_the_query_is_refused_before_a_run(text_ws):
    """``run(ws, items="colection=maps")`` used to plan no item and store an empty run that
    ended "done" with 0 of 0 items: the typo read as "nothing left to predict". It is now
    one error naming the field and the likely one, before any run is started; the right
    field, a value no item has, and the item columns still run as before."""
    save_hash_model(text_ws)
    with pytest.raises(RunError, match="no item has the metadata field 'colection'") as err:
        run(text_ws, "hash", "colection=maps", workers=0)
    assert "did you mean collection=maps?" in err.value.hint
    assert list_runs(text_ws) == []  # refused before a run was started
    assert run(text_ws, "hash", "collection=globes", workers=0).planned == 0
    assert run(text_ws, "hash", "source_kind=csv collection=maps", workers=0).done == 20


def test_bad_items_are_recorded_and_the_run_goes_on(text_ws):
    bad = (text_ws.ids[3], text_ws.ids[41])
    save_hash_model(text_ws, fail_on=bad)
    report = run(text_ws, "hash", workers=2, batch_size=10)
    assert (report.done, report.failed, report.status) == (58, 2, "done")
    fails = run_failures(text_ws, report.run_id)
    assert sorted(f["item_id"] for f in fails) == sorted(bad)
    assert all(f["reason"].startswith("cannot read this item")
               and "fix: replace the file" in f["reason"] for f in fails)
    # the summary names each failed item once
    for item_id in bad:
        assert f"  {item_id}: cannot read this item" in report.summary()
        assert report.summary().count(item_id) == 1
    # in Python's words from Python, the command's on the command line
    assert f"run_failures(ws, {report.run_id})" in report.summary()
    assert "glamlab runs" not in report.summary()
    assert f"glamlab runs --failures {report.run_id}" in report.summary(cli=True)
    assert {p["item_id"] for p in _predictions(text_ws)} == set(text_ws.ids) - set(bad)
    # a new run tries the failed items again (they may have been fixed), and fails again
    again = run(text_ws, "hash", workers=0)
    assert (again.planned, again.done, again.failed) == (2, 0, 2)


def test_timeouts_and_dying_workers_cost_only_their_item(text_ws):
    slow, crash = text_ws.ids[5], text_ws.ids[22]
    save_hash_model(text_ws, sleep_on=(slow,), sleep_s=60.0, crash_on=(crash,))
    report = run(text_ws, "hash", workers=2, batch_size=4, timeout=0.5)
    assert (report.done, report.failed) == (58, 2)
    reasons = {f["item_id"]: f["reason"] for f in run_failures(text_ws, report.run_id)}
    assert "timed out" in reasons[slow]
    assert "worker process died" in reasons[crash]


def test_vanished_and_corrupt_images_are_recorded(make_ws, tmp_path):
    from PIL import Image

    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(8):
        Image.new("RGB", (40, 30), (i * 30, 10, 10)).save(folder / f"p{i}.png")
    ws = make_ws("img", modality="image", labels=["dark", "light"])
    ws.ingest([str(folder)])
    from glamlab.registry import save_model
    from tests.inference.predictors import ImagePredictor

    items = list(ws.items())
    save_model(ws, ImagePredictor().fit(items[:2], ["dark", "light"]), name="img")
    (folder / "p2.png").unlink()
    (folder / "p5.png").write_bytes(b"not a png at all")
    report = run(ws, "img", workers=1, batch_size=3)
    assert (report.done, report.failed) == (6, 2)
    reasons = {f["item_id"]: f["reason"] for f in run_failures(ws, report.run_id)}
    assert len(reasons) == 2
    assert all("cannot" in r or "missing" in r for r in reasons.values()), reasons


def test_a_replaced_image_is_predicted_again_by_a_plain_run(make_ws, tmp_path):
    """A new scan saved over the old file (same name, same size): its prediction was
    made on the old image, so the next run predicts it again."""
    from PIL import Image

    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(4):
        Image.new("RGB", (40, 30), (10, 10, 10)).save(folder / f"p{i}.png")
    ws = make_ws("img", modality="image", labels=["dark", "light"])
    ws.ingest([str(folder)])
    from glamlab.registry import save_model
    from tests.inference.predictors import ImagePredictor

    save_model(ws, ImagePredictor().fit(list(ws.items())[:2], ["dark", "light"]), name="img")
    assert run(ws, "img", workers=0).done == 4
    before = {r["item_id"]: r["scores"] for r in _predictions(ws)}
    Image.new("RGB", (40, 30), (250, 250, 250)).save(folder / "p1.png")
    assert ws.ingest([str(folder)]).updated == 1
    again = run(ws, "img", workers=0)
    assert (again.done, again.changed_now, again.skipped) == (1, 1, 3)
    after = {r["item_id"]: r["scores"] for r in _predictions(ws)}
    changed = {i for i in after if after[i] != before[i]}
    assert len(after) == 4 and len(changed) == 1 and "p1" in changed.pop()


def test_unknown_model_and_missing_champion_are_clear_errors(text_ws):
    save_hash_model(text_ws)
    with pytest.raises(ModelNotFound, match="no model 'nope'") as exc:
        run(text_ws, "nope", workers=0)
    assert "hash" in (exc.value.hint or "")
    with pytest.raises(ModelNotFound, match="no model 'hash@champion'"):
        run(text_ws, "hash@champion", workers=0)
    with pytest.raises(ModelNotFound, match="no model is in use yet") as exc:
        run(text_ws, None, workers=0)
    # the hint names a call that works here: hash has no chosen version, so
    # "use_model(ws, 'hash')" would fail; promoting a version makes it the model in use.
    # From Python in Python's words (it said "pass --model NAME" and "glamlab models
    # promote NAME@N" to a notebook); the command line's words with cli=True
    assert "run() does not know" in exc.value.message
    assert "promote(ws, 'NAME@N')" in (exc.value.hint or "")
    assert "--model" not in (exc.value.hint or "")
    assert "champion" not in exc.value.message + (exc.value.hint or "")
    with pytest.raises(ModelNotFound, match="no model is in use yet") as exc:
        run(text_ws, None, workers=0, cli=True)
    assert "glamlab models promote NAME@N" in (exc.value.hint or "")
    assert "champion" not in exc.value.message + (exc.value.hint or "")
    with pytest.raises(RunError, match="workers must be 0 or more") as exc:
        run(text_ws, "nope", workers=-1)
    assert exc.value.hint == "pass workers=1 or more (0: in this process)"
    from glamlab.registry import set_alias

    set_alias(text_ws, "hash", "champion")
    assert run(text_ws, None, workers=0).model == "hash@1"


def _fake_run(ws, model_id, owner, age_s, status="running", done=0):
    from datetime import timedelta

    t = ws.store.t.runs
    stamp = now() - timedelta(seconds=age_s)
    with ws.store.write() as conn:
        return conn.execute(t.insert().values(
            model_id=model_id, status=status, engine="local", workers=1,
            query={"items": "", "force": False, "batch_size": 10}, planned=60, done=done,
            failed=0, owner=owner, heartbeat_at=stamp, started_at=stamp)).inserted_primary_key[0]


def test_a_live_run_of_the_same_model_refuses_a_second(text_ws):
    mv = save_hash_model(text_ws)
    live = _fake_run(text_ws, mv.id, "another-host:4242", age_s=1)
    with pytest.raises(RunInProgress, match=f"run {live} of model hash@1 is already running"):
        run(text_ws, "hash", workers=0)
    assert _predictions(text_ws) == []
    # a different model is not blocked
    save_hash_model(text_ws, name="other")
    assert run(text_ws, "other", workers=0).done == 60


def test_stale_leases_are_taken_over(text_ws):
    mv = save_hash_model(text_ws)
    stale = _fake_run(text_ws, mv.id, "another-host:4242", age_s=3600)
    report = run(text_ws, "hash", workers=0)
    assert report.done == 60 and report.run_id != stale
    by_id = {r["run_id"]: r for r in list_runs(text_ws)}
    assert by_id[stale]["status"] == "stopped"
    # on this host a dead owner is stale at once, whatever its heartbeat says
    mv2 = save_hash_model(text_ws, name="other")
    dead = _fake_run(text_ws, mv2.id, f"{socket.gethostname()}:{2**22 + 12345}", age_s=0,
                     done=0)
    resumed = run(text_ws, "other", workers=0, resume=True)
    assert resumed.resumed and resumed.run_id == dead and resumed.done == 60


def test_ctrl_c_stops_after_the_current_batch_and_resume_finishes(text_ws, tmp_path):
    # Ctrl-C while the worker predicts the 23rd item (not after a delay: a loaded machine
    # may not have started the worker by then)
    save_hash_model(text_ws, sigint_on=(sorted(text_ws.ids)[22],), sigint_to=os.getpid(),
                    sigint_mark=str(tmp_path / "sent"))
    with pytest.raises(RunInterrupted) as stopped:  # from Python: the script stops
        run(text_ws, "hash", workers=1, batch_size=5)
    first = stopped.value.report
    assert first.status == "stopped"
    assert 0 < first.done < 60 and first.done % 5 == 0
    assert len(_predictions(text_ws)) == first.done
    assert "run(ws, 'hash@1', resume=True)" in str(stopped.value)
    second = run(text_ws, "hash", workers=2, batch_size=5, resume=True)
    assert second.run_id == first.run_id and second.resumed
    assert (second.status, second.planned, second.done) == ("done", 60, 60)
    assert second.skipped == 0  # its own earlier batches are not "skipped"
    # the summary says it resumed, and how much was done before
    assert (f"Resumed: {first.done:,} items done before, "
            f"{60 - first.done:,} now.") in second.summary()
    assert "Resumed" not in first.summary()
    rows = _predictions(text_ws)
    assert len(rows) == 60 and len({r["item_id"] for r in rows}) == 60


@pytest.mark.parametrize("workers", [0, 1])
def test_ctrl_c_in_python_raises_after_storing_and_resume_finishes(text_ws, tmp_path, workers):
    """From Python (a script, a notebook cell), Ctrl-C during run used to return a
    'stopped' report as if all was well: the next line (plan, act) went on over a partial
    run, and the report said to continue with a command. Now the predictions made are
    stored, the run is marked stopped, and a KeyboardInterrupt says how to finish it."""
    ids = sorted(text_ws.ids)
    save_hash_model(text_ws, sigint_on=(ids[22],), sigint_to=os.getpid(),
                    sigint_mark=str(tmp_path / "sent"))
    with pytest.raises(KeyboardInterrupt) as stopped:
        run(text_ws, "hash", workers=workers, batch_size=5)
    assert isinstance(stopped.value, RunInterrupted)
    assert "run(ws, 'hash@1', resume=True)" in str(stopped.value)
    [row] = list_runs(text_ws)
    assert row["status"] == "stopped"
    stored = _predictions(text_ws)
    assert 0 < len(stored) == row["done"] < 60 and stopped.value.report.done == len(stored)
    if workers == 0:  # the batch in flight is dropped, whole batches only
        assert len(stored) == 20
    finished = run(text_ws, "hash", workers=workers, batch_size=5, resume=True)
    assert (finished.status, finished.run_id, finished.done) == ("done", row["run_id"], 60)
    assert sorted(r["item_id"] for r in _predictions(text_ws)) == ids


def test_a_keyboard_interrupt_at_once_also_says_how_to_resume(text_ws, tmp_path):
    """A KeyboardInterrupt raised in the middle of a batch (a second Ctrl-C) used to
    come out bare, with no word of the run: now the same RunInterrupted, after the run
    is recorded stopped with the whole batches before it."""
    ids = sorted(text_ws.ids)
    save_hash_model(text_ws, sigint_on=(ids[22],), raise_interrupt=True,
                    sigint_mark=str(tmp_path / "raised"))
    with pytest.raises(RunInterrupted) as stopped:
        run(text_ws, "hash", workers=0, batch_size=5)
    assert stopped.value.report.done == 20 == len(_predictions(text_ws))
    assert "resume=True" in str(stopped.value)
    assert list_runs(text_ws)[0]["status"] == "stopped"
    assert run(text_ws, "hash", workers=0, resume=True).done == 60


def test_multi_label_predictions(make_ws):
    ws = make_ws("multi", modality="text", labels=["p", "q", "r"], multi_label=True)
    add_text_items(ws, 12)
    save_hash_model(ws)
    run(ws, "hash", workers=0, threshold=0.5)
    for r in _predictions(ws):
        assert r["label"] is None
        assert r["labels"] == [k for k, v in r["scores"].items() if v >= 0.5]
        assert r["score"] == max(r["scores"].values())


def test_runs_listing(text_ws):
    save_hash_model(text_ws, fail_on=(text_ws.ids[0],))
    report = run(text_ws, "hash", workers=0)
    [row] = list_runs(text_ws)
    assert row["run_id"] == report.run_id and row["model"] == "hash@1"
    assert (row["status"], row["planned"], row["done"], row["failed"], row["remaining"]) == \
        ("done", 60, 59, 1, 0)
    assert row["items_per_s"] > 0
    json.dumps(row, default=str)
    with pytest.raises(RunError, match="no run 999"):
        run_failures(text_ws, 999)


_UNGUARDED = """
from glamlab import Workspace
from glamlab.inference import run

{guard}run(Workspace.open({root!r}), "hash@1", workers=2, force=True)
{indent}print("RUN DONE")
"""


@pytest.mark.parametrize("guarded", [False, True])
def test_a_script_without_a_main_guard_gets_the_cause_and_the_fix(text_ws, tmp_path, guarded):
    """Workers import the calling script. Without ``if __name__ == "__main__":`` each one
    re-runs it and dies before loading the model; the run must stop with that cause and
    its fix, not a BrokenPipeError. The same script with the guard runs."""
    import subprocess
    import sys
    from pathlib import Path

    save_hash_model(text_ws)
    script = tmp_path / "index_collection.py"
    guard = 'if __name__ == "__main__":\n    ' if guarded else ""
    script.write_text(_UNGUARDED.format(root=str(text_ws.root), guard=guard,
                                        indent="    " if guarded else ""))
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(root / "src")]))
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=180, env=env, cwd=tmp_path)
    if guarded:
        assert p.returncode == 0, p.stderr[-2000:]
        assert p.stdout.count("RUN DONE") == 1
        return
    assert p.returncode != 0
    last = p.stderr.strip().splitlines()[-2:]
    assert last[0].startswith("glamlab.errors.RunError: the worker process could not start")
    assert last[1].startswith("fix:") and 'if __name__ == "__main__":' in last[1]
    assert "BrokenPipeError" not in p.stderr and "RUN DONE" not in p.stdout


def test_a_script_read_from_stdin_runs_with_workers(text_ws, tmp_path):
    """``python - < script.py`` (a heredoc, a pipe): multiprocessing gave each worker
    ``<stdin>`` as the script to import, a file that is not there; every worker died
    with FileNotFoundError and the run stopped after their start with the fix for a
    notebook. It runs, as the same code from a notebook does."""
    import subprocess
    import sys
    from pathlib import Path

    save_hash_model(text_ws)
    code = _UNGUARDED.format(root=str(text_ws.root), guard="", indent="")
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(root / "src")]))
    p = subprocess.run([sys.executable, "-"], input=code, capture_output=True, text=True,
                       timeout=180, env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.count("RUN DONE") == 1
    assert "FileNotFoundError" not in p.stderr


_UNGUARDED_STEPS = """
from glamlab import Workspace
from glamlab.inference import run

ws = Workspace.open({root!r})
{guard}ws.ingest([{table!r}])
{indent}run(ws, "hash@1", workers=2, force=True)
{indent}print("RUN DONE")
"""


@pytest.mark.parametrize("guarded", [False, True])
def test_an_unguarded_script_does_not_repeat_its_steps_in_each_worker(text_ws, tmp_path,
                                                                      guarded):
    """Each worker re-runs the calling script's top-level code. Its steps before the run
    (here an ingest; a train or an act as well) used to be done again in every worker,
    writing to the workspace once per worker before the run stopped. Now a worker writes
    nothing while it imports the script, and says why; the run stops with the fix. A
    script that opens the workspace at the top and guards its steps runs."""
    import subprocess
    import sys
    from pathlib import Path

    save_hash_model(text_ws)
    table = tmp_path / "more.csv"
    table.write_text("id,text\nnew-1,a new text to predict\n", encoding="utf-8")
    script = tmp_path / "notebook_steps.py"
    guard = 'if __name__ == "__main__":\n    ' if guarded else ""
    script.write_text(_UNGUARDED_STEPS.format(root=str(text_ws.root), table=str(table),
                                              guard=guard, indent="    " if guarded else ""))
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(root / "src")]))
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=180, env=env, cwd=tmp_path)
    with text_ws.store.read() as conn:
        ingests = conn.execute(sa.select(sa.func.count())
                               .select_from(text_ws.store.t.ingests)).scalar()
    assert ingests == 2  # the fixture's, and the script's once: not once more per worker
    if guarded:
        assert p.returncode == 0, p.stderr[-2000:]
        assert p.stdout.count("RUN DONE") == 1
    else:
        assert p.returncode != 0
        assert "re-running the top-level code of the script" in p.stderr
        last = p.stderr.strip().splitlines()[-2:]
        assert last[0].startswith("glamlab.errors.RunError: the worker process could not start")
        assert last[1].startswith("fix:") and 'if __name__ == "__main__":' in last[1]


def test_inline_prediction_honours_the_time_limit(text_ws):
    """--workers 0 used to ignore --timeout: one item whose regex backtracks for ever
    blocked the run until kill -9. Now it is recorded as failed and the rest is done."""
    hang = text_ws.ids[13]
    save_hash_model(text_ws, backtrack_on=(hang,))
    report = run(text_ws, "hash", workers=0, batch_size=8, timeout=1.0)
    assert (report.status, report.done, report.failed) == ("done", 59, 1)
    assert report.failures[0]["item_id"] == hang
    assert "timed out" in report.failures[0]["reason"]


def test_a_run_where_every_item_failed_ends_failed(text_ws):
    save_hash_model(text_ws, fail_on=tuple(text_ws.ids))
    report = run(text_ws, "hash", workers=0, batch_size=16)
    assert (report.status, report.done, report.failed) == ("failed", 0, 60)


def test_bad_run_arguments_are_refused_before_anything_starts(text_ws):
    save_hash_model(text_ws)
    with pytest.raises(RunError, match="batch size"):
        run(text_ws, "hash", workers=0, batch_size=0)
    with pytest.raises(RunError, match="time limit"):
        run(text_ws, "hash", workers=0, timeout=-1)
    assert run(text_ws, "hash", workers=0).done == 60  # everything predicted ...
    report = run(text_ws, "hash", workers=0, resume=True)  # ... so nothing to do
    assert (report.status, report.nothing_to_do, report.run_id) == ("nothing_to_do", True, None)
    assert (report.skipped, report.done_now) == (60, 0)
    assert report.summary() == ("Nothing to do: every item has a prediction from hash@1 "
                                "(force=True predicts again).")
    assert run(text_ws, "hash", workers=0).nothing_to_do  # a plain run again: the same
    assert list_runs(text_ws)[0]["planned"] == 60  # no empty run was created
    assert len(list_runs(text_ws)) == 1


def test_a_failed_finish_is_logged_and_the_run_marked_failed(text_ws, monkeypatch, caplog):
    """Recording a run's end can fail (the database, the lease): that is logged and the
    run is marked failed, never left 'running' with the failure swallowed."""
    from glamlab.inference.writer import RunWriter

    save_hash_model(text_ws)
    real = RunWriter.finish
    calls: list[str] = []

    def flaky(self, status):
        calls.append(status)
        if status == "done":
            raise RuntimeError("the database went away")
        real(self, status)

    monkeypatch.setattr(RunWriter, "finish", flaky)
    report = run(text_ws, "hash", workers=0)
    assert calls == ["done", "failed"] and report.status == "failed"
    assert "recording it as done failed: RuntimeError: the database went away" in caplog.text


def test_resume_keeps_the_batch_size_the_person_chose(text_ws):
    import sqlalchemy as sa

    save_hash_model(text_ws)
    first = run(text_ws, "hash", workers=0, batch_size=7)
    t = text_ws.store.t.runs
    with text_ws.store.read() as conn:
        stored = conn.execute(sa.select(t.c.query).where(t.c.id == first.run_id)).scalar()
    assert stored["batch_size"] == 7
    again = run(text_ws, "hash", workers=0, force=True)
    with text_ws.store.read() as conn:
        stored = conn.execute(sa.select(t.c.query).where(t.c.id == again.run_id)).scalar()
    assert stored["batch_size"] is None  # not chosen: sized to the run


def test_a_plain_run_predicts_again_the_items_whose_text_changed(text_ws):
    """Corrected text re-ingested: the next plain run predicts those items again (the
    old prediction's spans and scores were made on the old text) and says how many; a
    new version from a metadata change only is not predicted again (a new catalogue
    column would re-run the collection): --force --items changed refreshes those."""
    save_hash_model(text_ws)
    first = run(text_ws, "hash", workers=0)
    assert {r["item_version"] for r in _predictions(text_ws)} == {1}
    with pytest.raises(RunError, match="force=True") as err:  # from Python, Python's words
        run(text_ws, "hash", "changed", workers=0)
    assert "run(ws, 'hash', 'changed', force=True)" in (err.value.hint or "")
    assert run(text_ws, "hash", "changed", workers=0, force=True).done == 0
    path = text_ws.root / "doc.csv"
    text = path.read_text()
    path.write_text(text.replace("text of doc-00007", "text of doc 7 corrected")
                    .replace("text of doc-00042", "text of doc 42 corrected"))
    assert text_ws.ingest([str(path)], id_column="id", text_column="text").updated == 2
    again = run(text_ws, "hash", workers=2, batch_size=1)
    assert (again.done, again.changed_now, again.skipped) == (2, 2, 58)
    assert "2 of them were predicted again because their text or image changed" \
        in again.summary()
    assert again.to_dict()["predicted_again_content_changed"] == 2
    rows = {r["item_id"]: r for r in _predictions(text_ws)}
    assert len(rows) == 60
    assert {i for i, r in rows.items() if r["run_id"] == again.run_id} == {"doc-00007",
                                                                          "doc-00042"}
    assert rows["doc-00007"]["item_version"] == 2 and rows["doc-00001"]["item_version"] == 1
    assert sum(r["run_id"] == first.run_id for r in rows.values()) == 58
    assert run(text_ws, "hash", workers=0).done == 0  # predicted from the current text now

    # a metadata-only change: a new version, the same text, not predicted again
    path.write_text(path.read_text().replace("letters", "letterz"))
    assert text_ws.ingest([str(path)], id_column="id", text_column="text").updated == 40
    plain = run(text_ws, "hash", workers=0)
    assert (plain.done, plain.changed_now) == (0, 0)
    forced = run(text_ws, "hash", "changed", workers=0, force=True)
    assert (forced.done, forced.changed_now) == (40, 0)
    assert run(text_ws, "hash", "changed", workers=0, force=True).done == 0


def test_predictions_from_before_migration_11_know_the_version_they_were_made_from(text_ws):
    """Migration 11 gives each stored prediction the item version that was current when
    it was made, so a text corrected before the upgrade is predicted again after it."""
    from glamlab import Workspace
    from glamlab.store import SCHEMA_VERSION
    from glamlab.store import schema as s

    save_hash_model(text_ws)
    first = run(text_ws, "hash", workers=0)
    path = text_ws.root / "doc.csv"
    path.write_text(path.read_text().replace("text of doc-00007", "text of doc 7 corrected"))
    assert text_ws.ingest([str(path)], id_column="id", text_column="text").updated == 1
    with text_ws.store.write() as conn:  # as a database written before migration 11 ran
        conn.exec_driver_sql('ALTER TABLE "predictions" DROP COLUMN item_version')
        conn.execute(s.schema_migrations.delete().where(s.schema_migrations.c.version >= 11))
    root, url = text_ws.root, (text_ws.store.url if not text_ws.store.is_sqlite else None)
    text_ws.close()
    ws = Workspace.open(root, db=url)
    try:
        assert ws.store.schema_version() == SCHEMA_VERSION
        # the version current when it was predicted (doc-00007's second came in after)
        assert {r["item_version"] for r in _predictions(ws)} == {1}
        again = run(ws, "hash", workers=0)
        assert (again.done, again.changed_now) == (1, 1)
        rows = {r["item_id"]: r for r in _predictions(ws)}
        assert rows["doc-00007"]["run_id"] == again.run_id
        assert rows["doc-00007"]["item_version"] == 2
        assert sum(r["run_id"] == first.run_id for r in rows.values()) == 59
    finally:
        ws.close()


def test_a_database_outage_mid_run_says_how_to_carry_on_in_the_caller_s_words(
        text_ws, monkeypatch, capsys):
    """The hint of a run the database outage stopped named the command (glamlab run
    --resume) even from Python: now the Python call there, the command on the command
    line."""
    from glamlab.errors import DatabaseUnavailable
    from glamlab.inference.writer import RunWriter

    save_hash_model(text_ws)
    real = RunWriter.commit
    calls = {"n": 0}

    def commit(self, *args, **kwargs):  # the server goes away after the first batch
        calls["n"] += 1
        if calls["n"] > 1:
            raise DatabaseUnavailable("cannot reach the database",
                                      hint="start the database server")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(RunWriter, "commit", commit)
    with pytest.raises(DatabaseUnavailable) as exc:
        run(text_ws, "hash", workers=0, batch_size=10)
    assert "run(ws, 'hash@1', resume=True) carries on where it stopped" in exc.value.hint
    assert "glamlab" not in exc.value.hint
    from glamlab.cli import main

    calls["n"] = 0
    with pytest.raises(SystemExit):
        main(["-w", str(text_ws.root), "run", "--model", "hash", "--workers", "0",
              "--batch-size", "10", "--resume"])
    err = capsys.readouterr().err
    assert "fix: start the database server; then glamlab run --model hash@1 --resume" in err


def test_the_web_run_job_with_nothing_to_do_says_so_and_records_no_run(text_ws, monkeypatch):
    """The web app's Run job resumes-or-starts: with every item predicted it read the
    old "nothing to resume" error; it now reads the report's ``nothing_to_do``."""
    from glamlab.web import jobs

    save_hash_model(text_ws)
    assert run(text_ws, "hash", workers=0).done == 60
    monkeypatch.setattr(jobs, "_set", lambda *a, **k: None)
    res = jobs._run(text_ws, {"id": 1, "params": {"model": "hash"}})
    assert res == {"model": "hash", "status": "done", "done": 0,
                   "message": "every item already has a prediction from this model"}
    assert len(list_runs(text_ws)) == 1


def test_a_query_that_matches_no_item_says_so(text_ws, capsys):
    """A run whose ``--items`` query selects no item said "every item matching ... has a
    prediction", as if all were predicted; it says no item matched."""
    save_hash_model(text_ws)
    report = run(text_ws, "hash", items="split=test", workers=0)  # no split made yet
    assert (report.nothing_to_do, report.skipped) == (True, 0)
    assert report.summary(cli=True) == ("Nothing to do: no item matches the query "
                                        "'split=test' (check its values).")
    assert run(text_ws, "hash", workers=0).done == 60
    said = run(text_ws, "hash", items="collection=maps", workers=0).summary()
    assert said.startswith("Nothing to do: every item matching 'collection=maps' has a"), said


def test_the_web_run_job_with_no_item_to_predict_says_so(text_ws, monkeypatch):
    """With no item at all, the web Run job said every item had a prediction."""
    from glamlab.web import jobs

    save_hash_model(text_ws)
    items = text_ws.store.t.items
    with text_ws.store.write() as conn:  # as if none were brought in
        conn.execute(items.update().values(is_current=False))
    monkeypatch.setattr(jobs, "_set", lambda *a, **k: None)
    res = jobs._run(text_ws, {"id": 1, "params": {"model": "hash"}})
    assert res["message"] == "there are no items to predict yet", res
    assert run(text_ws, "hash", workers=0).summary() == (
        "Nothing to do: there are no items to predict yet.")


def test_nothing_to_do_is_said_without_loading_the_model(text_ws, monkeypatch):
    # a nightly `run --resume` over 200,000 items predicted already took 10 s, most of it
    # importing scikit-learn and unpickling the model it did not use
    import glamlab.registry

    save_hash_model(text_ws)
    assert run(text_ws, "hash", workers=0).done == 60

    def no_loading(*args, **kwargs):
        raise AssertionError("the model was loaded with nothing to predict")

    monkeypatch.setattr(glamlab.registry, "load_model", no_loading)
    report = run(text_ws, "hash", workers=0, resume=True)
    assert (report.status, report.nothing_to_do, report.skipped) == ("nothing_to_do", True, 60)
    assert run(text_ws, "hash", workers=0).nothing_to_do


def test_a_resumed_run_s_items_per_s_leaves_its_pause_out(text_ws, tmp_path):
    """glamlab runs counted a resumed run's pause (the night between Ctrl-C and
    --resume) as working time, so its items/s fell the longer it stood still."""
    import datetime as dt

    ids = sorted(text_ws.ids)
    save_hash_model(text_ws, sigint_on=(ids[22],), sigint_to=os.getpid(),
                    sigint_mark=str(tmp_path / "sent"))
    with pytest.raises(KeyboardInterrupt):
        run(text_ws, "hash", workers=0, batch_size=5)
    [row] = list_runs(text_ws)
    hour = dt.timedelta(hours=1)
    t = text_ws.store.t.runs
    with text_ws.store.write() as conn:  # as if it had been stopped an hour ago
        r = conn.execute(sa.select(t).where(t.c.id == row["run_id"])).one()
        conn.execute(t.update().where(t.c.id == row["run_id"]).values(
            started_at=r.started_at - hour, heartbeat_at=r.heartbeat_at - hour,
            finished_at=r.finished_at - hour))
    run(text_ws, "hash", workers=0, batch_size=5, resume=True)
    [done] = list_runs(text_ws)
    assert done["status"] == "done" and done["done"] == 60
    # 60 items in an hour would be 0.017/s; working time is seconds, not the hour
    assert done["items_per_s"] > 60 / 600
    with text_ws.store.read() as conn:
        plan = conn.execute(sa.select(t.c.query).where(t.c.id == row["run_id"])).scalar_one()
    assert 3600 <= plan["paused_s"] < 3600 + 600
