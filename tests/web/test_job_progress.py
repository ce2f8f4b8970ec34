"""A long web job says how far it is and what it is doing, in words, as it goes (before:
"comparing 3 candidates on the test set" for the whole of an evaluation, "choosing
thresholds ..." for the whole of the policy's work, and a curator took the job for hung).

The jobs table is polled while the job worker does the job; each message the job writes
waits until the poll has read it (a hand-over, no timing), so no message is missed."""

from __future__ import annotations

import csv
import re
import threading
from typing import Any

import pytest
import sqlalchemy as sa

from glamlab.demo import demo_data


@pytest.fixture
def lang_project(make_ws: Any) -> Any:
    """The bundled language demo data (300 short texts), split, with text-tfidf trained
    and in use: what evaluate and the policy work on in a real project."""
    from glamlab.registry.models import set_alias
    from glamlab.registry.training import train
    from glamlab.tasks import import_labels, split_labels
    from tests.tasks.helpers import add_csv_items

    texts = demo_data("language") / "texts.csv"
    with open(texts, newline="", encoding="utf-8") as fh:
        labels = sorted({r["label"] for r in csv.DictReader(fh)})
    ws = make_ws("lang", modality="text", labels=labels, need="Know each text's language.")
    add_csv_items(ws, texts, text_column="text")
    import_labels(ws, texts)
    split_labels(ws, test_size=0.3, seed=0)
    res = train(ws, "text-tfidf")
    set_alias(ws, res.model.spec, "champion")
    return ws


def _messages(ws: Any, monkeypatch: pytest.MonkeyPatch, kind: str,
              params: dict[str, Any] | None = None) -> list[str]:
    """The messages the jobs table showed while a ``kind`` job ran, in order, as read by
    polling the table (each write waits for the poll to read it)."""
    from glamlab.web import jobs

    polled = threading.Condition()
    seen: list[str] = []
    original = jobs._set

    def handed_over(ws_: Any, job_id: int, **values: Any) -> None:
        original(ws_, job_id, **values)
        if "message" in values and "status" not in values:  # progress, not the end
            with polled:  # until the poll below has read this very message
                polled.wait_for(lambda: seen and seen[-1] == values["message"], timeout=30)

    monkeypatch.setattr(jobs, "_set", handed_over)
    worker = jobs.JobWorker(ws, poll_s=0.05)
    job_id = jobs.submit(ws, kind, "ada", params)
    t = ws.store.t.jobs
    worker.start()
    try:
        while True:
            with ws.store.read() as conn:
                row = conn.execute(sa.select(t.c.status, t.c.message, t.c.error)
                                   .where(t.c.id == job_id)).one()
            if row.status == "running" and (not seen or seen[-1] != row.message):
                with polled:
                    seen.append(row.message)
                    polled.notify_all()
            if row.status in ("done", "failed"):
                assert row.status == "done", row.error
                return seen
    finally:
        worker.stop()


def test_an_evaluation_says_which_model_and_how_far(lang_project: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    said = _messages(lang_project, monkeypatch, "evaluate")
    progress = [m for m in said if m not in ("started", "waiting to start")]
    assert len(set(progress)) >= 3, said  # it changed at least twice while it ran
    # which model, of how many, on how many test items, in words
    assert any(re.fullmatch(r"model 1 of 3 \(\w+\) on the \d+ test items(: .*)?", m)
               for m in said), said
    assert any(m.startswith("model 3 of 3 (") for m in said), said
    assert any("resamples for the 95% intervals" in m for m in said), said


def test_working_out_the_policy_says_its_step_and_count(lang_project: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from glamlab.inference import run

    run(lang_project, "text-tfidf@champion", workers=1)  # the policy works on its predictions
    said = _messages(lang_project, monkeypatch, "optimise", {"target_precision": 0.95})
    assert len(set(said)) >= 3, said
    # the three steps, by number, and which part of the out-of-fold fitting is under way
    for n in (1, 2, 3):
        assert any(m.startswith(f"step {n} of 3, ") for m in said), said
    assert any(re.search(r"part \d of 5", m) for m in said), said


def test_training_says_which_model_and_for_how_long(lang_project: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    said = _messages(lang_project, monkeypatch, "train",
                     {"predictors": ["majority", "text-tfidf"]})
    assert any(m.startswith("training majority (1 of 2)") for m in said), said
    assert any(m.startswith("training text-tfidf (2 of 2)") for m in said), said
