"""Models of a tabular project: trained on the rows before the time split, after the
leakage check, saved as ordinary model versions (the first becomes the champion)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import PredictorError
from ..tasks.tabular import BASELINES, require_no_leakage, schema_of, split_frame

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pandas as pd

    from ..predictors.tabular import TabularPredictor
    from ..workspace import Workspace
    from .models import ModelVersion

DEFAULT_MODEL = "tabular-gbm"


def make_predictor(ws: Workspace, predictor_name: str = DEFAULT_MODEL,
                   params: dict[str, Any] | None = None) -> TabularPredictor:
    """A fresh tabular predictor with the project's schema (and ``threads=1`` for the
    boosted trees unless given: much faster on a busy machine)."""
    from ..predictors.catalogue import create
    from ..predictors.tabular import TabularPredictor

    params = dict(params or {})
    params.setdefault("schema", schema_of(ws).to_card())
    if predictor_name == DEFAULT_MODEL:
        params.setdefault("threads", 1)
    predictor = create(predictor_name, **params)
    if not isinstance(predictor, TabularPredictor):
        raise PredictorError(f"{predictor_name} does not read table rows",
                             hint=f"use {DEFAULT_MODEL} or a baseline: {', '.join(BASELINES)}")
    return predictor


def train_tabular(ws: Workspace, predictor_name: str = DEFAULT_MODEL, *,
                  params: dict[str, Any] | None = None, name: str | None = None,
                  allow_leaky: bool = False, frame: pd.DataFrame | None = None
                  ) -> dict[str, Any]:
    """Fit on the training period (rows before ``[split] train_until`` with an
    outcome) and save the model; refuses while a column leaks the outcome."""
    from .models import get_model, list_models, save_model, set_alias

    schema = schema_of(ws)
    train, _later, cutoff = split_frame(ws, frame)
    train = train[train[schema.label_column].notna()] if schema.label_column else train
    leakage = None if allow_leaky else require_no_leakage(train, schema)
    predictor = make_predictor(ws, predictor_name, params)
    predictor.fit_table(train)
    name = name or predictor_name
    has_champion = any(m.name == name and "champion" in m.aliases for m in list_models(ws))
    key = schema.id_column
    # the rows it learned from (all in the train split): evaluate and act check that the
    # test split holds none of them, and the cutoff cannot move back over them
    learned: dict[str, Iterable[str]] | None = (
        {"train": [str(i) for i in train[key]]} if key and key in train.columns else None)
    mv = save_model(ws, predictor, name=name, items=learned,
                    card={"train_rows": len(train), "split": "time", "train_until": cutoff})
    if not has_champion:
        mv = set_alias(ws, mv.spec, "champion")
    mv = get_model(ws, mv.spec)
    return {"model": mv.spec, "champion": "champion" in mv.aliases, "train_rows": len(train),
            "train_until": cutoff,
            "leakage_flagged": [f.column for f in leakage.flagged] if leakage else []}


def champion_predictor(ws: Workspace, spec: str | None = None
                       ) -> tuple[ModelVersion, TabularPredictor]:
    """The champion (or ``spec``) loaded; one clear error when there is none."""
    from ..errors import ModelNotFound
    from ..predictors.tabular import TabularPredictor
    from .models import champion, load_model

    try:
        mv, predictor = load_model(ws, spec or champion(ws).spec)
    except ModelNotFound as exc:
        raise ModelNotFound("the project has no model yet",
                            hint=f"glamlab train {DEFAULT_MODEL}") from exc
    if not isinstance(predictor, TabularPredictor):
        raise PredictorError(f"{mv.spec} is not a tabular model",
                             hint=f"glamlab train {DEFAULT_MODEL}")
    return mv, predictor


__all__ = ["BASELINES", "DEFAULT_MODEL", "champion_predictor", "make_predictor",
           "train_tabular"]
