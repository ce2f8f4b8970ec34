"""Linking entity mentions to authority records, robust to OCR noise, with NIL.

For each mention the :class:`Linker`

1. **finds candidates** among the records' names, all normalised the same way
   (:func:`glamlab.tasks.spans.normalise`: long s, ligatures, diacritics, hyphenation) and
   stripped of leading titles and articles (``M.``, ``Herr``, ``général``, ``the``): exact
   names, the names rapidfuzz finds closest (``WRatio``: edit distance, token sets, partial
   matches), names a short mention abbreviates (``Esp.`` → ``Espagne``), names it is the
   acronym of (``S. d. N.`` → ``Société des Nations``, ``CFF`` → ``Chemins de fer
   fédéraux``), and a name spelled letter by letter matches it written solid (``A. F. P.``
   and ``AFP``; ``T u r i n`` and ``Turin``);
2. **ranks them with the context**: string similarity (edit ratio, token-set ratio,
   WRatio, exact, abbreviation, acronym), how often that surface form meant that record in the
   training mentions and how often the record is mentioned at all (priors from mention
   frequency), type agreement with the mention's label, other mentions of the same
   document that point to the record (co-occurrence), the document's date against
   the record's dates (nobody is mentioned before being born or founded), and the words
   around the mention (:attr:`Mention.context`, 50 words either side) against those around
   the record's training mentions (TF-IDF cosine, and whether the record is the closest
   candidate: Paris on the Seine or Paris among cattle ranches). A logistic regression
   weighs these features;
3. **answers NIL** when the best candidate's probability is under a threshold, the one
   that does best on the mean of accuracy@1 on linkable mentions and the share of the
   other mentions answered NIL (the two figures the HIPE evaluation below reports).

The weights and the threshold are learned from training mentions only
(:meth:`Linker.fit`), out of fold: the training documents are split in groups, and each
group's mentions are linked with priors (and, for an authority built from the mentions
themselves, names) from the other groups, so what is learned is how the linker does on
mentions it has not seen. Without training mentions, documented default weights apply.

The context words, on the HIPE training split's document-grouped cross-validation (5
folds; accuracy@1 / NIL precision for seeds 0, 1 and 2): 0.7927 / 0.9483, 0.7819 / 0.9500,
0.8043 / 0.9476 without; 0.7946 / 0.9495, 0.7940 / 0.9473, 0.8076 / 0.9447 with. On the dev
split, run once after that choice: 0.7919 / 0.9469 -> 0.7948 / 0.9382; linking the dev
split with the context takes 0.85-0.92 of the mentions/s it does without (each spelling's
accents stripped once, not in every context). Windows of 20 words (0.788
/ 0.946, 0.787 / 0.948) and the whole document (0.788 / 0.948, 0.790 / 0.948, and four
times slower to fit) did worse on seed 0; so did the cosine alone at 20 words (0.791 /
0.948, 0.787 / 0.951) and the cosine with its margin over the other candidates (0.792 /
0.942, 0.786 / 0.949).

Tried on the HIPE training split's document-grouped cross-validation (5 folds, seeds 0
and 1; means of accuracy@1 / NIL precision, acronyms in: 0.790 / 0.946) and not kept: a
NIL threshold per mention type (before acronyms: 0.786 / 0.948 -> 0.788 / 0.946, a move
along the same trade-off); a feature for a surname that a longer mention of a person in
the same document names (0.786 / 0.946); ``model="boosting"`` as the default (0.792 /
0.944: better on one seed, worse on the other).

Session 48, same cross-validation (seeds 0 / 1; before: 0.7946 / 0.9495, 0.7940 / 0.9473),
not kept: an ``era`` feature, the share of the record's training mentions dated within
10 years of the mention (Russia against the Russian Empire; records built from mentions
carry no dates, so ``date_conflict`` never fires on HIPE): 0.7788 / 0.9608, 0.7929 /
0.9486, worse on both; a NIL model (a logistic regression over the best and second-best
scores, their sum and the number of candidates, instead of the threshold on the best
score): 0.7979 / 0.9466, 0.7976 / 0.9455, but moving the present threshold 0.02 lower
gives the same point on seed 0 (0.7982 / 0.9470): a step along the same trade-off, not a
better linker (on the dev split it went the other way, 0.7948 -> 0.7926); 25 candidates
per mention instead of 15, with that NIL model: 0.7862 / 0.9435, 0.7830 / 0.9477. Where
seed 0's errors are: of 154 linkable mentions never offered the right record, 106 are
under WRatio 60 to every name it has in the other folds, mostly the same body named in
another language (Société des Nations known there only as Völkerbund); of 231 ranked
lower, 186 are places (a country against its historical state, a city against its
canton).

Session 49, same cross-validation (seeds 0 / 1; before: 0.7946 / 0.9495, 0.7940 /
0.9473), not kept: listwise features, each candidate's ``form_prior``, ``popularity``,
``context`` and ``type_match`` minus the best of the mention's other candidates: 0.7876 /
0.9466, 0.7951 / 0.9502 (on seed 0 the right record came first for 85.65% of the linkable
mentions, against 85.90%: 1 more, 8 fewer); a ``form_era`` feature, the share of the
training mentions of the same form dated within 10 years of the mention that meant the
record: 0.7906 / 0.9524, 0.7841 / 0.9488 (on seed 0, 5 more right records first, 18
fewer). The gold itself splits within one year (``Deutschland`` in 1938: 5 Q183, 5 Q7318;
in 1878: 3 Q183, 2 Q1206012), and the errors a date might fix come in clusters from one
document, which the other folds cannot teach.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..errors import MissingDependency, NotFittedError
from ..tasks.spans.model import NIL
from ..tasks.spans.normalise import normalise
from .authority import AuthorityRecord, authority_from_mentions
from .variants import PlaceVariants

# Leading words that are not part of a name (titles, honorifics, articles), in the
# languages of the HIPE newspapers (after normalisation: no case, no accents).
TITLES = frozenset("""
m mm mr mrs mme mmes mlle mlles messrs monsieur messieurs madame mesdames mademoiselle
herr herrn hr hrn frau fraulein fr dr doktor prof professor sir lord lady dame don dona
general gen colonel col capitaine cap major lieutenant lt marechal marshal admiral amiral
president praesident prasident minister ministre kaiser konig koenig roi reine king queen
prince prinz princesse pape papa pope abbe cardinal eveque bischof bishop saint st ste
comte graf count duc herzog duke baron marquis fursten furst fuerst
le la les l the der die das den dem des un une ein eine el lo
""".split())
FEATURES = ("ratio", "ocr_ratio", "variant_ratio", "token_set", "wratio", "exact", "abbreviation",
            "acronym", "best_similarity",
            "similarity_margin", "form_prior", "form_nil", "form_seen", "popularity",
            "record_names", "type_match", "type_unknown", "cooccurrence", "date_conflict",
            "length", "ambiguity", "context", "context_best")
# Default weights of the logistic score (no training mentions to learn them from):
# similarity and the form prior dominate, a NIL-prone form and a date conflict count against.
DEFAULT_WEIGHTS = dict(zip(FEATURES, (3.0, 1.0, 2.0, 1.0, 1.0, 2.0, 0.5, 1.0, 1.0, 1.0, 3.0, -2.0, 0.0,
                                      0.5, 0.0, 1.0, 0.3, 1.0, -3.0, 0.5, 0.5, 1.0, 0.5),
                        strict=True))
DEFAULT_BIAS = -6.0
_RATIO, _OCR_RATIO, _VARIANT_RATIO = (FEATURES.index(f) for f in ("ratio", "ocr_ratio",
                                                                  "variant_ratio"))
_CONTEXT, _CONTEXT_BEST = FEATURES.index("context"), FEATURES.index("context_best")
DEFAULT_THRESHOLD = 0.5
SHORTLIST = 200  # names per mention scored by rapidfuzz, chosen by shared trigrams
_NOT_PLACES = ("PER", "TIME", "PROD")  # record types that never get place variants
_TOKEN_RE = re.compile(r"\S+")
CONTEXT_WORDS = 50  # words either side of a mention that make its context


def context_window(text: str, start: int, end: int, words: int = CONTEXT_WORDS) -> str:
    """The ``words`` words either side of ``text[start:end]`` (the mention left out)."""
    left = _TOKEN_RE.findall(text[max(0, start - 30 * words):start])[-words:] if words else []
    right = _TOKEN_RE.findall(text[end:end + 30 * words])[:words] if words else []
    return " ".join(left + right)


def core(norm: str) -> str:
    """A normalised name without its leading titles and articles (never empty)."""
    tokens = norm.split()
    i = 0
    while i < len(tokens) - 1 and tokens[i] in TITLES:
        i += 1
    return " ".join(tokens[i:])


# Letters OCR confuses in old prints, folded together for one more comparison: the long s
# read as f, rn read for m (and the reverse), vv for w, digits for letters.
_OCR_PAIRS = (("rn", "m"), ("vv", "w"), ("f", "s"), ("0", "o"), ("1", "l"), ("5", "s"))


def skeleton(text: str) -> str:
    """``text`` (normalised) with OCR-confusable letters folded: ``ruffie`` -> ``russie``."""
    for a, b in _OCR_PAIRS:
        text = text.replace(a, b)
    return text


# Words an acronym may skip (``CFF``: Chemins de fer fédéraux), normalised.
_ACRONYM_SKIP = frozenset("""
de des du d la le les l et en a au aux of the and for der die das den dem des und fur von zu
zur zum di del della e y
""".split())


def solid(norm: str) -> str:
    """A name spelled letter by letter (``a f p``, ``t u r i n``) written solid (``afp``,
    ``turin``); any other name unchanged."""
    tokens = norm.split()
    if len(tokens) >= 2 and all(len(t) == 1 for t in tokens):
        return "".join(tokens)
    return norm


def acronyms(norm: str) -> set[str]:
    """The acronyms of a name of several words: the first letter of each word, with and
    without the small words (``societe des nations`` -> ``sdn``; ``chemins de fer
    federaux`` -> ``cdff``, ``cff``)."""
    tokens = norm.split()
    if len(tokens) < 2:
        return set()
    out = {"".join(t[0] for t in tokens)}
    content = [t for t in tokens if t not in _ACRONYM_SKIP]
    if len(content) >= 2:
        out.add("".join(t[0] for t in content))
    return out


def _acronym_query(c: str) -> str | None:
    """What a mention would be the acronym of: 2-6 letters, written solid or spaced."""
    key = solid(c)
    return key if " " not in key and 2 <= len(key) <= 6 and key.isalpha() else None


def _year(date: str | None) -> int | None:
    if not date:
        return None
    m = re.match(r"^\s*(-?\d{3,4})", str(date))
    return int(m.group(1)) if m else None


@dataclass
class Mention:
    """A stretch of text to link: its words, entity type, document and the document's
    date (its year is compared with the records' dates). ``authority_id`` is the gold
    link (a record id or ``NIL``) when known: what :meth:`Linker.fit` learns from."""

    text: str
    label: str | None = None
    document: str | None = None
    date: str | None = None
    authority_id: str | None = None
    group: str | None = None  # for scores per group (the dataset), never used to link
    context: str | None = None  # the words around it (:func:`context_window`)


@dataclass
class LinkResult:
    authority_id: str  # a record id, or "NIL"
    score: float  # the probability the best candidate is right
    candidates: list[tuple[str, float]] = field(default_factory=list)  # best first

    @property
    def is_nil(self) -> bool:
        return self.authority_id == NIL


@dataclass
class _Index:
    """Records' names and the priors learned from linked mentions."""

    records: list[AuthorityRecord]
    names: list[str]  # normalised, unique
    name_cores: list[str]
    name_records: list[list[int]]  # records whose own name it is
    variant_records: list[list[int]]  # records it is an other-language variant of
    record_variants: list[list[str]]  # per record: its variant names (normalised)
    exact: dict[str, list[int]]  # norm or core -> name indexes
    sorted_tokens: list[tuple[str, int]]  # (token, name index), for abbreviations
    acronyms: dict[str, list[int]]  # acronym -> names of several words it abbreviates
    grams: dict[str, Any]  # character trigram -> the names having it (numpy array)
    gram_counts: Any  # trigrams per name (numpy)
    form_counts: dict[str, Counter[int]]  # mention core -> record -> count
    form_nil: Counter[str]  # mention core -> training mentions not linkable (NIL)
    record_counts: Counter[int]
    types: list[str | None]
    years: list[tuple[int | None, int | None]]
    context_vectorizer: Any = None  # TF-IDF of context words, fitted on training mentions
    record_contexts: Any = None  # per record: its mentions' contexts (L2-normalised rows)


def _grams(text: str) -> set[str]:
    padded = f" {text} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def _shortlist(index: _Index, query: str, size: int) -> list[int]:
    """The ``size`` names sharing the most character trigrams with ``query`` (Dice)."""
    import numpy as np

    qg = _grams(query)
    lists = [index.grams[g] for g in qg if g in index.grams]
    if not lists:
        return []
    shared = np.bincount(np.concatenate(lists), minlength=len(index.gram_counts))
    hits = np.flatnonzero(shared)
    if len(hits) > size:
        dice = shared[hits] / (len(qg) + index.gram_counts[hits])
        hits = hits[np.argpartition(-dice, size)[:size]]
    return [int(i) for i in hits]


def _build_index(records: Sequence[AuthorityRecord], mentions: Sequence[Mention],
                 variants: PlaceVariants | None = None) -> _Index:
    names: list[str] = []
    name_at: dict[str, int] = {}
    name_records: list[list[int]] = []
    variant_records: list[list[int]] = []
    record_variants: list[list[str]] = []

    def add(norm: str, r_idx: int, table: list[list[int]]) -> None:
        if norm not in name_at:
            name_at[norm] = len(names)
            names.append(norm)
            name_records.append([])
            variant_records.append([])
        if r_idx not in table[name_at[norm]]:
            table[name_at[norm]].append(r_idx)

    for r_idx, rec in enumerate(records):
        own = [n for n in (normalise(x) for x in rec.names) if n]
        for norm in own:
            add(norm, r_idx, name_records)
        extra: list[str] = []
        if variants is not None and rec.type not in _NOT_PLACES:
            countries_only = rec.type not in (None, "LOC")
            for norm in own:
                for v in variants.names_for(norm, countries_only=countries_only):
                    if v not in own and v not in extra:
                        extra.append(v)
        for norm in extra:
            add(norm, r_idx, variant_records)
        record_variants.append(extra)
    cores = [core(n) for n in names]
    exact: dict[str, list[int]] = defaultdict(list)
    for i, (n, c) in enumerate(zip(names, cores, strict=True)):
        for key in {n, c, skeleton(c), solid(c)}:
            exact[key].append(i)
    acronym_names: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cores):
        for key in acronyms(c):
            acronym_names[key].append(i)
    tokens = sorted((tok, i) for i, c in enumerate(cores) for tok in set(c.split()))
    import numpy as np

    postings: dict[str, list[int]] = defaultdict(list)
    gram_counts = np.zeros(len(cores), dtype=np.float32)
    for i, c in enumerate(cores):
        gs = _grams(c)
        gram_counts[i] = len(gs)
        for g in gs:
            postings[g].append(i)
    grams = {g: np.asarray(ids, dtype=np.int32) for g, ids in postings.items()}
    by_id = {rec.record_id: i for i, rec in enumerate(records)}
    form_counts: dict[str, Counter[int]] = defaultdict(Counter)
    form_nil: Counter[str] = Counter()
    record_counts: Counter[int] = Counter()
    for m in mentions:
        if not m.authority_id:
            continue
        form = core(normalise(m.text))
        r = by_id.get(m.authority_id)
        if r is None:
            form_nil[form] += 1
            continue
        form_counts[form][r] += 1
        record_counts[r] += 1
    vectorizer, record_contexts = _record_contexts(len(records), by_id, mentions)
    return _Index(records=list(records), names=names, name_cores=cores,
                  name_records=name_records, variant_records=variant_records,
                  record_variants=record_variants, exact=dict(exact), sorted_tokens=tokens,
                  acronyms=dict(acronym_names),
                  grams=grams, gram_counts=gram_counts,
                  form_counts=dict(form_counts), form_nil=form_nil,
                  record_counts=record_counts,
                  types=[rec.type for rec in records],
                  years=[rec.year_range() for rec in records],
                  context_vectorizer=vectorizer, record_contexts=record_contexts)


