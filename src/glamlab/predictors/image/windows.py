"""``graphic-windows``: a classifier of overlapping page windows, each embedded by
EfficientNet-Lite0; a page scores as its best windows, averaged with a page-level head.

Graphic regions (``boxes`` in an item's metadata, from OCR layout files or an ingested
table) tell it which windows hold the graphic; pages without boxes train from their
page label alone (multiple-instance learning).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import ItemError, PredictorError
from ..base import Predictor, require_label
from .heads import FeatureHead, _logreg

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import numpy as np

    from ...items import Item


# -- window-level training from graphic boxes ---------------------------------------------
BOXES_KEY = "boxes"


BOXES_SIZE_KEY = "boxes_size"


def item_boxes(item: Item, key: str = BOXES_KEY) -> list[list[float]] | None:
    """The graphic boxes ``[x, y, w, h]`` an item carries as training supervision
    (``item.meta[key]``, default ``boxes``, in pixels of the item's image, or of an image
    of ``item.meta["boxes_size"]`` = ``[width, height]``); None when it carries none."""
    boxes = (item.meta or {}).get(key)
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
            f"{item.item_id}: its {key!r} metadata is not a list of [x, y, w, h] "
            f"boxes: {str(boxes)[:80]!r} ({exc})", item=item.item_id,
            hint="write the column as JSON, e.g. [[10, 20, 300, 150]], or leave it empty; "
                 "the page then trains from its label alone") from exc
    return out


def _boxes_note(items: list[Item], y: Any, field: str) -> list[str]:
    """A note when no positive training page carries boxes in ``field`` but the items
    have a column whose name says boxes (``graphic_bboxes_xywh``): the boxes were there,
    under another name, and the windows trained from page labels alone."""
    positive = [it for it, yi in zip(items, y, strict=True) if yi]
    if not positive or any((it.meta or {}).get(field) not in (None, "", []) for it in positive):
        return []
    named = sorted({k for it in positive for k in (it.meta or {})
                    if k not in (field, BOXES_SIZE_KEY) and ("box" in k.lower()
                                                             or "bbox" in k.lower())})
    if not named:
        return []
    return [f"no training page carries graphic boxes in {field!r}, so the windows learned "
            f"from page labels alone; the items' {named[0]!r} column looks like boxes: to "
            f"train from it, set boxes_field={named[0]!r} (glamlab train graphic-windows "
            f"--param boxes_field={named[0]})"]


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
    is 2 x 2 cells: with ``grid`` = 12 x 4, 33 windows of 1/6 x 1/2 of the page, so a
    thin ornament band or rule is a visible part of a window) and every window gets a
    cached feature vector:

    - ``windows="dense"`` (the default): EfficientNet-Lite0 runs once over the page,
      squashed to ``dense_size`` = height x width pixels (1216 x 448: a window is seen at
      about the scale the per-window passes gave it), and each window's vector is the
      average of the last convolution's map over the window
      (:class:`glamlab.features.embed.EffNetDenseGrid`); ``precision="int8"`` runs the
      network quantised to int8 (onnxruntime on the CPU: about half the network's CPU
      time, but 0.9 / 1.7 points lower F1 on two of three CV seeds of the dev split, so
      not the default);
    - ``windows="effnet"``: one network pass per window, each squashed to 224 px (as
      accurate on the dev split, about three times dearer);
    - ``windows="stats"``: hand-made window statistics (24 x 8 cells), no network.
    A window classifier is trained on windows, not pages:

    - a training page of ``positive_label`` whose item carries graphic boxes
      (``item.meta["boxes"]``, ``[x, y, w, h]`` pixels, or units of
      ``meta["boxes_size"]``; ALTO/PAGE ingest fills them from graphic regions, a table
      from a ``boxes`` column, or the column ``boxes_field`` names) gives positive windows
      where a
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
                    "classifier of page windows (EfficientNet-Lite0 features of 33 "
                    "overlapping windows, from one pass of the network over the page), "
                    "trained from graphic boxes where the labels have them, else from page "
                    "labels; the page scores as its best windows, averaged with "
                    "local-stats-gbm.")
    limitations = (FeatureHead.limitations + " One network pass over a 1216 x 448 page: a "
                   "few pages per second on two CPU cores (graphic-cascade is quicker). Thin "
                   "ornament bands can pass for a line of type; big drop capitals, stamps, "
                   "the dark edge of a scan and coloured paragraph marks can look like "
                   "ornaments. Needs the images extra (torch; onnxruntime for speed).")

    def __init__(self, positive_label: str = "graphic", windows: str = "dense",
                 C: float = 0.05, top_k: int = 3, min_cover: float = 0.5, context: bool = True,
                 stack: str = "local-stats-gbm", grid: tuple[int, int] = (12, 4),
                 dense_size: tuple[int, int] = (1216, 448), seed: int = 0,
                 boxes_field: str = BOXES_KEY, precision: str = "float"):
        self.positive_label = positive_label
        self.boxes_field = boxes_field
        self.grid = tuple(grid)
        self.dense_size = tuple(dense_size)
        self.context = context
        self.stack = stack
        self.windows = windows
        self.C = C
        self.top_k = top_k
        self.min_cover = min_cover
        self.seed = seed
        self.precision = precision

    # -- features -----------------------------------------------------------------------
    def _extractors(self) -> list[Any]:
        """The window extractors named by ``windows`` (joined with +), on one grid: ``grid``
        cells with the network, 24 x 8 cells for window statistics alone."""
        from ...features.embed import EffNetDenseGrid, EffNetTileGrid
        from ...features.grid import WindowGrid

        parts = self.windows.split("+")
        if (not parts or any(p not in ("effnet", "dense", "stats") for p in parts)
                or ("effnet" in parts and "dense" in parts)):
            raise PredictorError(f"{self.name}: unknown windows {self.windows!r}",
                                 hint="use windows=dense, effnet, stats, dense+stats or "
                                      "effnet+stats")
        if parts == ["stats"]:
            return [WindowGrid()]
        rows, cols = int(self.grid[0]), int(self.grid[1])
        if self.precision not in ("float", "int8"):
            raise PredictorError(f"{self.name}: unknown precision {self.precision!r}",
                                 hint="use precision=float or precision=int8")
        height, width = (int(v) for v in self.dense_size)
        out: list[Any] = [EffNetDenseGrid(rows, cols, height, width, precision=self.precision)
                          if "dense" in parts else EffNetTileGrid(rows, cols)]
        if "stats" in parts:
            out.append(WindowGrid(out[0].rows, out[0].cols))
        return out

    def _extractor(self) -> Any:
        return self._extractors()[0]

    def _window_features(self, items: list[Item]) -> np.ndarray:
        import numpy as np

        from ...features import get_features

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

        from ...features.grid import window_labels

        ex = self._extractor()
        out = np.zeros((len(items), ex.n_windows), dtype=np.int8)
        for i, item in enumerate(items):
            if not y[i]:
                continue
            try:
                boxes = item_boxes(item, self.boxes_field)
            except ItemError as exc:  # one bad cell must not stop training: the page
                log.warning("%s; %s", exc, exc.hint)  # trains from its label alone
                boxes = None
            if boxes:
                lab = window_labels(boxes, _image_size(item), ex.rows, ex.cols, self.min_cover)
                if (lab == 1).any():
                    out[i] = lab
                    continue
            out[i] = -2
        self.fit_notes_ = _boxes_note(items, y, self.boxes_field)
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

        pos = require_label(self, "positive_label")
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
        from ..catalogue import create

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
