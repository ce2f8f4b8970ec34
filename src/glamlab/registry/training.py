"""Fitting predictors on the train split (never the test split) and saving them.

Every fit path here takes its data from :func:`glamlab.registry.training_data`, the
guard that refuses test items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import PredictorError
from ..predictors.base import STATE_FILE
from ..tasks.splits import LabelledSet, training_data

if TYPE_CHECKING:
    from ..predictors.base import Predictor
    from ..workspace import Workspace
    from .models import ModelVersion


def fit_on_train(ws: Workspace, predictor: Predictor, data: LabelledSet | None = None
                 ) -> LabelledSet:
    """Fit ``predictor`` on the train split; returns the data it saw."""
    from ..predictors.catalogue import check_serves

    check_serves(ws.card, predictor)  # a wrong-kind predictor: said before reading data
    if data is None:
        data = training_data(ws)
    elif data.split != "train":
        raise PredictorError(f"refusing to fit on the {data.split} split",
                             hint="nothing may ever train on test items")
    from ..features import feature_store
    from ..workspace.leakage import check_fields

    check_fields(ws.card, predictor.meta_fields(), predictor.name or type(predictor).__name__)
    with feature_store(ws):  # image statistics / embeddings are cached in the workspace
        data.kind.fit(predictor, data.items, data.labels)
    return data


def parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    """``k=v`` strings to parameters; values are read as TOML literals when they can be
    (numbers, true/false, "quoted", [lists]) and kept as text otherwise."""
    import tomllib

    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise PredictorError(f"parameter {pair!r} is not KEY=VALUE", hint="e.g. --param C=0.5")
        key, value = pair.split("=", 1)
        key = key.strip()
        try:
            out[key] = tomllib.loads(f"v = {value.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[key] = value.strip()
    return out


@dataclass
class TrainResult:
    model: ModelVersion
    train_items: int
    champion: bool
    reused: bool = False
    notes: list[str] = field(default_factory=list)
    #: False for a pretrained predictor used as shipped (``needs_fit`` False): it learned
    #: nothing from the project's training items
    trained: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model.to_dict(), "spec": self.model.spec,
                "train_items": self.train_items, "champion": self.champion,
                "reused": self.reused, "notes": self.notes, "trained": self.trained}


def train(ws: Workspace, predictor_name: str, *, name: str | None = None,
          params: dict[str, Any] | None = None, predictor: Predictor | None = None,
          data: LabelledSet | None = None, set_champion: bool = True,
          reuse: bool = False, progress: bool = False) -> TrainResult:
    """Fit a registered predictor on the train split and save it as the next version
    of ``name``. The first version of a name becomes its ``champion``. With ``reuse``,
    an identical earlier version (same predictor, parameters, training data and learned
    state, e.g. the same rules) is returned instead of saving a copy. ``progress``: a
    line on stderr every few seconds while it fits."""
    from ..predictors import services
    from ..predictors.catalogue import SAVED_NOTHING, create_for, params_taken
    from ..progress import Heartbeat
    from .models import get_model, list_models, save_model, set_alias

    if ws.card.modality == "tabular" and predictor is None and data is None and set_champion:
        # a table's rows train on the time split with the leakage check, as `glamlab
        # train` does for them (the predictor needs the table's schema from the card);
        # each call saves a new version (``reuse`` does not apply)
        return _train_rows(ws, predictor_name, name=name, params=params)
    # a service's models are named after its block: `train service:tagger` -> tagger@1
    name = name or services.service_of(predictor_name, ws.card.raw) or predictor_name
    if predictor is None:
        predictor = create_for(ws, predictor_name, **(params or {}))
    else:
        services.attach(predictor, ws)
    # a value the library refuses while fitting (an error naming one of the caller's
    # params, or scikit-learn's InvalidParameterError; not e.g. too few labels): one
    # clear error, and nothing saved (the model is saved only after the fit)
    with Heartbeat(f"training {predictor_name}", enabled=progress), \
            params_taken(predictor_name, params, only_named=True, note=SAVED_NOTHING):
        data = fit_on_train(ws, predictor, data)
    params_now = _jsonable(predictor.get_params())
    if reuse:
        from ..predictors.entities.base import older_splitter

        state = predictor.state_digest()
        for mv in reversed(list_models(ws)):
            if (mv.name == name and mv.predictor == predictor.name
                    and mv.training_fingerprint == data.fingerprint and mv.params == params_now
                    and mv.card.get("state_digest", mv.artifacts.get(STATE_FILE)) == state
                    # the same weights, but the listing says to retrain it: a new version
                    and not older_splitter(mv.card)):
                return TrainResult(model=mv, train_items=len(data), champion="champion" in
                                   mv.aliases, reused=True)
    has_champion = any(m.name == name and "champion" in m.aliases for m in list_models(ws))
    notes = []
    skipped = getattr(predictor, "skipped_", None)
    if skipped:
        notes.append(f"{len(skipped)} training items could not be read and were left out "
                     f"(e.g. {skipped[0]['item']}: {skipped[0]['reason']})")
    notes.extend(getattr(predictor, "fit_notes_", None) or [])
    if data.changed:  # gold spans made on a text re-ingested since: left out, said
        from ..tasks.splits import CHANGED_GOLD_FIX, changed_gold_sentence

        notes.append(f"{changed_gold_sentence(data.changed)}. To use them: {CHANGED_GOLD_FIX}.")
    mv = save_model(ws, predictor, name=name, training_fingerprint=data.fingerprint,
                    card={"train_items": len(data), "split": "train",
                          "state_digest": predictor.state_digest()},
                    items={"train": data.ids})
    champion = False
    if set_champion and not has_champion:
        mv = set_alias(ws, mv.spec, "champion")
        champion = True
    return TrainResult(model=get_model(ws, mv.spec), train_items=len(data), champion=champion,
                       notes=notes, trained=bool(getattr(predictor, "needs_fit", True)))


def _train_rows(ws: Workspace, predictor_name: str, *, name: str | None,
                params: dict[str, Any] | None) -> TrainResult:
    """:func:`train` in a tabular project: :func:`glamlab.registry.tabular.train_tabular`."""
    from .models import get_model
    from .tabular import train_tabular

    res = train_tabular(ws, predictor_name, params=params, name=name)
    notes = ([f"left out as never-features, since each gives the outcome away: "
              f"{', '.join(res['leakage_flagged'])}"] if res["leakage_flagged"] else [])
    return TrainResult(model=get_model(ws, res["model"]), train_items=res["train_rows"],
                       champion=res["champion"], notes=notes)


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))
