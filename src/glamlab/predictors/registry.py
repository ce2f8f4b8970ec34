"""Predictors by name. Built-ins are listed here (imported lazily); third parties
add theirs through the ``glamlab.predictors`` entry-point group."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from ..errors import UnknownPredictor

if TYPE_CHECKING:
    from .base import Predictor

ENTRY_POINT_GROUP = "glamlab.predictors"

# name -> "module:Class". Keep sorted by module.
BUILTIN: dict[str, str] = {
    "majority": "glamlab.predictors.baselines:MajorityPredictor",
    "prior": "glamlab.predictors.baselines:PriorPredictor",
    "rules": "glamlab.predictors.baselines:RulesPredictor",
    "threshold": "glamlab.predictors.baselines:ThresholdPredictor",
    "blank-ink": "glamlab.predictors.blank:BlankInk",
    "effnet-logreg": "glamlab.predictors.image:EffNetLogReg",
    "effnet-tiles-logreg": "glamlab.predictors.image:EffNetTilesLogReg",
    "graphic-windows": "glamlab.predictors.image:GraphicWindows",
    "page-stats-gbm": "glamlab.predictors.image:PageStatsGBM",
    "page-stats-logreg": "glamlab.predictors.image:PageStatsLogReg",
    "rapid-layout": "glamlab.predictors.image:RapidLayoutFigures",
    "rapidocr-blank": "glamlab.predictors.image:RapidOCRBlank",
    "stats-effnet-gbm": "glamlab.predictors.image:StatsEffNetGBM",
    "local-stats-gbm": "glamlab.predictors.image:LocalStatsGBM",
    "tesseract-blank": "glamlab.predictors.image:TesseractBlank",
    "lang-fasttext": "glamlab.predictors.language:FastTextLanguage",
    "lang-langid": "glamlab.predictors.language:LangidLanguage",
    "lang-lingua": "glamlab.predictors.language:LinguaLanguage",
    "lang-lingua-low": "glamlab.predictors.language:LinguaLowLanguage",
    "language": "glamlab.predictors.language:CombinedLanguage",
    "text-e5": "glamlab.predictors.text:E5Classifier",
    "text-minilm": "glamlab.predictors.text:MiniLMClassifier",
    "text-ensemble": "glamlab.predictors.text:EnsembleClassifier",
    "text-tfidf": "glamlab.predictors.text:TextClassifier",
    "text-zero-shot": "glamlab.predictors.text:ZeroShotClassifier",
}


def available() -> dict[str, str]:
    """Every registered predictor name and where it lives."""
    found = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep.value)
    return dict(sorted(found.items()))


def get(name: str) -> type[Predictor]:
    spec = available().get(name)
    if spec is None:
        raise UnknownPredictor(f"no predictor called {name!r}",
                               hint=f"choose one of: {', '.join(available())}")
    module_name, _, attr = spec.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    return cls  # type: ignore[no-any-return]


def create(name: str, **params: Any) -> Predictor:
    return get(name)(**params)
