"""Predicting over a list of items without losing any: a batch that fails on one
bad item is retried item by item, and each bad item is recorded with its reason
(its row of scores is NaN). Nothing is silently dropped."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ItemError

if TYPE_CHECKING:
    from ..items import Item
    from ..predictors.base import Predictor


@dataclass
class PredictResult:
    proba: np.ndarray  # (n_items, n_classes); NaN rows for failed items
    seconds: float
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> np.ndarray:
        return ~np.isnan(self.proba).any(axis=1)

    @property
    def items_per_s(self) -> float | None:
        done = int(self.ok.sum())
        return done / self.seconds if self.seconds > 0 and done else None


def predict_items(predictor: Predictor, items: list[Item], *, batch_size: int | None = None,
                  progress: bool = False) -> PredictResult:
    """Scores for every item; items that raise :class:`ItemError` get NaN rows and an
    entry in ``failures``."""
    from ..progress import Progress

    k = len(predictor.classes_)
    out = np.full((len(items), k), np.nan)
    failures: list[dict[str, str]] = []
    size = batch_size or max(1, predictor.batch_size)
    start = time.perf_counter()
    bar = Progress(f"predicting with {predictor.name}", total=len(items)) if progress else None
    try:
        for lo in range(0, len(items), size):
            batch = items[lo : lo + size]
            try:
                out[lo : lo + len(batch)] = predictor.predict_proba(batch)
            except ItemError:
                for j, item in enumerate(batch):
                    try:
                        out[lo + j] = predictor.predict_proba([item])[0]
                    except ItemError as exc:
                        failures.append({"item": item.item_id, "reason": exc.message})
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    return PredictResult(proba=out, seconds=time.perf_counter() - start, failures=failures)
