"""Gold labels: importing them from CSV, and reading them back.

An import is all or nothing: every row is checked first (unknown item, unknown
label, conflicting duplicate, several labels on a single-label task), every problem
is reported with its line number, and only a clean file is written, in one
transaction.

The gold labels of an item are the active labels of the annotator who labelled it
last (a reviewer's correction overrides an import); other annotators' labels stay
for agreement statistics.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import LabelError
from ..store import now

if TYPE_CHECKING:
    from ..workspace import Workspace

SPLITS = ("train", "test")
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

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    def summary(self) -> str:
        text = (f"{self.items:,} items labelled from {self.rows:,} rows "
                f"({self.added:,} labels added, {self.unchanged:,} items unchanged")
        if self.replaced:
            text += f", {self.replaced:,} replaced"
        text += ")"
        if self.split:
            text += f"; put in the {self.split} split"
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


def _annotator_labels(conn: sa.Connection, ws: Workspace, ids: Sequence[str],
                      annotator: str) -> dict[str, set[str]]:
    t = ws.store.t.labels
    out: dict[str, set[str]] = {}
    for chunk in _chunks(list(ids)):
        for item_id, label in conn.execute(
            sa.select(t.c.item_id, t.c.label).where(
                t.c.active.is_(True), t.c.annotator == annotator, t.c.item_id.in_(chunk))):
            out.setdefault(item_id, set()).add(label)
    return out


def import_labels(ws: Workspace, path: str | os.PathLike[str], *, split: str | None = None,
                  id_column: str = "id", label_column: str = "label",
                  separator: str | None = None, annotator: str = "import",
                  replace: bool = False) -> ImportReport:
    """Import gold labels from a CSV file (or an Annif corpus: a short-text
    ``documents.tsv`` or a full-text folder, see :mod:`glamlab.ingest.annif`), all or
    nothing.

    ``separator`` splits a cell into several labels (multi-label tasks; default ``|``).
    ``split`` puts the imported items in the train or test split. ``replace`` lets the
    file replace labels the same annotator gave before (otherwise a difference is a
    conflict)."""
    from .splits import is_frozen, split_of

    p = Path(path)
    if split is not None and split not in SPLITS:
        raise LabelError(f"unknown split {split!r}", hint="use --split train or --split test")
    card = ws.card
    multi = card.multi_label
    if separator is None:
        separator = "|" if multi else None
    from ..ingest.annif import is_short_text_corpus

    if p.is_dir() or is_short_text_corpus(p):
        rows, wanted, first_line, problems = _read_annif(ws, p)
    else:
        rows, wanted, first_line, problems = _read_csv(ws, p, id_column, label_column,
                                                       separator)

    ids = list(wanted)
    present = existing_item_ids(ws, ids)
    for item_id in ids:
        if item_id not in present:
            problems.append((first_line[item_id], f"{item_id}: no such item in the workspace"))

    report = ImportReport(path=str(p), rows=rows, split=split, annotator=annotator)
    with ws.store.write() as conn:
        before = _annotator_labels(conn, ws, ids, annotator)
        for item_id, labels in wanted.items():
            old = before.get(item_id)
            if old and old != labels and not replace:
                problems.append((first_line[item_id],
                                 f"{item_id}: conflicts with the labels {sorted(old)} that "
                                 f"{annotator!r} gave before ({sorted(labels)} here)"))
        if split is not None and is_frozen(ws, conn=conn):
            current = split_of(ws, ids, conn=conn)
            moving = [i for i in ids if (current.get(i) == "test") != (split == "test")]
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
            raise LabelError(
                f"{p.name}: {len(problems)} problem{'s' if len(problems) != 1 else ''}, "
                f"nothing imported:\n{shown}",
                hint="fix these rows (or add the items/labels first) and import the file again",
                rows=problems)
        t = ws.store.t
        stamp = now()
        new_rows = []
        replaced_ids = []
        for item_id, labels in wanted.items():
            old = before.get(item_id)
            if old == labels:
                report.unchanged += 1
                continue
            if old:
                replaced_ids.append(item_id)
            for label in sorted(labels):
                new_rows.append({"item_id": item_id, "label": label, "annotator": annotator,
                                 "source": p.name, "active": True, "created_at": stamp})
        for chunk in _chunks(replaced_ids):
            conn.execute(t.labels.update().where(
                t.labels.c.item_id.in_(chunk), t.labels.c.annotator == annotator,
                t.labels.c.active.is_(True)).values(active=False))
        if new_rows:
            conn.execute(t.labels.insert(), new_rows)
        if split is not None:
            _set_splits(conn, ws, {i: split for i in ids})
        report.items = len(wanted)
        report.added = len(new_rows)
        report.replaced = len(replaced_ids)
        for labels in wanted.values():
            for label in labels:
                report.labels[label] = report.labels.get(label, 0) + 1
        ws.store.audit(conn, annotator, "labels.import", p.name, rows=rows, items=len(wanted),
                       added=len(new_rows), replaced=len(replaced_ids), split=split)
    return report


Read = tuple[int, dict[str, set[str]], dict[str, int], list[tuple[int, str]]]


def _read_csv(ws: Workspace, p: Path, id_column: str, label_column: str,
              separator: str | None) -> Read:
    """(rows, item id -> labels, item id -> first line, problems) of a label CSV file."""
    card = ws.card
    multi = card.multi_label
    known_labels = set(card.labels)
    try:
        fh = open(p, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise LabelError(f"cannot read {p}: {exc.strerror}", hint="check the path") from exc
    problems: list[tuple[int, str]] = []
    wanted: dict[str, set[str]] = {}
    first_line: dict[str, int] = {}
    rows = 0
    with fh:
        try:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            for col, opt in ((id_column, "--id-column"), (label_column, "--label-column")):
                if col not in header:
                    raise LabelError(
                        f"{p.name} has no column {col!r} (columns: {', '.join(header) or 'none'})",
                        hint=f"name the right column with {opt}")
            for row in reader:
                rows += 1
                line = reader.line_num
                item_id = (row.get(id_column) or "").strip()
                cell = (row.get(label_column) or "").strip()
                if not item_id:
                    problems.append((line, "no item id"))
                    continue
                if not cell:
                    problems.append((line, f"{item_id}: no label"))
                    continue
                values = [v.strip() for v in (cell.split(separator) if separator else [cell])]
                values = [v for v in values if v]
                if not multi and len(values) > 1:
                    problems.append((line, f"{item_id}: several labels {values} on a single-label"
                                           " task"))
                    continue
                unknown = [v for v in values if v not in known_labels]
                if unknown:
                    problems.append((line, f"{item_id}: unknown label {', '.join(map(repr, unknown))}"
                                           f" (the task's labels: {', '.join(card.labels)})"))
                    continue
                labels = set(values)
                if item_id in wanted:
                    if multi:
                        wanted[item_id] |= labels  # long format: one row per (item, label)
                    elif wanted[item_id] != labels:
                        problems.append((line, f"{item_id}: conflicts with line "
                                               f"{first_line[item_id]} ({sorted(wanted[item_id])}"
                                               f" vs {sorted(labels)})"))
                    continue
                wanted[item_id] = labels
                first_line[item_id] = line
        except csv.Error as exc:
            raise LabelError(f"{p.name} line {reader.line_num}: not valid CSV ({exc})",
                             hint="fix the quoting on that line") from exc
        except UnicodeDecodeError as exc:
            raise LabelError(f"{p.name} is not UTF-8 text", hint="save it as UTF-8 CSV") from exc

    return rows, wanted, first_line, problems


def _read_annif(ws: Workspace, p: Path) -> Read:
    """The same from an Annif corpus (a short-text ``documents.tsv`` or a full-text folder
    with ``.key``/``.tsv`` subject files): subject URIs become the card's labels through
    ``[labels] uris``, plain subject labels must be the card's labels."""
    from ..ingest.annif import read_subjects
    from ..ingest.vocabulary import uri_labels

    card = ws.card
    known = set(card.labels)
    by_uri = uri_labels(ws)
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
            if not card.multi_label and len(labels) > 1:
                problems.append((line, f"{item_id}: several labels {sorted(labels)} on a "
                                       "single-label task"))
                continue
            wanted[item_id] = labels
            first_line[item_id] = line
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelError(f"cannot read the Annif corpus {p}: {exc}",
                         hint="give a documents.tsv or a folder of .txt + .key/.tsv files") \
            from exc
    return rows, wanted, first_line, problems


