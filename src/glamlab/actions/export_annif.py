"""Annif subject files out, and the label vocabulary that maps labels to concept URIs.

``glamlab export --format annif --out DIR`` writes an Annif full-text corpus: for each item
with exported values, ``{name}.tsv`` with one subject per line, ``<uri>\\tlabel`` when the
card's vocabulary gives the label a URI, else the plain label (Annif looks plain labels up
in its vocabulary), and ``{name}.txt`` with the item's text when it has one; ``index.tsv``
maps each file name to the item id (with the item metadata fields asked for, ``--meta``,
a column each after a ``file  item_id  FIELD...`` header: Annif's own files have no place
for them, and Annif reads no ``index.tsv``). By default only accepted values are written (a
subject file has no place for a policy action); ``--action`` chooses others.

The vocabulary is ``[labels] uris`` in ``glamlab.toml``
(:mod:`glamlab.ingest.vocabulary`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import open_private, private_dir

if TYPE_CHECKING:
    from ..items import Item

def tsv_cell(text: str) -> str:
    """``text`` as one TSV cell: tabs and line breaks as spaces."""
    return re.sub(r"[\t\r\n]+", " ", text)


#: the ``index.tsv`` columns before the item metadata fields asked for (the Annif and
#: INCEpTION folders)
INDEX_COLUMNS = ("file", "item_id")


def index_header(meta: Sequence[str]) -> tuple[list[str], list[str]]:
    """The ``index.tsv`` header (:data:`INDEX_COLUMNS`, then a column per item metadata
    field ``meta``: ``meta_FIELD`` where it is named like a column before it, ignoring
    case, :func:`glamlab.actions.export.meta_columns`) and the fields its cells give, in
    that order."""
    from .export import meta_columns

    pairs = meta_columns(meta, INDEX_COLUMNS)
    return ([*INDEX_COLUMNS, *(tsv_cell(c) for c, _ in pairs)], [f for _, f in pairs])


def index_cells(item: Item, meta: Sequence[str]) -> list[str]:
    """The item's metadata fields ``meta`` as ``index.tsv`` cells: empty where it has
    none, the values of a list joined by ``|``, anything else not a text as JSON."""
    from .export import meta_text

    return [tsv_cell("|".join(meta_text(item.meta.get(f)))) for f in meta]


def _name(item_id: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", item_id).strip("._") or "item"
    base = base[:80]
    name = base
    if name in taken:
        name = f"{base}-{hashlib.sha256(item_id.encode()).hexdigest()[:8]}"
    taken.add(name)
    return name


def write_annif(rows: Iterator[tuple[dict[str, Any], Item]], folder: Path,
                uris: dict[str, str], text_of: Any = None,
                meta: Sequence[str] = ()) -> dict[str, Any]:
    """Write subject files (and texts) per item into ``folder``; rows come in item order.
    ``text_of(item)`` gives an item's text when the rows' items do not carry it. ``meta``:
    item metadata fields ``index.tsv`` gives a column each (:func:`index_cells`)."""
    private_dir(folder)
    taken: set[str] = set()
    items = subjects = with_uri = 0
    current: Item | None = None
    values: list[str] = []
    index = open_private(folder / "index.tsv", "w", encoding="utf-8", newline="")
    header, meta = index_header(meta)
    if meta:
        index.write("\t".join(header) + "\n")

    def flush() -> None:
        nonlocal items, subjects, with_uri
        if current is None or not values:
            return
        name = _name(current.item_id, taken)
        lines = []
        for v in dict.fromkeys(values):
            uri = uris.get(v)
            lines.append(f"<{uri}>\t{v}" if uri else v)
            with_uri += bool(uri)
        with open_private(folder / f"{name}.tsv", "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        body = current.text if current.text is not None or text_of is None else text_of(current)
        if body:
            with open_private(folder / f"{name}.txt", "w", encoding="utf-8") as fh:
                fh.write(body)
        index.write("\t".join([name, current.item_id, *index_cells(current, meta)]) + "\n")
        items += 1
        subjects += len(lines)

    try:
        for row, item in rows:
            if current is None or item.item_id != current.item_id:
                flush()
                current, values = item, []
            values.append(row["value"])
        flush()
    finally:
        index.close()
    return {"items": items, "subjects": subjects, "subjects_with_uri": with_uri}
