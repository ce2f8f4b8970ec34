"""Metrics, bootstrap intervals, paired comparisons, slices, and the verdict.

>>> from glamlab.evaluation import evaluate, fit_baselines, model_candidates
>>> baselines, rules_report = fit_baselines(ws)
>>> result = evaluate(ws, baselines + model_candidates(ws, ["effnet-logreg"]))
>>> result.verdict

The HTML report of a result is :func:`glamlab.reports.evaluation.write_report`.
"""

from .bootstrap import (
    Comparison,
    bootstrap_ci,
    bootstrap_counts,
    holm,
    mcnemar,
    paired_bootstrap,
    slice_metrics,
)
from .evaluate import (
    Candidate,
    CandidateResult,
    EvaluationResult,
    baseline_config,
    candidates_for,
    evaluate,
    fit_baselines,
    history,
    model_candidates,
)

__all__ = [
    "Candidate",
    "CandidateResult",
    "Comparison",
    "EvaluationResult",
    "baseline_config",
    "bootstrap_ci",
    "bootstrap_counts",
    "candidates_for",
    "evaluate",
    "fit_baselines",
    "history",
    "holm",
    "mcnemar",
    "model_candidates",
    "paired_bootstrap",
    "slice_metrics",
]
