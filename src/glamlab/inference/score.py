"""Predictions of a saved model for a handful of items, in this process (no run, nothing
stored): uncertainty sampling, the policy's check on test items without a stored
prediction, and the web app's ``/api/predict`` use them.

They go through the one predict-and-record helper (:func:`glamlab.tasks.predict.predict_items`),
so a bad item fails alone, with its reason, as in a run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..items import Item
    from ..registry.models import ModelVersion
    from ..tasks.predict import Predicted
    from ..workspace import Workspace


def model_scorer(ws: Workspace, spec: str, *, predictor: Any = None
                 ) -> tuple[ModelVersion, Callable[[list[Item]], Predicted]]:
    """The model version ``spec`` (``NAME``, ``NAME@alias``, ``NAME@N``) and a function
    from items to its predictions. ``predictor``: the model already loaded (sha256
    checked), to reuse it."""
    from ..features import feature_store
    from ..registry import get_model, load_model
    from ..tasks.kinds import task_kind
    from ..tasks.predict import predict_items

    kind = task_kind(ws.card)
    if predictor is None:
        mv, predictor = load_model(ws, spec)
    else:
        mv = get_model(ws, spec)
    kind.check_predictor(predictor)

    def score(items: list[Item]) -> Predicted:
        with feature_store(ws):  # cached features of these items, where there are some
            return predict_items(kind, predictor, items,
                                 batch_size=getattr(predictor, "batch_size", None))

    return mv, score
