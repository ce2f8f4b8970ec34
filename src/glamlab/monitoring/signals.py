"""The monitored signals, declared as small objects (config separate from computation).

A signal turns the rows of one window into values; its ``statistic`` compares a
window with the reference. Presets are plain lists of signals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import drift_stats

# A window's data: the prediction rows (dicts with item_id, label, score, run_id, created_at)
# joined with item facts (width, height, text_length, meta) and per-item features.
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Signal:
    name: str
    kind: str  # categorical | numeric | multivariate | rate
    description: str
    values: Callable[[Rows], Any]

    def compare(self, ref: Any, cur: Any) -> dict[str, float]:
        """The drift value (first key ``value``) and context statistics."""
        if self.kind == "categorical":
            chi = drift_stats.chi2_homogeneity(ref, cur)
            return {"value": drift_stats.jensen_shannon(ref, cur), "chi2": chi.statistic,
                    "p_value": chi.p_value, "unseen": len(chi.unseen)}
        if self.kind == "numeric":
            d, p = drift_stats.ks(ref, cur)
            return {"value": d, "p_value": p, "wasserstein": drift_stats.wasserstein(ref, cur)}
        if self.kind == "multivariate":
            return {"value": drift_stats.domain_classifier_auc(ref, cur)}
        raise ValueError(self.kind)

    def size(self, values: Any) -> int:
        if isinstance(values, Counter):
            return int(sum(values.values()))
        return len(values)

    def subsample(self, values: Any, idx: np.ndarray) -> Any:
        if isinstance(values, Counter):
            raise TypeError("subsample categorical signals through their raw list")
        return np.asarray(values)[idx]


def _labels(rows: Rows) -> list[str]:
    out: list[str] = []
    for r in rows:
        labs = r.get("labels") or ([r["label"]] if r.get("label") is not None else [])
        out.extend(str(x) for x in labs) if labs else out.append("(none)")
    return out


def _numeric(key: str) -> Callable[[Rows], np.ndarray]:
    def get(rows: Rows) -> np.ndarray:
        vals = [r.get(key) for r in rows]
        return np.array([v for v in vals if v is not None and np.isfinite(v)], dtype=float)

    return get


def _meta_numeric(keys: tuple[str, ...]) -> Callable[[Rows], np.ndarray]:
    def get(rows: Rows) -> np.ndarray:
        out = []
        for r in rows:
            meta = r.get("meta") or {}
            for k in keys:
                v = meta.get(k)
                if isinstance(v, int | float) and np.isfinite(v):
                    out.append(float(v))
                    break
        return np.array(out, dtype=float)

    return get


def _meta_category(keys: tuple[str, ...]) -> Callable[[Rows], list[str]]:
    def get(rows: Rows) -> list[str]:
        out = []
        for r in rows:
            meta = r.get("meta") or {}
            for k in keys:
                if meta.get(k):
                    out.append(str(meta[k]))
                    break
        return out

    return get


def _vectors(key: str) -> Callable[[Rows], np.ndarray]:
    def get(rows: Rows) -> np.ndarray:
        vecs = [r[key] for r in rows if r.get(key) is not None]
        return np.vstack(vecs) if vecs else np.zeros((0, 0))

    return get


_features = _vectors("features")


LABEL_MIX = Signal("label_mix", "categorical",
                   "Mix of predicted labels (Jensen–Shannon distance; chi-square for context)",
                   _labels)
SCORE = Signal("score", "numeric", "Distribution of top-label scores (Kolmogorov–Smirnov D; "
               "Wasserstein for context)", _numeric("score"))
IMAGE_SIZE = Signal("image_size", "numeric", "Image size in megapixels (KS D)",
                    _numeric("megapixels"))
BRIGHTNESS = Signal("brightness", "numeric", "Mean page brightness (KS D)", _numeric("brightness"))
INK = Signal("ink_ratio", "numeric", "Share of dark (ink) pixels (KS D)", _numeric("ink_ratio"))
IMAGE_FEATURES = Signal("image_features", "multivariate",
                        "All cached image features at once: AUC of a classifier telling the "
                        "window from the reference (0.5 = no drift)", _features)
EMBEDDING = Signal("embedding", "multivariate",
                   "Image embeddings (EfficientNet-Lite0, when the feature cache holds them): "
                   "AUC of a classifier telling the window from the reference", _vectors("embedding"))
TEXT_LENGTH = Signal("text_length", "numeric", "Text length in characters (KS D)",
                     _numeric("text_length"))
LANGUAGE_MIX = Signal("language_mix", "categorical", "Mix of languages in item metadata (JS)",
                      _meta_category(("language", "lang")))
OCR_CONFIDENCE = Signal("ocr_confidence", "numeric", "Mean OCR word confidence (KS D)",
                        _meta_numeric(("mean_word_confidence", "word_confidence", "ocr_confidence",
                                       "mean_wc")))

IMAGE_PRESET = [LABEL_MIX, SCORE, IMAGE_SIZE, BRIGHTNESS, INK, IMAGE_FEATURES, EMBEDDING]
TEXT_PRESET = [LABEL_MIX, SCORE, TEXT_LENGTH, LANGUAGE_MIX, OCR_CONFIDENCE]
