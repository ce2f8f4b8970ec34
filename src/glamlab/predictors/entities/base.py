"""The span predictor protocol: entity mentions in text.

The same scikit-learn habits as :class:`glamlab.predictors.base.Predictor` (constructor
stores parameters; learned state ends in ``_``; ``save``/``load`` round-trip through
``params.json`` + ``state.pkl`` with the ``_save_extra``/``_load_extra`` hooks; ``card``),
shaped for spans instead of one label per item:

- :meth:`SpanPredictor.fit` ``(texts, spans, *, langs=None, classes=None)`` checks the
  gold spans (inside their text, of a known type, not overlapping), records what it was
  trained on (``training_``: sentences, spans per type, languages, a fingerprint) and
  calls ``_fit_spans(texts, spans, langs)``;
- :meth:`SpanPredictor.predict_spans` ``(texts, *, langs=None)`` batches by
  ``batch_size``, calls ``_predict_spans(texts, langs)`` and checks what comes back:
  one sorted list of non-overlapping :class:`~.tokens.Span` per text, inside the text,
  of a type in ``classes_``, with a score in [0, 1];
- :meth:`SpanPredictor.predict_items` reads ``item.text`` and ``item.meta["lang"]``;
  an item without text is an :class:`~glamlab.errors.ItemError` naming it.

``classes_`` holds the entity types (``PER``, ``LOC``...). ``predict_proba`` is not
defined for spans and says so.

A predictor whose learned state is made of :func:`~.tokens.tokenize`'s tokens
(``uses_tokeniser``: the gazetteer's table, the CRF's weights and lexicon) records
``tokeniser_``, the :data:`~.tokens.TOKENISER_VERSION` it was trained with (none: 1).
Loaded with a newer word splitter, it is brought up to date by
:meth:`SpanPredictor._upgrade_tokeniser` where it can be (the gazetteer re-keys its
table); otherwise it reads texts with today's splitter and a warning, once per model
(named ``NAME@N`` when the registry loads it, else by its folder), says that its
figures may have changed and how to retrain it;
:func:`older_splitter` tells such a model's saved card apart (``glamlab models``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import ItemError, NotFittedError, PredictorError
from ..base import Predictor, loading_as
from .tokens import TOKENISER_VERSION, Span

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np

    from ...items import Item

log = logging.getLogger(__name__)
_warned: set[str] = set()

Langs = Sequence[str | None] | None


def as_span(value: Any) -> Span:
    """A :class:`Span` from a Span, a ``(start, end, label[, score])`` tuple or a dict
    with ``start``, ``end`` and ``label`` (or ``type``)."""
    if isinstance(value, Span):
        return value
    if isinstance(value, dict):
        label = value.get("label", value.get("type"))
        return Span(int(value["start"]), int(value["end"]), str(label),
                    float(value.get("score", 1.0)))
    start, end, label, *rest = value
    return Span(int(start), int(end), str(label), float(rest[0]) if rest else 1.0)


def training_fingerprint(texts: Sequence[str], spans: Sequence[Sequence[Span]]) -> str:
    h = hashlib.sha256()
    for text, ss in zip(texts, spans, strict=True):
        h.update(text.encode("utf-8", "surrogatepass"))
        h.update(repr([(s.start, s.end, s.label) for s in ss]).encode())
        h.update(b"\x00")
    return h.hexdigest()


class SpanPredictor(Predictor):
    """Base class of entity-span predictors (see the module docstring)."""

    task: ClassVar[str] = "entities"
    modalities: ClassVar[tuple[str, ...]] = ("text",)
    supports_multi_label: ClassVar[bool] = False
    batch_size: ClassVar[int] = 256
    #: whether what it learns is made of tokens (see the module docstring)
    uses_tokeniser: ClassVar[bool] = False

    # -- fitting -------------------------------------------------------------------
    def fit(self, texts: Sequence[str], spans: Sequence[Sequence[Any]], *,  # type: ignore[override]
            langs: Langs = None, classes: Sequence[str] | None = None) -> SpanPredictor:
        """Learn from ``texts`` and their gold ``spans`` (one list per text)."""
        texts = list(texts)
        if len(texts) != len(spans):
            raise PredictorError(f"{self.name}: {len(texts)} texts but {len(spans)} span lists",
                                 hint="give exactly one list of spans (maybe empty) per text")
        langs_l = self._langs(langs, len(texts))
        gold = [sorted((as_span(s) for s in ss), key=lambda s: (s.start, s.end))
                for ss in spans]
        if classes is None:
            classes = sorted({s.label for ss in gold for s in ss})
        classes = list(classes)
        known = set(classes)
        for i, (text, ss) in enumerate(zip(texts, gold, strict=True)):
            if not isinstance(text, str):
                raise PredictorError(f"{self.name}: text {i} is not a string",
                                     item=str(i), hint="give the texts as strings")
            prev_end = -1
            for s in ss:
                if not 0 <= s.start < s.end <= len(text):
                    raise PredictorError(
                        f"{self.name}: text {i}: span {s.start}-{s.end} lies outside the text "
                        f"({len(text)} characters)", item=str(i), hint="fix the offsets")
                if s.label not in known:
                    raise PredictorError(f"{self.name}: text {i}: type {s.label!r} is not one of "
                                         f"{classes}", item=str(i),
                                         hint="add it to the labels or fix the data")
                if s.start < prev_end:
                    raise PredictorError(f"{self.name}: text {i}: spans overlap at {s.start}",
                                         item=str(i), hint="keep one span per stretch of text")
                prev_end = s.end
        if self._requires_texts() and not texts:
            raise PredictorError(f"{self.name}: no training texts",
                                 hint="label some texts first")
        self.classes_ = classes
        self.multi_label_ = False
        per_type = Counter(s.label for ss in gold for s in ss)
        self.training_ = {
            "sentences": len(texts),
            "spans": sum(per_type.values()),
            "spans_per_type": dict(sorted(per_type.items())),
            "languages": dict(sorted(Counter(x or "" for x in langs_l).items())),
            "fingerprint": training_fingerprint(texts, gold),
        }
        if self.uses_tokeniser:
            self.tokeniser_ = TOKENISER_VERSION
        self._fit_spans(texts, gold, langs_l)
        self.fitted_ = True
        return self

    def _requires_texts(self) -> bool:
        """Whether fitting without a single training text is an error."""
        return self.needs_fit

    def _fit_spans(self, texts: list[str], spans: list[list[Span]],
                   langs: list[str | None]) -> None:
        """Learn from texts, their sorted gold spans and their languages (None: unknown)."""

    # -- predicting ----------------------------------------------------------------
    def predict_spans(self, texts: Sequence[str], *, langs: Langs = None) -> list[list[Span]]:
        """One sorted list of non-overlapping spans per text. A long text (a whole OCR
        page) is read in pieces shaped like the training sentences (:func:`pieces`), and
        the spans found in each are put back at their place in the text: none crosses
        from one piece into the next."""
        if not getattr(self, "fitted_", False):
            raise NotFittedError(f"{self.name}: predict called before fit",
                                 hint="call fit(texts, spans) first, or load a saved model")
        texts = list(texts)
        langs_l = self._langs(langs, len(texts))
        # every text's pieces, read as one list: (text index, offset, piece text)
        parts: list[tuple[int, int, str]] = []
        for i, text in enumerate(texts):
            for start, end in pieces(text):
                # a line break inside a sentence reads as a space (the training
                # sentences' lines were joined by spaces): one character for one, so
                # the offsets stay those of the text
                parts.append((i, start, text[start:end].replace("\r", " ").replace("\n", " ")))
        known = set(self.classes_)
        out: list[list[Span]] = [[] for _ in texts]
        for lo in range(0, len(parts), self.batch_size):
            chunk = parts[lo: lo + self.batch_size]
            batch = [p for _, _, p in chunk]
            got = self._predict_spans(batch, [langs_l[i] for i, _, _ in chunk])
            if len(got) != len(batch):
                raise PredictorError(f"{self.name}: _predict_spans returned {len(got)} lists "
                                     f"for {len(batch)} texts")
            for (i, offset, text), ss in zip(chunk, got, strict=True):
                ss = sorted(ss, key=lambda s: (s.start, s.end))
                prev_end = -1
                for s in ss:
                    if (not 0 <= s.start < s.end <= len(text) or s.label not in known
                            or s.start < prev_end or s.score is None
                            or not 0.0 <= s.score <= 1.0):
                        raise PredictorError(f"{self.name}: bad span {s.to_dict()} for a text of "
                                             f"{len(text)} characters")
                    prev_end = s.end
                whole = texts[i]
                out[i].extend(s if not offset and s.text is None else dataclasses.replace(
                    s, start=s.start + offset, end=s.end + offset,
                    text=None if s.text is None else whole[s.start + offset: s.end + offset])
                    for s in ss)
        return out

    def _predict_spans(self, texts: list[str], langs: list[str | None]) -> list[list[Span]]:
        raise NotImplementedError

    def predict_items(self, items: Sequence[Item]) -> list[list[Span]]:
        """Spans for text items (``item.meta["lang"]`` gives the language if set)."""
        items = list(items)
        # any item with text is read (a page image with its OCR text too); the first
        # one without is named, and a run predicts the rest of the batch item by item
        self._check_modalities(items)
        for item in items:
            if not isinstance(item.text, str):
                raise ItemError(f"{item.item_id}: has no text", item=item.item_id,
                                hint="ingest the item's OCR text first")
        return self.predict_spans([it.text or "" for it in items],
                                  langs=[(it.meta or {}).get("lang") for it in items])

    def predict_proba(self, items: Sequence[Item]) -> np.ndarray:
        raise PredictorError(f"{self.name} finds entity spans and gives no label scores",
                             hint="call predict_spans(texts) or predict_items(items)")

    def predict(self, items: Sequence[Item], threshold: float = 0.5) -> list[Any]:
        return self.predict_items(items)

    # -- loading -------------------------------------------------------------------
    def _load_extra(self, directory: Path) -> None:
        if not self.uses_tokeniser:
            return
        if not hasattr(self, "tokeniser_"):
            self.tokeniser_ = 1  # saved before the version was recorded
        if self.tokeniser_ < TOKENISER_VERSION and not self._upgrade_tokeniser():
            # a registry model: named as users know it (NAME@N), once (not once per
            # model inside it); a folder loaded by itself: by its folder
            loading = loading_as()
            spec, where = loading if loading else (None, directory)
            if str(where) not in _warned:
                _warned.add(str(where))
                log.warning("%s", older_splitter_note(self.name, str(where), spec=spec))

    def _upgrade_tokeniser(self) -> bool:
        """Bring a model trained with an older word splitter up to date; False (the
        default) if it cannot be: it is used as it is, and a warning says to retrain it."""
        return False

    @classmethod
    def upgrades_tokeniser(cls, params: dict[str, Any]) -> bool:
        """Whether a model saved with these ``params`` and an older word splitter is
        brought up to date on load (:meth:`_upgrade_tokeniser` returns True for it)."""
        return False

    # -- helpers -------------------------------------------------------------------
    def _langs(self, langs: Langs, n: int) -> list[str | None]:
        if langs is None:
            return [None] * n
        out = [x or None for x in langs]
        if len(out) != n:
            raise PredictorError(f"{self.name}: {n} texts but {len(out)} languages",
                                 hint="give one language (or None) per text")
        return out

    def card(self) -> dict[str, Any]:
        out = super().card()
        out["task"] = self.task
        out["types"] = list(getattr(self, "classes_", []))
        out["trained_on"] = getattr(self, "training_", None)
        if self.uses_tokeniser:
            out["tokeniser"] = getattr(self, "tokeniser_", 1)
        return out


def older_splitter_note(predictor: str, model: str, *, spec: str | None = None) -> str:
    """The plain sentence for a model trained with an older word splitter: the model
    ``spec`` (``NAME@N``, as the registry and the command line name it), else the one
    saved in the folder ``model``. It does not promise better results from retraining: on
    the HIPE/NewsEye held-out documents an old CRF reading today's tokens scored as well
    as one retrained (within 0.012 strict F1, ``benchmarks/older_splitter.py``), but not
    as it did when it was evaluated."""
    which = spec if spec else f"saved in {model}"
    evaluate = f"glamlab evaluate {spec}" if spec else "glamlab evaluate"
    return (f"the {predictor} model {which} was trained with an older word splitter "
            "(one that did not cut words glued by OCR, such as 'nachWien') and now reads "
            f"texts with today's: its figures may have changed since it was evaluated "
            f"({evaluate} measures them now); retrain it (glamlab retrain, or glamlab "
            "train) to train it with today's")


def older_splitter(card: dict[str, Any]) -> bool:
    """Whether a saved model's card (``predictor``, ``params``, ``tokeniser``, and
    ``models`` for the models inside it) shows a model trained with an older word splitter
    that loading does not bring up to date: one to retrain."""
    from ... import plugins
    from ..catalogue import BUILTIN, ENTRY_POINT_GROUP, get

    name = card.get("predictor")
    # only span predictors' modules are imported (not an image model's, to list models);
    # a built-in is found without reading every package's entry points
    where = plugins.find(name, BUILTIN, ENTRY_POINT_GROUP) if isinstance(name, str) else None
    if isinstance(name, str) and (where or "").startswith(__package__ + "."):
        cls = get(name)
        if (isinstance(cls, type) and issubclass(cls, SpanPredictor) and cls.uses_tokeniser
                and int(card.get("tokeniser") or 1) < TOKENISER_VERSION
                and not cls.upgrades_tokeniser(card.get("params") or {})):
            return True
    subs = card.get("models")
    return isinstance(subs, dict) and any(isinstance(c, dict) and older_splitter(c)
                                          for c in subs.values())


#: a text with a line break, or longer than this, is read in pieces (:func:`pieces`)
LONG_TEXT = 2000
#: the most characters a piece gathers from several lines: as long as nine in ten
#: training sentences (HIPE's German sentences: median 110 characters, 90% up to 296)
PIECE_CHARS = 300
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# a sentence ends at . ! or ? (closing quotes and brackets may follow), before white
# space and a capital letter, a digit or an opening quote; not after a word of fewer than
# four characters ("Dr. Müller", "St. Gallen"), unless the mark stands alone, as the
# tokenised OCR of the training sentences writes it ("Wien . Der")
_SENTENCE_END = re.compile(r"(?:(?<=\s)|(?<=\w{4}))[.!?][\"'»«”“)\]]*(?=\s+[\"'„«»“(\[]?[A-ZÀ-ÞŒ0-9])")


def pieces(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the pieces a span predictor reads ``text`` in, one at a time.

    Span predictors learn from sentences (one line, 110 characters typically) but are
    run on whole OCR pages too (lines, and blocks set apart by blank lines); read whole,
    a page gives entities that run over many lines. A text without a line break and up
    to :data:`LONG_TEXT` characters is one piece (a sentence, as trained on). Any other
    is cut at blank lines (ALTO blocks, paragraphs), then into sentences
    (:data:`_SENTENCE_END`), and a sentence longer than :data:`PIECE_CHARS` at its line
    breaks (lines gathered up to that length). A span never crosses from one piece into
    the next; inside a piece it may run over a line break (a name printed across two
    lines). A word hyphenated across two lines is one word already where the OCR marks it
    (the ALTO reader joins it), and otherwise stays in one piece unless its sentence is
    cut at that line. Leading and trailing white space is left out of every piece;
    pieces cover the text's words in order, never overlapping."""
    if "\n" not in text and "\r" not in text and len(text) <= LONG_TEXT:
        return [(0, len(text))]
    out: list[tuple[int, int]] = []
    start = 0
    for m in [*_PARAGRAPH.finditer(text), None]:
        end = m.start() if m is not None else len(text)
        for a, b in _sentences(text, start, end):
            out.extend(_lines(text, a, b))
        if m is not None:
            start = m.end()
    return out


