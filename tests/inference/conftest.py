from __future__ import annotations

import csv
import subprocess
import time
from pathlib import Path

import pytest

from tests.inference.predictors import HashPredictor, register


@pytest.fixture(autouse=True)
def _test_predictors(monkeypatch: pytest.MonkeyPatch) -> None:
    from glamlab.predictors import catalogue

    monkeypatch.setattr(catalogue, "BUILTIN", dict(catalogue.BUILTIN))
    register()


def add_text_items(ws, n: int, *, prefix: str = "doc", extra=None) -> list[str]:
    """Ingest ``n`` small text items through the real CSV ingest; returns their ids."""
    path = ws.root / f"{prefix}.csv"
    ids = [f"{prefix}-{i:05d}" for i in range(n)]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "collection"])
        for i, item_id in enumerate(ids):
            w.writerow([item_id, f"text of {item_id}", (extra or (lambda i: "main"))(i)])
    ws.ingest([str(path)], id_column="id", text_column="text")
    return ids


def save_hash_model(ws, name: str = "hash", **params):
    from glamlab.registry import save_model

    items = list(ws.items(limit=4))
    labels = list(ws.card.labels)
    pred = HashPredictor(**params)
    if ws.card.multi_label:
        ys = [[labels[i % len(labels)]] for i in range(len(items))]
    else:
        ys = [labels[i % len(labels)] for i in range(len(items))]
    pred.fit(items, ys, classes=labels, multi_label=ws.card.multi_label)
    return save_model(ws, pred, name=name)


@pytest.fixture
def text_ws(make_ws):
    ws = make_ws("runs", modality="text", labels=["a", "b", "c"])
    ids = add_text_items(ws, 60, extra=lambda i: "maps" if i % 3 == 0 else "letters")
    ws.ids = ids
    return ws


def wait_at_gate(proc: subprocess.Popen[str], gate: Path, timeout: float = 120.0) -> None:
    """Wait until the run in ``proc`` is inside a batch: at HashPredictor's gate (its
    ``gate_on`` item made ``gate.reached``; it waits there for ``gate.go``). Fails, with
    the run's output, when the run ended first."""
    reached = Path(f"{gate}.reached")
    deadline = time.monotonic() + timeout
    while not reached.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert reached.exists(), proc.communicate(timeout=60)
