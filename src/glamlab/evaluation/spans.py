"""Entity-span metrics as the HIPE scorer computes them, with intervals by documents.

The reference is ``hipe-eval/HIPE-scorer`` (``hipe_evaluation/ner_eval.py``, run as
``clef_evaluation.py`` does for NERC: the lines of a document merged, tags taken from the
gold standard). Its rules, kept here exactly:

- **strict**: a prediction is correct when its boundaries and type equal a gold span's;
  **fuzzy** (the scorer's ``ent_type``): when its type equals the type of a gold span it
  overlaps (at least one shared token; here one shared character, the same thing for
  spans made of whole tokens, see :mod:`glamlab.predictors.entities.tokens`).
- predictions are matched in text order: first an exact match with any gold span; else
  the first overlapping gold span not yet matched (a same-offsets, other-type gold span
  counts as wrong in both regimes); else the prediction is spurious. Gold spans left
  unmatched are missed.
- ``possible = correct + incorrect + missed``, ``actual = correct + incorrect +
  spurious``; micro precision ``correct / actual``, recall ``correct / possible``.
- per type: correct, incorrect and missed go to the gold span's type, spurious to the
  predicted type (so a type's ``actual`` holds wrong predictions *on* its gold spans).
- only types present in the gold standard are scored: a prediction of another type is
  ignored (e.g. ``TIME`` on newseye, which annotates no dates).
- document-averaged macro scores: precision averaged over documents with a prediction,
  recall over documents with a gold span, F1 over documents with both.

Every figure is a function of sums of per-document statistics (:func:`span_stats`), so
95% intervals come from resampling documents with :mod:`.stats` (one matrix product per
batch of resamples), and paired comparisons use :func:`.stats.paired_bootstrap` with
:func:`span_reducer`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from ..tasks.kinds.classification_metrics import _div
from .bootstrap import (
    Comparison,
    Resamples,
    bootstrap_counts,
    interval,
    paired_bootstrap,
    resample_metrics,
)

SCHEMES = ("strict", "fuzzy")
#: columns per (scheme, overall or type): correct, actual, possible
_C, _A, _P = 0, 1, 2
#: document-macro columns per scheme: sum and count of per-document P, R, F1
_DOC = 6


class _Entity(NamedTuple):
    segment: int
    start: int
    end: int
    label: str


SpanLike = Any  # a glamlab Span, a (start, end, label[, score]) tuple, or a dict
#: a document: its segments (sentences), each a list of spans
Document = Sequence[Sequence[SpanLike]]


def _entity(segment: int, span: SpanLike) -> _Entity:
    if isinstance(span, dict):
        label = span.get("label", span.get("type"))
        return _Entity(segment, int(span["start"]), int(span["end"]), str(label))
    if hasattr(span, "start"):  # a glamlab Span
        return _Entity(segment, int(span.start), int(span.end), str(span.label))
    return _Entity(segment, int(span[0]), int(span[1]), str(span[2]))


def _flatten(doc: Document) -> list[_Entity]:
    ents = [_entity(i, s) for i, seg in enumerate(doc) for s in seg]
    return sorted(ents, key=lambda e: (e.segment, e.start, e.end))


def _overlap(a: _Entity, b: _Entity) -> bool:
    return a.segment == b.segment and a.start < b.end and b.start < a.end


def hipe_counts(true: Sequence[_Entity], pred: Sequence[_Entity], tags: set[str]
                ) -> dict[str, dict[str, dict[str, int]]]:
    """The HIPE scorer's ``compute_metrics`` for one document (its lines merged):
    ``{scheme: {"ALL" | type: {correct, incorrect, missed, spurious}}}``."""
    keys = ("correct", "incorrect", "missed", "spurious")

    def blank() -> dict[str, dict[str, int]]:
        return {"ALL": dict.fromkeys(keys, 0)}

    ev: dict[str, dict[str, dict[str, int]]] = {s: blank() for s in SCHEMES}

    def add(scheme: str, etype: str, key: str) -> None:
        ev[scheme]["ALL"][key] += 1
        ev[scheme].setdefault(etype, dict.fromkeys(keys, 0))[key] += 1

    def add_type_only(scheme: str, etype: str, key: str) -> None:
        ev[scheme].setdefault(etype, dict.fromkeys(keys, 0))[key] += 1

    true = [t for t in true if t.label in tags]
    pred = [p for p in pred if p.label in tags]
    overlapped: list[_Entity] = []
    for p in pred:
        found = False
        exact = next((t for t in true if t == p), None)
        if exact is not None:
            overlapped.append(exact)
            add("strict", exact.label, "correct")
            add("fuzzy", exact.label, "correct")
            continue
        for t in true:
            if t.segment == p.segment and t.start == p.start and t.end == p.end:
                # same boundaries, other type (the scorer goes on looking, as here)
                add("strict", t.label, "incorrect")
                add("fuzzy", t.label, "incorrect")
                overlapped.append(t)
                found = True
            elif _overlap(t, p) and t not in overlapped:
                overlapped.append(t)
                found = True
                add("strict", t.label, "incorrect")
                add("fuzzy", t.label, "correct" if p.label == t.label else "incorrect")
                break
        if not found:
            for scheme in SCHEMES:
                ev[scheme]["ALL"]["spurious"] += 1
                add_type_only(scheme, p.label, "spurious")
    for t in true:
        if t not in overlapped:
            add("strict", t.label, "missed")
            add("fuzzy", t.label, "missed")
    return ev


def _cap(c: dict[str, int]) -> tuple[int, int, int]:
    actual = c["correct"] + c["incorrect"] + c["spurious"]
    possible = c["correct"] + c["incorrect"] + c["missed"]
    return c["correct"], actual, possible


def gold_types(gold: Sequence[Document]) -> list[str]:
    """The types present in the gold standard, sorted (the scorer's tag set)."""
    return sorted({_entity(0, s).label for doc in gold for seg in doc for s in seg})


def span_stats(gold: Sequence[Document], pred: Sequence[Document],
               types: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Per-document statistics ``S`` (n_documents, d) and the types scored (default: those
    in ``gold``). ``gold[i]`` and ``pred[i]`` hold document i's segments, aligned."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold documents but {len(pred)} predicted ones")
    types = list(types) if types is not None else gold_types(gold)
    tags = set(types)
    L = len(types)
    width = 3 * (1 + L)
    S = np.zeros((len(gold), len(SCHEMES) * (width + _DOC)))
    for d, (g, p) in enumerate(zip(gold, pred, strict=True)):
        if len(g) != len(p):
            raise ValueError(f"document {d}: {len(g)} gold segments but {len(p)} predicted")
        ev = hipe_counts(_flatten(g), _flatten(p), tags)
        for k, scheme in enumerate(SCHEMES):
            base = k * (width + _DOC)
            rows = [ev[scheme]["ALL"]] + [ev[scheme].get(t) for t in types]
            for j, counts in enumerate(rows):
                if counts is not None:
                    S[d, base + 3 * j: base + 3 * j + 3] = _cap(counts)
            c, a, pos = S[d, base + _C], S[d, base + _A], S[d, base + _P]
            prec = c / a if a else 0.0
            rec = c / pos if pos else 0.0
            f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
            S[d, base + width: base + width + _DOC] = (
                prec if a else 0.0, 1.0 if a else 0.0,
                rec if pos else 0.0, 1.0 if pos else 0.0,
                f1 if a and pos else 0.0, 1.0 if a and pos else 0.0)
    return S, types


def span_reducer(sums: np.ndarray, n: Any, n_types: int) -> dict[str, np.ndarray]:
    """Metrics from summed :func:`span_stats` (any leading shape)."""
    sums = np.asarray(sums, dtype=np.float64)
    width = 3 * (1 + n_types)
    out: dict[str, np.ndarray] = {}
    for k, scheme in enumerate(SCHEMES):
        base = k * (width + _DOC)
        block = sums[..., base: base + width]
        correct = block[..., _C::3]
        actual = block[..., _A::3]
        possible = block[..., _P::3]
        prec = _div(correct, actual)
        rec = _div(correct, possible)
        f1 = _div(2 * prec * rec, prec + rec)
        out[f"{scheme}_micro_precision"] = prec[..., 0]
        out[f"{scheme}_micro_recall"] = rec[..., 0]
        out[f"{scheme}_micro_f1"] = f1[..., 0]
        out[f"{scheme}_precision"] = prec[..., 1:]
        out[f"{scheme}_recall"] = rec[..., 1:]
        out[f"{scheme}_f1"] = f1[..., 1:]
        out[f"{scheme}_correct"] = correct[..., 0]
        out[f"{scheme}_actual"] = actual[..., 0]
        out[f"{scheme}_possible"] = possible[..., 0]
        doc = sums[..., base + width: base + width + _DOC]
        out[f"{scheme}_macro_doc_precision"] = _div(doc[..., 0], doc[..., 1])
        out[f"{scheme}_macro_doc_recall"] = _div(doc[..., 2], doc[..., 3])
        out[f"{scheme}_macro_doc_f1"] = _div(doc[..., 4], doc[..., 5])
    return out


SCALARS = tuple(f"{s}_{m}" for s in SCHEMES for m in (
    "micro_precision", "micro_recall", "micro_f1",
    "macro_doc_precision", "macro_doc_recall", "macro_doc_f1"))


def evaluate_spans(gold: Sequence[Document], pred: Sequence[Document], *,
                   types: Sequence[str] | None = None, n_boot: int = 1000, seed: int = 0,
                   W: Resamples | None = None, level: float = 0.95) -> dict[str, Any]:
    """Every HIPE figure with a percentile interval from resampling documents:
    ``{"documents", "types", metric: {"value", "low", "high"}, "per_type": {type: {...}}}``.
    The same ``seed`` (or ``W``) gives paired resamples across predictors."""
    S, types = span_stats(gold, pred, types)
    reducer = partial(span_reducer, n_types=len(types))
    point = reducer(S.sum(axis=0), float(len(S)))
    if W is None:
        W = bootstrap_counts(len(S), n_boot, seed)
    boot = resample_metrics(S, reducer, W) if len(S) else {}
    out: dict[str, Any] = {"documents": len(S), "types": types}
    for name in SCALARS:
        lo, hi = interval(boot[name], level) if len(S) else (0.0, 0.0)
        out[name] = {"value": float(point[name]), "low": lo, "high": hi}
    for scheme in SCHEMES:
        out[f"{scheme}_counts"] = {k: int(point[f"{scheme}_{k}"])
                                   for k in ("correct", "actual", "possible")}
    per_type: dict[str, dict[str, Any]] = {}
    for j, t in enumerate(types):
        row: dict[str, Any] = {}
        for scheme in SCHEMES:
            for m in ("precision", "recall", "f1"):
                name = f"{scheme}_{m}"
                value = float(point[name][j])
                if len(S):
                    lo, hi = interval(boot[name][:, j], level)
                else:
                    lo = hi = 0.0
                row[name] = {"value": value, "low": lo, "high": hi}
        per_type[t] = row
    out["per_type"] = per_type
    return out


def group_documents(doc_ids: Sequence[str], spans: Sequence[Sequence[SpanLike]]
                    ) -> tuple[list[str], list[list[Sequence[SpanLike]]]]:
    """Group sentence-level span lists into documents, keeping first-seen order of
    documents and the given order of sentences: ``(document ids, documents)``."""
    order: list[str] = []
    docs: dict[str, list[Sequence[SpanLike]]] = {}
    for doc_id, seg in zip(doc_ids, spans, strict=True):
        if doc_id not in docs:
            docs[doc_id] = []
            order.append(doc_id)
        docs[doc_id].append(seg)
    return order, [docs[d] for d in order]


def compare_spans(gold: Sequence[Document], pred_a: Sequence[Document],
                  pred_b: Sequence[Document], *, names: tuple[str, str] = ("A", "B"),
                  metric: str = "strict_micro_f1", n_boot: int = 1000, seed: int = 0,
                  types: Sequence[str] | None = None) -> Comparison:
    """Paired bootstrap over documents of ``metric(B) - metric(A)``; its ``verdict`` says
    plainly when, e.g., a lookup list is as good as a model."""
    types = list(types) if types is not None else gold_types(gold)
    S_a, _ = span_stats(gold, pred_a, types)
    S_b, _ = span_stats(gold, pred_b, types)
    return paired_bootstrap(S_a, S_b, partial(span_reducer, n_types=len(types)), metric,
                            n_boot=n_boot, seed=seed, names=names)
