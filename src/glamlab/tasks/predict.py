"""Predicting items without losing any: the one per-item predict-and-record helper.

Every path that predicts (``glamlab evaluate``, ``glamlab run`` in its workers or Ray
actors, ``glamlab act`` for test items without a stored prediction, uncertainty sampling,
the web app's ``/api/predict``) goes through :func:`predict_items`, so they share one
error policy:

- items are predicted in batches; a batch that raises is predicted again item by item;
- an item that raises (whatever the exception: an unreadable file, a decoder error, a
  predictor bug) or whose prediction the task kind refuses (:meth:`TaskKind.problem`,
  e.g. scores that are not finite) is recorded with its reason
  (:func:`glamlab.errors.reason_for`) and gets no prediction;
- every other item is predicted. Nothing is raised for one item's sake, so one bad item
  never stops an evaluation or a run; ``KeyboardInterrupt`` still stops everything, and
  so does a :class:`~glamlab.errors.ServiceError` (an external service's budget is spent,
  its key is not set): no other item could do better, and the fix is the person's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ServiceError, reason_for

if TYPE_CHECKING:
    from ..items import Item
    from .kinds.base import Failure, TaskKind


@dataclass
class Predicted:
    """Predictions of a list of items: one per item, None where it failed."""

    predictions: list[Any]
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return sum(1 for p in self.predictions if p is not None)

    @property
    def items_per_s(self) -> float | None:
        done = self.done
        return done / self.seconds if self.seconds > 0 and done else None

    def failure_dicts(self) -> list[dict[str, str]]:
        """The failures as ``{"item": id, "reason": why}`` (what reports list)."""
        return [{"item": item_id, "reason": reason} for item_id, reason in self.failures]


def predict_items(kind: TaskKind[Any, Any], predictor: Any, items: Sequence[Item], *,
                  batch_size: int | None = None, progress: bool = False) -> Predicted:
    """Predict every item with ``predictor`` for the task ``kind`` (see the module
    docstring for what happens to bad items). ``batch_size``: items per call of the
    kind's :meth:`~TaskKind.predict` (default: all of them at once)."""
    from ..progress import Progress, watched

    items = list(items)
    out: list[Any] = [None] * len(items)
    failures: list[Failure] = []
    size = max(1, batch_size or len(items) or 1)
    start = time.perf_counter()
    # counted for the terminal, or for a web job's status line (watched, said there only)
    bar = (Progress(f"predicting with {getattr(predictor, 'name', 'the model')}",
                    total=len(items), enabled=progress, said="predicted")
           if progress or watched() is not None else None)
    try:
        for lo in range(0, len(items), size):
            batch = items[lo : lo + size]
            try:
                preds = list(kind.predict(predictor, batch))
                if len(preds) != len(batch):
                    raise ValueError(f"{len(preds)} predictions for {len(batch)} items")
            except ServiceError:
                raise  # the budget is spent, the key is missing: stop, say the fix
            except Exception as exc:  # noqa: BLE001 - any failure: isolate the bad item(s)
                if len(batch) == 1:
                    failures.append((batch[0].item_id, reason_for(exc)))
                    preds = [None]
                else:
                    preds = [_one(kind, predictor, item, failures) for item in batch]
            for j, (item, p) in enumerate(zip(batch, preds, strict=True)):
                if p is None:
                    continue
                why = kind.problem(p)
                if why is not None:
                    failures.append((item.item_id, why))
                    continue
                out[lo + j] = p
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    return Predicted(predictions=out, failures=failures, seconds=time.perf_counter() - start)


def _one(kind: TaskKind[Any, Any], predictor: Any, item: Item, failures: list[Failure]) -> Any:
    try:
        return kind.predict(predictor, [item])[0]
    except ServiceError:
        raise
    except Exception as exc:  # noqa: BLE001 - this item fails alone, with its reason
        failures.append((item.item_id, reason_for(exc)))
        return None
