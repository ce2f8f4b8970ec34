"""Progress: a step that cannot count its work still says it is working."""

from __future__ import annotations

import io
import re
import time

from glamlab.progress import Heartbeat, Progress, touch


def test_a_heartbeat_speaks_only_after_a_silence():
    out = io.StringIO()
    with Heartbeat("training language", stream=out, interval=0.3) as beat:
        time.sleep(1.0)
        beat.note("training language: saving")
        for _ in range(8):  # other lines keep coming: the heartbeat stays quiet
            touch()
            time.sleep(0.1)
        said = out.getvalue()
    lines = said.splitlines()
    assert lines and all("still working" in line for line in lines)
    assert lines[0].startswith("training language: still working")
    assert len(lines) <= 4
    quiet = Heartbeat("off", stream=out, enabled=False)
    with quiet:
        time.sleep(0.2)
    assert "off" not in out.getvalue()


def test_a_heartbeat_counts_the_silence_from_its_own_start():
    """A step begun after a long quiet spell (a command's imports; an earlier step, or an
    earlier test in the same process) waits its whole interval before it speaks: the
    monitor said "still working, 1 s" before its own error."""
    from glamlab import progress

    out = io.StringIO()
    progress._LAST_LINE[0] = time.monotonic() - 60.0  # nothing shown for a minute
    with Heartbeat("monitor", stream=out, interval=2.5):
        time.sleep(1.5)
    assert "still working" not in out.getvalue()


def test_progress_lines_count_as_speech():
    out = io.StringIO()
    with Heartbeat("run", stream=out, interval=0.5):
        bar = Progress("run 1", total=10, stream=out, interval=0.0)
        for _ in range(6):
            bar.update(1)
            time.sleep(0.1)
        bar.close()
    assert "still working" not in out.getvalue()
    assert "run 1: 6/10" in out.getvalue()


def test_a_slow_rate_is_not_rounded_to_nothing():
    """3 pages in 6.5 s (a run of a few new pages, a model that waits on a service) said
    "0/s" in the progress line and in the run's summary: a script's log then reads as a
    stalled job. Below 10 a second the rate keeps two significant digits."""
    from glamlab.inference.runner import RunReport

    out = io.StringIO()
    bar = Progress("run 4", total=3, stream=out, interval=0.0)
    bar._start = time.monotonic() - 6.5
    bar.update(3)
    assert ", 0.46/s" in out.getvalue(), out.getvalue()
    assert ", 0/s" not in out.getvalue()
    report = RunReport(run_id=4, model="m@1", model_id=1, status="done", engine="local",
                       workers=1, planned=3, done=3, failed=0, skipped=0, seconds=6.5,
                       done_now=3)
    assert "(3 items in 6.5 s, 0.46/s)" in report.summary(cli=True), report.summary(cli=True)
    bar = Progress("ingest", total=5085, stream=out, interval=0.0)
    bar._start = time.monotonic() - 5.0
    bar.update(5085)
    assert re.search(r", 1,0\d\d/s", out.getvalue()), out.getvalue()  # whole from 10/s


def test_a_run_of_one_item_says_item():
    """A nightly run that finds one new page said "0 of 1 items predicted ... (1 items in
    4.1 s": one item is an item."""
    from glamlab.inference.runner import RunReport

    report = RunReport(run_id=6, model="m@1", model_id=1, status="done", engine="local",
                       workers=1, planned=1, done=1, failed=0, skipped=5087, seconds=4.1,
                       done_now=1)
    said = report.summary(cli=True)
    assert "1 of 1 item predicted" in said and "(1 item in 4.1 s" in said, said


