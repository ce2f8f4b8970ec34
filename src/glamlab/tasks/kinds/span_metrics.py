"""HIPE span counts per document and the metrics from their sums.

The HIPE scorer's matching rules (see :mod:`glamlab.evaluation.spans` for them in words)
as per-document statistics and a reducer, below :mod:`glamlab.evaluation` so that the
``entities`` task kind (:mod:`.entities`) scores items with them, as
:mod:`.classification_metrics` does for classification. :mod:`glamlab.evaluation.spans`
re-exports everything here and adds intervals and paired comparisons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .classification_metrics import _div

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


__all__ = ["SCHEMES", "Document", "SpanLike", "gold_types", "hipe_counts", "span_reducer",
           "span_stats"]