_CONTEXT_WORD_RE = re.compile(r"(?u)\b[^\W\d_]{3,}\b")


@lru_cache(maxsize=200_000)
def _context_token(token: str) -> str:
    from sklearn.feature_extraction.text import strip_accents_unicode

    return strip_accents_unicode(token.lower())


def _context_words(text: str) -> list[str]:
    """The words of a context that count (3 letters or more), lower case, no accents:
    what ``TfidfVectorizer(strip_accents="unicode")`` finds, each spelling folded once."""
    return _CONTEXT_WORD_RE.findall(" ".join(_context_token(t) for t in text.split()))


def _record_contexts(n_records: int, by_id: dict[str, int], mentions: Sequence[Mention],
                     ) -> tuple[Any, Any]:
    """A TF-IDF of the linked mentions' context words, and per record the normalised sum
    of its mentions' context vectors (``None``, ``None`` without contexts)."""
    rows = [(by_id[m.authority_id], m.context) for m in mentions
            if m.context and m.authority_id in by_id]
    if len(rows) < 2:
        return None, None
    import numpy as np
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    vectorizer = TfidfVectorizer(analyzer=_context_words, sublinear_tf=True, min_df=2,
                                 max_df=0.5)
    try:
        X = vectorizer.fit_transform([c for _, c in rows])
    except ValueError:  # no word in two contexts
        return None, None
    owner = sparse.csr_matrix((np.ones(len(rows)), ([r for r, _ in rows], np.arange(len(rows)))),
                              shape=(n_records, len(rows)))
    return vectorizer, normalize(owner @ X).tocsr()