def test_the_time_left_leaves_out_the_start_up(monkeypatch):
    # a run whose workers take 9 s to load the model, then predict 100 items a second:
    # its first line must not promise 90 s for 8 s of work (the PostgreSQL walk's first
    # line said ETA 4,184 s for a 200-second run)
    import types

    from glamlab import progress

    now = [0.0]
    monkeypatch.setattr(progress, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    out = io.StringIO()
    p = Progress("run 1", total=1000, stream=out, interval=0.0)
    now[0] = 10.0
    p.update(100)  # the first batch: nothing measured yet, no time left promised
    now[0] = 11.0
    p.update(100)
    lines = out.getvalue().splitlines()
    assert "ETA" not in lines[0]
    assert lines[1] == "run 1: 200/1,000 items, 100/s, ETA 8 s"


def test_fitting_the_baselines_says_it_is_working(make_ws, capsys, monkeypatch, tmp_path):
    """``fit_baselines`` took no ``progress``: the threshold baseline reads every training
    page's image (about a minute for a few thousand pages) with nothing said, in a
    notebook as in ``glamlab baseline``, where ``train`` and ``evaluate`` speak. Now it
    passes ``progress`` to each baseline's training."""
    from glamlab import progress
    from glamlab.evaluation import fit_baselines
    from glamlab.predictors.baselines import MajorityPredictor
    from tests.actions.helpers import add_gold

    ws = make_ws(modality="text", labels=["blank", "content"])
    texts = tmp_path / "texts.csv"
    texts.write_text("id,text\n" + "".join(f"p{i},{'words ' * (i + 1)}\n" for i in range(4)),
                     encoding="utf-8")
    ws.ingest([str(texts)])
    add_gold(ws, {f"p{i}": "blank" if i % 2 else "content" for i in range(4)}, split="train")
    real = MajorityPredictor.fit

    def slow(self, *a, **kw):
        time.sleep(0.6)
        return real(self, *a, **kw)

    monkeypatch.setattr(MajorityPredictor, "fit", slow)
    monkeypatch.setattr(progress.Heartbeat.__init__, "__kwdefaults__",
                        {**progress.Heartbeat.__init__.__kwdefaults__, "interval": 0.2})
    capsys.readouterr()
    fit_baselines(ws)
    assert "still working" not in capsys.readouterr().err  # silent by default
    fit_baselines(ws, save=False, progress=True)
    assert "fitting the majority baseline: still working" in capsys.readouterr().err
    fit_baselines(ws, progress=True)
    assert "training majority: still working" in capsys.readouterr().err


def test_a_watch_says_the_step_the_count_and_the_time_left_at_most_every_second(monkeypatch):
    """What a web job's status line shows (glamlab.web.jobs.work): the step, then the
    count with the time left, in words, not more than once a second however often the
    work counts (a write per item would slow the job), each new step at once."""
    import types

    from glamlab import progress

    now = [0.0]
    monkeypatch.setattr(progress, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    said: list[str] = []
    with progress.watching(said.append, every=1.0):
        progress.step("model 3 of 7 (text-tfidf) on the 3,000 test items")
        bar = Progress("predicting with text-tfidf", total=3000, enabled=False,
                       said="predicted")
        now[0] = 1.0
        bar.update(100)  # the first count: said (a second since the step)
        for _ in range(11):  # 22 more within the next second: not said
            now[0] += 0.05
            bar.update(2)
        now[0] = 2.0
        bar.update(2)  # a second on: said, with the time left from the rate
        bar.close()
        progress.step("comparing the models")
    assert said == [
        "model 3 of 7 (text-tfidf) on the 3,000 test items",
        "model 3 of 7 (text-tfidf) on the 3,000 test items: 100 of 3,000 items predicted",
        "model 3 of 7 (text-tfidf) on the 3,000 test items: 124 of 3,000 items predicted, "
        "about 2 minutes left",  # 24 items in the 1 s since the first: 2,876 left, 120 s
        "comparing the models"]
    assert progress.watched() is None  # only inside
    progress.step("nobody watches")  # nothing happens, nothing fails


def test_a_watch_says_how_long_a_fit_has_taken_without_repeating_the_step():
    said: list[str] = []
    with progress_watch(said) as w:
        from glamlab.progress import step

        step("training text-tfidf (1 of 2) on the training labels")
        with Heartbeat("training text-tfidf", enabled=False, interval=0.05) as beat:
            deadline = time.monotonic() + 30
            while not any("second" in s for s in said) and time.monotonic() < deadline:
                time.sleep(0.01)
            beat.note("fitting a copy, part 2 of 5")
        assert w.note == ""  # the heartbeat's words go with it
    assert said[0] == "training text-tfidf (1 of 2) on the training labels"
    assert re.fullmatch(r"training text-tfidf \(1 of 2\) on the training labels: "
                        r"\d+ seconds? so far", said[1]), said
    assert said[-1] == ("training text-tfidf (1 of 2) on the training labels: fitting a "
                        "copy, part 2 of 5"), said


def progress_watch(said: list[str]):
    from glamlab.progress import watching

    return watching(said.append, every=0.0)


def test_time_left_in_words():
    from glamlab.progress import time_left

    assert [time_left(s) for s in (3, 34, 80, 200, 5400)] == [
        "a few seconds left", "about 30 seconds left", "about 1 minute left",
        "about 3 minutes left", "about 1.5 hours left"]


def test_steps_of_a_function_called_inside_a_step_give_the_step_back():
    from glamlab.progress import own_steps, step, watching

    @own_steps
    def propose() -> int:
        step("step 3 of 3, scoring the thresholds")
        return 1

    said: list[str] = []
    with watching(said.append, every=0.0):
        step("writing the accepted values")
        assert propose() == 1
    assert said == ["writing the accepted values", "step 3 of 3, scoring the thresholds",
                    "writing the accepted values"]
