"""The whole labels -> split -> baselines -> evaluate path on the shared real datasets."""

from __future__ import annotations

import csv

from glamlab.evaluation import evaluate, fit_baselines
from glamlab.tasks import import_labels, split_labels, split_of
from tests.tasks.helpers import add_csv_items, write_csv


def _labels(path, column="label", sep=None):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    found = set()
    for r in rows:
        found.update(r[column].split(sep) if sep else [r[column]])
    return sorted(found), rows


def test_language_id(make_ws, shared_data) -> None:
    path = shared_data / "language_id/dev/labels.csv"
    labels, _ = _labels(path)
    ws = make_ws(modality="text", labels=labels)
    add_csv_items(ws, path, text_column="path_or_text", meta_columns=["kind", "source"])
    report = import_labels(ws, path)
    assert report.items == 1380
    split_labels(ws, test_size=0.3, seed=0)
    rules = ws.root / "rules.toml"
    rules.write_text('[[rule]]\nlabel = "en"\ntext = \'(?i)\\b(the|and|of)\\b\'\n'
                     '[[rule]]\nlabel = "de"\ntext = \'(?i)\\b(und|der|die)\\b\'\n'
                     '[[rule]]\nlabel = "fr"\ntext = \'(?i)\\b(les|des|est)\\b\'\n')
    cands, rules_report = fit_baselines(ws, save=False)
    assert {c.name for c in cands} == {"prior", "majority", "rules"}
    en = next(r for r in rules_report["rules"] if r["label"] == "en")
    assert en["empirical_accuracy"] > 0.8
    result = evaluate(ws, cands, n_boot=300, store=False)
    board = {r["candidate"]: r for r in result.leaderboard()}
    assert board["rules"]["f1_macro"] > board["majority"]["f1_macro"]
    # the slices show where rules fail: word pairs and OCR sentences are not 'sentences'
    assert "kind" in result.candidates[[c.name for c in result.candidates].index("rules")].slices


def test_subject_indexing_multi_label(make_ws, shared_data, tmp_path) -> None:
    path = shared_data / "subject_indexing/dev/labels.csv"
    # glamlab labels may not contain commas: the file's "emotions, concepts and ideas" is
    # renamed the way a curator would in OpenRefine
    labels, rows = _labels(path, sep="|")
    fix = {lab: lab.replace(",", "") for lab in labels}
    clean = write_csv(tmp_path / "subjects.csv", ["id", "title", "subjects", "classification"],
                      [[r["id"], r["path_or_text"],
                        "|".join(fix[x] for x in r["label"].split("|")), r["classification"]]
                       for r in rows])
    ws = make_ws(modality="text", labels=sorted(fix.values()), multi_label=True)
    add_csv_items(ws, clean, text_column="title", meta_columns=["classification"])
    report = import_labels(ws, clean, label_column="subjects")
    assert report.items == len(rows)
    split_labels(ws, test_size=0.25, seed=0)
    cands, _ = fit_baselines(ws, save=False)
    result = evaluate(ws, cands, n_boot=200, store=False)
    assert result.metric == "f1_samples"
    majority = next(c for c in result.candidates if c.name == "majority")
    for m in ("f1_samples", "precision_at_k", "recall_at_k", "ndcg_at_k"):
        v = majority.metrics[m]
        assert 0 < v["value"] < 1 and v["low"] <= v["value"] <= v["high"], m
    assert result.k == 5


def test_illustrations_grouped_by_document(make_ws, shared_data) -> None:
    path = shared_data / "illustrations/dev/labels.csv"
    labels, _ = _labels(path)
    ws = make_ws(modality="image", labels=labels)
    add_csv_items(ws, path, image_column="path_or_text", meta_columns=["document_ark"])
    import_labels(ws, path)
    split_labels(ws, test_size=0.3, seed=0, group_by="document_ark")
    splits = split_of(ws)
    docs: dict[str, set[str]] = {}
    for item in ws.items():
        docs.setdefault(item.meta["document_ark"], set()).add(splits[item.item_id])
    assert all(len(s) == 1 for s in docs.values())
    cands, _ = fit_baselines(ws, save=False)
    assert "threshold" in {c.name for c in cands}
    result = evaluate(ws, cands, n_boot=200, store=False)
    assert all(not c.failures for c in result.candidates)
