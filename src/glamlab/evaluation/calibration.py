"""Calibration data: what thresholds and model choice are tuned on, never the test split.

Labelled data has three roles. The **train** split fits predictors; **calibration**
data chooses (accept thresholds, which model); the frozen **test** split only scores
what was chosen, so its figure is an honest estimate. Calibration data is an explicit
``calibration`` split when the workspace has one (``glamlab labels import FILE --split
calibration``), otherwise out-of-fold predictions on the train split: the predictor is
fitted afresh on k-1 folds and predicts the fold it did not see (folds keep the
split's ``group_by`` groups whole, as the train/test split did).

A figure computed on the data that chose it is *in-sample*: it says so (``in_sample:
true``) and is never shown as the performance to expect.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import GlamlabError, LabelError

if TYPE_CHECKING:
    from ..predictors.base import Predictor
    from ..tasks.splits import LabelledSet
    from ..workspace import Workspace

log = logging.getLogger(__name__)

CALIBRATION = "calibration"
SOURCES = ("auto", "split", "out-of-fold")
DEFAULT_FOLDS = 5


@dataclass
class CalibrationPredictions:
    """Predictions of a predictor on calibration data it was not fitted on."""

    source: str  # "split" | "out-of-fold"
    ids: list[str]
    golds: list[Any]
    predictions: list[Any]  # the kind's prediction per item, None where it failed
    info: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {"source": self.source, "items": len(self.ids),
                "predicted": sum(1 for p in self.predictions if p is not None), **self.info}


def calibration_split(ws: Workspace) -> LabelledSet | None:
    """The labelled items of the explicit ``calibration`` split, or None."""
    from ..tasks.splits import labelled_split

    data = labelled_split(ws, CALIBRATION)
    return data if data.items else None


def clone(predictor: Predictor) -> Predictor:
    """An unfitted copy with the same parameters (sklearn's ``clone``)."""
    return type(predictor)(**predictor.get_params())


def split_group_by(ws: Workspace) -> str | None:
    """The ``group_by`` field of the last train/test split (from the audit log)."""
    import sqlalchemy as sa

    t = ws.store.t.audit_log
    with ws.store.read() as conn:
        row = conn.execute(sa.select(t.c.details).where(t.c.action == "split.create")
                           .order_by(t.c.id.desc()).limit(1)).first()
    return ((row[0] or {}).get("group_by") or None) if row else None


def group_keys(ws: Workspace, ids: Sequence[str], group_by: str | None = None
               ) -> dict[str, str]:
    """The group of each item for intervals: its ``group_by`` value (the split's, by
    default) or, without one, the item itself (the several predictions of one item in a
    multi-label task are one group)."""
    from ..tasks.splits import _group_value

    if group_by is None:
        group_by = split_group_by(ws)
    out = {i: f"i:{i}" for i in ids}
    if group_by:
        for item in ws.items(ids=list(ids)):
            g = _group_value(item, group_by)
            if g is not None:
                out[item.item_id] = f"g:{g}"
    return out


def fold_of(data: LabelledSet, folds: int, seed: int = 0,
            group_by: str | None = None) -> list[int]:
    """A fold number per item: whole groups (``group_by``) per fold, labels spread evenly
    (units sorted by their first stratum, dealt round-robin from a seeded shuffle)."""
    import random

    from ..tasks.splits import _group_value

    units: dict[Any, list[int]] = {}
    for i, item in enumerate(data.items):
        g = _group_value(item, group_by) if group_by else None
        units.setdefault(("g", str(g)) if g is not None else ("i", item.item_id), []).append(i)
    keys = list(units)
    rng = random.Random(seed)
    rng.shuffle(keys)

    def stratum(key: Any) -> str:
        strata = data.kind.strata(data.labels[units[key][0]])
        return min(strata) if strata else ""

    keys.sort(key=stratum)  # stable: shuffled within a stratum
    out = [0] * len(data.items)
    for n, key in enumerate(keys):
        for i in units[key]:
            out[i] = n % folds
    return out


# out-of-fold predictions already made in this process (choosing a model, then tuning its
# thresholds, asks for the same ones): (workspace, predictor, params, training data, folds)
_OOF_CACHE: dict[tuple[str, ...], CalibrationPredictions] = {}
_OOF_CACHE_SIZE = 8
#: out-of-fold predictions of more items than this are not kept in the workspace (the
#: stored JSON would be large); they are made again by each command that needs them
STORED_MAX_ITEMS = 100_000


def _oof_key(ws: Workspace, predictor: Predictor, data: LabelledSet, folds: int, seed: int,
             group_by: str | None) -> tuple[str, ...] | None:
    import json

    try:
        params = json.dumps(predictor.get_params(), sort_keys=True)
    except (TypeError, ValueError):
        return None
    return (str(ws.root), f"{type(predictor).__module__}.{type(predictor).__qualname__}",
            params, data.fingerprint, str(folds), str(seed), str(group_by))


@functools.lru_cache(maxsize=1)
def _environment() -> dict[str, Any]:
    """What else a refit depends on: glamlab's code (a hash of its source files), the
    installed packages and their versions, and where WordNet is found (the text models
    read its concepts when it is installed). A change to any of them makes the stored
    out-of-fold predictions out of date. Read once per process (a few tenths of a
    second): the code and packages a process runs are the ones it started with."""
    import hashlib
    import os
    from importlib import metadata
    from pathlib import Path

    import glamlab

    root = Path(glamlab.__file__).parent
    code = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        code.update(str(path.relative_to(root)).encode())
        code.update(hashlib.sha256(path.read_bytes()).digest())
    packages = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
    try:
        from ..predictors.text import wordnet

        words = str(wordnet.folder())
    except ImportError:  # without the text extra: no WordNet to follow
        words = None
    return {"glamlab": glamlab.__version__, "code": code.hexdigest(), "packages": packages,
            "wordnet": words, "wordnet_env": os.environ.get("GLAMLAB_WORDNET")}


def _stored_name(key: tuple[str, ...]) -> str:
    """The ``report_cache`` row of one predictor's out-of-fold predictions (its class and
    parameters): new training data or settings replace it rather than pile up."""
    from ..store.results import key_of

    return f"out-of-fold:{key[1]}:{key_of(key[1:3])[:16]}"[:200]


def _load_stored(ws: Workspace, key: tuple[str, ...], kind: Any, data: LabelledSet,
                 env: dict[str, Any]) -> CalibrationPredictions | None:
    """The out-of-fold predictions stored in the workspace for ``key``, or None when
    there are none or they were made from anything else."""
    from ..store.results import get_result, key_of

    row = get_result(ws.store, _stored_name(key))
    if row is None or row["key"] != key_of([list(key[1:]), env]):
        return None
    result = row["result"]
    stored = result.get("predictions") or {}
    if set(stored) != set(data.ids):
        return None
    preds: list[Any] = []
    try:
        for item_id in data.ids:
            p = stored[item_id]
            preds.append(None if p is None else kind.from_stored(*p))
    except (ValueError, TypeError, KeyError):
        return None
    return CalibrationPredictions("out-of-fold", data.ids, list(data.labels), preds,
                                  dict(result.get("info") or {}))


def _store(ws: Workspace, key: tuple[str, ...], kind: Any, result: CalibrationPredictions,
           env: dict[str, Any], seconds: float) -> None:
    """Keep ``result`` in the workspace (``report_cache``) for the next command."""
    import json

    from ..store.results import key_of, put_result

    if len(result.ids) > STORED_MAX_ITEMS:
        return
    preds: dict[str, Any] = {}
    for item_id, p in zip(result.ids, result.predictions, strict=True):
        if p is None:
            preds[item_id] = None
            continue
        sp = kind.to_stored(p)
        preds[item_id] = [sp.label, sp.labels, sp.scores, sp.score]
    # numpy numbers as the numbers they are (not their text), so that what is read back
    # compares exactly as what was predicted
    clean = json.loads(json.dumps({"predictions": preds, "info": result.info},
                                  default=lambda o: o.item() if hasattr(o, "item") else str(o)))
    try:
        put_result(ws.store, _stored_name(key), key_of([list(key[1:]), env]), clean, seconds)
    except Exception as exc:  # keeping them only saves time next time: never fatal
        log.warning("out-of-fold predictions not kept in the workspace (%s): the next "
                    "command makes them again", exc)


def out_of_fold(ws: Workspace, predictor: Predictor, *, folds: int = DEFAULT_FOLDS,
                seed: int = 0, data: LabelledSet | None = None,
                group_by: str | None = None, progress: bool = False,
                name: str | None = None) -> CalibrationPredictions:
    """Predictions on every training item by a copy of ``predictor`` fitted without it.

    A predictor that learns nothing (``needs_fit`` false: rules, zero-shot) predicts the
    training items as it is. Results are kept in this process, and in the workspace
    (``report_cache``, so that ``act --dry-run``, ``act`` and ``evaluate`` fit the folds
    once between them), for the same predictor class and parameters, training data (its
    fingerprint covers the items' content and labels), folds, seed, ``group_by``, and
    glamlab code and packages (:func:`_environment`). ``progress``: say on stderr what
    is being fitted while it is (a line every few seconds), naming the model ``name``
    (default: the predictor's)."""
    import time

    if data is None:
        from ..tasks.splits import training_data

        data = training_data(ws)
    if group_by is None:
        group_by = split_group_by(ws)
    key = (_oof_key(ws, predictor, data, folds, seed, group_by)
           if getattr(predictor, "needs_fit", True) else None)
    if key is not None and key in _OOF_CACHE:
        return _OOF_CACHE[key]
    env = _environment() if key is not None else {}
    result = _load_stored(ws, key, data.kind, data, env) if key is not None else None
    if result is None:
        start = time.monotonic()
        result = _out_of_fold(ws, predictor, folds=folds, seed=seed, data=data,
                              group_by=group_by, progress=progress, name=name)
        if key is not None:
            _store(ws, key, data.kind, result, env, time.monotonic() - start)
    if key is not None:
        while len(_OOF_CACHE) >= _OOF_CACHE_SIZE:
            _OOF_CACHE.pop(next(iter(_OOF_CACHE)))
        _OOF_CACHE[key] = result
    return result


def _out_of_fold(ws: Workspace, predictor: Predictor, *, folds: int, seed: int,
                 data: LabelledSet, group_by: str | None,
                 progress: bool = False, name: str | None = None) -> CalibrationPredictions:
    from ..features import feature_store
    from ..progress import Heartbeat
    from ..tasks.predict import predict_items

    kind = data.kind
    n = len(data)
    preds: list[Any] = [None] * n
    info: dict[str, Any] = {"folds": 0, "fold_errors": []}
    name = name or getattr(predictor, "name", None) or type(predictor).__name__
    with feature_store(ws), Heartbeat(f"predicting the training items with {name}",
                                      enabled=progress) as beat:
        if not getattr(predictor, "needs_fit", True):
            res = predict_items(kind, predictor, data.items,
                                batch_size=getattr(predictor, "batch_size", None))
            preds = list(res.predictions)
        else:
            k = max(2, min(folds, n))
            if n < 2:
                raise LabelError("too few training items for out-of-fold calibration",
                                 hint="label more training items, or a calibration split: "
                                      "glamlab labels import FILE --split calibration")
            assign = fold_of(data, k, seed, group_by)
            info["folds"] = k
            info["group_by"] = group_by
            for f in range(k):
                fit_idx = [i for i in range(n) if assign[i] != f]
                held = [i for i in range(n) if assign[i] == f]
                if not held or not fit_idx:
                    continue
                # what a person waits for, in words (fitting a large model takes minutes)
                beat.note(f"out-of-fold predictions of {name} (what thresholds and the "
                          f"choice of model are tuned on): fitting a copy on "
                          f"{len(fit_idx):,} of the {n:,} training items to predict the "
                          f"other {len(held):,}, part {f + 1} of {k}")
                p = clone(predictor)
                try:
                    kind.fit(p, [data.items[i] for i in fit_idx],
                             [data.labels[i] for i in fit_idx])
                except GlamlabError as exc:
                    info["fold_errors"].append(f"fold {f}: {exc.message}")
                    continue
                res = predict_items(kind, p, [data.items[i] for i in held],
                                    batch_size=getattr(p, "batch_size", None))
                for i, pred in zip(held, res.predictions, strict=True):
                    preds[i] = pred
    if not info["fold_errors"]:
        del info["fold_errors"]
    return CalibrationPredictions("out-of-fold", data.ids, list(data.labels), preds, info)


def on_split(ws: Workspace, predictor: Predictor,
             data: LabelledSet) -> CalibrationPredictions:
    """The (fitted) predictor's predictions on the calibration split."""
    from ..features import feature_store
    from ..tasks.predict import predict_items

    with feature_store(ws):
        res = predict_items(data.kind, predictor, data.items,
                            batch_size=getattr(predictor, "batch_size", None))
    return CalibrationPredictions("split", data.ids, list(data.labels), list(res.predictions))


def calibration_predictions(ws: Workspace, predictor: Predictor, *, source: str = "auto",
                            folds: int = DEFAULT_FOLDS, seed: int = 0, progress: bool = False,
                            name: str | None = None) -> CalibrationPredictions:
    """Predictions on calibration data: the calibration split (``split``; ``auto`` when
    it has labelled items), else out-of-fold on the train split."""
    if source not in SOURCES:
        raise LabelError(f"calibration source must be one of {', '.join(SOURCES)}, not "
                         f"{source!r}")
    if source in ("auto", "split"):
        data = calibration_split(ws)
        if data is not None:
            return on_split(ws, predictor, data)
        if source == "split":
            raise LabelError("the calibration split is empty",
                             hint="import labels into it: glamlab labels import FILE "
                                  "--split calibration (or use out-of-fold calibration)")
    return out_of_fold(ws, predictor, folds=folds, seed=seed, progress=progress, name=name)


def calibration_scores(ws: Workspace, predictors: Sequence[tuple[str, Predictor]], metric: str,
                       *, source: str = "auto", folds: int = DEFAULT_FOLDS, seed: int = 0,
                       progress: bool = False) -> tuple[dict[str, float], dict[str, Any]]:
    """``metric`` of each named predictor on calibration data (what a model is chosen
    by). A predictor that cannot be refitted or predicted is left out (its reason in the
    info)."""
    from ..tasks.kinds import task_kind

    kind = task_kind(ws.card)
    reduce = kind.reducer()
    scores: dict[str, float] = {}
    info: dict[str, Any] = {"left_out": {}}
    from ..progress import step

    for i, (name, predictor) in enumerate(predictors, 1):
        step(f"choosing the best model on calibration data: model {i} of "
             f"{len(predictors)} ({name})")
        try:
            cal = calibration_predictions(ws, predictor, source=source, folds=folds, seed=seed,
                                          progress=progress, name=name)
        except GlamlabError as exc:
            info["left_out"][name] = exc.message
            continue
        except Exception as exc:  # a predictor that cannot be copied or refitted
            info["left_out"][name] = f"{type(exc).__name__}: {exc}"
            continue
        if not cal.ids:
            info["left_out"][name] = "no calibration items"
            continue
        S = kind.item_stats(cal.golds, cal.predictions).S
        scores[name] = float(reduce(S.sum(axis=0), float(len(cal.ids)))[metric])
        info["source"] = cal.source
        info["items"] = len(cal.ids)
    if not info["left_out"]:
        del info["left_out"]
    return scores, info
