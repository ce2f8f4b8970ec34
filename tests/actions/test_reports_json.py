"""The public reports' ``to_dict()`` is ready for ``json.dumps`` as it is (no datetime,
no numpy value): the run, evaluate, act (and its dry run) and export reports of one small
project, a failed item in the run included."""

from __future__ import annotations

import csv
import json

import pytest

from glamlab.actions import act, export, plan
from glamlab.evaluation import evaluate, fit_baselines, model_candidates
from glamlab.inference import run
from glamlab.registry import set_alias, use_model
from glamlab.tasks import import_labels, split_labels
from tests.inference.conftest import add_text_items, save_hash_model
from tests.inference.predictors import register


@pytest.fixture(autouse=True)
def _test_predictors(monkeypatch: pytest.MonkeyPatch) -> None:
    from glamlab.predictors import catalogue

    monkeypatch.setattr(catalogue, "BUILTIN", dict(catalogue.BUILTIN))
    register()


def test_every_public_report_dumps_as_json(make_ws, tmp_path):
    ws = make_ws("reports", modality="text", labels=["a", "b", "c"])
    ids = add_text_items(ws, 36)
    labels = tmp_path / "labels.csv"
    with open(labels, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label"])
        w.writerows((item_id, "abc"[i % 3]) for i, item_id in enumerate(ids))
    import_labels(ws, str(labels))
    split_labels(ws, test_size=0.3)
    baselines, _ = fit_baselines(ws)
    save_hash_model(ws, fail_on=(ids[5],))
    result = evaluate(ws, baselines + model_candidates(ws, ["hash"]), n_boot=20)
    set_alias(ws, "hash@1", "champion")
    use_model(ws, "hash", reason="a test")
    report = run(ws, "hash", workers=0)
    assert report.failed == 1 and report.failures  # stored failures: with their time
    reports = {"evaluate": result.to_dict(), "run": report.to_dict(),
               "plan": plan(ws).to_dict(), "act": act(ws).to_dict(),
               "export": export(ws, "csv", tmp_path / "out.csv")}
    for name, data in reports.items():
        assert json.loads(json.dumps(data)) is not None, name
    at = reports["run"]["failures"][0]["at"]
    assert isinstance(at, str) and at.startswith(str(report.failures[0]["at"].year))
