"""The predictor catalogue: predictor names and the classes behind them. Built-ins are
listed here (imported lazily); third parties add theirs through the ``glamlab.predictors``
entry-point group. (Saved model versions are the model registry, :mod:`glamlab.registry`.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import plugins
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
    "blank-ink": "glamlab.predictors.image.blank:BlankInk",
    "effnet-logreg": "glamlab.predictors.image.heads:EffNetLogReg",
    "effnet-tiles-logreg": "glamlab.predictors.image.heads:EffNetTilesLogReg",
    "graphic-cascade": "glamlab.predictors.image.cascade:GraphicCascade",
    "graphic-windows": "glamlab.predictors.image.windows:GraphicWindows",
    "page-stats-gbm": "glamlab.predictors.image.heads:PageStatsGBM",
    "page-stats-logreg": "glamlab.predictors.image.heads:PageStatsLogReg",
    "rapid-layout": "glamlab.predictors.image.zero_shot:RapidLayoutFigures",
    "rapidocr-blank": "glamlab.predictors.image.zero_shot:RapidOCRBlank",
    "stats-effnet-gbm": "glamlab.predictors.image.heads:StatsEffNetGBM",
    "local-stats-gbm": "glamlab.predictors.image.heads:LocalStatsGBM",
    "tesseract-blank": "glamlab.predictors.image.zero_shot:TesseractBlank",
    "tabular-gbm": "glamlab.predictors.tabular:TabularGBM",
    "tabular-last-period": "glamlab.predictors.tabular:LastPeriod",
    "tabular-last-year": "glamlab.predictors.tabular:SamePeriodLastYear",
    "tabular-share": "glamlab.predictors.tabular:TrainingShare",
    "crf-ner": "glamlab.predictors.entities.crf:CRFTagger",
    "entities-by-language": "glamlab.predictors.entities.by_language:EntitiesByLanguage",
    "entity-rules": "glamlab.predictors.entities.baselines:EntityRulesPredictor",
    "gazetteer": "glamlab.predictors.entities.baselines:GazetteerPredictor",
    "spacy-ner": "glamlab.predictors.entities.spacy_ner:SpacyNER",
    "spacy-pretrained": "glamlab.predictors.entities.spacy_ner:SpacyPretrained",
    "lang-fasttext": "glamlab.predictors.language.peers:FastTextLanguage",
    "lang-langid": "glamlab.predictors.language.peers:LangidLanguage",
    "lang-lingua": "glamlab.predictors.language.peers:LinguaLanguage",
    "lang-lingua-low": "glamlab.predictors.language.peers:LinguaLowLanguage",
    "language": "glamlab.predictors.language.combined:CombinedLanguage",
    "text-e5": "glamlab.predictors.text.heads:E5Classifier",
    "text-minilm": "glamlab.predictors.text.heads:MiniLMClassifier",
    "text-ensemble": "glamlab.predictors.text.ensemble:EnsembleClassifier",
    "text-tfidf": "glamlab.predictors.text.heads:TextClassifier",
    "text-zero-shot": "glamlab.predictors.text.zero_shot:ZeroShotClassifier",
}


def available() -> dict[str, str]:
    """Every registered predictor name and where it lives."""
    return plugins.available(BUILTIN, ENTRY_POINT_GROUP)


def get(name: str) -> type[Predictor]:
    spec = plugins.find(name, BUILTIN, ENTRY_POINT_GROUP)
    if spec is None:
        raise UnknownPredictor(f"no predictor called {name!r}",
                               hint=f"choose one of: {', '.join(available())}")
    return plugins.load(spec)  # type: ignore[no-any-return]


def create(name: str, **params: Any) -> Predictor:
    return get(name)(**params)
