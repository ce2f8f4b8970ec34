"""The monitor on real pages: a model trained on printed books, watched on more printed
pages (same distribution as its reference: it must stay quiet) and on manuscripts (a real
shift of material: it must alert)."""

from __future__ import annotations

import csv
import random

import pytest

from glamlab.monitoring.monitor import monitor

pytestmark = pytest.mark.slow


def _write(path, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label"])
        for r in rows:
            w.writerow([r["id"], r["label"]])


def test_quiet_on_printed_pages_alert_on_manuscripts(make_ws, shared_data, tmp_path):
    from glamlab.inference import run
    from glamlab.registry.training import train
    from glamlab.tasks import import_labels

    src = shared_data / "illustrations" / "dev" / "labels.csv"
    with open(src, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    printed = [r for r in rows if "MSS" not in r["source_repo"]]
    manuscripts = [r for r in rows if "MSS" in r["source_repo"]]
    assert len(manuscripts) >= 15

    # train on some printed books (whole documents), the rest of the printed pages are
    # shuffled into the reference (test split) and a production window: same distribution
    docs = sorted({r["document_ark"] for r in printed})
    random.Random(7).shuffle(docs)
    train_docs = set(docs[: len(docs) // 3])
    train_rows = [r for r in printed if r["document_ark"] in train_docs]
    rest = [r for r in printed if r["document_ark"] not in train_docs]
    random.Random(8).shuffle(rest)
    half = len(rest) // 2
    ref_rows, same_rows = rest[:half], rest[half:]

    ws = make_ws(labels=["graphic", "no_graphic"])
    ws.card.raw["monitor"] = {"min_window": 15}
    ws.save_card()
    report = ws.ingest([str(src)], id_column="id", image_column="path_or_text")
    assert report.added == len(rows)
    _write(tmp_path / "train.csv", train_rows)
    _write(tmp_path / "test.csv", ref_rows)
    import_labels(ws, tmp_path / "train.csv", split="train")
    import_labels(ws, tmp_path / "test.csv", split="test")
    train(ws, "page-stats-logreg", name="pictures")

    run(ws, "pictures@champion", "split=test", workers=0)
    # production: first more printed pages, then manuscripts, one run each
    _run_ids(ws, run, [r["id"] for r in same_rows])
    _run_ids(ws, run, [r["id"] for r in manuscripts])

    result = monitor(ws, "pictures@champion", reference="test", window="run")
    assert len(result.windows) == 2
    same, shifted = result.windows
    judged = [r for r in same.results if r.status in ("ok", "alert")]
    assert judged, "the printed window must be judged"
    assert same.alerts == [], [(r.signal, r.value, r.threshold) for r in same.alerts]
    signals = {r.signal for r in shifted.alerts}
    assert signals & {"image_features", "brightness", "ink_ratio", "score", "label_mix"}, \
        [(r.signal, r.status, r.value, r.threshold) for r in shifted.results]


def _run_ids(ws, run, ids):
    """One run over exactly these items (tagged through metadata so the query selects them)."""
    tag = f"batch{len(ids)}_{ids[0]}"
    t = ws.store.t
    import sqlalchemy as sa

    with ws.store.write() as conn:
        rows = conn.execute(sa.select(t.items.c.pk, t.items.c.meta).where(
            t.items.c.is_current.is_(True), t.items.c.item_id.in_(ids))).all()
        for pk, meta in rows:
            conn.execute(t.items.update().where(t.items.c.pk == pk).values(
                meta={**(meta or {}), "monitor_batch": tag}))
    run(ws, "pictures@champion", f"monitor_batch={tag}", workers=0)
