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
from typing import Any

from ..tasks.kinds.span_metrics import (  # noqa: F401  (re-exported)
    _A,
    _C,
    _DOC,
    _P,
    SCHEMES,
    Document,
    SpanLike,
    _cap,
    _Entity,
    _entity,
    _flatten,
    _overlap,
    gold_types,
    hipe_counts,
    span_reducer,
    span_stats,
)
from .bootstrap import (
    Comparison,
    Resamples,
    bootstrap_counts,
    check_n_boot,
    interval,
    paired_bootstrap,
    resample_metrics,
)

SCALARS = tuple(f"{s}_{m}" for s in SCHEMES for m in (
    "micro_precision", "micro_recall", "micro_f1",
    "macro_doc_precision", "macro_doc_recall", "macro_doc_f1"))


def evaluate_spans(gold: Sequence[Document], pred: Sequence[Document], *,
                   types: Sequence[str] | None = None, n_boot: int = 1000, seed: int = 0,
                   W: Resamples | None = None, level: float = 0.95) -> dict[str, Any]:
    """Every HIPE figure with a percentile interval from resampling documents:
    ``{"documents", "types", metric: {"value", "low", "high"}, "per_type": {type: {...}}}``.
    The same ``seed`` (or ``W``) gives paired resamples across predictors."""
    if W is None:
        check_n_boot(n_boot)
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