@dataclass
class _Candidates:
    mention: Mention
    query: str
    records: list[int]
    rows: list[list[float]]
    ids: list[str] = field(default_factory=list)


class Linker:
    """Links mentions to authority records (see the module docstring).

    ``max_candidates`` records are ranked per mention, among names rapidfuzz scores at
    least ``min_similarity`` (0-100). ``threshold`` fixes the NIL threshold instead of
    learning it; ``folds`` groups of training documents are used out of fold."""

    name = "fuzzy-context"

    def __init__(self, *, max_candidates: int = 15, min_similarity: float = 60.0,
                 threshold: float | None = None, model: str = "logistic",
                 variants: str | None = "places", folds: int = 5, seed: int = 0):
        self.max_candidates = max_candidates
        self.variants = variants
        self.model = model
        self.min_similarity = min_similarity
        self.threshold = threshold
        self.folds = folds
        self.seed = seed

    # -- fitting ------------------------------------------------------------------------
    def fit(self, records: Sequence[AuthorityRecord] | None, mentions: Sequence[Mention] = (),
            ) -> Linker:
        """Learn priors, weights and the NIL threshold from linked training mentions.

        ``records`` is the authority; ``None`` builds it from the mentions themselves
        (each linked id with every surface form seen for it: how the HIPE benchmark
        builds its list), and then out-of-fold linking rebuilds it without the held-out
        documents, so that unseen surface forms are learned about honestly."""
        _rapidfuzz()
        mentions = list(mentions)
        from_mentions = records is None
        if from_mentions and not mentions:
            raise ValueError("no authority records and no mentions to build them from")
        full = authority_from_mentions(mentions) if from_mentions else list(records or [])
        self.weights_ = dict(DEFAULT_WEIGHTS)
        self.bias_ = DEFAULT_BIAS
        self.model_: Any = None
        self.threshold_ = DEFAULT_THRESHOLD if self.threshold is None else self.threshold
        self.training_: dict[str, Any] = {"mentions": len(mentions), "records": len(full),
                                          "oof": False}
        linked = [m for m in mentions if m.authority_id]
        if len(linked) >= 50 and len({m.document for m in linked}) >= 2:
            self._fit_out_of_fold(full, linked, from_mentions)
        self.index_ = _build_index(full, linked, self._variants())
        return self

    def _fit_out_of_fold(self, full: Sequence[AuthorityRecord], mentions: list[Mention],
                         from_mentions: bool) -> None:
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        docs = sorted({m.document or f"#{i}" for i, m in enumerate(mentions)})
        rng = np.random.default_rng(self.seed)
        order = rng.permutation(len(docs))
        k = max(2, min(self.folds, len(docs)))
        fold_of = {docs[j]: n % k for n, j in enumerate(order)}
        X: list[list[float]] = []
        y: list[int] = []
        held: list[tuple[_Candidates, str | None]] = []
        for f in range(k):
            train = [m for i, m in enumerate(mentions)
                     if fold_of[m.document or f"#{i}"] != f]
            test = [m for i, m in enumerate(mentions)
                    if fold_of[m.document or f"#{i}"] == f]
            recs = authority_from_mentions(train) if from_mentions else list(full)
            index = _build_index(recs, train, self._variants())
            linkable = {rec.record_id for rec in recs}
            for cand in self._candidates(index, test):
                gold = cand.mention.authority_id
                for rid, row in zip(cand.ids, cand.rows, strict=True):
                    X.append(row)
                    y.append(int(rid == gold))
                held.append((cand, gold if gold in linkable else None))
        if sum(y) < 10 or sum(y) == len(y):
            return
        if self.model == "boosting":
            from sklearn.ensemble import HistGradientBoostingClassifier

            self.model_ = HistGradientBoostingClassifier(
                max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
                l2_regularization=1.0, random_state=self.seed)
            self.model_.fit(np.asarray(X), np.asarray(y))
        else:
            model = LogisticRegression(C=1.0, max_iter=2000)
            model.fit(np.asarray(X), np.asarray(y))
            self.weights_ = dict(zip(FEATURES, (float(w) for w in model.coef_[0]),
                                     strict=True))
            self.bias_ = float(model.intercept_[0])
        # the NIL threshold: the one that links the held-out mentions best
        tops: list[tuple[float, bool, bool]] = []  # (score, top is right, mention linkable)
        all_scores = self._scores([row for cand, _ in held for row in cand.rows])
        at = 0
        for cand, gold_in in held:
            scores = all_scores[at:at + len(cand.rows)]
            at += len(cand.rows)
            if scores:
                best = max(range(len(scores)), key=scores.__getitem__)
                tops.append((scores[best], cand.ids[best] == gold_in, gold_in is not None))
            else:
                tops.append((0.0, False, gold_in is not None))
        if self.threshold is None:
            self.threshold_ = _best_threshold(tops)
        self.training_.update(oof=True, candidates=len(y), folds=k,
                              oof_accuracy=_accuracy(tops, self.threshold_))

    def _variants(self) -> PlaceVariants | None:
        if self.variants is None:
            return None
        if self.variants != "places":
            raise ValueError(f"unknown variants {self.variants!r}: use 'places' or None")
        from .variants import place_variants

        return place_variants()

    # -- scoring ------------------------------------------------------------------------
    def _scores(self, rows: Sequence[Sequence[float]]) -> list[float]:
        """The probability that each candidate (a feature row) is the right record."""
        if not rows:
            return []
        if self.model_ is not None:
            import numpy as np

            return [float(p) for p in self.model_.predict_proba(np.asarray(rows))[:, 1]]
        out = []
        for row in rows:
            z = self.bias_ + sum(self.weights_[f] * v for f, v in zip(FEATURES, row,
                                                                       strict=True))
            out.append(1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z)))))
        return out

    def _candidates(self, index: _Index, mentions: Sequence[Mention]) -> list[_Candidates]:
        from rapidfuzz import fuzz, process

        out: list[_Candidates] = []
        found: list[dict[int, float]] = []
        for m in mentions:
            q = normalise(m.text)
            c = core(q) if q else q
            best: dict[int, float] = {}  # name index -> WRatio
            for key in {q, c, skeleton(c), solid(c)}:
                for i in index.exact.get(key, ()):
                    best[i] = 100.0
            short_form = _acronym_query(c)
            if short_form:  # an acronym: S. d. N. -> societe des nations
                for i in index.acronyms.get(short_form, ())[:20]:
                    best.setdefault(i, 0.0)
            if c and index.names:
                short = {i: index.name_cores[i] for i in _shortlist(index, c, SHORTLIST)}
                for _, score, i in process.extract(c, short, scorer=fuzz.WRatio,
                                                   limit=self.max_candidates * 3,
                                                   score_cutoff=self.min_similarity):
                    best[i] = max(best.get(i, 0.0), float(score))
                if 2 <= len(c) <= 5 and " " not in c:  # an abbreviation: Esp. -> espagne
                    at = bisect_left(index.sorted_tokens, (c, -1))
                    n = 0
                    while at < len(index.sorted_tokens) and n < 20 and \
                            index.sorted_tokens[at][0].startswith(c):
                        best.setdefault(index.sorted_tokens[at][1], 0.0)
                        at += 1
                        n += 1
            per_record: dict[int, float] = {}
            for i, s in best.items():
                for r in (*index.name_records[i], *index.variant_records[i]):
                    per_record[r] = max(per_record.get(r, -1.0), s)
            found.append(per_record)
            out.append(_Candidates(mention=m, query=c, records=[], rows=[]))
        # what the other mentions of a document say about each record (co-occurrence):
        # a mention supports a record it names exactly, or whose form meant it in training
        support: dict[str, dict[int, list[tuple[float, int]]]] = defaultdict(dict)
        for k, (cand, per_record) in enumerate(zip(out, found, strict=True)):
            if cand.mention.document is None:
                continue
            prior = index.form_counts.get(cand.query, Counter())
            total = sum(prior.values()) + index.form_nil.get(cand.query, 0)
            for r, score in per_record.items():
                strength = max(1.0 if score >= 100.0 else 0.0, prior.get(r, 0) / (total + 1.0))
                if strength > 0:
                    support[cand.mention.document].setdefault(r, []).append((strength, k))
        max_pop = math.log1p(max(index.record_counts.values(), default=0))
        contexts = None
        if index.context_vectorizer is not None:
            contexts = index.context_vectorizer.transform(
                [m.context or "" for m in mentions]).tocsr()
        for k, (cand, per_record) in enumerate(zip(out, found, strict=True)):
            m, c = cand.mention, cand.query
            prior = index.form_counts.get(c, Counter())
            prior_total = sum(prior.values())
            nil = index.form_nil.get(c, 0)
            ranked = sorted(per_record, key=lambda r: (-(per_record[r] + 30.0 * (
                prior[r] / (prior_total + 1.0))), r))[: self.max_candidates]
            close = sum(1 for r in per_record if per_record[r] >= 90.0)
            year = _year(m.date)
            doc = support.get(m.document or "", {})
            rows = []
            for r in ranked:
                others = max((x for x, j in doc.get(r, ()) if j != k), default=0.0)
                rows.append(self._features(index, r, c, per_record[r], prior, prior_total, nil,
                                           m, year, others, close, max_pop, fuzz))
            # how each candidate compares with the others of the mention
            sims = [max(row[_RATIO], row[_OCR_RATIO], row[_VARIANT_RATIO]) for row in rows]
            for k, row in enumerate(rows):
                others = max((x for j, x in enumerate(sims) if j != k), default=0.0)
                row[FEATURES.index("best_similarity")] = float(sims[k] >= max(sims))
                row[FEATURES.index("similarity_margin")] = sims[k] - others
            cand.records = list(ranked)
            cand.ids = [index.records[r].record_id for r in ranked]
            cand.rows = rows
        if contexts is not None:
            self._context_features(index, contexts, out)
        return out

    @staticmethod
    def _context_features(index: _Index, contexts: Any, cands: list[_Candidates]) -> None:
        """Fill ``context`` (the cosine of the mention's context words with the record's)
        and ``context_best`` (no other candidate closer) in every candidate's row."""
        import numpy as np

        ks = [k for k, cand in enumerate(cands) for _ in cand.records]
        if not ks:
            return
        rs = [r for cand in cands for r in cand.records]
        sims = np.asarray(contexts[ks].multiply(index.record_contexts[rs]).sum(axis=1)).ravel()
        at = 0
        for cand in cands:
            ctx = sims[at:at + len(cand.rows)]
            at += len(cand.rows)
            for row, x in zip(cand.rows, ctx, strict=True):
                row[_CONTEXT] = float(x)
                row[_CONTEXT_BEST] = float(x > 0 and x >= ctx.max())

    def _features(self, index: _Index, r: int, c: str, wratio: float, prior: Counter[int],
                  prior_total: int, nil: int, m: Mention, year: int | None,
                  others: float, close: int, max_pop: float, fuzz: Any) -> list[float]:
        rec_names = self._record_names(index, r)
        ratio = max((fuzz.ratio(c, n) for n in rec_names), default=0.0) / 100.0
        sk = skeleton(c)
        ocr = max((fuzz.ratio(sk, skeleton(n)) for n in rec_names), default=0.0) / 100.0
        variant = max((fuzz.ratio(c, n) for n in index.record_variants[r]),
                      default=0.0) / 100.0
        tset = max((fuzz.token_set_ratio(c, n) for n in rec_names), default=0.0) / 100.0
        solid_c = solid(c)
        exact = 1.0 if c in rec_names or any(solid(n) == solid_c for n in rec_names) else 0.0
        abbrev = 1.0 if (2 <= len(c) <= 5 and any(tok.startswith(c) for n in rec_names
                                                   for tok in n.split())) else 0.0
        short_form = _acronym_query(c)
        acronym = 1.0 if short_form and any(short_form in acronyms(n)
                                             for n in rec_names) else 0.0
        kind = index.types[r]
        type_match = 1.0 if kind and m.label and kind == m.label else 0.0
        type_unknown = 1.0 if not kind or not m.label else 0.0
        start, _end = index.years[r]
        conflict = 1.0 if year is not None and start is not None and year < start else 0.0
        seen = prior_total + nil
        values = {
            "ratio": ratio, "ocr_ratio": ocr, "variant_ratio": variant, "token_set": tset,
            "wratio": wratio / 100.0, "exact": exact,
            "abbreviation": abbrev, "acronym": acronym, "best_similarity": 0.0, "similarity_margin": 0.0,
            "form_prior": prior.get(r, 0) / (seen + 1.0),
            "form_nil": nil / (seen + 1.0),
            "form_seen": math.log1p(seen) / 5.0,
            "popularity": math.log1p(index.record_counts.get(r, 0)) / max_pop if max_pop
            else 0.0,
            "record_names": math.log1p(len(rec_names)) / 3.0,
            "type_match": type_match, "type_unknown": type_unknown,
            "cooccurrence": others, "date_conflict": conflict,
            "length": min(len(c), 12) / 12.0, "ambiguity": 1.0 / max(1, close),
            "context": 0.0, "context_best": 0.0}
        return [values[f] for f in FEATURES]

    @staticmethod
    def _record_names(index: _Index, r: int) -> list[str]:
        cache = index.__dict__.setdefault("_names_of", {})
        if r not in cache:
            cache[r] = sorted({core(normalise(n)) for n in index.records[r].names} - {""})
        return cache[r]  # type: ignore[no-any-return]

    # -- linking ------------------------------------------------------------------------
    def link(self, mentions: Sequence[Mention]) -> list[LinkResult]:
        """The best record for each mention, or ``NIL`` when unsure. Mentions of one
        document should come in one call: they are each other's context."""
        if not hasattr(self, "index_"):
            raise NotFittedError("this linker has not been fitted",
                                 hint="call fit(records, training_mentions) first")
        results = []
        cands = self._candidates(self.index_, mentions)
        all_scores = self._scores([row for cand in cands for row in cand.rows])
        at = 0
        for cand in cands:
            scores = all_scores[at:at + len(cand.rows)]
            at += len(cand.rows)
            scored = sorted(zip(cand.ids, scores, strict=True), key=lambda kv: -kv[1])
            if scored and scored[0][1] >= self.threshold_:
                results.append(LinkResult(scored[0][0], scored[0][1], scored))
            else:
                results.append(LinkResult(NIL, scored[0][1] if scored else 0.0, scored))
        return results


