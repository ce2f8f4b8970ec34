"""Gold labels: importing them from CSV, and reading them back.

An import is all or nothing: every row is checked first (unknown item, a cell the task
kind cannot read, conflicting duplicate, a row with more cells than the header), every
problem is reported with its line number, and only a clean file is written, in one
transaction. Several rows for one item are merged when the task kind allows it (long
format, multi-label: one label per row) and counted in the report (``merged``).

What a gold label is, and how it is stored in ``labels`` rows, is the task kind's
(:mod:`glamlab.tasks.kinds`): a label name per row for classification, a name and a JSON
value for richer kinds. The gold label of an item is read from the active rows of the
annotator who labelled it last (a reviewer's correction overrides an import); other
annotators' rows stay for agreement statistics.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import LabelError
from ..progress import plural
from ..said import in_words
from ..store import now
from ..store.gold import in_force
from .kinds import LabelRow, task_kind

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .kinds import TaskKind

SPLITS = ("train", "calibration", "test")
#: the audit action of a changed gold label of a test-split item (the web app's change,
#: or an import): the evaluations made before it measured the models against the label
#: as it was (:func:`glamlab.review.labelling.test_relabelled`)
TEST_RELABEL = "test.relabel"
MAX_ROWS_IN_MESSAGE = 20


@dataclass
class ImportReport:
    path: str
    rows: int = 0
    items: int = 0
    added: int = 0  # label rows written
    unchanged: int = 0  # items whose labels were already there
    replaced: int = 0  # items whose earlier labels (same annotator) were replaced
    split: str | None = None
    annotator: str = "import"
    labels: dict[str, int] = field(default_factory=dict)
    # rows with an item id and an empty label cell (a half-filled sheet): not imported,
    # reported, the filled rows are
    blank: list[str] = field(default_factory=list)
    # items whose labels came on several rows (long format, multi-label), merged
    merged: list[str] = field(default_factory=list)
    # items left in no split while the test split is frozen (no ``split`` given): no
    # training reads them until they are imported again with --split train
    unsplit: int = 0
    # the sheet's other columns (a book, a date) kept as the items' information:
    # ``columns`` (those that filled in a field) and ``items`` (how many gained one)
    columns_kept: dict[str, Any] = field(default_factory=lambda: {"columns": [], "items": 0})

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    def summary(self) -> str:
        text = (f"{self.items:,} {plural(self.items, 'item')} labelled from {self.rows:,} "
                f"{plural(self.rows, 'row')} ({self.added:,} {plural(self.added, 'label')} "
                f"added, {self.unchanged:,} {plural(self.unchanged, 'item')} unchanged")
        if self.replaced:
            text += f", {self.replaced:,} replaced"
        text += ")"
        if self.split:
            text += f"; put in the {self.split} split"
        if self.unsplit:
            n = self.unsplit
            who = (plural(n, "it is", "they are") if n == self.items else
                   f"{n:,} of them {plural(n, 'is', 'are')}")
            text += (f"; {who} in no split, so no training reads {plural(n, 'it', 'them')} "
                     "(the test split is frozen): import the file again with --split train")
        if self.merged:
            shown = ", ".join(self.merged[:5]) + (", ..." if len(self.merged) > 5 else "")
            n = len(self.merged)
            text += (f"; {n:,} {plural(n, 'item')} had labels on several rows, merged into "
                     f"{'one set' if n == 1 else 'one set each'} ({shown})")
        kept = self.columns_kept
        if kept.get("items"):
            cols = list(kept.get("columns") or [])
            shown = ", ".join(cols[:5]) + (", ..." if len(cols) > 5 else "")
            n = int(kept["items"])
            text += (f"; the sheet's other {plural(len(cols), 'column')} ({shown}) kept as "
                     f"information on {n:,} {plural(n, 'item')} (where an item had no value "
                     "for it yet): glamlab labels split --group-by can use them")
        if self.blank:
            shown = ", ".join(self.blank[:5]) + (", ..." if len(self.blank) > 5 else "")
            n = len(self.blank)
            text += (f"; {n:,} {plural(n, 'row has', 'rows have')} no label yet and "
                     f"{plural(n, 'was', 'were')} left out ({shown}): fill "
                     f"{plural(n, 'it', 'them')} in and import the file again")
        return text


def _chunks(seq: Sequence[str], n: int = 900) -> Iterable[Sequence[str]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def existing_item_ids(ws: Workspace, ids: Sequence[str]) -> set[str]:
    t = ws.store.t.items
    found: set[str] = set()
    with ws.store.read() as conn:
        for chunk in _chunks(list(ids)):
            found.update(r[0] for r in conn.execute(
                sa.select(t.c.item_id).where(t.c.is_current.is_(True), t.c.item_id.in_(chunk))))
    return found


def _named_by_path(ws: Workspace, missing: Sequence[str]) -> tuple[str, str] | None:
    """(a file's id, the item it names) when items here are named by a path that ends in
    one of the first few ``missing`` ids (``images/page-1`` for ``page-1``, as a folder's
    ingest names them); None otherwise. A few lookups, only on the way to an error."""
    t = ws.store.t.items
    with ws.store.read() as conn:
        for item_id in list(missing)[:5]:
            pattern = "%/" + item_id.replace("\\", "\\\\").replace("%", "\\%").replace(
                "_", "\\_")
            found = conn.execute(sa.select(t.c.item_id).where(
                t.c.is_current.is_(True), t.c.item_id.like(pattern, escape="\\")).limit(1)
            ).scalar()
            if found is None:  # also with an image's suffix: images/page-1.jpg
                found = conn.execute(sa.select(t.c.item_id).where(
                    t.c.is_current.is_(True), t.c.item_id.like(pattern + ".%", escape="\\"))
                    .limit(1)).scalar()
            if found is not None:
                return item_id, str(found)
    return None


def _file_key(name: str) -> str:
    """A file's name without its folder and without an image or OCR suffix:
    ``pages/f27.jpg``, ``f27.jpg`` and ``pages/f27`` are all ``f27``."""
    from ..ingest.images import IMAGE_SUFFIXES

    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    if dot and stem and "." + suffix.lower() in IMAGE_SUFFIXES | {".xml", ".txt"}:
        return stem
    return base


def items_by_file_name(ws: Workspace, names: Sequence[str]) -> dict[str, list[str]]:
    """For each of ``names`` (ids a spreadsheet gives that are not items here) the items
    named by that file: a spreadsheet of labels names a page by its file
    (``f27.jpg``) where a ZIP's or a folder's ingest named the item by its path in it,
    without the suffix (``pages/f27``). An id with a folder must match the item's path
    from that folder on. Only on the way to an error or a match: reads every item id
    once."""
    wanted: dict[str, list[str]] = {}
    for name in names:
        wanted.setdefault(_file_key(name), []).append(name)
    out: dict[str, list[str]] = {}
    if not wanted:
        return out
    t = ws.store.t.items
    with ws.store.read() as conn:
        for (item_id,) in conn.execute(sa.select(t.c.item_id).where(t.c.is_current.is_(True))):
            for name in wanted.get(_file_key(item_id), ()):
                folder = name.replace("\\", "/").rpartition("/")[0]
                if folder and not ("/" + item_id).rpartition("/")[0].endswith("/" + folder):
                    continue
                out.setdefault(name, []).append(str(item_id))
    return out


def _annotator_rows(conn: sa.Connection, ws: Workspace, ids: Sequence[str],
                    annotator: str) -> dict[str, list[LabelRow]]:
    t = ws.store.t.labels
    out: dict[str, list[LabelRow]] = {}
    for chunk in _chunks(list(ids)):
        for item_id, label, value in conn.execute(
            sa.select(t.c.item_id, t.c.label, t.c.value).where(
                t.c.active.is_(True), t.c.annotator == annotator, t.c.item_id.in_(chunk))
            .order_by(t.c.id)):
            out.setdefault(item_id, []).append(LabelRow(label, value))
    return out


def import_labels(ws: Workspace, path: str | os.PathLike[str], *, split: str | None = None,
                  id_column: str = "id", label_column: str = "label",
                  separator: str | None = None, annotator: str = "import",
                  replace: bool = False, web: bool = False,
                  source: str | None = None) -> ImportReport:
    """Import gold labels from a CSV file (or an Annif corpus: a short-text
    ``documents.tsv`` or a full-text folder, see :mod:`glamlab.ingest.annif`), all or
    nothing.

    ``separator`` splits a cell into several labels (multi-label tasks; default ``|``).
    ``split`` puts the imported items in the train, calibration or test split. ``replace`` lets the
    file replace labels the same annotator gave before (otherwise a difference is a
    conflict). ``web``: a conflict's fix is the web app's (it has no ``replace``).
    ``source``: the name the labels and the messages give their file (an upload's name,
    not the server's copy of it); the file's own name by default."""
    from .splits import is_frozen, split_of

    p = Path(path)
    name = source or p.name
    if ws.card.kind == "entities":
        # read as a CSV, a span file used to fail as "no column 'id' (columns: <its
        # first line>)"; `glamlab labels import` sends an entities project to import_spans
        raise LabelError(
            f"{name}: this is an entities project, whose gold labels are spans in each "
            "text, not one label per item; import_labels reads labels per item",
            hint="import the spans with glamlab.tasks.spans.import_spans(ws, path) (HIPE "
                 "TSV, JSON Lines or WebAnno TSV; what glamlab labels import does here)")
    if split is not None and split not in SPLITS:
        raise LabelError(f"unknown split {split!r}",
                         hint=in_words("use split='train', 'calibration' or 'test'",
                                       "use --split train, --split calibration or --split test",
                                       "choose the training, calibration or test split"))
    kind = task_kind(ws.card)
    from ..ingest.annif import is_short_text_corpus

    blank: list[str] = []
    merged: list[str] = []
    others: dict[str, dict[str, str]] = {}
    if p.is_dir() or is_short_text_corpus(p):
        rows, wanted, first_line, problems = _read_annif(ws, p, kind)
    else:
        rows, wanted, first_line, problems = _read_csv(p, kind, id_column, label_column,
                                                       separator, blank, merged, others)

    ids = list(wanted)
    present = existing_item_ids(ws, ids)
    missing = [i for i in ids if i not in present]
    for item_id in missing:
        problems.append((first_line[item_id], f"{item_id}: no such item in the workspace"))
    by_path = _named_by_path(ws, missing)

    report = ImportReport(path=str(p), rows=rows, split=split, annotator=annotator,
                          blank=[i for i in blank if i not in wanted], merged=merged)
    key = kind.gold_key
    with ws.store.write() as conn:
        stored = _annotator_rows(conn, ws, ids, annotator)
        before = {i: kind.gold_from_rows(r) for i, r in stored.items()}
        before = {i: g for i, g in before.items() if g is not None}
        earlier = 0  # rows that differ from this annotator's earlier labels
        for item_id, gold in wanted.items():
            old = before.get(item_id)
            if old is not None and key(old) != key(gold) and not replace:
                earlier += 1
                problems.append((first_line[item_id],
                                 f"{item_id}: conflicts with the labels {key(old)} that "
                                 f"{annotator!r} gave before ({key(gold)} here)"))
        frozen_moves = 0
        if split is not None and is_frozen(ws, conn=conn):
            current = split_of(ws, ids, conn=conn)
            moving = [i for i in ids if (current.get(i) == "test") != (split == "test")]
            frozen_moves = len(moving)
            for item_id in moving:
                problems.append((first_line[item_id],
                                 f"{item_id}: would {'join' if split == 'test' else 'leave'} the "
                                 "frozen test split"))
        if problems:
            problems.sort()
            shown = "\n".join(f"  line {n}: {msg}" for n, msg in problems[:MAX_ROWS_IN_MESSAGE])
            more = len(problems) - MAX_ROWS_IN_MESSAGE
            if more > 0:
                shown += f"\n  ... and {more} more"
            hint = "fix these rows (or add the items/labels first) and import the file again"
            if by_path:  # the folder was ingested, and its items are named by their paths
                mine, theirs = by_path
                hint = (f"the items here are named by their paths (e.g. {theirs!r} where "
                        f"the file says {mine!r}): a folder's images are. Ingest the table "
                        f"itself instead (glamlab ingest {name}, with --image-column NAME "
                        "for its column of image paths when it is not found), so that the "
                        "items take the table's ids, or give the paths as ids here; "
                        + hint)
            if earlier and web:  # an upload has no --replace: the labels given stay
                hint = ("the labels given before are kept: to change an item's labels, open "
                        "it on the Labelling page" + (" (fix the other rows and upload the "
                                                      "sheet again)"
                                                      if len(problems) > earlier else ""))
            elif earlier:  # a corrected file: its labels are meant to replace the earlier ones
                hint = (f"if the file's labels are the corrected ones, import it again with "
                        f"--replace (Python: replace=True) to replace the labels "
                        f"{annotator!r} gave before")
                if len(problems) > earlier:
                    hint = "fix the other rows, and " + hint
            if frozen_moves:  # the way out, not only the refusal (a rare label's test items)
                hint = ("the test split is frozen (an evaluation read it). To keep it as it "
                        "is, import these labels with --split train. If the test split "
                        "must change (e.g. it holds no item of a rare label, so that label "
                        "cannot be measured), import them without --split, then re-split all "
                        "the labelled items with `glamlab labels split --force` (logged in the "
                        "audit log) and evaluate the models again: results measured before "
                        "cannot be compared with later ones")
                if len(problems) > frozen_moves:
                    hint = "fix the other rows too; " + hint
            raise LabelError(
                f"{name}: {len(problems)} problem{'s' if len(problems) != 1 else ''}, "
                f"nothing imported:\n{shown}", hint=hint, rows=problems)
        t = ws.store.t
        stamp = now()
        # the test items' gold labels in force before: one this file changes is logged
        # as the Labelling page's change is (test.relabel: evaluations made before it
        # measured the models against the label as it was)
        from .splits import split_of

        tested = [i for i, s in split_of(ws, ids, conn=conn).items() if s == "test"]
        was = gold_labels(ws, tested, conn=conn, kind=kind) if tested else {}
        new_rows = []
        replaced_ids = []
        for item_id, gold in wanted.items():
            old = before.get(item_id)
            if old is not None and key(old) == key(gold):
                report.unchanged += 1
                continue
            if old is not None:
                replaced_ids.append(item_id)
            for r in kind.gold_rows(gold):
                new_rows.append({"item_id": item_id, "label": r.label, "value": r.value,
                                 "annotator": annotator, "source": name, "active": True,
                                 "created_at": stamp})
        for chunk in _chunks(replaced_ids):
            conn.execute(t.labels.update().where(
                t.labels.c.item_id.in_(chunk), t.labels.c.annotator == annotator,
                t.labels.c.active.is_(True)).values(active=False))
        if new_rows:
            conn.execute(t.labels.insert(), new_rows)
        if split is not None:
            _set_splits(conn, ws, {i: split for i in ids})
        elif ids and is_frozen(ws, conn=conn):  # no training reads them: said
            report.unsplit = len(set(ids) - set(split_of(ws, ids, conn=conn)))
        now_in_force = gold_labels(ws, list(was), conn=conn, kind=kind) if was else {}
        for item_id, before in was.items():
            after = now_in_force.get(item_id)
            if after is None or key(after) != key(before):
                ws.store.audit(conn, annotator, TEST_RELABEL, item_id,
                               before=kind.strata(before),
                               after=kind.strata(after) if after is not None else None,
                               source=name)
        report.items = len(wanted)
        report.added = len(new_rows)
        report.replaced = len(replaced_ids)
        for gold in wanted.values():
            for label in kind.strata(gold):
                report.labels[label] = report.labels.get(label, 0) + 1
        # the sheet's other columns (a book): the items' information, as an upload keeps
        # them, so that `labels split --group-by document_ark` finds the field
        # (not a table's rows: a column there is a feature, and one the sheet adds after
        # the outcome is known would teach the model the answer)
        if ws.card.modality != "tabular":
            report.columns_kept = keep_item_fields(conn, ws, others)
        ws.store.audit(conn, annotator, "labels.import", name, rows=rows, items=len(wanted),
                       added=len(new_rows), replaced=len(replaced_ids), split=split,
                       columns_kept=report.columns_kept["columns"])
    if not (p.is_dir() or is_short_text_corpus(p)):
        from ..workspace.leakage import record_label_columns

        # the label column never becomes a feature, should this table be ingested too
        record_label_columns(ws, [label_column])
    return report


def keep_item_fields(conn: sa.Connection, ws: Workspace,
                     wanted: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A sheet's other cells kept as information (metadata) on the current items they
    name (``wanted``: item id -> field -> value): a cell fills in a field the item does
    not have yet (or has empty); a field the item already has another value for is left
    as it is (ingest wrote it). Returns ``columns`` (the fields that filled in one, in
    the order first met) and ``items`` (how many items gained a field)."""
    from ..ingest.base import strip_nul

    if not wanted:
        return {"columns": [], "items": 0}
    t = ws.store.t.items
    changed, used = 0, set()
    for chunk in _chunks(sorted(wanted), 500):
        for pk, item_id, meta in conn.execute(
                sa.select(t.c.pk, t.c.item_id, t.c.meta)
                .where(t.c.is_current.is_(True), t.c.item_id.in_(chunk))).all():
            meta = dict(meta or {})
            new = {c: v for c, v in wanted[item_id].items() if meta.get(c) in (None, "")}
            if not new:
                continue
            clean, _ = strip_nul(new)
            conn.execute(t.update().where(t.c.pk == pk).values(meta={**meta, **clean}))
            changed += 1
            used |= set(new)
    order = list(dict.fromkeys(c for cells in wanted.values() for c in cells))
    return {"columns": [c for c in order if c in used], "items": changed}


Read = tuple[int, dict[str, Any], dict[str, int], list[tuple[int, str]]]


SHEET_COLUMNS = ("id", "label", "title", "text", "link")
SHEET_TEXT = 1000  # characters of an item's text in a labelling sheet


#: the columns of glamlab's own export CSV (:data:`glamlab.actions.export.COLUMNS`, then
#: its title and text): a model's prediction and a decision about it, not information
#: about the item
EXPORT_COLUMNS = ("item_id", "uri", "field", "value", "origin", "action", "score", "model",
                  "model_version", "run_id", "prediction_id", "reason", "safety",
                  "predicted_at", "written_at", "confirmed_by", "confirmed_at", "decision",
                  "predicted_value", "confirmed_from", "title", "text")


def not_kept(header: Sequence[str]) -> set[str]:
    """The columns of a labels sheet never kept as the items' information: where the
    sheet is glamlab's own (:func:`write_label_sheet`'s header), its title, text (cut)
    and link are copies of the item made for the person labelling, not new information;
    where it is a glamlab export (its prediction_id and model_version columns), its
    columns are a prediction and its decision."""
    if list(header[:len(SHEET_COLUMNS)]) == list(SHEET_COLUMNS):
        return set(SHEET_COLUMNS[2:])
    if {"prediction_id", "model_version"} <= set(header):
        return set(EXPORT_COLUMNS)
    return set()


def write_label_sheet(ws: Workspace, ids: Sequence[str], out: str | os.PathLike[str], *,
                      fmt: str | None = None) -> int:
    """A sheet for people to label ``ids`` in Excel or LibreOffice: ``id``, an empty
    ``label`` column to fill in, the item's ``title``, the start of its ``text`` and a
    ``link`` to it (its image or record URL, or file path). CSV (UTF-8 with a BOM, ``,``
    between cells; ids never altered) or ``.xlsx`` (``fmt``, default from the file name).
    :func:`import_labels` reads it back, filled or half filled. Returns the rows written."""
    from ..files import open_private
    from ..sheets import sheet_format, write_sheet

    fmt = sheet_format(out, fmt)

    def rows() -> Iterable[list[Any]]:
        for item in ws.items(ids=list(ids)):
            text = item.text
            if text and len(text) > SHEET_TEXT:
                text = text[: SHEET_TEXT - 1] + "…"
            yield [item.item_id, "", item.title, text, item.uri]

    mode = "wb" if fmt == "xlsx" else "w"
    extra: dict[str, Any] = {} if fmt == "xlsx" else {"encoding": "utf-8", "newline": ""}
    with open_private(out, mode, **extra) as fh:
        return write_sheet(fh, SHEET_COLUMNS, rows(), fmt=fmt, id_columns=("id",),
                           title="labels").rows


def _read_csv(p: Path, kind: TaskKind[Any, Any], id_column: str, label_column: str,
              separator: str | None, blank: list[str], merged: list[str],
              others: dict[str, dict[str, str]] | None = None) -> Read:
    """(rows, item id -> gold, item id -> first line, problems) of a label sheet (CSV with
    ``,``, ``;``, tab or ``|`` between cells, or an Excel ``.xlsx``); each cell is read by
    the task kind. Rows with an id and no label go to ``blank``; the ids of items whose
    labels came on several rows and were merged (long format) go to ``merged``.
    ``others`` gets each labelled item's other cells (the first of its rows that has
    any; empty cells left out)."""
    from ..sheets import read_sheet

    problems: list[tuple[int, str]] = []
    wanted: dict[str, Any] = {}
    first_line: dict[str, int] = {}
    merged_ids: set[str] = set()
    rows = 0
    header, records = read_sheet(p, error=LabelError, problems=problems)
    if problems and kind.name == "multi-label":  # a cell "people, nature": two labels
        sep = separator or "|"
        example = sep.join(list(getattr(kind, "labels", ()))[:2]) or f"a{sep}b"
        problems[:] = [(line, f"{msg}; several labels in one cell go between {sep!r}: "
                              f"{example}")
                       for line, msg in problems]
    if not header:  # not a missing column: there is nothing in the file at all
        raise LabelError(f"{p.name} is empty: no header row and no labels",
                         hint=f"write the sheet with a header row ({id_column},"
                              f"{label_column}) and one row per labelled item, then import "
                              "it again")
    for col, opt in ((id_column, "id-column"), (label_column, "label-column")):
        if col not in header:
            arg = opt.replace("-", "_")
            hint = in_words(f"name the right column with {arg}=...",
                            f"name the right column with --{opt}",
                            "choose the right column")
            raise LabelError(
                f"{p.name} has no column {col!r} (columns: {', '.join(header) or 'none'})",
                hint=hint)
    own = not_kept(header)  # glamlab's own sheet: its copies of the item are not kept
    for line, row in records:
        rows += 1
        item_id = (row.get(id_column) or "").strip()
        cell = (row.get(label_column) or "").strip()
        if not item_id:
            if cell:
                problems.append((line, "no item id"))
            continue
        if not cell:
            blank.append(item_id)
            continue
        try:
            gold = kind.parse_gold(cell, separator=separator)
        except ValueError as exc:
            problems.append((line, f"{item_id}: {exc}"))
            continue
        if item_id in wanted:
            together = kind.merge_gold(wanted[item_id], gold)
            if together is None:
                problems.append((line, f"{item_id}: conflicts with line "
                                       f"{first_line[item_id]} "
                                       f"({kind.gold_key(wanted[item_id])} vs "
                                       f"{kind.gold_key(gold)})"))
            else:
                wanted[item_id] = together
                if item_id not in merged_ids:
                    merged_ids.add(item_id)
                    merged.append(item_id)
            continue
        wanted[item_id] = gold
        first_line[item_id] = line
        if others is not None and item_id not in others:
            cells = {c: (row.get(c) or "").strip() for c in header
                     if c and c not in (id_column, label_column) and c not in own}
            if any(cells.values()):
                others[item_id] = {c: v for c, v in cells.items() if v}
    if not rows and not problems:  # column names only: nothing to import is not success
        raise LabelError(f"{p.name} has column names but no rows: there are no labels in it",
                         hint="fill in the sheet (one row per labelled item), then import "
                              "it again")
    return rows, wanted, first_line, problems


def _read_annif(ws: Workspace, p: Path, kind: TaskKind[Any, Any]) -> Read:
    """The same from an Annif corpus (a short-text ``documents.tsv`` or a full-text folder
    with ``.key``/``.tsv`` subject files): subject URIs become the card's labels through
    ``[labels] uris``, plain subject labels must be the card's labels."""
    from ..ingest.annif import read_subjects
    from ..ingest.vocabulary import uri_labels

    card = ws.card
    known = set(card.labels)
    by_uri = uri_labels(ws.card, ws.root)
    rows = 0
    wanted: dict[str, set[str]] = {}
    first_line: dict[str, int] = {}
    problems: list[tuple[int, str]] = []
    try:
        for item_id, line, subjects in read_subjects(p):
            rows += 1
            labels: set[str] = set()
            unknown = []
            for sub in subjects:
                label = by_uri.get(sub.uri or "") if sub.uri else None
                if label is None and sub.label in known:
                    label = sub.label
                if label is None and sub.uri in known:
                    label = sub.uri
                if label is None:
                    unknown.append(f"<{sub.uri}>" if sub.uri else repr(sub.label))
                else:
                    labels.add(label)
            if unknown:
                problems.append((line, f"{item_id}: subjects not among the task's labels: "
                                       f"{', '.join(unknown[:5])}"
                                       + (" (map URIs to labels with [labels] uris)"
                                          if not by_uri else "")))
                continue
            if not labels:
                problems.append((line, f"{item_id}: no subjects"))
                continue
            try:
                gold = kind.parse_gold("\t".join(sorted(labels)), separator="\t")
            except ValueError as exc:
                problems.append((line, f"{item_id}: {exc}"))
                continue
            wanted[item_id] = gold
            first_line[item_id] = line
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelError(f"cannot read the Annif corpus {p}: {exc}",
                         hint="give a documents.tsv or a folder of .txt + .key/.tsv files") \
            from exc
    return rows, wanted, first_line, problems


def trained_on(conn: sa.Connection, ws: Workspace, ids: Sequence[str]) -> list[str]:
    """Which of ``ids`` a saved model trained or was calibrated on (sorted)."""
    mi = ws.store.t.model_items
    found: set[str] = set()
    for chunk in _chunks(list(ids)):
        found.update(r[0] for r in conn.execute(
            sa.select(mi.c.item_id).where(mi.c.item_id.in_(chunk)).distinct()))
    return sorted(found)


def refuse_into_test(conn: sa.Connection, ws: Workspace, ids: Sequence[str]) -> None:
    """Raise :class:`LabelError` when any of ``ids`` (items about to join the test split)
    was learned from by a saved model: that model would be scored on its own training
    data."""
    found = trained_on(conn, ws, ids)
    if found:
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5
                                        else "")
        raise LabelError(
            f"{len(found)} item{'s' if len(found) != 1 else ''} cannot join the test split: "
            f"a saved model trained or was calibrated on {'them' if len(found) != 1 else 'it'}"
            f" ({shown})", item=found[0],
            hint="keep them in the train split and label new items for the test split "
                 "(glamlab labels sample --strategy random)")


def _set_splits(conn: sa.Connection, ws: Workspace, assignment: dict[str, str]) -> None:
    t = ws.store.t.splits
    ids = list(assignment)
    refuse_into_test(conn, ws, [i for i, s in assignment.items() if s == "test"])
    for chunk in _chunks(ids):
        conn.execute(t.delete().where(t.c.item_id.in_(chunk)))
    stamp = now()
    rows = [{"item_id": i, "split": s, "created_at": stamp} for i, s in assignment.items()]
    for start in range(0, len(rows), 5000):
        conn.execute(t.insert(), rows[start : start + 5000])


def gold_labels(ws: Workspace, ids: Sequence[str] | None = None, *,
                conn: sa.Connection | None = None,
                kind: TaskKind[Any, Any] | None = None) -> dict[str, Any]:
    """item id -> its gold label, as the task kind reads it back from the active rows of
    the item's latest annotator (classification: the sorted label names)."""
    if conn is None:
        with ws.store.read() as c:
            return gold_labels(ws, ids, conn=c, kind=kind)
    kind = kind or task_kind(ws.card)
    elsewhere = kind.read_gold(ws, ids, conn)  # a kind with its own store (entities)
    if elsewhere is not None:
        return elsewhere
    t = ws.store.t.labels
    # the rows in force: the same definition the review queue uses (glamlab.store.gold)
    q = sa.select(t.c.id, t.c.item_id, t.c.label, t.c.value).where(in_force(t))
    rows: list[Any] = []
    if ids is None:
        rows = list(conn.execute(q))
    else:
        for chunk in _chunks(list(ids)):
            rows.extend(conn.execute(q.where(t.c.item_id.in_(chunk))))
    out: dict[str, list[tuple[int, LabelRow]]] = {}
    for r in rows:
        out.setdefault(r.item_id, []).append((r.id, LabelRow(r.label, r.value)))
    gold = {i: kind.gold_from_rows([lr for _, lr in sorted(v, key=lambda x: x[0])])
            for i, v in sorted(out.items())}
    return {i: g for i, g in gold.items() if g is not None}


def annotator_labels(ws: Workspace) -> dict[str, dict[str, list[str]]]:
    """item id -> annotator -> active labels (for agreement). A review decision's labels
    (source ``review``) are left out: the reviewer judged the model's suggestion with the
    item's gold shown, and in a multi-label project holds a copy of that gold beside the
    label decided, so counted as a second labeller they agreed on labels never looked at
    (a record checked whole, :data:`~glamlab.store.gold.RECORD_CHECKED`, likewise)."""
    from ..store.gold import REVIEW_SOURCES

    t = ws.store.t.labels
    out: dict[str, dict[str, set[str]]] = {}
    with ws.store.read() as conn:
        for item_id, annotator, label in conn.execute(
            sa.select(t.c.item_id, t.c.annotator, t.c.label).where(
                t.c.active.is_(True), sa.or_(t.c.source.is_(None),
                                             t.c.source.not_in(REVIEW_SOURCES)))):
            out.setdefault(item_id, {}).setdefault(annotator, set()).add(label)
    return {i: {a: sorted(v) for a, v in d.items()} for i, d in out.items()}


def label_counts(ws: Workspace) -> dict[str, Any]:
    """How many items carry each gold label (each stratum, as the task kind says), by split."""
    from .splits import split_of

    kind = task_kind(ws.card)
    gold = gold_labels(ws, kind=kind)
    splits = split_of(ws, list(gold))
    counts: dict[str, dict[str, int]] = {}
    for item_id, value in gold.items():
        s = splits.get(item_id, "unsplit")
        for label in dict.fromkeys(kind.strata(value)):
            counts.setdefault(label, {"train": 0, "calibration": 0, "test": 0,
                                      "unsplit": 0})[s] += 1
    totals = {"train": 0, "calibration": 0, "test": 0, "unsplit": 0}
    for item_id in gold:
        totals[splits.get(item_id, "unsplit")] += 1
    return {"items": len(gold), "splits": totals,
            "labels": [{"label": k, **v, "total": sum(v.values())} for k, v in sorted(counts.items())]}
