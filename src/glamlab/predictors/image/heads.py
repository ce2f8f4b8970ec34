"""Trained heads over cached page features (need labelled pages).

========================  =============================================================
``page-stats-logreg``     logistic regression on page statistics (fast path, ~100 pages/s)
``page-stats-gbm``        gradient boosting on page statistics
``effnet-logreg``         logistic regression on an EfficientNet-Lite0 embedding of the
                          whole page squashed to 224 px (the common baseline)
``effnet-tiles-logreg``   logistic regression on whole-page + tile embeddings (max/mean
                          pooled) and page statistics: sees small ornaments
``stats-effnet-gbm``      gradient boosting on page statistics + whole-page embedding
``local-stats-gbm``       gradient boosting on page statistics + densest-window
                          statistics at 900 px (ink, mid-tone, edge, red): finds small
                          ornaments, rules and rubric marks; no neural network
========================  =============================================================

Probabilities are calibrated (sigmoid, cross-validated). Every head reads pages through
the feature cache (:mod:`glamlab.features`), so a page is decoded and embedded once per
extractor version. An unreadable page raises :class:`~glamlab.errors.ItemError` naming
it; batch runs record it and go on.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import PredictorError
from ..base import Predictor

if TYPE_CHECKING:
    import numpy as np

    from ...features.base import Extractor
    from ...items import Item


_WINDOWS_SPEC = re.compile(r"windows(?:-([1-9][0-9]{2,3}))?(?:-s([1-9]))?")


def _extractors(spec: str) -> list[Extractor]:
    from ...features import EffNetEmbedding, LocalWindowStats, PageStats

    out: list[Extractor] = []
    for part in spec.split("+"):
        if part == "stats":
            out.append(PageStats())
        elif part == "effnet":
            out.append(EffNetEmbedding("whole"))
        elif part == "effnet-tiles":
            out.append(EffNetEmbedding("tiles"))
        elif m := _WINDOWS_SPEC.fullmatch(part):
            # windows-600: decoded at 600 px; windows-s2: over 2 x 2 blocks (2-3x quicker)
            out.append(LocalWindowStats(int(m.group(1) or 900), step=int(m.group(2) or 1)))
        else:
            raise PredictorError(f"unknown feature set {part!r}",
                                 hint="use stats, windows, windows-s2, effnet or effnet-tiles, "
                                      "joined with +")
    return out


class FeatureHead(Predictor):
    """A scikit-learn classifier over cached image features (``features`` names them,
    e.g. ``"stats+effnet-tiles"``). Subclasses choose the features and the model."""

    modalities: ClassVar[tuple[str, ...]] = ("image",)
    batch_size: ClassVar[int] = 64
    features: ClassVar[str] = "stats"
    intended_use = "Classify page images (e.g. blank vs content, illustration vs text)."
    limitations = ("Learns only what the training pages show: pages from a new kind of source "
                   "(another century, newspaper layouts, colour scans) need labelled examples.")

    def __init__(self, calibrate: bool = True, C: float = 1.0, seed: int = 0):
        self.calibrate = calibrate
        self.C = C
        self.seed = seed

    # -- features -----------------------------------------------------------------------
    def _features(self, items: list[Item]) -> np.ndarray:
        import numpy as np

        from ...features import get_features

        parts = [get_features(None, items, ex) for ex in _extractors(self.feature_spec())]
        X = np.hstack(parts) if len(parts) > 1 else parts[0]
        return np.nan_to_num(X.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)

    def feature_spec(self) -> str:
        """The features this head reads (``features``, unless its parameters change it)."""
        return self.features

    def _make_model(self) -> Any:
        raise NotImplementedError

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        X = self._features(items)
        if self.multi_label_:
            self.models_ = [self._fit_one(X, Y[:, j].astype(int)) for j in range(Y.shape[1])]
        else:
            self.models_ = [self._fit_one(X, Y.argmax(axis=1))]

    def _fit_one(self, X: np.ndarray, y: np.ndarray) -> Any:
        import numpy as np
        from sklearn.calibration import CalibratedClassifierCV

        present, counts = np.unique(y, return_counts=True)
        if len(present) == 1:  # one class only: a constant model, honestly
            return ("constant", int(present[0]))
        model = self._make_model()
        folds = min(3, int(counts.min()))
        if self.calibrate and folds >= 2:
            model = CalibratedClassifierCV(model, method="sigmoid", cv=folds)
        model.fit(X, y)
        return model

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        import numpy as np

        X = self._features(items)
        k = len(self.classes_)
        if self.multi_label_:
            out = np.zeros((len(items), k))
            for j, model in enumerate(self.models_):
                out[:, j] = _column(model, X, 1)
            return out
        model = self.models_[0]
        out = np.zeros((len(items), k))
        if isinstance(model, tuple):
            out[:, model[1]] = 1.0
            return out
        proba = model.predict_proba(X)
        for col, cls in enumerate(model.classes_):
            out[:, int(cls)] = proba[:, col]
        return out


def _column(model: Any, X: np.ndarray, cls: int) -> np.ndarray:
    import numpy as np

    if isinstance(model, tuple):
        return np.full(len(X), 1.0 if model[1] == cls else 0.0)
    proba = model.predict_proba(X)
    idx = list(model.classes_).index(cls)
    return proba[:, idx]  # type: ignore[no-any-return]


def _logreg(C: float, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000,
                                                              random_state=seed))


def _gbm(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15,
                                          l2_regularization=1.0, random_state=seed)


class PageStatsLogReg(FeatureHead):
    name: ClassVar[str] = "page-stats-logreg"
    features: ClassVar[str] = "stats"
    intended_use = ("Fast page triage from page statistics (ink, components, edges, layout, "
                    "colour), e.g. blank pages before paid OCR; about 100 pages/s per core.")

    def _make_model(self) -> Any:
        return _logreg(self.C, self.seed)


class PageStatsGBM(FeatureHead):
    name: ClassVar[str] = "page-stats-gbm"
    features: ClassVar[str] = "stats"
    intended_use = PageStatsLogReg.intended_use

    def _make_model(self) -> Any:
        return _gbm(self.seed)


class EffNetLogReg(FeatureHead):
    name: ClassVar[str] = "effnet-logreg"
    features: ClassVar[str] = "effnet"
    intended_use = ("Page classification from an EfficientNet-Lite0 ImageNet embedding of the "
                    "whole page squashed to 224 px (a standard baseline).")
    limitations = (FeatureHead.limitations + " Small ornaments and marks vanish at 224 px. "
                   "Needs the images extra (torch).")

    def __init__(self, calibrate: bool = True, C: float = 0.1, seed: int = 0):
        super().__init__(calibrate=calibrate, C=C, seed=seed)

    def _make_model(self) -> Any:
        return _logreg(self.C, self.seed)


class EffNetTilesLogReg(FeatureHead):
    name: ClassVar[str] = "effnet-tiles-logreg"
    features: ClassVar[str] = "stats+effnet-tiles"
    intended_use = ("Finding pages with illustrations, ornaments and decorations: the whole page "
                    "and overlapping tiles are embedded with EfficientNet-Lite0 (max/mean "
                    "pooled) and combined with page statistics.")
    limitations = (FeatureHead.limitations + " About 7 network passes per page: a few pages/s "
                   "per core on a CPU. Needs the images extra (torch).")

    def __init__(self, calibrate: bool = True, C: float = 0.05, seed: int = 0):
        super().__init__(calibrate=calibrate, C=C, seed=seed)

    def _make_model(self) -> Any:
        return _logreg(self.C, self.seed)


class StatsEffNetGBM(FeatureHead):
    name: ClassVar[str] = "stats-effnet-gbm"
    features: ClassVar[str] = "stats+effnet"
    intended_use = EffNetLogReg.intended_use + " Page statistics added; gradient boosting."
    limitations = EffNetLogReg.limitations

    def _make_model(self) -> Any:
        return _gbm(self.seed)


class LocalStatsGBM(FeatureHead):
    name: ClassVar[str] = "local-stats-gbm"
    features: ClassVar[str] = "stats+windows"
    intended_use = ("Finding pages with illustrations, ornaments, rules and rubric marks: page "
                    "statistics plus the densest local windows of ink, mid-tone, edge and red "
                    "at 900 px, with gradient boosting. No neural network; about 25 "
                    "pages/s on one core (with OpenCV, the images extra).")
    limitations = (FeatureHead.limitations + " Dense black-letter text, big drop capitals, "
                   "stains and show-through can look like an ornament; a very faint or tiny "
                   "mark can be missed.")

    # models saved before window_step existed read full-resolution windows
    saved_defaults: ClassVar[dict[str, Any]] = {"window_step": 1}

    def __init__(self, calibrate: bool = True, C: float = 1.0, seed: int = 0,
                 window_side: int = 900, window_step: int = 2):
        super().__init__(calibrate=calibrate, C=C, seed=seed)
        self.window_side = window_side
        self.window_step = window_step

    def feature_spec(self) -> str:
        # models pickled inside another (graphic-windows' stack) before these options
        # existed have no attribute: windows at 900 px, step 1
        side, step = getattr(self, "window_side", 900), getattr(self, "window_step", 1)
        return ("stats+windows" + ("" if side == 900 else f"-{side}")
                + ("" if step == 1 else f"-s{step}"))

    def _make_model(self) -> Any:
        return _gbm(self.seed)
