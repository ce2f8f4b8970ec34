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

from collections.abc import Iterator, Sequence
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
    is named like a column, ignoring case, as the exports name it). Read from the database ``chunksize`` rows at a time;
    :func:`iter_predictions_frames` gives the same rows one chunk at a time, never all in
    memory."""
    parts = list(iter_predictions_frames(ws, model, columns=columns, label=label,
                                         min_score=min_score, meta=meta,
                                         chunksize=chunksize))
    import pandas as pd  # there: iter_predictions_frames said how to install it

    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def iter_predictions_frames(ws: Workspace, model: str | None = None, *,
                            columns: Sequence[str] | None = None, label: str | None = None,
                            min_score: float | None = None, meta: Sequence[str] = (),
                            chunksize: int = CHUNK) -> Iterator[pd.DataFrame]:
    """The rows of :func:`predictions_frame`, the same options, as DataFrames of at most
    ``chunksize`` rows each, in id order, read by one SQL query as they are asked for: a
    collection larger than memory can be gone through, or written out part by part
    (``pyarrow.Table.from_pandas(part)`` to a ``pyarrow.parquet.ParquetWriter``). No
    prediction (or none that passes the filters) gives one empty frame with the
    columns. The model, the columns and the label are checked before the first frame is given."""
    try:
        import pandas  # noqa: F401 - the frames are made in _frames
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
    mv, _note = choose_model(ws, model, load_policy(ws.card),
                             uses="the frame holds the predictions of the model in use, "
                                  "not another model's")
    from .export import check_label, meta_columns

    check_label(ws, mv, label)
    # a field named like a prediction column, ignoring case, is given as meta_FIELD
    pairs = meta_columns(meta, PREDICTION_COLUMNS)
    return _frames(ws, mv.id, cols, label, min_score, pairs, chunksize)


def _frames(ws: Workspace, model_id: int, cols: list[str], label: str | None,
            min_score: float | None, pairs: list[tuple[str, str]],
            chunksize: int) -> Iterator[pd.DataFrame]:
    import pandas as pd

    p = ws.store.t.predictions
    names = [f for _, f in pairs]
    meta_cols = [c for c, _ in pairs]
    need = cols if not names or "item_id" in cols else [*cols, "item_id"]
    q = sa.select(*(p.c[c] for c in need)).where(p.c.model_id == model_id).order_by(p.c.id)
    if label is not None:
        q = q.where(p.c.label == label)
    if min_score is not None:
        q = q.where(p.c.score >= min_score)
    missing = set(names)  # the fields no row has had a value of yet
    given = False
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
            given = True
            yield part
    if missing:  # a field no predicted item has: is it one any item has (a misspelling)?
        ws.check_fields([n for n in names if n in missing], role="to add as a column")
    if not given:
        yield pd.DataFrame(columns=[*cols, *meta_cols])


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
