"""No leakage: columns that carry the answer are never read as features.

A table's other columns become item metadata, so a labels file ingested as items (or a
catalogue export with its subject column) puts the gold label in ``item.meta``, where
a text predictor's ``fields`` or a rule's ``meta`` condition could read it. The card
records such columns::

    [leakage]
    label_columns = ["label"]         # recorded by labels import and by ingest
    after_outcome = ["checked_out"]   # tabular tasks: written after the outcome

``labels import`` records its label column; ``ingest`` records (and warns about) any
column that is a recorded label column or whose values are the task's label names, or
subject paths under them (``people > adults``).
Predictors say which metadata fields they read (:meth:`Predictor.meta_fields`);
:func:`check_fields` refuses any of these columns, naming the field and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import PredictorError

if TYPE_CHECKING:
    from ..config import ProjectCard
    from . import Workspace

SECTION = "leakage"
SAMPLE = 500
#: share of a column's non-empty values that must be label names for it to be a label copy
LABEL_SHARE = 0.9
MIN_VALUES = 10


def forbidden_fields(card: ProjectCard) -> set[str]:
    """The label columns and after-the-outcome columns the card records."""
    section = card.section(SECTION)
    out: set[str] = set()
    for key in ("label_columns", "after_outcome"):
        value = section.get(key) or []
        out.update(str(v) for v in (value if isinstance(value, list) else [value]))
    return out


def record_label_columns(ws: Workspace, columns: Iterable[str]) -> list[str]:
    """Add ``columns`` to ``[leakage] label_columns``; returns the ones that were new."""
    section = dict(ws.card.section(SECTION))
    have = [str(c) for c in section.get("label_columns") or []]
    new = [c for c in dict.fromkeys(columns) if c and c not in have]
    if new:
        section["label_columns"] = have + new
        ws.update_card({SECTION: section})
    return new


#: what separates a broader term from a narrower one in a subject path
#: (``people > adults``, LCSH's ``Art -- History``)
PATH_SEPARATORS = (">", "--")


def _label_or_path(part: str, labels: set[str]) -> bool:
    """``part`` is a label name, or a subject path under one (``people > adults``: a
    finer-level column of a hierarchical vocabulary, which gives its top level away)."""
    if part in labels:
        return True
    return any(sep in part and part.split(sep, 1)[0].strip() in labels
               for sep in PATH_SEPARATORS)


def _looks_like_labels(values: list[Any], labels: set[str], *, paths: bool = False) -> bool:
    """The values are label names (``paths``: or subject paths under them, which carry
    the label too but are not a labels column to import)."""
    cells = [str(v) for v in values if v not in (None, "") and not isinstance(v, dict | list)]
    if len(cells) < MIN_VALUES or not labels:
        return False
    hits = sum(1 for c in cells
               if all(_label_or_path(p.strip(), labels) if paths else p.strip() in labels
                      for p in c.split("|") if p.strip()))
    return hits >= LABEL_SHARE * len(cells)


def label_columns_of_ingest(ws: Workspace, ingest_id: int) -> list[str]:
    """Metadata fields of the items an ingest wrote that carry the label: a recorded
    label column, or one whose values are the task's label names (a sample of items)."""
    import sqlalchemy as sa

    t = ws.store.t.items
    with ws.store.read() as conn:
        metas = [r[0] or {} for r in conn.execute(
            sa.select(t.c.meta).where(t.c.ingest_id == ingest_id, t.c.is_current.is_(True))
            .limit(SAMPLE))]
    if not metas:
        return []
    known = forbidden_fields(ws.card)
    labels = set(ws.card.labels)
    keys = sorted({k for m in metas for k in m})
    return [k for k in keys
            if k in known or _looks_like_labels([m.get(k) for m in metas], labels,
                                                paths=True)]


def warn_on_ingest(ws: Workspace, ingest_id: int) -> list[str]:
    """Record the label columns an ingest brought in; one warning per column."""
    found = label_columns_of_ingest(ws, ingest_id)
    if found:
        record_label_columns(ws, found)
    return [f"column {c!r} carries the label: it is kept as metadata but ignored as a "
            "feature (predictors, rules and fields refuse it; [leakage] label_columns in "
            "glamlab.toml)" for c in found]


def check_fields(card: ProjectCard, fields: Iterable[str], who: str) -> None:
    """Refuse a predictor (``who``) that would read a label or after-the-outcome column."""
    bad = sorted(set(fields) & forbidden_fields(card))
    if bad:
        raise PredictorError(
            f"{who} reads the metadata field{'s' if len(bad) > 1 else ''} "
            f"{', '.join(repr(b) for b in bad)}, which carr{'y' if len(bad) > 1 else 'ies'} "
            "the label (or is written after the outcome): its scores would be leakage, not "
            "skill",
            hint="leave these fields out of the predictor's fields or rules ([leakage] in "
                 "glamlab.toml lists them)")