def _set_splits(conn: sa.Connection, ws: Workspace, assignment: dict[str, str]) -> None:
    t = ws.store.t.splits
    ids = list(assignment)
    for chunk in _chunks(ids):
        conn.execute(t.delete().where(t.c.item_id.in_(chunk)))
    stamp = now()
    rows = [{"item_id": i, "split": s, "created_at": stamp} for i, s in assignment.items()]
    for start in range(0, len(rows), 5000):
        conn.execute(t.insert(), rows[start : start + 5000])


def gold_labels(ws: Workspace, ids: Sequence[str] | None = None, *,
                conn: sa.Connection | None = None) -> dict[str, list[str]]:
    """item id -> its gold labels (sorted): the last annotator's active labels."""
    if conn is None:
        with ws.store.read() as c:
            return gold_labels(ws, ids, conn=c)
    t = ws.store.t.labels
    q = sa.select(t.c.id, t.c.item_id, t.c.label, t.c.annotator).where(t.c.active.is_(True))
    rows: list[Any] = []
    if ids is None:
        rows = list(conn.execute(q))
    else:
        for chunk in _chunks(list(ids)):
            rows.extend(conn.execute(q.where(t.c.item_id.in_(chunk))))
    latest: dict[str, tuple[int, str]] = {}
    for r in rows:
        if r.item_id not in latest or r.id > latest[r.item_id][0]:
            latest[r.item_id] = (r.id, r.annotator)
    out: dict[str, set[str]] = {}
    for r in rows:
        if latest[r.item_id][1] == r.annotator:
            out.setdefault(r.item_id, set()).add(r.label)
    return {i: sorted(v) for i, v in sorted(out.items())}


