"""Bringing items in from files a person uploads (the web app's "Bring items in" page).

The same readers as ``glamlab ingest`` do the work; this module only puts an upload in
the workspace's ``uploads/`` folder (owner-only, safe names, size limits:
:mod:`glamlab.files`) and says what it will do:

- a table (CSV, TSV, Excel ``.xlsx``): :func:`preview_table` shows its columns and which
  hold the id, the text and the label (the delimiter sniffed as ``glamlab ingest`` does;
  the text column found from its values as a text task's ingest finds it); the person
  may change them, then :func:`bring_in_table` ingests it and imports the label column
  as gold labels (only the rows whose item came in; a row with a label the project does
  not have is one problem, the rest carries on), setting a test split aside when there
  is none yet; in an image project the person may choose a column of images (their web
  addresses, as ``glamlab ingest --image-column`` takes them; a local path must be a
  file inside the upload's folder: a path elsewhere on the server is one problem for
  its row);
- a ZIP of images: unpacked (no member outside its folder, no links, size limits; one
  problem per member left out), then ingested as a folder;
- a IIIF manifest (``.json``) or a METS file (``.xml``): ingested from the uploaded
  file. Nothing is fetched at ingest (no nested collections, no remote OCR); the page
  images of a manifest are fetched when a model first reads them.

A tabular project's table may also be Parquet (``.parquet``, as ``glamlab ingest``
takes it): its columns and first rows are previewed as text, and it is ingested as it
is, its types kept (:func:`preview_rows`, :func:`bring_in_rows`).

Every bad row or file is one problem with its fix; the rest comes in.
"""

from __future__ import annotations

import csv
import re
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import GlamlabError, LabelError
from ..files import UploadError, extract_zip, inside, private_dir, save_upload

if TYPE_CHECKING:
    from typing import IO

    from ..workspace import Workspace

TABLE_SUFFIXES = {".csv", ".tsv", ".xlsx"}
#: a table only a tabular project takes (its rows are read by type, not as a sheet)
ROWS_ONLY = {".parquet"}
KINDS = {".csv": "table", ".tsv": "table", ".xlsx": "table", ".parquet": "table",
         ".zip": "images", ".json": "manifest", ".xml": "mets"}
MAX_BYTES = {"table": 50_000_000, "images": 500_000_000, "manifest": 20_000_000,
             "mets": 50_000_000}
MAX_ZIP_FILES = 20_000
MAX_ZIP_UNPACKED = 2_000_000_000
MAX_IMAGE_BYTES = 100_000_000
PREVIEW_ROWS = 5
TEST_SHARE = 0.3
_FOLDER = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{8}$")


def kind_of(name: str) -> str:
    """What an uploaded file is, from its name: table, images, manifest or mets."""
    kind = KINDS.get(Path(name).suffix.lower())
    if kind is None:
        raise UploadError(f"{Path(name).name or 'the file'} is not a file this page takes",
                          item=Path(name).name or None,
                          hint="upload a spreadsheet (.csv, .tsv, .xlsx), a .zip of images, "
                               "a IIIF manifest (.json) or a METS file (.xml)")
    return kind


def uploads_dir(ws: Workspace) -> Path:
    return private_dir(ws.root / "uploads")


def save(ws: Workspace, src: IO[bytes], name: str) -> tuple[str, Path]:
    """Keep an upload in a new folder of ``uploads/``: (the folder's name, the file)."""
    kind = kind_of(name)
    if Path(name).suffix.lower() in ROWS_ONLY and ws.card.modality != "tabular":
        raise UploadError(f"{Path(name).name} is a Parquet table: this page takes one in a "
                          "tabular project only", item=Path(name).name,
                          hint="save it as a spreadsheet (.csv or .xlsx) and upload that, "
                               "or ask whoever runs glamlab on the server to run "
                               f"\"glamlab ingest {Path(name).name}\" there")
    folder = (time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(4))
    path = save_upload(src, uploads_dir(ws) / folder, name, max_bytes=MAX_BYTES[kind])
    return folder, path


def find(ws: Workspace, folder: str, name: str) -> Path:
    """An earlier upload by its folder and file name (as a form sends them back)."""
    if not _FOLDER.match(folder):
        raise UploadError("no such upload", hint="upload the file again")
    base = inside(uploads_dir(ws), folder)
    try:
        path = inside(base, name)
        found = path.is_file()
    except OSError:  # a name no file system takes (too long, say): no such upload either
        found = False
    if not found:
        raise UploadError("no such upload (it may have been brought in already)",
                          hint="upload the file again")
    return path