def _accuracy(tops: Sequence[tuple[float, bool, bool]], threshold: float) -> float:
    """The mean of accuracy@1 on the linkable mentions and the share of the others
    answered NIL (each side counts as much, however many mentions it has)."""
    link = [ok for s, ok, linkable in tops if linkable and s >= threshold]
    n_link = sum(1 for _, _, linkable in tops if linkable)
    n_nil = len(tops) - n_link
    nil_right = sum(1 for s, _, linkable in tops if not linkable and s < threshold)
    parts = ([sum(link) / n_link] if n_link else []) + ([nil_right / n_nil] if n_nil else [])
    return sum(parts) / len(parts) if parts else 0.0


def _best_threshold(tops: Sequence[tuple[float, bool, bool]]) -> float:
    """The threshold that does best on :func:`_accuracy`: one sweep over the scores,
    highest first (ties: the highest such threshold)."""
    ranked = sorted(tops, key=lambda t: -t[0])
    n_link = sum(1 for _, _, linkable in ranked if linkable)
    n_nil = len(ranked) - n_link
    w_link = 1.0 / n_link if n_link else 0.0
    w_nil = 1.0 / n_nil if n_nil else 0.0
    value = n_nil * w_nil  # a threshold above every score: everything NIL
    best, best_value = (ranked[0][0] + 1e-9 if ranked else DEFAULT_THRESHOLD), value
    i = 0
    while i < len(ranked):
        score = ranked[i][0]
        while i < len(ranked) and ranked[i][0] == score:  # now linked instead of NIL
            _, ok, linkable = ranked[i]
            value += w_link * int(ok and linkable) - w_nil * int(not linkable)
            i += 1
        if value > best_value + 1e-12:
            best, best_value = score, value
    return best


def _rapidfuzz() -> Callable[..., Any]:
    try:
        from rapidfuzz import fuzz
    except ImportError as exc:
        raise MissingDependency("rapidfuzz", "entities") from exc
    return fuzz.ratio  # type: ignore[no-any-return]


__all__ = ["DEFAULT_THRESHOLD", "FEATURES", "TITLES", "LinkResult", "Linker", "Mention", "core",
           "skeleton"]
