"""A model's stored predictions as a pandas DataFrame, for a notebook.

:func:`predictions_frame` gives the rows :func:`glamlab.inference.list_predictions` pages
through (one per item the model predicted: the ``predictions`` table's columns, in id
order), read from the database in chunks by one SQL query, with the scores at full
precision, optionally filtered (top label, least score) and joined with item metadata
fields. The model is chosen as ``glamlab act`` and ``glamlab export`` choose it: the one
named, else ``[policy] model``, else the model in use (the latest run's when no model is
in use yet). Needs pandas (``pip install 'glamlab[tabular]'``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import GlamlabError
from ..store.ids import among, id_batches
from .act import choose_model
from .policy import load_policy

if TYPE_CHECKING:
    import pandas as pd

    from ..workspace import Workspace

#: the columns of a stored prediction, as ``list_predictions`` gives them
PREDICTION_COLUMNS = ("id", "run_id", "model_id", "item_id", "label", "labels", "scores",
                      "score", "created_at", "item_version")
CHUNK = 50_000
_IN = 900  # ids per IN (...) list: under SQLite's bound-parameter limit


def predictions_frame(ws: Workspace, model: str | None = None, *,
                      columns: Sequence[str] | None = None, label: str | None = None,
                      min_score: float | None = None, meta: Sequence[str] = (),
                      chunksize: int = CHUNK) -> pd.DataFrame:
    """The stored predictions of ``model`` (a spec such as ``"blank@champion"``; default:
    ``[policy] model``, else the champion) as a DataFrame, one row per item, in id order:
    the same rows and values as :func:`glamlab.inference.list_predictions` (``labels`` a
    list, ``scores`` a dict label -> score, ``score`` the top label's, full precision).

    ``columns``: the prediction columns to keep (default all of
    :data:`PREDICTION_COLUMNS`; leaving out ``labels`` and ``scores`` skips decoding
    their JSON). ``label``: only the predictions whose top label is this one;
    ``min_score``: only those whose top score is at least this. ``meta``: item metadata
    fields to add as columns (of the item's current version; ``meta_FIELD`` where a field
    is named like a column, ignoring case, as the exports name it). Read from the database ``chunksize`` rows at a time."""
    try:
        import pandas as pd
    except ImportError:
        raise GlamlabError("predictions_frame needs pandas, which is not installed",
                           hint="pip install 'glamlab[tabular]' (or pip install pandas)") \
            from None
    cols = list(columns) if columns is not None else list(PREDICTION_COLUMNS)
    unknown = [c for c in cols if c not in PREDICTION_COLUMNS]
    if unknown:
        raise GlamlabError(f"no prediction column {unknown[0]!r}",
                           hint=f"choose from {', '.join(PREDICTION_COLUMNS)}")
    if min_score is not None and not 0.0 <= min_score <= 1.0:
        raise GlamlabError(f"min_score must be between 0 and 1, not {min_score:g}")
    mv, _note = choose_model(ws, model, load_policy(ws.card))
    from .export import check_label, meta_columns

    check_label(ws, mv, label)
    p = ws.store.t.predictions
    need = cols if not meta or "item_id" in cols else [*cols, "item_id"]
    q = sa.select(*(p.c[c] for c in need)).where(p.c.model_id == mv.id).order_by(p.c.id)
    if label is not None:
        q = q.where(p.c.label == label)
    if min_score is not None:
        q = q.where(p.c.score >= min_score)
    # a field named like a prediction column, ignoring case, is given as meta_FIELD
    pairs = meta_columns(meta, PREDICTION_COLUMNS)
    names = [f for _, f in pairs]
    meta_cols = [c for c, _ in pairs]
    parts: list[pd.DataFrame] = []
    missing = set(names)  # the fields no row has had a value of yet
    with ws.store.read() as conn:
        streamed = conn.execution_options(stream_results=True, max_row_buffer=chunksize)
        for part in pd.read_sql(q, streamed, chunksize=chunksize, coerce_float=False):
            if names:
                values = _item_meta(ws, conn, part["item_id"].tolist())
                for col, name in zip(meta_cols, names, strict=True):
                    part[col] = [values.get(i, {}).get(name) for i in part["item_id"]]
                    if name in missing and part[col].notna().any():
                        missing.discard(name)
                if need is not cols:
                    part = part.drop(columns="item_id")
            parts.append(part)
    if missing:  # a field no predicted item has: is it one any item has (a misspelling)?
        ws.check_fields([n for n in names if n in missing], role="to add as a column")
    if not parts:
        return pd.DataFrame(columns=[*cols, *meta_cols])
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _item_meta(ws: Workspace, conn: sa.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """item id -> the metadata of its current version."""
    it = ws.store.t.items
    out: dict[str, dict[str, Any]] = {}
    unique = sorted(set(ids))
    for ids_part in id_batches(conn, unique, _IN):
        out.update((r.item_id, r.meta or {}) for r in conn.execute(
            sa.select(it.c.item_id, it.c.meta).where(
                it.c.is_current.is_(True), among(conn, it.c.item_id, ids_part))))
    return out
