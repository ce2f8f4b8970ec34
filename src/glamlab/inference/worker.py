"""The work done where the model lives: a worker process, a Ray actor, or inline.

Items travel to the model as plain tuples (:data:`ItemRow`: the plan's columns, with
``meta`` still JSON text), which cost the single writer far less to read and send than
:class:`~glamlab.items.Item` objects; :func:`to_items` builds the items where the model
is. Whatever the engine, a batch goes through :func:`predict_batch`: predict the whole
batch at once; if that fails, predict item by item so that one bad item costs only
itself. The result rows are ready for the writer (labels and scores already JSON), so
the single writer does as little as possible and every engine stores identical values.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import GlamlabError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from ..items import Item
    from ..predictors.base import Predictor

# An item on its way to the model, in the order of Item's fields: (item_id, modality,
# source_kind, source, uri, page, content_hash, text, width, height, meta JSON, version)
ItemRow = tuple[str, str, str, str, str | None, int | None, str, str | None, int | None,
                int | None, str | None, int]
ITEM_COLUMNS = ("item_id", "modality", "source_kind", "source", "uri", "page", "content_hash",
                "text", "width", "height", "meta", "version")
# (item_id, label, labels JSON, scores JSON, score)
Row = tuple[str, str | None, str, str, float | None]
# (item_id, reason)
Failure = tuple[str, str]


@dataclass(frozen=True)
class ModelRef:
    """How to load a model version anywhere: its class and its artifact folder."""

    model_id: int
    spec: str
    cls: str  # "module:QualName"
    folder: str
    threshold: float = 0.5
    cache_dir: str | None = None  # the workspace's cache of remote images, for the items

    def load(self) -> Predictor:
        module, _, qual = self.cls.partition(":")
        obj: Any = importlib.import_module(module)
        for part in qual.split("."):
            obj = getattr(obj, part)
        return obj.load(Path(self.folder))  # type: ignore[no-any-return]


def class_path(predictor: object) -> str:
    cls = type(predictor)
    return f"{cls.__module__}:{cls.__qualname__}"


def to_items(rows: Sequence[ItemRow], cache_dir: str | None) -> list[Item]:
    """The items of a batch of :data:`ItemRow` tuples."""
    from ..items import Item

    loads = json.loads
    return [Item(item_id, modality, source_kind, source, uri, page, content_hash, text, width,
                 height, (loads(meta) or {}) if meta and meta != "{}" else {}, version,
                 cache_dir)
            for (item_id, modality, source_kind, source, uri, page, content_hash, text, width,
                 height, meta, version) in rows]


def reason_for(exc: BaseException) -> str:
    """One line saying why an item failed, with the fix when known."""
    if isinstance(exc, GlamlabError):
        text = exc.message
        if exc.hint:
            text += f" (fix: {exc.hint})"
        return text
    if isinstance(exc, FileNotFoundError):
        return f"the source file is missing: {exc.filename or exc}"
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def to_rows(predictor: Predictor, items: Sequence[Item], proba: Any,
            threshold: float) -> tuple[list[Row], list[Failure]]:
    """Rows for the writer; an item whose scores are not finite numbers is a failure.

    The scores are written with one ``%``-format per row (the JSON object with the keys
    made once), exactly what ``json.dumps(dict(zip(classes, scores)))`` writes; the top
    label, its score and the finite check are worked out for the whole batch at once."""
    import numpy as np

    classes = list(predictor.classes_)
    if not classes:
        return [(item.item_id, None, "[]", "{}", None) for item in items], []
    multi = bool(predictor.multi_label_)
    dumps = json.dumps
    proba = np.asarray(proba, dtype=np.float64)
    if proba.shape != (len(items), len(classes)):
        raise ValueError(f"the predictor returned scores of shape {proba.shape}, expected "
                         f"{(len(items), len(classes))}")
    # JSON object keys made once; "%" escaped in them, %r writes what json.dumps does
    fmt = "{" + ", ".join(dumps(c).replace("%", "%%") + ": %r" for c in classes) + "}"
    finite = np.isfinite(proba).all(axis=1).tolist()
    top = proba.argmax(axis=1).tolist() if len(items) else []
    single = [f"[{dumps(c)}]" for c in classes]
    rows: list[Row] = []
    failures: list[Failure] = []
    for item, scores_row, ok, best in zip(items, proba.tolist(), finite, top, strict=True):
        if not ok:
            failures.append((item.item_id, f"the predictor returned scores that are not "
                                           f"finite numbers: {scores_row}"))
            continue
        scores = fmt % tuple(scores_row)
        if multi:
            labels = dumps([c for c, s in zip(classes, scores_row, strict=True) if s >= threshold])
            rows.append((item.item_id, None, labels, scores, scores_row[best]))
        else:
            rows.append((item.item_id, classes[best], single[best], scores, scores_row[best]))
    return rows, failures


def predict_batch(predictor: Predictor, items: Sequence[Item],
                  threshold: float = 0.5) -> tuple[list[Row], list[Failure]]:
    """Predict a batch; on failure, retry item by item and report the bad ones."""
    try:
        return to_rows(predictor, items, predictor.predict_proba(items), threshold)
    except Exception as exc:  # noqa: BLE001 - any failure: isolate the bad item(s)
        if len(items) == 1:
            return [], [(items[0].item_id, reason_for(exc))]
    rows: list[Row] = []
    failures: list[Failure] = []
    for item in items:
        r, f = predict_batch(predictor, [item], threshold)
        rows.extend(r)
        failures.extend(f)
    return rows, failures


def limit_threads(threads: int) -> None:
    """Keep this process's numerical libraries to ``threads`` threads: onnxruntime and
    the EfficientNet embedding through ``GLAMLAB_THREADS`` (unless already set), and the
    OpenMP/BLAS pools already loaded (scikit-learn's, torch's)."""
    import sys

    value = os.environ.setdefault("GLAMLAB_THREADS", str(threads))
    if value.strip().isdigit():  # a setting of the user's wins
        threads = max(1, int(value))
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # scikit-learn brings it; without it the pools keep their size
        pass
    else:
        threadpool_limits(limits=threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


def worker_main(ref: ModelRef, conn: Connection, threads: int | None = None) -> None:
    """A worker process: load the model once, then answer batches until told to stop.

    Ctrl-C (and a SIGTERM to the group) reaches every process; the parent decides when
    to stop, so the worker ignores them and finishes the batch it holds. It exits when
    told to, or when the parent is gone (even after a kill -9). ``threads`` is its share
    of the cores (see :func:`limit_threads`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        if threads:
            os.environ.setdefault("GLAMLAB_THREADS", str(threads))
        predictor = ref.load()
        if threads:  # after loading: the model's libraries are loaded now
            limit_threads(threads)
    except BaseException as exc:  # noqa: BLE001 - report, then exit
        try:
            conn.send(("init_error", f"cannot load model {ref.spec}: {reason_for(exc)}"))
        finally:
            os._exit(1)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            os._exit(0)
        if task is None:
            break
        task_id, batch = task
        rows, failures = predict_batch(predictor, to_items(batch, ref.cache_dir), ref.threshold)
        try:
            conn.send(("result", task_id, rows, failures))
        except (BrokenPipeError, OSError):
            os._exit(0)
    conn.close()
