"""One span predictor per language, chosen beforehand (e.g. by document-grouped
validation on the training split), behind one registered name.

``models`` maps a language code (or ``"*"`` for every other language and texts with no
language) to ``{"predictor": NAME, "params": {...}}``. Several languages may share one
configuration: it is trained once, on every training text (a model that only wants some
languages says so itself, e.g. ``spacy-ner``'s ``train_langs``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from ...errors import PredictorError
from .base import SpanPredictor
from .tokens import Span

SUB_DIR = "models"


def _key(spec: dict[str, Any]) -> str:
    return json.dumps(spec, sort_keys=True)


class EntitiesByLanguage(SpanPredictor):
    """Routes each text to the span predictor chosen for its language."""

    name: ClassVar[str] = "entities-by-language"
    intended_use = "one entry for a multilingual collection: the best model per language"
    limitations = "as good as the model chosen for each language; needs the language"

    def __init__(self, models: dict[str, dict[str, Any]] | None = None):
        self.models = models

    def _specs(self) -> dict[str, dict[str, Any]]:
        models = self.models or {"*": {"predictor": "crf-ner", "params": {}}}
        for lang, spec in models.items():
            if not isinstance(spec, dict) or "predictor" not in spec:
                raise PredictorError(f"entities-by-language: the model for {lang!r} needs a "
                                     "'predictor' name",
                                     hint='e.g. {"fr": {"predictor": "spacy-ner"}}')
        return models

    def _fit_spans(self, texts: list[str], spans: list[list[Span]],
                   langs: list[str | None]) -> None:
        from ..catalogue import create

        trained: dict[str, SpanPredictor] = {}
        route: dict[str, str] = {}
        for lang, spec in self._specs().items():
            key = _key(spec)
            if key not in trained:
                sub = create(spec["predictor"], **spec.get("params", {}))
                if not isinstance(sub, SpanPredictor):
                    raise PredictorError(f"{spec['predictor']} is not a span predictor",
                                         hint="choose an entity predictor")
                trained[key] = sub.fit(texts, spans, langs=langs, classes=self.classes_)
            route[lang] = key
        self._subs = trained
        self.route_ = route
        self.sub_keys_ = sorted(trained)

    def learned_state(self) -> dict[str, Any]:
        return super().learned_state()

    def _save_extra(self, directory: Path) -> list[Path]:
        files: list[Path] = []
        for i, key in enumerate(self.sub_keys_):
            files += self._subs[key].save(directory / SUB_DIR / str(i))
        return files

    def _load_extra(self, directory: Path) -> None:
        from ..base import Predictor

        subs = {}
        for i, key in enumerate(self.sub_keys_):
            sub = Predictor.load(directory / SUB_DIR / str(i))
            assert isinstance(sub, SpanPredictor)
            subs[key] = sub
        self._subs = subs

    def _predict_spans(self, texts: list[str], langs: list[str | None]) -> list[list[Span]]:
        out: list[list[Span]] = [[] for _ in texts]
        groups: dict[str, list[int]] = {}
        for i, lang in enumerate(langs):
            key = self.route_.get(lang or "*") or self.route_.get("*")
            if key is None:
                key = self.route_[sorted(self.route_)[0]]
            groups.setdefault(key, []).append(i)
        for key, idx in groups.items():
            got = self._subs[key].predict_spans([texts[i] for i in idx],
                                                langs=[langs[i] for i in idx])
            for i, ss in zip(idx, got, strict=True):
                out[i] = ss
        return out

    def card(self) -> dict[str, Any]:
        out = super().card()
        out["models"] = {lang: self._subs[key].card() for lang, key in
                         getattr(self, "route_", {}).items() if hasattr(self, "_subs")}
        return out
