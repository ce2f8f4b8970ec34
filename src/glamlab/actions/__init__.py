"""Predictions into actions: the policy, safety checks, provenance and exports.

>>> from glamlab.actions import plan, act, optimise, export
>>> report = plan(ws)                      # the dry run: counts, expected mistakes, hours, money
>>> optimise(ws, target_precision=0.99, write=True)
>>> act(ws)                                # accept -> machine_metadata, review -> review_queue
>>> export(ws, "csv", "out.csv")
"""

from __future__ import annotations

from ..sheets import formula_safe
from .act import ActReport, Decision, act, iter_decisions, plan, render, resolve_model
from .export import FORMATS, Exported, ExportFilter, export, iter_rows
from .intervals import wilson
from .one_item import ItemDecision, decide_item
from .optimise import optimise, pick_threshold, render_optimise
from .policy import LabelPolicy, Policy, load_policy, parse_policy
from .safety import Safety, SafetyHit, default_lexicon, load_safety, parse_safety

__all__ = [
    "FORMATS",
    "ActReport",
    "Decision",
    "ExportFilter",
    "Exported",
    "ItemDecision",
    "LabelPolicy",
    "Policy",
    "Safety",
    "SafetyHit",
    "act",
    "decide_item",
    "default_lexicon",
    "export",
    "formula_safe",
    "iter_decisions",
    "iter_rows",
    "load_policy",
    "load_safety",
    "optimise",
    "parse_policy",
    "parse_safety",
    "pick_threshold",
    "plan",
    "render",
    "render_optimise",
    "resolve_model",
    "wilson",
]
