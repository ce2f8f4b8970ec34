"""The Ray engine: the same plan on an existing Ray cluster.

Ray Data ``map_batches`` with an actor pool: each actor loads the model once (its
artifact files travel with the job, so nodes need no shared disk), predicts batches
through the same :func:`~glamlab.inference.worker.predict_batch` as the local engine,
and the driver streams the results back into the run's single writer. The plan is
sent in chunks so the driver's memory stays bounded on large collections.

Differences from the local engine: a batch that fails is retried item by item inside the
actor as usual, but there is no per-item time limit (Ray restarts actors that die, and
their batches are retried by Ray Data); Ctrl-C stops between result batches, and results
computed but not yet written are simply predicted again by the next run.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import MissingDependency, RunError
from .worker import Failure, ItemRow, ModelRef, Row, predict_batch, to_items

CHUNK_ITEMS = 50_000


class RayPredictActor:
    """A Ray Data callable class: loads the model in ``__init__``, once per actor."""

    def __init__(self, ref: ModelRef, files: dict[str, bytes]):
        import dataclasses
        import tempfile

        self._dir = tempfile.TemporaryDirectory(prefix="glamlab-model-")
        for rel, data in files.items():
            target = Path(self._dir.name) / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        self.ref = dataclasses.replace(ref, folder=self._dir.name)
        self.predictor = self.ref.load()

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        items = to_items([pickle.loads(b) for b in batch.column("item").to_pylist()],  # noqa: S301
                         self.ref.cache_dir, self.ref.fetch_policy)
        rows, failures = predict_batch(self.predictor, items, self.ref.kind)
        n = len(rows) + len(failures)
        return pa.table({
            "item_id": pa.array([r[0] for r in rows] + [f[0] for f in failures], pa.string()),
            "label": pa.array([r[1] for r in rows] + [None] * len(failures), pa.string()),
            "labels": pa.array([r[2] for r in rows] + [None] * len(failures), pa.string()),
            "scores": pa.array([r[3] for r in rows] + [None] * len(failures), pa.string()),
            "score": pa.array([r[4] for r in rows] + [None] * len(failures), pa.float64()),
            "failure": pa.array([None] * len(rows) + [f[1] for f in failures], pa.string()),
        }) if n else pa.table({"item_id": pa.array([], pa.string()),
                               "label": pa.array([], pa.string()),
                               "labels": pa.array([], pa.string()),
                               "scores": pa.array([], pa.string()),
                               "score": pa.array([], pa.float64()),
                               "failure": pa.array([], pa.string())})


def _chunks(batches: Iterator[list[ItemRow]], size: int) -> Iterator[list[ItemRow]]:
    chunk: list[ItemRow] = []
    for batch in batches:
        chunk.extend(batch)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_ray(ref: ModelRef, batches: Iterator[list[ItemRow]],
            on_result: Callable[[list[Row], list[Failure]], None],
            should_stop: Callable[[], bool], tick: Callable[[], None], *,
            address: str | None, workers: int, batch_size: int, cli: bool = False) -> None:
    """``cli``: a failed connection's fix names ``glamlab run``'s option, else Python's
    ``address=`` argument."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise MissingDependency("ray", "ray") from exc
    started_here = False
    if not ray.is_initialized():
        try:
            ray.init(address=address or "auto", log_to_driver=False, logging_level=logging.ERROR,
                     include_dashboard=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RunError(f"cannot connect to the Ray cluster at {address or 'auto'}: "
                           f"{str(exc).splitlines()[0] if str(exc) else exc}",
                           hint="start one with `ray start --head`, and pass its address "
                                + ("with --address HOST:PORT" if cli else
                                   "as run(..., engine=\"ray\", address=\"HOST:PORT\"), or "
                                   "address=\"local\" to start Ray on this machine for this run")
                           ) from exc
        started_here = True
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.verbose_progress = False
    folder = Path(ref.folder)
    files = {p.relative_to(folder).as_posix(): p.read_bytes()
             for p in sorted(folder.rglob("*")) if p.is_file()}
    try:
        for chunk in _chunks(batches, CHUNK_ITEMS):
            blocks = max(1, -(-len(chunk) // batch_size))
            ds = ray.data.from_items([{"item": pickle.dumps(item)} for item in chunk],
                                     override_num_blocks=blocks)
            out = ds.map_batches(RayPredictActor, fn_constructor_kwargs={"ref": ref, "files": files},
                                 batch_size=batch_size, batch_format="pyarrow",
                                 compute=ray.data.ActorPoolStrategy(
                                     size=max(1, min(workers, blocks))), num_cpus=1)
            for table in out.iter_batches(batch_size=batch_size, batch_format="pyarrow"):
                data: dict[str, list[Any]] = table.to_pydict()  # type: ignore[union-attr]
                rows: list[Row] = []
                failures: list[Failure] = []
                for item_id, label, labels, scores, score, failure in zip(
                        data["item_id"], data["label"], data["labels"], data["scores"],
                        data["score"], data["failure"], strict=True):
                    if failure is not None:
                        failures.append((item_id, failure))
                    else:
                        rows.append((item_id, label, labels, scores, score))
                on_result(rows, failures)
                tick()
                if should_stop():
                    return
    finally:
        if started_here:
            ray.shutdown()