def _trimmed(text: str, a: int, b: int) -> tuple[int, int] | None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return (a, b) if a < b else None


def _sentences(text: str, a: int, b: int) -> list[tuple[int, int]]:
    out = []
    for m in [*_SENTENCE_END.finditer(text, a, b), None]:
        cut = m.end() if m is not None else b
        piece = _trimmed(text, a, cut)
        if piece:
            out.append(piece)
        a = cut
    return out


def _lines(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """``text[a:b]`` as pieces of whole lines, each up to :data:`PIECE_CHARS` characters
    (a longer line is a piece by itself)."""
    if b - a <= PIECE_CHARS:
        return [(a, b)]
    out: list[tuple[int, int]] = []
    lo = a
    hi = a
    for m in [*re.finditer(r"\r?\n|\r", text[a:b]), None]:
        end = a + m.start() if m is not None else b
        if end - lo > PIECE_CHARS and hi > lo:
            piece = _trimmed(text, lo, hi)
            if piece:
                out.append(piece)
            lo = hi
        hi = end
    piece = _trimmed(text, lo, b)
    if piece:
        out.append(piece)
    return out


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Keep the best of overlapping spans: higher score, then longer, then earlier."""
    chosen: list[Span] = []
    for s in sorted(spans, key=lambda s: (-(1.0 if s.score is None else s.score),
                                          -(s.end - s.start), s.start)):
        if all(s.end <= c.start or c.end <= s.start for c in chosen):
            chosen.append(s)
    return sorted(chosen, key=lambda s: (s.start, s.end))
