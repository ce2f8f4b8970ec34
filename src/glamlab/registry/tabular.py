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
    from ..predictors.catalogue import SAVED_NOTHING, params_taken

    with params_taken(predictor_name, params, only_named=True,
                      note=SAVED_NOTHING):  # refused: nothing saved
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
            "train_until": cutoff, "calibrated_on": mv.card.get("calibrated_on"),
            "leakage_flagged": [f.column for f in leakage.flagged] if leakage else []}


def test_rows_learned(ws: Workspace, mv: ModelVersion) -> dict[str, Any] | None:
    """How a tabular model's training reaches into the test split, or None when it does
    not (or this is not a tabular project): a model retrained on outcomes
    (``glamlab retrain``) learned from rows up to its newest labelled window, and those
    after the project's time-split cutoff are test rows. Its rows are recorded (role
    ``retrain``); for one saved before they were (and trained past the cutoff), the rows
    of the test split (as stored: corrected dates do not move rows out of it) dated
    before the card's ``train_until`` count as learned (its own dates then are not
    known, so a frozen test row dated before the cutoff now counts). Returns ``spec``, ``train_until``, ``cutoff`` (where the test
    split starts), ``rows`` (test rows it learned from), ``window`` (the window its
    retraining was judged on, if any), ``message`` (what that means, in words) and
    ``fair`` (where its fair comparison is, in words)."""
    from ..tasks.tabular import is_tabular, project_frame
    from ..tasks.tabular import train_until as cutoff_of
    from .overlap import has_item_record, test_overlap

    if not is_tabular(ws):
        return None
    cutoff = cutoff_of(ws)
    until = mv.card.get("train_until")
    if cutoff is None or not until:
        return None
    until = str(until)
    if has_item_record(ws, mv.id):  # its rows are known: those in the test split now
        rows = len(test_overlap(ws, mv.id, roles=("retrain",)))
    elif until <= cutoff or mv.card.get("split") != "time":
        return None
    else:  # saved before its rows were recorded: the test rows before its train_until
        # the test split as stored, not the rows dated after the cutoff: a row kept in
        # train though its corrected date is after the cutoff is not scored on the test
        # split, and a frozen test row whose corrected date is before the cutoff is (the
        # model may have learned it under its old date)
        schema = schema_of(ws)
        _, later, _ = split_frame(ws, project_frame(ws, schema=schema))
        t = later[schema.time_column]
        known = later[schema.label_column].notna() if schema.label_column else t.notna()
        rows = int(((t < until) & known).sum())
    if rows == 0:
        return None
    window = mv.card.get("retrained_on_window")
    from ..tasks.calendar import last_day

    fair = (f"the retrain report on the window from {window[0]} to {last_day(window[1])}, "
            "which it did "
            "not see (glamlab retrain), or glamlab backtest" if window else "glamlab backtest")
    message = (f"{mv.spec} trained on rows before {until}, {rows:,} of them in the test split "
               f"(which starts on {cutoff}): scored there, its figures would be in-sample "
               "and optimistic")
    return {"spec": mv.spec, "train_until": until, "cutoff": cutoff, "rows": rows,
            "window": list(window) if window else None, "message": message, "fair": fair}


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
           "test_rows_learned", "train_tabular"]
