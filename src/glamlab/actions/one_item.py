"""What the model in use predicts for one item, and what the policy and the safety checks
would do with it, writing nothing (the web app's ``/api/predict``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..tasks.kinds import task_kind
from .act import decide
from .policy import load_policy
from .safety import load_safety

if TYPE_CHECKING:
    from ..items import Item
    from ..workspace import Workspace


@dataclass
class ItemDecision:
    """What the model in use predicts for one item and what the policy would do with it."""

    item_id: str
    model: str
    scores: dict[str, Any]
    decisions: list[dict[str, Any]]

    @property
    def labels(self) -> list[str]:
        """The labels the policy would not reject (accept or review), surest first."""
        return [d["label"] for d in self.decisions if d["action"] != "reject"]

    def to_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "model": self.model, "scores": self.scores,
                "labels": self.labels, "decisions": self.decisions}


def decide_item(ws: Workspace, item: Item, *, model: str | None = None,
                models: Any = None) -> ItemDecision:
    """Predict one item with the champion (of ``model``, a model name, or the model in
    use) and apply the policy and safety checks to it, writing nothing.
    ``models``: a :class:`glamlab.registry.ModelCache` to load each model once. An item
    that cannot be predicted raises :class:`~glamlab.errors.ItemError` with the reason."""
    from ..errors import ItemError
    from ..inference.score import model_scorer
    from ..registry import champion, load_model

    mv = champion(ws, model)
    predictor = models.get(ws, mv) if models is not None else load_model(ws, mv.spec)[1]
    _mv, score = model_scorer(ws, mv.spec, predictor=predictor)
    res = score([item])
    pred = res.predictions[0]
    if pred is None:
        raise ItemError(f"{item.item_id}: {res.failures[0][1]}", item=item.item_id,
                        hint="see why the item cannot be read, or predict another")
    kind = task_kind(ws.card)
    policy = load_policy(ws.card)
    safety = load_safety(ws.card, ws.root)
    external = safety.is_external(mv.predictor, mv.card)
    decisions = []
    for c in kind.candidates(pred):
        action, reason, _hit = decide(policy, safety, item, c, external=external)
        decisions.append({"label": c.label, "score": c.score, "value": c.value,
                          "action": action, "reason": reason})
    return ItemDecision(item.item_id, mv.spec, kind.to_stored(pred).scores, decisions)
