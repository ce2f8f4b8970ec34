"""Retraining: a challenger trained on gold labels plus reviewers' corrections, judged
against the champion on the frozen test split and promoted only through the gate
(:mod:`.gate`); promotion and rollback of champions.

>>> from glamlab.retraining import retrain, promote, rollback
>>> report = retrain(ws)          # challenger vs champion, through [gate]
>>> rollback(ws, "language")      # the previous champion is champion again
"""

from .gate import GateConfig, GateDecision, decide
from .retrain import RetrainReport, promote, retrain, rollback

__all__ = ["GateConfig", "GateDecision", "RetrainReport", "decide", "promote", "retrain",
           "rollback"]
