"""Why a model said what it said about one item, for the person reviewing it.

>>> from glamlab.review.explain import explain_item
>>> explain_item(ws, "page-0042")            # the latest prediction's model
{'text': 'Looks blank (probability 0.71) but not by the margin ...',
 'marks': [{'box': [0.12, 0.03, 0.2, 0.05], 'contrast': 0.38, 'cells': 14}, ...],
 'edges': [...], 'model_spec': 'blank-pages@1', ...}

Explanations are computed on demand from the saved model (nothing extra is stored with
predictions): a model explains itself when its predictor has an ``explain(item)`` method
(``blank-ink``: the ink found on the page and where, the edges it ignored). Boxes are
``[x, y, width, height]`` as shares of the page, so they fit any rendering of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..workspace import Workspace


def latest_model_spec(ws: Workspace, item_id: str) -> str | None:
    """``name@version`` of the model behind the item's latest prediction (None if none)."""
    import sqlalchemy as sa

    p, m = ws.store.t.predictions, ws.store.t.models
    with ws.store.read() as conn:
        row = conn.execute(sa.select(m.c.name, m.c.version)
                           .select_from(p.join(m, m.c.id == p.c.model_id))
                           .where(p.c.item_id == item_id)
                           .order_by(p.c.created_at.desc(), p.c.id.desc()).limit(1)).first()
    return f"{row.name}@{row.version}" if row else None


def explain_item(ws: Workspace, item_id: str, model: str | None = None) -> dict[str, Any] | None:
    """The reasons of ``model`` (default: the model of the item's latest prediction) for
    the item: a sentence (``text``), the decision and regions (``marks``, ``edges``).
    None when there is no such model or it cannot explain itself. Raises
    :class:`~glamlab.errors.ItemError` naming the item when its image cannot be read."""
    from ..errors import UnknownPredictor
    from ..features import feature_store
    from ..predictors.catalogue import get
    from ..registry import get_model, load_model

    spec = model or latest_model_spec(ws, item_id)
    if spec is None:
        return None
    try:  # look at the class before loading the model: most models do not explain
        if not hasattr(get(get_model(ws, spec).predictor), "explain"):
            return None
    except UnknownPredictor:
        pass  # not registered here: load_model finds the class that saved it
    mv, predictor = load_model(ws, spec)
    explain = getattr(predictor, "explain", None)
    if explain is None:
        return None
    item = ws.item(item_id)
    with feature_store(ws):
        out: dict[str, Any] = explain(item)
    out["model_spec"] = mv.spec
    return out