def annotator_labels(ws: Workspace) -> dict[str, dict[str, list[str]]]:
    """item id -> annotator -> active labels (for agreement)."""
    t = ws.store.t.labels
    out: dict[str, dict[str, set[str]]] = {}
    with ws.store.read() as conn:
        for item_id, annotator, label in conn.execute(
            sa.select(t.c.item_id, t.c.annotator, t.c.label).where(t.c.active.is_(True))):
            out.setdefault(item_id, {}).setdefault(annotator, set()).add(label)
    return {i: {a: sorted(v) for a, v in d.items()} for i, d in out.items()}


def label_counts(ws: Workspace) -> dict[str, Any]:
    """How many items carry each gold label, by split."""
    from .splits import split_of

    gold = gold_labels(ws)
    splits = split_of(ws, list(gold))
    counts: dict[str, dict[str, int]] = {}
    for item_id, labels in gold.items():
        s = splits.get(item_id, "unsplit")
        for label in labels:
            counts.setdefault(label, {"train": 0, "test": 0, "unsplit": 0})[s] += 1
    totals = {"train": 0, "test": 0, "unsplit": 0}
    for item_id in gold:
        totals[splits.get(item_id, "unsplit")] += 1
    return {"items": len(gold), "splits": totals,
            "labels": [{"label": k, **v, "total": sum(v.values())} for k, v in sorted(counts.items())]}
