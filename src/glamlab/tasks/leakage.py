"""Before any training: columns that give the answer away.

A column written after the outcome (``reservation_status`` *is* the outcome; a status
date falls before arrival exactly when the booking was cancelled) makes a model look
perfect in evaluation and useless in production. :func:`check_leakage` scores how well
each column **alone** predicts the outcome (cross-validated ROC AUC: numbers and dates
as they are and in twenty bins, categories by their out-of-fold share of "yes"; a date
as days from the time column) and flags those at or above ``threshold``. A flagged
column not yet in the card's ``never_features`` is one to look at before training.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import LabelError
from ..ingest.columns import CATEGORY, DATE, TableSchema

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class LeakageFinding:
    column: str
    auc: float
    excluded: bool  # already listed in never_features

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "auc": round(self.auc, 4), "excluded": self.excluded}


@dataclass
class LeakageReport:
    threshold: float
    findings: list[LeakageFinding] = field(default_factory=list)  # every column, best first

    @property
    def flagged(self) -> list[LeakageFinding]:
        return [f for f in self.findings if f.auc >= self.threshold]

    @property
    def to_exclude(self) -> list[str]:
        """Flagged columns not yet kept out of the features."""
        return [f.column for f in self.flagged if not f.excluded]

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "flagged": [f.to_dict() for f in self.flagged],
                "to_exclude": self.to_exclude,
                "columns": [f.to_dict() for f in self.findings]}

    def summary(self) -> str:
        if not self.flagged:
            return (f"No column predicts the outcome almost perfectly on its own (all ROC AUC "
                    f"below {self.threshold:.2f}).")
        lines = [f"Columns that predict the outcome almost perfectly on their own "
                 f"(ROC AUC ≥ {self.threshold:.2f}):"]
        for f in self.flagged:
            state = ("already never a feature" if f.excluded else
                     "probably written after the outcome: add it to never_features")
            lines.append(f"  - {f.column}: AUC {f.auc:.3f} ({state})")
        return "\n".join(lines)


def check_leakage(frame: pd.DataFrame, schema: TableSchema, *, threshold: float = 0.95,
                  folds: int = 5, seed: int = 0, max_rows: int = 50_000) -> LeakageReport:
    from sklearn.metrics import roc_auc_score

    label = schema.label_column
    if not label or label not in frame.columns:
        raise LabelError("no outcome column to check leakage against",
                         hint=f"import the label column {label!r} first")
    data = frame[frame[label].notna()]
    if len(data) > max_rows:
        data = data.sample(max_rows, random_state=seed)
    y = data[label].to_numpy(dtype=float)
    if len(np.unique(y)) < 2:
        raise LabelError("every row has the same outcome: nothing to check",
                         hint="check on a period with both outcomes")
    rng = np.random.default_rng(seed)
    fold = rng.integers(0, folds, len(data))
    skip = {schema.time_column, label, schema.id_column}
    findings = []
    for c, kind in schema.columns.items():
        if c in skip or c not in data.columns:
            continue
        if kind == CATEGORY:
            scores = _target_share(data[c].astype(str).to_numpy(), y, fold, folds)
            auc = roc_auc_score(y, scores)
        else:
            if kind == DATE:
                v = (data[c] - data[schema.time_column]).dt.days.to_numpy(dtype=float)
            else:
                v = data[c].to_numpy(dtype=float)
            filled = np.where(np.isfinite(v), v, np.nanmedian(v) if np.isfinite(v).any() else 0)
            raw = roc_auc_score(y, filled)
            edges = np.unique(np.nanquantile(filled, np.linspace(0, 1, 21)))
            bins = np.digitize(filled, edges[1:-1]).astype(str)
            binned = roc_auc_score(y, _target_share(bins, y, fold, folds))
            auc = max(raw, 1 - raw, binned)
        findings.append(LeakageFinding(c, float(max(auc, 1 - auc)), c in schema.never_features))
    findings.sort(key=lambda f: -f.auc)
    return LeakageReport(threshold, findings)


def _target_share(values: np.ndarray, y: np.ndarray, fold: np.ndarray, folds: int,
                  smooth: float = 10.0) -> np.ndarray:
    """Out-of-fold share of "yes" per value (smoothed towards the overall share)."""
    import pandas as pd

    out = np.empty(len(y))
    for k in range(folds):
        train, test = fold != k, fold == k
        prior = y[train].mean()
        stats = pd.DataFrame({"v": values[train], "y": y[train]}).groupby("v")["y"].agg(
            ["sum", "count"])
        share = (stats["sum"] + smooth * prior) / (stats["count"] + smooth)
        out[test] = pd.Series(values[test]).map(share).fillna(prior).to_numpy()
    return out


__all__ = ["LeakageFinding", "LeakageReport", "check_leakage"]