# -- tables ---------------------------------------------------------------------------
def preview_table(ws: Workspace, path: Path) -> dict[str, Any]:
    """A table's columns, its first rows, and the columns that look like the id, the
    text and the label (None when none does), for the column-mapping step."""
    from ..ingest.tables import SAMPLE_ROWS, find_text_column
    from ..sheets import read_sheet, sniff_delimiter
    from ..workspace.leakage import _looks_like_labels

    # a row with more cells than the header is left out here: bringing the table in
    # records it as a problem for its line (the rest comes in)
    header, rows = read_sheet(path, error=UploadError, problems=[])
    if not header or not any(header):
        raise UploadError(f"{path.name} has no header row", item=path.name,
                          hint="put the column names in the first row")
    sample = [r for _n, r in rows[:SAMPLE_ROWS]]
    id_col = "id" if "id" in header else next(
        (h for h in header if h and len({r.get(h) for r in sample}) == len(sample)
         and all(r.get(h) for r in sample)), None)
    text_col: str | None = "text" if "text" in header else None
    candidates: list[tuple[str, str]] = []
    if text_col is None and ws.card.modality == "text":
        text_col, candidates = find_text_column(header, sample, exclude=(id_col,))
    images = ws.card.modality == "image"
    image_col = _image_column(header, sample, exclude=(id_col, text_col)) if images else None
    label_col = "label" if "label" in header else next(
        (h for h in header if h not in (id_col, text_col, image_col)
         and _looks_like_labels([r.get(h) for r in sample], set(ws.card.labels))), None)
    if ws.card.kind == "entities":
        label_col = None  # entity gold comes as spans (glamlab labels import --format)
    delimiter = None
    if path.suffix.lower() == ".csv":
        delimiter = {",": "comma", ";": "semicolon", "\t": "tab",
                     "|": "vertical bar"}[sniff_delimiter(path)]
    return {"file": path.name, "columns": [h for h in header if h], "rows": len(rows),
            "first_rows": sample[:PREVIEW_ROWS], "delimiter": delimiter,
            "guess": {"id": id_col, "text": text_col, "label": label_col, "image": image_col},
            "text_candidates": candidates, "needs_text": ws.card.modality == "text",
            "takes_labels": ws.card.kind != "entities", "takes_images": images}


#: column names that say "this is the image" (compared lower-case, letters and digits)
IMAGE_NAMES = ("image", "imageurl", "imageuri", "img", "url", "uri", "path", "file",
               "filename", "imagepath", "scan", "thumbnail", "iiif")
_IMAGE_VALUE = re.compile(r"^https?://\S+$", re.I)


def _image_column(header: list[str], sample: list[dict[str, str]],
                  exclude: tuple[str | None, ...] = ()) -> str | None:
    """The column of a table that gives each row's image, for the mapping step of an
    image project: of the columns whose values are mostly web addresses, the one named as an
    image column, else the only one (None when none or several). A column of file names
    is never guessed: an uploaded table brings no image files with it, and such a table
    is most often labels for images already here."""
    def looks(name: str) -> bool:
        values = [str(r.get(name) or "").strip() for r in sample]
        filled = [v for v in values if v]
        return bool(filled) and sum(1 for v in filled if _IMAGE_VALUE.match(v)) * 2 >= len(
            filled)

    def norm(name: str) -> str:
        return "".join(ch for ch in name.lower() if ch.isalnum())

    fitting = [h for h in header if h and h not in exclude and looks(h)]
    named = [h for h in fitting if norm(h) in IMAGE_NAMES]
    if len(named) == 1:
        return named[0]
    return fitting[0] if len(fitting) == 1 else None


