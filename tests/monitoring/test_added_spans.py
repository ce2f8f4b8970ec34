"""An entities project's recall signal: the entities reviewers add because the model
missed them, per reviewed text, beside the override rate (which only sees the spans the
model found)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.ner_project import gold_and_new_texts


def test_added_spans_per_reviewed_text_are_monitored_in_words(make_ws, tmp_path: Path):
    from glamlab.actions import act
    from glamlab.cli import cli
    from glamlab.monitoring.monitor import monitor
    from glamlab.registry.models import get_model
    from glamlab.review.decisions import add_span
    from glamlab.store import now
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of

    ws, _ = gold_and_new_texts(make_ws, tmp_path, 4)
    act(ws)
    mv = get_model(ws, "gazetteer@1")
    with ws.store.write() as conn:  # the model's last evaluation found 90% of the entities
        conn.execute(ws.store.t.evaluations.insert().values(
            model_id=mv.id, candidate=mv.spec, test_fingerprint="f" * 64,
            metric="strict_micro_f1", created_at=now(),
            results={"kind": "model", "metrics": {"fuzzy_micro_recall": {"value": 0.9}}}))
    # "Nouvelle lettre." begins every new text; no model found it an entity
    for n in range(4):
        add_span(ws, "maria", f"new{n}", 0, 8, "ORG")
        if n:
            add_span(ws, "maria", f"new{n}", 9, 15, "PROD")

    report = monitor(ws, "gazetteer@1", min_window=2, store_alerts=False)
    assert len(report.windows) == 1
    added = next(r for r in report.windows[0].results if r.signal == "added_span_rate")
    test = [i for i, s in split_of(ws).items() if s == "test"]
    gold = gold_spans(ws, test)
    expected = 0.1 * sum(len(s) for s in gold.values()) / len(gold)
    assert (added.n, added.context["added_spans"], added.context["reviewed_texts"]) == (4, 7, 4)
    assert added.value == 1.75 and abs(added.context["expected"] - expected) < 1e-9
    # 1.75 per text where about 0.1 x the gold entities per text were expected
    assert expected < added.threshold < 1.75 and added.status == "alert"
    text = report.summary()
    assert "reviewers added more missed entities than expected (1.75 per reviewed text" in text
    assert "reviewers added 7 entities the model missed in 4 reviewed texts (1.75 per text; " \
           f"about {expected:.2f} expected from the model's recall on the test split): more " \
           "than expected" in text
    data = report.to_dict()
    assert "added_span_rate" in [s["name"] for s in data["signals"]]
    got = next(r for r in data["windows"][0]["results"] if r["signal"] == "added_span_rate")
    assert got["context"]["added_spans"] == 7 and got["context"]["reviewed_texts"] == 4
    assert {"window": "run 1", **got} in data["alerts"]

    from glamlab.reports.monitoring import render

    assert "<h2>added span rate</h2>" in render(report)  # its name in words

    # the same through the command line's JSON
    args = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    res = CliRunner().invoke(cli, [*args, "monitor", "--model", "gazetteer@1", "--min-window",
                                   "2", "--json"])
    assert res.exit_code == 3, res.output  # an alert
    doc = json.loads(res.stdout)
    assert any(s["name"] == "added_span_rate" for s in doc["signals"])
