"""Batch inference over whole collections: planning, batching, resume, engines.

>>> from glamlab.inference import run
>>> report = run(ws, "illustrations@champion", workers=4)
>>> print(report.summary())

``run`` plans the items this model version has not predicted yet, batches them, sends
them to an engine (local worker processes, or a Ray cluster) and stores every batch
through one writer, atomically with the run's progress. Runs resume after a crash or
Ctrl-C and never store two predictions for the same item and model version.
"""

from .plan import Query, parse_query
from .runner import (
    RunInterrupted,
    RunReport,
    champion_spec,
    has_predictions,
    list_predictions,
    list_runs,
    run,
    run_failures,
)
from .score import model_scorer

__all__ = ["Query", "RunInterrupted", "RunReport", "champion_spec", "has_predictions", "list_predictions",
           "list_runs", "model_scorer", "parse_query",
           "run", "run_failures"]