def bring_in_table(ws: Workspace, path: Path, *, id_column: str,
                   text_column: str | None = None, label_column: str | None = None,
                   image_column: str | None = None, actor: str = "web") -> dict[str, Any]:
    """Ingest an uploaded table with the columns the person chose, then import its label
    column (if any) as gold labels. Returns the ingest report (``problems``: one per bad
    row) with ``labels`` (what was imported) and ``label_problems``.

    A table of labels for items already in the project (an id and a label column, no
    text: a curator's spreadsheet of labels for images brought in before) is not ingested
    as items: its rows are labels (``labels_for_items_here``: how many were saved), and a
    row whose id is not in the project, or whose cells do not fit the header, is one
    problem naming its line and the fix.

    In an image project a table with no text column and no image column is always such a
    table: it brings in no item, even when none of its ids is in the project (a typo, the
    wrong spreadsheet): each id not here is one problem, summarised when there are many.

    ``image_column`` (an image project): each row is an image item, its image the
    column's web address (``glamlab ingest --image-column``; nothing is fetched now, the
    image is read when a model or a page first needs it) or a file inside the upload's
    own folder; a path elsewhere on the server (absolute, ``..``, a link out), a missing
    file or an empty cell is one problem for that row, and the rest comes in."""
    from .labels import existing_item_ids

    read_problems: list[tuple[int, str]] = []
    header, rows = check_mapping(path, id_column=id_column, text_column=text_column,
                                 label_column=label_column, problems=read_problems,
                                 needs_image=ws.card.modality == "image",
                                 image_column=image_column)
    if label_column:
        from ..workspace.leakage import record_label_columns

        record_label_columns(ws, [label_column])  # never a feature of any model
    ids = [(r.get(id_column) or "").strip() for _n, r in rows]
    here = existing_item_ids(ws, [i for i in ids if i]) \
        if label_column and not text_column and not image_column else set()
    by_file: dict[str, str] = {}  # a file name ('f27.jpg') -> the item it names ('pages/f27')
    twins: dict[str, list[str]] = {}  # a file name that names several items
    if label_column and not text_column and not image_column:
        from .labels import items_by_file_name

        found = items_by_file_name(ws, sorted({i for i in ids if i and i not in here}))
        by_file = {name: items[0] for name, items in found.items() if len(items) == 1}
        twins = {name: items for name, items in found.items() if len(items) > 1}
        here |= set(by_file)
    labels_only = bool(here) or (ws.card.modality == "image" and not text_column
                                 and not image_column)
    if labels_only:  # a table of labels for the items already here: nothing to ingest
        out: dict[str, Any] = {"added": 0, "updated": 0, "unchanged": 0, "failed": 0,
                               "problems": [], "warnings": [], "labels_only": True}
        # the sheet's other columns (a book, a date) are kept as the items' information,
        # as the mapping form says: the test split below then keeps a book's pages
        # together
        out["columns_kept"] = _keep_other_columns(
            ws, header, rows, id_column, label_column, here=here, by_file=by_file)
        out["labels"], out["label_problems"] = _import_labels(
            ws, path, rows, id_column, label_column or "", actor, here=here,
            read_problems=read_problems, by_file=by_file, twins=twins)
        out["labels_for_items_here"] = out["labels"]["items"] if out["labels"] else 0
        used = sorted(name for name in by_file if name in ids)
        if used and out["labels"]:
            out["by_file_name"] = {"rows": len(used), "name": used[0],
                                   "item": by_file[used[0]]}
        out["rows_left_out"] = sum(int(p.get("rows", 1)) for p in out["label_problems"])
        return out
    source = path
    if path.suffix.lower() == ".xlsx":  # the table readers take CSV: the same cells
        source = path.with_name(path.stem + "-sheet.csv")
        with open(source, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows([[r.get(h, "") for h in header] for _n, r in rows])
    report = ws.ingest([str(source)], id_column=id_column, text_column=text_column or None,
                       image_column=image_column or None, image_root=path.parent,
                       collection_depth=0, remote_ocr=False, check_addresses=True)
    out = report.to_dict()
    # a row's problem names the file as the person uploaded it ("catalogue.xlsx:line 3"),
    # not the server's upload folder nor the CSV copy made of a sheet
    for p in out["problems"]:
        for key in ("item", "source"):
            value = p.get(key)
            if isinstance(value, str) and value.startswith(str(source)):
                p[key] = path.name + value[len(str(source)):]
    if not text_column:
        said = _text_column_used(header, out)
        if said:
            out["warnings"] = [said, *out["warnings"]]
    out["labels"] = None
    out["label_problems"] = []
    if label_column:
        out["labels"], out["label_problems"] = _import_labels(
            ws, path, rows, id_column, label_column, actor)
    return out


def _keep_other_columns(ws: Workspace, header: list[str],
                        rows: list[tuple[int, dict[str, str]]], id_column: str,
                        label_column: str | None, *, here: set[str],
                        by_file: dict[str, str]) -> dict[str, Any]:
    """A labels sheet's columns other than the id and the label, kept as information
    (metadata) on the items it names that are here (:func:`.labels.keep_item_fields`:
    a field an item already has a value for is left as it is). Returns ``columns``
    (those kept) and ``items`` (how many items gained a field)."""
    from .labels import keep_item_fields, not_kept

    if ws.card.modality == "tabular":  # a column there is a feature: never one added later
        return {"columns": [], "items": 0}
    own = not_kept(header)  # glamlab's own sheet: its copies of the item are not kept
    others = [c for c in header if c and c not in (id_column, label_column) and c not in own]
    wanted: dict[str, dict[str, str]] = {}
    for _line, row in rows:
        item_id = (row.get(id_column) or "").strip()
        if not item_id or item_id not in here:
            continue
        item_id = by_file.get(item_id, item_id)
        cells = {c: (row.get(c) or "").strip() for c in others}
        cells = {c: v for c, v in cells.items() if v}
        if cells and item_id not in wanted:  # the first row of an item, as its label
            wanted[item_id] = cells
    with ws.store.write() as conn:
        kept = keep_item_fields(conn, ws, wanted)
    return {"columns": [c for c in others if c in kept["columns"]], "items": kept["items"]}


def _text_column_used(header: list[str], report: dict[str, Any]) -> str | None:
    """What to say when no text column was chosen ("(none)" on the mapping form) and the
    ingest took the item text from a column all the same (:class:`glamlab.ingest.tables`:
    a column called ``text``, or, in a text project, the one whose values read as running
    text): which column, and why, so that the choice is not overruled without a word."""
    found = [c["column"] for c in report.get("text_columns") or []]
    if found:
        column, why = found[0], ("this project predicts from text, so a text column is "
                                 "needed, and it was found from the column's values")
    elif "text" in header:
        column, why = "text", "a column called 'text' is always the item text"
    else:
        return None
    if not (report.get("added") or report.get("updated") or report.get("unchanged")):
        return None
    return (f"No text column was chosen, but the item text was taken from the column "
            f"{column!r}: {why}. To take it from another column, upload the table again "
            "and choose that column as the item's text")


def check_mapping(path: Path, *, id_column: str, text_column: str | None = None,
                  label_column: str | None = None, header_only: bool = False,
                  problems: list[tuple[int, str]] | None = None, needs_image: bool = False,
                  image_column: str | None = None
                  ) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The table's header and rows (none with ``header_only``: what the web app checks
    before a background job brings the table in), once the chosen columns are known to
    be there and distinct. A row with more cells than the header is not among the rows
    (its labels are not imported): the ingest of the table records it as a problem, or,
    when the table is not ingested, ``problems`` gets ``(line, reason with the fix)``.
    ``needs_image``: the project's items are images, so a table with neither an image, a
    text nor a label column has nothing to bring in; ``image_column`` (an image project
    only): each row's image, a web address (or a file inside the upload's folder)."""
    from ..sheets import read_sheet

    header, rows = read_sheet(path, error=UploadError, limit=0 if header_only else None,
                              problems=[] if problems is None else problems)
    for col, what in ((id_column, "id"), (text_column, "text"), (label_column, "label"),
                      (image_column, "image")):
        if col and col not in header:
            raise UploadError(f"{path.name} has no column {col!r}", item=path.name,
                              hint=f"choose the {what} column from: {', '.join(header)}")
    if not id_column:
        raise UploadError("choose the column that holds each item's id", item=path.name,
                          hint="every row needs an id that stays the same (a shelfmark, "
                               "a record number)")
    if image_column and not needs_image:
        raise UploadError(f"{path.name}: this project's items are not images, so it takes "
                          "no column of images", item=path.name,
                          hint="choose no image column (the column is kept as information "
                               "about each item)")
    if needs_image and not text_column and not label_column and not image_column:
        raise UploadError(f"{path.name} gives neither texts nor labels, and no column of "
                          "images was chosen: this project's items are images, so the "
                          "table brings in nothing", item=path.name,
                          hint="choose the column that holds each image's web address to "
                               "bring the images in, or the column that holds each "
                               "image's label for images already here; image files come "
                               "in as a .zip, a IIIF manifest or a METS file")
    chosen = [c for c in (id_column, text_column, label_column, image_column) if c]
    if len(set(chosen)) != len(chosen):
        raise UploadError("one column was chosen for two roles", item=path.name,
                          hint="the id, the text, the label and the image must be "
                               "different columns")
    return header, rows


#: the ids not in the project listed one by one on the report; the others in one line
SHOWN_MISSING = 20


def _not_here(path: Path, missing: dict[str, list[int]], *, none_here: bool
              ) -> list[dict[str, Any]]:
    """The problems of a label table's ids that are not in the project: each id once
    (with its lines), the first :data:`SHOWN_MISSING` of them, then one line for the rest;
    when none of the table's ids is here, a first line says so (the wrong spreadsheet, or
    the images not brought in yet). ``rows``: how many rows each problem stands for."""
    if not missing:
        return []
    fix = "check the id (as the items page shows it), or bring the images in first, then " \
          "upload the table again"
    out: list[dict[str, Any]] = []
    if none_here:
        n = len(missing)
        out.append({"item": path.name, "rows": 0, "reason": (
            f"none of the {n} ids of {path.name} is an item of this project" if n > 1 else
            f"the id of {path.name} is not an item of this project") + "; nothing was saved "
            "and no item was created", "hint": "check that this is the right spreadsheet and "
            "that its ids are the items' ids (as the items page shows them), or bring the "
            "images in first, then upload the table again"})
    for item_id, lines in list(missing.items())[:SHOWN_MISSING]:
        where = f"line {lines[0]}" if len(lines) == 1 else \
            f"lines {', '.join(map(str, lines[:5]))}{', …' if len(lines) > 5 else ''}"
        out.append({"item": item_id, "rows": len(lines), "reason": f"{where}: no item with "
                    f"id {item_id!r} in the project; its label was not saved", "hint": fix})
    rest = list(missing.items())[SHOWN_MISSING:]
    if rest:
        shown = ", ".join(repr(i) for i, _l in rest[:3])
        rows = sum(len(lines) for _i, lines in rest)
        out.append({"item": f"{len(rest)} more ids", "rows": rows, "reason": (
            f"{len(rest)} more ids ({shown}, …; {rows} rows) are not items of this project; "
            "their labels were not saved"), "hint": fix})
    return out


def _import_labels(ws: Workspace, path: Path, rows: list[tuple[int, dict[str, str]]],
                   id_column: str, label_column: str, actor: str, *,
                   here: set[str] | None = None,
                   read_problems: list[tuple[int, str]] | None = None,
                   by_file: dict[str, str] | None = None,
                   twins: dict[str, list[str]] | None = None
                   ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The label column as gold labels, for the rows whose item came in; a row with a
    label the project does not have is one problem. A test split is set aside when the
    project has none yet (30%, stratified); later uploads' labels go to training.

    ``here``: the table is only labels for the items already here (those of its ids that
    are): then a row whose id is not in the project, a row without an id, a second row of
    an id with another label (the first row's label is saved) and a row whose cells do not
    fit the header (``read_problems``, from reading the sheet) are each one problem naming
    the line; the other rows' labels are saved. ``by_file``: an id of the table that is
    the file name of an item here ('f27.jpg' for the item 'pages/f27' of a ZIP), its label
    saved for that item; ``twins``: a file name that several items have, one problem."""
    from .labels import existing_item_ids, import_labels
    from .splits import split_labels

    known = set(ws.card.labels)
    labels_only = here is not None
    problems: list[dict[str, Any]] = []
    for line, message in read_problems or []:
        reason, _, fix = message.partition(": ")
        problems.append({"item": f"line {line}", "reason": f"line {line}: {reason}; its "
                         "label was not saved", "hint": f"{fix}, and upload the table again"})
    ids = [(r.get(id_column) or "").strip() for _n, r in rows]
    present = here if here is not None else existing_item_ids(ws, [i for i in ids if i])
    one_per_item = ws.card.kind != "multi-label"  # a multi-label sheet may list an item
    first: dict[str, tuple[int, str]] = {}  # on several rows, one label each (merged)
    missing: dict[str, list[int]] = {}  # an id not in the project: its lines
    keep: list[tuple[str, str]] = []
    for (line, row), item_id in zip(rows, ids, strict=True):
        cell = (row.get(label_column) or "").strip()
        if labels_only and cell and not item_id:
            problems.append({"item": f"line {line}", "reason": f"line {line}: the label "
                             f"{cell!r} has no id in the column {id_column!r}; it was not "
                             "saved", "hint": "fill in the id of the item it labels, and "
                                              "upload the table again"})
            continue
        if labels_only and cell and item_id in (twins or {}):
            shown = ", ".join(repr(i) for i in (twins or {})[item_id][:3])
            problems.append({"item": item_id, "reason": f"line {line}: {item_id!r} is the "
                             f"file name of several items ({shown}); its label was not "
                             "saved", "hint": "write the item's whole id (with its folder, "
                             "as its item page shows it), and upload the table again"})
            continue
        if labels_only and cell and item_id not in present:
            missing.setdefault(item_id, []).append(line)  # said once per id, below
            continue
        if not item_id or not cell or item_id not in present:
            continue  # no label, or the item did not come in (its problem is listed)
        item_id = (by_file or {}).get(item_id, item_id)
        unknown = [p.strip() for p in cell.split("|") if p.strip() and p.strip() not in known]
        if unknown:
            problems.append({"item": item_id, "reason": f"line {line}: the label "
                             f"{unknown[0]!r} is not one of this project's labels "
                             f"({', '.join(ws.card.labels)}); its label was not imported",
                             "hint": "correct the cell, or label the item on the labelling "
                                     "page"})
            continue
        if one_per_item and item_id in first:
            was_line, was = first[item_id]
            if labels_only and was != cell:  # (an ingested table: the ingest says so)
                problems.append({"item": item_id, "reason": f"line {line}: {item_id!r} is on "
                                 f"line {was_line} too, labelled {was!r} there and {cell!r} "
                                 f"here; the label of line {was_line} was saved",
                                 "hint": "keep one row per item: correct or delete one of "
                                         "the two, and upload the table again"})
            continue
        first[item_id] = (line, cell)
        keep.append((item_id, cell))
    problems.extend(_not_here(path, missing, none_here=not present))
    if not keep:
        return None, problems
    sheet = path.with_name(path.stem + "-labels.csv")
    with open(sheet, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label"])
        w.writerows(keep)
    has_test = _has_test_split(ws)
    try:
        rep = import_labels(ws, sheet, id_column="id", label_column="label",
                            split="train" if has_test else None, annotator="import",
                            web=True, source=path.name)
        out: dict[str, Any] = {"items": rep.items, "added": rep.added,
                               "unchanged": rep.unchanged, "labels": rep.labels,
                               "split": rep.split}
        if not has_test:
            from .splits import grouping_field

            # the pages of one book (document) on one side: a test figure from pages of
            # books the model also learned from looks better than it is
            group_by = grouping_field(ws)
            try:
                sp = split_labels(ws, test_size=TEST_SHARE, seed=0, actor=actor,
                                  group_by=group_by)
            except LabelError:
                if group_by is None:
                    raise
                sp = split_labels(ws, test_size=TEST_SHARE, seed=0, actor=actor)
            out["split"] = f"test {sp.test}, train {sp.train}"
            if sp.group_by:
                out["split"] += f", the {sp.group_by} of each kept on one side"
    except GlamlabError as exc:
        problems.append({"item": None, "reason": f"the labels were not imported: "
                         f"{exc.message}", "hint": exc.hint})
        return None, problems
    return out, problems


def span_format(ws: Workspace, path: Path) -> str | None:
    """``hipe`` or ``webanno`` for an entities project's .tsv upload whose first lines are
    a gold-span file (HIPE TSV, WebAnno TSV 3.3 from INCEpTION); None for a spreadsheet."""
    from .spans.gold import tsv_span_format

    if ws.card.kind != "entities":
        return None
    return tsv_span_format(path)


def bring_in_spans(ws: Workspace, path: Path, *, actor: str = "web") -> dict[str, Any]:
    """An uploaded gold-span file, as ``glamlab labels import FILE``: the texts it carries
    come in as items (those already there must have the same text), its entities as their
    gold spans, all or nothing. A test split is set aside when the project has none yet
    (30%, a document's sentences together where the file names documents); later
    uploads go to training. The report has the shape of :func:`bring_in_table`'s."""
    from .spans import import_spans
    from .splits import split_labels

    has_test = _has_test_split(ws)
    try:
        rep = import_spans(ws, path, format=span_format(ws, path),
                           split="train" if has_test else None)
    except LabelError as exc:
        raise _other_types(ws, path, exc) or exc from None
    split = rep.split
    if not has_test:
        try:
            sp = split_labels(ws, test_size=TEST_SHARE, seed=0, group_by="document_id",
                              actor=actor)
        except GlamlabError:  # no document ids: the texts one by one
            sp = split_labels(ws, test_size=TEST_SHARE, seed=0, actor=actor)
        split = f"test {sp.test}, train {sp.train}"
    return {"added": rep.created, "updated": 0, "unchanged": rep.items - rep.created,
            "failed": 0, "problems": [], "label_problems": [], "warnings": [],
            "rows": None, "spans": rep.spans,
            "labels": {"items": rep.items, "labels": rep.labels, "split": split}}


def _other_types(ws: Workspace, path: Path, exc: LabelError) -> LabelError | None:
    """One sentence, with the fix, for a span file whose entity types are not the
    project's (``PER`` where the project says ``person``): nothing else is wrong."""
    unknown = [re.search(r"unknown label '([^']*)'", msg) for _n, msg in exc.rows]
    if not unknown or not all(unknown):
        return None
    types = sorted({m.group(1) for m in unknown if m})
    if ws.count_items():
        hint = (f"the project's types are fixed once texts are in: in the file, give "
                f"each entity one of {', '.join(ws.card.labels)}, and upload it again")
    else:
        hint = ("nothing is in the project yet, so its types can still change: on the "
                "project page give the file's types as the labels, one a line, and "
                "upload the file again")
    return LabelError(f"{path.name} marks its entities as {', '.join(types)}, which are "
                      f"not this project's types ({', '.join(ws.card.labels)}); nothing "
                      "was imported", hint=hint, rows=exc.rows)


def _has_test_split(ws: Workspace) -> bool:
    from .splits import split_of

    return "test" in set(split_of(ws).values())


# -- rows of a tabular project --------------------------------------------------------
def preview_rows(ws: Workspace, path: Path) -> dict[str, Any]:
    """A tabular project's upload: its columns and first rows, the project's schema once
    a first table fixed it (``schema``; None before), and for a first table the columns
    that look like the id, the time and the outcome."""
    header, rows = _table_rows(path)
    if not header or not any(header):
        raise UploadError(f"{path.name} has no header row", item=path.name,
                          hint="put the column names in the first row")
    columns = [h for h in header if h]
    sample = [r for _n, r in rows[:50]]
    section = ws.card.section("tabular")
    schema = None
    if section:
        schema = {k: section.get(k) for k in ("time_column", "label_column", "id_column")}
        schema["id_column"] = schema["id_column"] or "id"
        schema["never_features"] = list(section.get("never_features") or [])
        schema["group_columns"] = list(section.get("group_columns") or [])
    return {"file": path.name, "columns": columns, "rows": len(rows),
            "first_rows": sample[:PREVIEW_ROWS], "schema": schema,
            "guess": _guess_rows(columns, sample, set(ws.card.labels))}


def _guess_rows(columns: list[str], sample: list[dict[str, str]],
                labels: set[str]) -> dict[str, str | None]:
    def values(c: str) -> list[str]:
        return [(r.get(c) or "").strip() for r in sample]

    id_col = "id" if "id" in columns else next(
        (c for c in columns if all(values(c)) and len(set(values(c))) == len(sample)), None)
    dated = [c for c in columns if c != id_col and (v := [x for x in values(c) if x])
             and all(_ISO_DATE.match(x) for x in v)]
    # a date written once the outcome is known (a booking's status date, when it was
    # last changed) is never the row's date: the split by it would judge the model on
    # what it was trained to foresee
    before = [c for c in dated if not any(w in c.lower() for w in _AFTER_OUTCOME)]
    time_col = next((c for c in before if any(w in c.lower() for w in ("date", "time"))),
                    before[0] if before else None)
    outcome = [c for c in columns if c not in (id_col, time_col)
               and (v := [x for x in values(c) if x]) and set(v) <= labels]
    label_col = next((c for c in outcome if any(w in c.lower() for w in (
        "outcome", "label", "cancel", "no_show", "noshow"))), outcome[0] if outcome else None)
    return {"id": id_col, "time": time_col, "label": label_col}


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: words in the name of a date column written after the outcome
_AFTER_OUTCOME = ("status", "cancel", "updated", "modified", "changed", "closed")


def rows_source(ws: Workspace, path: Path) -> str:
    """The file an upload's rows belong to: the upload's file name (each upload is kept
    in a folder of its own, but uploading ``bookings.csv`` again, its outcomes filled in,
    updates the rows of ``bookings.csv``, as ``glamlab ingest`` of the same file does)."""
    return str(uploads_dir(ws).resolve() / path.name)


def _table_rows(path: Path, *, limit: int | None = None
                ) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """A tabular project's upload as a sheet (header; (row number, column -> cell
    text)): a Parquet table's cells as text (a whole number as itself, a date as
    YYYY-MM-DD, a missing value empty), any other as :func:`glamlab.sheets.read_sheet`
    reads it."""
    from ..sheets import read_sheet

    if path.suffix.lower() not in ROWS_ONLY:
        return read_sheet(path, error=UploadError, limit=limit)
    from ..ingest.columns import read_table

    try:
        table = read_table(path)
    except GlamlabError as exc:
        raise UploadError(f"{path.name} cannot be read as a Parquet table", item=path.name,
                          hint="save it again as Parquet, or as a spreadsheet (.csv)") from exc
    header = [str(c) for c in table.columns]
    records = table.head(limit).to_dict("records") if limit is not None else \
        table.to_dict("records")
    return header, [(n, {str(k): _cell(v) for k, v in r.items()})
                    for n, r in enumerate(records, start=1)]


def _cell(value: Any) -> str:
    """A Parquet cell as a sheet's text: empty when missing, a whole number as itself,
    a date (midnight) as YYYY-MM-DD."""
    import math

    if hasattr(value, "item") and not hasattr(value, "isoformat"):
        value = value.item()  # numpy scalars
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if hasattr(value, "isoformat"):
        if str(value) == "NaT":
            return ""
        is_midnight = getattr(value, "hour", 0) == getattr(value, "minute", 0) == \
            getattr(value, "second", 0) == 0
        return value.date().isoformat() if is_midnight and hasattr(value, "date") \
            else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_csv(path: Path) -> Path:
    """The upload as the comma-separated UTF-8 file the table reader takes (an Excel
    workbook, a CSV with semicolons or a byte-order mark: the same cells); a Parquet
    table as it is (the reader takes it, its types kept)."""
    from ..sheets import read_sheet

    if path.suffix.lower() in ROWS_ONLY:
        return path
    header, rows = read_sheet(path, error=UploadError)
    out = path.with_name(path.stem + "-rows.csv")
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows([[r.get(h, "") for h in header] for _n, r in rows])
    return out


def _fixed_columns(ws: Workspace, path: Path) -> None:
    """A later table: the time and id columns the first one fixed must be there (said in
    the words of the upload page)."""
    from ..ingest.columns import closest_name

    section = ws.card.section("tabular")
    if not section:
        return
    header, _rows = _table_rows(path, limit=0)
    for col, role in ((section.get("time_column"), "time column (the date of each row)"),
                      (section.get("id_column") or "id", "id column")):
        if col and col not in header:
            near = closest_name(str(col), header, cutoff=0.8)
            raise UploadError(
                f"{path.name} has no column {col!r}, this project's {role}"
                + (f"; it has {near!r}" if near else ""), item=path.name,
                hint=(f"rename the column {near!r} to {col!r}" if near else
                      f"add the column {col!r}") + " and upload the file again: every "
                      "table of this project has the columns of the first one")


def check_rows(ws: Workspace, path: Path, **options: Any) -> None:
    """What bringing the rows in checks before anything is stored (the columns, their
    types, a misspelt outcome column): said on the upload page at once, not in the job.
    ``options``: those of :func:`glamlab.tasks.tabular.check_table`."""
    from .tabular import check_table

    _fixed_columns(ws, path)
    check_table(ws, _as_csv(path), **options)
    if options.get("id_column") and not ws.card.section("tabular"):
        _check_id_column(path, str(options["id_column"]))


def _check_id_column(path: Path, column: str) -> None:
    """A first table's id column that is no id at all (most of its values on several
    rows, e.g. the hotel or the venue): refused at once with the fix, rather than every
    row left out for a repeated id."""
    from collections import Counter

    _header, rows = _table_rows(path)
    counts = Counter((r.get(column) or "").strip() for _n, r in rows)
    if not rows or len(counts) * 2 > len(rows):
        return
    value, n = counts.most_common(1)[0]
    shown = repr(value) if value else "an empty cell"
    raise UploadError(
        f"the column {column!r} cannot be the rows' id: it has {len(counts):,} different "
        f"values on {len(rows):,} rows ({shown} on {n:,}); nothing was stored", item=path.name,
        hint="choose a column with a different value on each row, such as a booking "
             "number; if the table has none, add one (in Excel: a first column id filled "
             "with 1, 2, 3, …) and upload it again")


def bring_in_rows(ws: Workspace, path: Path, *, updates: bool = False,
                  **options: Any) -> dict[str, Any]:
    """Ingest a tabular project's upload as ``glamlab ingest`` does
    (:func:`glamlab.tasks.tabular.ingest_table`: the schema, the outcome column, the
    leakage check; ``updates`` is ``--allow-source-change``). Rows first brought in from
    another file are refused as a whole unless ``updates``, in the upload page's words.
    Returns the ingest report with ``rows``: the schema's columns, the time split, the
    columns that give the outcome away, those that only follow the year and those
    monitoring leaves out of drift (positions in the calendar)."""
    from ..errors import ColumnError, IngestError
    from .tabular import ingest_table

    _fixed_columns(ws, path)
    origin = rows_source(ws, path)
    try:
        res = ingest_table(ws, _as_csv(path), allow_source_change=updates, source=origin,
                           **options)
    except IngestError as exc:
        if isinstance(exc, ColumnError):
            raise
        other = _file_of(ws, exc.item) if exc.item else None
        if other is None:
            raise
        raise UploadError(
            f"rows of {path.name} were first brought in from another file, and this file "
            f"changes them (e.g. the row {exc.item!r}, from {other}): nothing was stored, "
            "the rows already in are kept", item=path.name,
            hint="if this file updates those rows, for example with their outcomes, upload "
                 "it again and tick “these rows update rows I uploaded before”; if they "
                 "are other rows, give them ids of their own") from exc
    out = res.report.to_dict()
    leak = res.leakage
    out["rows"] = {
        "time_column": res.schema.time_column, "label_column": res.schema.label_column,
        "id_column": res.schema.id_column or "id", "train_until": res.train_until,
        "leaks": [f.to_dict() for f in leak.flagged if not f.excluded] if leak else [],
        "kept_out": [f.column for f in leak.flagged if f.excluded] if leak else [],
        "leak_checked": leak is not None, "follow_the_year": res.yearly,
        "calendar_words": res.calendar_words()}
    out["labels"] = None
    out["label_problems"] = []
    return out


def _file_of(ws: Workspace, item_id: str) -> str | None:
    """The name of the file an item's current version came from."""
    import sqlalchemy as sa

    t = ws.store.t.items
    with ws.store.read() as conn:
        src = conn.execute(sa.select(t.c.source).where(
            t.c.is_current.is_(True), t.c.item_id == item_id)).scalar()
    return Path(str(src)).name if src else None


# -- archives of images, manifests, METS -------------------------------------------
def check_files(path: Path) -> None:
    """Refuse at once an upload that is not a ZIP of images, a IIIF manifest or a METS
    file (before a background job is queued for it)."""
    kind = kind_of(path.name)
    if kind == "table":
        raise UploadError(f"{path.name} is a table", item=path.name,
                          hint="tables go through the column-mapping step")
    if kind == "manifest":
        from ..ingest.iiif import looks_like_iiif

        if not looks_like_iiif(path):
            raise UploadError(f"{path.name} is not a IIIF manifest", item=path.name,
                              hint="upload the manifest's JSON (its @context names "
                                   "iiif.io/api/presentation)")


def bring_in_files(ws: Workspace, path: Path) -> dict[str, Any]:
    """Ingest an uploaded ZIP of images, IIIF manifest or METS file. Returns the ingest
    report; a ZIP's members left out are problems too."""
    from ..ingest.images import IMAGE_SUFFIXES

    check_files(path)
    kind = kind_of(path.name)
    left_out: list[dict[str, Any]] = []
    if kind == "images":
        folder = path.with_name(path.stem + "-files")
        written, left_out = extract_zip(
            path, folder, max_files=MAX_ZIP_FILES, max_bytes=MAX_ZIP_UNPACKED,
            max_member_bytes=MAX_IMAGE_BYTES,
            suffixes=IMAGE_SUFFIXES | {".xml", ".txt"})  # OCR beside its page image
        if not written:
            raise UploadError(f"{path.name} holds no images", item=path.name,
                              hint="put the image files (JPEG, PNG, TIFF) in the archive")
        source = folder
    else:  # a manifest or METS file (check_files refused the rest)
        source = path
    report = ws.ingest([str(source)], collection_depth=0, remote_ocr=False,
                       check_addresses=True)
    out = report.to_dict()
    out["problems"] = [*({"source": path.name, **p} for p in left_out), *out["problems"]]
    out["failed"] += len(left_out)
    out["labels"] = None
    out["label_problems"] = []
    return out



def bring_in_url(ws: Workspace, url: str) -> dict[str, Any]:
    """Ingest a IIIF manifest or collection by its address (what ``glamlab ingest URL``
    does: the manifest is fetched with a timeout and a size cap; images are read when a
    model needs them). Only http(s) addresses, and, the web app being a server, only
    those the card's ``[fetch]`` allows (the public internet by default), as images."""
    from urllib.parse import urlparse

    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UploadError(f"{url!r} is not the web address of a IIIF manifest", item=url,
                          hint="give an address starting with https:// (or upload the "
                               "manifest's JSON file)")
    report = ws.ingest([url.strip()], check_addresses=True)
    out = report.to_dict()
    out["labels"] = None
    out["label_problems"] = []
    return out
