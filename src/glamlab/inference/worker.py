"""The work done where the model lives: a worker process, a Ray actor, or inline.

Items travel to the model as plain tuples (:data:`ItemRow`: the plan's columns, with
``meta`` still JSON text), which cost the single writer far less to read and send than
:class:`~glamlab.items.Item` objects; :func:`to_items` builds the items where the model
is. Whatever the engine, a batch goes through :func:`predict_batch`, which is
:func:`glamlab.tasks.predict.predict_items` (the batch at once; if that fails, item by
item, so that one bad item costs only itself) and the task kind's store-ready rows
(labels and scores already JSON), so the single writer does as little as possible and
every engine stores identical values.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import reason_for
from ..tasks.kinds.base import Failure, Row
from ..tasks.predict import predict_items

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from ..config import FetchPolicy
    from ..items import Item
    from ..predictors.base import Predictor
    from ..tasks.kinds.base import TaskKind

# An item on its way to the model, in the order of Item's fields: (item_id, modality,
# source_kind, source, uri, page, content_hash, text, width, height, meta JSON, version)
ItemRow = tuple[str, str, str, str, str | None, int | None, str, str | None, int | None,
                int | None, str | None, int]
ITEM_COLUMNS = ("item_id", "modality", "source_kind", "source", "uri", "page", "content_hash",
                "text", "width", "height", "meta", "version")
# Row: (item_id, label, labels JSON, scores JSON, score); Failure: (item_id, reason)
__all__ = ["ITEM_COLUMNS", "STOP_CHECK_ITEMS", "Failure", "ItemRow", "ModelRef", "Row",
           "class_path", "predict_batch", "predict_until_stopped", "reason_for", "stop_step",
           "to_items", "worker_main"]

#: items predicted together between two looks at the stop flag: a stop request (Ctrl-C,
#: SIGTERM) waits for at most this many items per worker, not a whole batch (256 items,
#: ~50 s on a model that reads 5 pages a second); the items after them stay unpredicted,
#: for ``--resume``
STOP_CHECK_ITEMS = 16


def stop_step(predictor: Any) -> int:
    """Items predicted together between two looks at the stop flag: the predictor's own
    batch (its ``batch_size``, what it predicts in one go anyway, so nothing is lost to
    smaller calls), at least :data:`STOP_CHECK_ITEMS`."""
    return max(STOP_CHECK_ITEMS, int(getattr(predictor, "batch_size", 0) or 0))


@dataclass(frozen=True)
class ModelRef:
    """How to load a model version anywhere: its class and its artifact folder."""

    model_id: int
    spec: str
    cls: str  # "module:QualName"
    folder: str
    kind: TaskKind[Any, Any]  # the project's task kind: predicts and makes the rows
    cache_dir: str | None = None  # the workspace's cache of remote images, for the items
    fetch_policy: FetchPolicy | None = None  # which image addresses the items may fetch
    # the workspace's store: its cached features (computed by train and evaluate) are
    # read by local workers, never written there (None: no shared cache, e.g. on Ray)
    features_db: str | None = None

    def load(self) -> Predictor:
        module, _, qual = self.cls.partition(":")
        obj: Any = importlib.import_module(module)
        for part in qual.split("."):
            obj = getattr(obj, part)
        return obj.load(Path(self.folder))  # type: ignore[no-any-return]


def class_path(predictor: object) -> str:
    cls = type(predictor)
    return f"{cls.__module__}:{cls.__qualname__}"


def to_items(rows: Sequence[ItemRow], cache_dir: str | None,
             fetch_policy: FetchPolicy | None = None) -> list[Item]:
    """The items of a batch of :data:`ItemRow` tuples."""
    from ..items import Item

    loads = json.loads
    return [Item(item_id, modality, source_kind, source, uri, page, content_hash, text, width,
                 height, (loads(meta) or {}) if meta and meta != "{}" else {}, version,
                 cache_dir, fetch_policy)
            for (item_id, modality, source_kind, source, uri, page, content_hash, text, width,
                 height, meta, version) in rows]


def predict_batch(predictor: Predictor, items: Sequence[Item],
                  kind: TaskKind[Any, Any]) -> tuple[list[Row], list[Failure]]:
    """Predict a batch (one bad item fails alone, with its reason) into writer rows."""
    res = predict_items(kind, predictor, items)
    done = [(item, p) for item, p in zip(items, res.predictions, strict=True) if p is not None]
    rows = kind.to_rows([i for i, _ in done], [p for _, p in done])
    return rows, res.failures


def predict_until_stopped(predictor: Predictor, items: Sequence[Item], kind: TaskKind[Any, Any],
                          stopped: Callable[[], bool], step: int = STOP_CHECK_ITEMS,
                          ) -> tuple[list[Row], list[Failure], bool]:
    """:func:`predict_batch` ``step`` items at a time, looking at ``stopped`` between
    them: the rows and failures of the items predicted, and whether it stopped early
    (then the items after those are not predicted, and not failed either): a batch
    that reaches a worker after the stop (one still loading its model) is handed back
    whole, unpredicted."""
    rows: list[Row] = []
    failures: list[Failure] = []
    for lo in range(0, len(items), max(1, step)):
        if stopped():
            return rows, failures, True
        r, f = predict_batch(predictor, items[lo:lo + step], kind)
        rows.extend(r)
        failures.extend(f)
    return rows, failures, False


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


def worker_main(ref: ModelRef, conn: Connection, threads: int | None = None,
                stop: Any = None) -> None:
    """A worker process: load the model once, then answer batches until told to stop.

    Ctrl-C (and a SIGTERM to the group) reaches every process; the parent decides when
    to stop, so the worker ignores them and finishes the batch it holds. It exits when
    told to, or when the parent is gone (even after a kill -9). ``threads`` is its share
    of the cores (see :func:`limit_threads`). ``stop``: an event the parent sets when the
    run is to stop; the worker then hands back the part of its batch it has predicted
    (:func:`predict_until_stopped`) rather than finishing the batch."""
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
    from ..features import feature_store
    from ..features.cache import worker_cache

    cache = worker_cache(ref.features_db)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            os._exit(0)
        if task is None:
            break
        task_id, batch = task
        stopped = stop.is_set if stop is not None else (lambda: False)
        with feature_store(cache):
            rows, failures, partial = predict_until_stopped(
                predictor, to_items(batch, ref.cache_dir, ref.fetch_policy), ref.kind, stopped,
                stop_step(predictor))
        try:
            conn.send(("result", task_id, rows, failures, partial))
        except (BrokenPipeError, OSError):
            os._exit(0)
    conn.close()
