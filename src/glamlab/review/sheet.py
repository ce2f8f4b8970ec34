"""The review queue as a file: take the open rows out (:func:`open_rows`), fill in the
decisions in a spreadsheet, OpenRefine or a script, bring them back
(:func:`import_decisions`). ``glamlab review list`` and ``glamlab review import``.

Each decision is recorded with :func:`glamlab.review.decide`, the function the web queue
and the JSON API call, so it makes the same checks and leaves the same traces: the
version the person saw (the file's ``version``: a row changed since is refused), another
reviewer's lease (refused while they hold the row), the gold label a correction or an
accept writes (annotator = the person, source ``review``: corrections train the next
model), the audit log. A row already decided is refused, except where it is the same
decision by the same person (the file imported before): counted as already recorded,
nothing written again, so importing a file twice records nothing twice.

Single-label and multi-label projects (a multi-label row is one suggested term: accept,
reject, or correct to another term). An entities project's spans are refused: their
boundaries and links are chosen on the web queue page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import GlamlabError, LabelError
from ..said import in_words
from ..tasks.kinds.classification import close_label
from .decisions import ACTIONS, decide
from .queue import SORTS, NotFound, StaleDecision, _filters, _order, _with_items

if TYPE_CHECKING:
    from ..workspace import Workspace

#: the columns ``glamlab review list`` writes, in order; the person fills the last two
COLUMNS = ("queue_id", "version", "item_id", "title", "kind", "predicted", "score",
           "reason", "gold", "decision", "correct_to")
ID_COLUMNS = ("queue_id", "version", "item_id")
#: the columns ``glamlab review import`` needs (``correct_to``: where a row says correct)
REQUIRED = ("queue_id", "version", "item_id", "decision")
FORMATS = ("csv", "xlsx", "jsonl")
_BATCH = 500
#: what a person may write for the decision they made, as the word it is recorded as
_PAST = {"accepted": "accept", "rejected": "reject", "corrected": "correct"}

def _as_jsonl() -> str:
    """How to write the queue as UTF-8 JSON Lines, in the caller's words
    (:mod:`glamlab.said`)."""
    return in_words("glamlab.review.sheet's write_rows(open_rows(ws), f, 'jsonl')",
                    "glamlab review list --format jsonl",
                    "the review queue's file as glamlab writes it")


def _add_reviewer(name: str, *, replace: bool = False) -> str:
    """How to make ``name`` a reviewer, in the caller's words."""
    return in_words(
        f"glamlab.auth.add_user(ws, {name!r}, PASSWORD, 'reviewer'"
        + (", replace=True)" if replace else ")"),
        f"glamlab users add {name} --role reviewer" + (" --replace" if replace else ""),
        f"an admin {'gives' if replace else 'adds'} {name} "
        + ("the reviewer role" if replace else "as a reviewer") + " on the Admin page")


def check_kind(ws: Workspace) -> None:
    """Refuse an entities project: a span's decision (its boundaries, its type, its
    authority link) is made on the web queue page, where the text is shown."""
    if ws.card.kind == "entities":
        raise GlamlabError(
            "the review queue of an entities project is not taken out as a file: a span's "
            "boundaries, type and authority link are decided where its text is shown",
            hint="review the spans on the web queue (glamlab serve, then the Review "
                 "queue page) or through the JSON API (POST /api/decisions)")


def open_rows(ws: Workspace, *, limit: int | None = None,
              sort: str = "score") -> Iterator[dict[str, Any]]:
    """The open queue rows a reviewer is shown (the web queue's definition: rows a gold
    label settles are not asked about), in ``sort`` order, each as the columns of
    :data:`COLUMNS` (``decision`` and ``correct_to`` empty). Leases nothing: a row a web
    reviewer holds is listed, and its decision refused on import while they hold it.
    An entities project is refused here, before a row is asked for (nothing written)."""
    check_kind(ws)
    return _open_rows(ws, limit, sort)


def _open_rows(ws: Workspace, limit: int | None, sort: str) -> Iterator[dict[str, Any]]:
    t = ws.store.t.review_queue
    q = sa.select(t).where(*_filters(t, None, None, None, None)).order_by(*_order(t, sort))
    if limit:
        q = q.limit(limit)
    with ws.store.read() as conn:  # streamed: a queue of a million rows is never held
        result = conn.execution_options(yield_per=_BATCH).execute(q)
        for part in result.partitions():
            yield from _columns_of(ws, [dict(r._mapping) for r in part])


def _columns_of(ws: Workspace, rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for r in _with_items(ws, rows):
        yield {"queue_id": int(r["id"]), "version": int(r["version"]),
               "item_id": r["item_id"], "title": r["title"], "kind": r["kind"],
               "predicted": r["label"],
               "score": None if r["score"] is None else round(float(r["score"]), 6),
               "reason": r["reason"], "gold": "|".join(r["gold"]) or None,
               "decision": None, "correct_to": None}


def write_rows(rows: Iterator[dict[str, Any]], out: Any, fmt: str, *,
               bom: bool) -> tuple[int, str | None]:
    """Write ``rows`` to ``out`` as CSV (a text handle opened with ``newline=""``:
    formula-safe, the id columns never altered: :func:`glamlab.sheets.write_sheet`), an
    Excel workbook (a binary handle: every cell text but the score, a number a
    spreadsheet sorts and filters by) or JSON Lines. Returns how many
    rows, and the warning to give where a spreadsheet opening the CSV may change ids
    (``0042`` read as 42; :func:`glamlab.sheets.risky_ids_warning`), else None."""
    if fmt == "jsonl":
        n = 0
        for r in rows:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
        return n, None
    from ..sheets import risky_ids_warning, write_sheet

    report = write_sheet(out, COLUMNS, ([r[c] for c in COLUMNS] for r in rows), fmt=fmt,
                         id_columns=ID_COLUMNS, bom=bom, title="review queue")
    warning = None
    if fmt == "csv" and (report.risky_ids or report.number_like_ids):
        warning = risky_ids_warning(report.risky_ids, "list the queue as an Excel workbook "
                                    "(-o FILE.xlsx), where the ids are text cells",
                                    number_like=report.number_like_ids)
    return report.rows, warning


@dataclass
class ImportReport:
    file: str
    by: str
    sha256: str = ""  # of the file's bytes, kept with each decision recorded from it
    recorded: int = 0
    already: int = 0  # the same decision by the same person: imported before
    left_open: int = 0  # rows with no decision written
    refused: list[dict[str, Any]] = field(default_factory=list)  # where, why, the fix
    decisions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sha256": self.sha256, "by": self.by,
                "recorded": self.recorded,
                "already_recorded": self.already, "left_open": self.left_open,
                "refused": len(self.refused), "problems": self.refused,
                "decisions": self.decisions}

    def summary(self) -> str:
        parts = [f"{self.recorded} decision{'s' if self.recorded != 1 else ''} recorded "
                 f"as {self.by}", f"{len(self.refused)} refused"]
        if self.already:
            parts.append(f"{self.already} already recorded before (nothing written again)")
        if self.left_open:
            parts.append(f"{self.left_open} left open (no decision written)")
        return ", ".join(parts)


def _unquote(value: Any) -> str:
    """A cell as text, without the ``'`` a formula-safe CSV put before a cell a
    spreadsheet would evaluate (a person may copy the predicted label's cell)."""
    from ..sheets import would_evaluate

    s = "" if value is None else str(value).strip()
    return s[1:] if s.startswith("'") and would_evaluate(s[1:]) else s


def _decision_word(value: Any) -> str:
    """The decision a cell says, as the word it is recorded as: any case, and "accepted"
    as "accept" (a person writes what they did)."""
    word = _unquote(value).lower()
    return _PAST.get(word, word)


def _read(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]],
                                 list[tuple[int, str]]]:
    """The file's columns, its rows as ``(line, cells)`` and the lines that could not be
    read as ``(line, reason with the fix)``."""
    problems: list[tuple[int, str]] = []
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise LabelError(f"cannot read {path}: {exc.strerror}", hint="check the path") from exc
        except UnicodeDecodeError as exc:
            raise LabelError(f"{path.name} is not UTF-8 text; nothing was recorded",
                             hint="save it as UTF-8 (" + _as_jsonl() + " writes UTF-8), then "
                                  "import it again") from exc
        columns: list[str] = []
        rows: list[tuple[int, dict[str, Any]]] = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                obj = None
            if not isinstance(obj, dict):
                problems.append((n, "not a JSON object; fix: write one object per line, as "
                                    + _as_jsonl() + " does"))
                continue
            columns.extend(k for k in obj if k not in columns)
            rows.append((n, obj))
        return columns, rows, problems
    from ..sheets import read_sheet

    header, sheet = read_sheet(path, error=LabelError, problems=problems)
    return header, [(n, dict(r)) for n, r in sheet], problems


def _columns(columns: list[str], rows: list[tuple[int, dict[str, Any]]], path: Path
             ) -> dict[str, str]:
    """Our column -> the file's (matched ignoring case and spaces). A missing column is
    one :class:`LabelError` (exit 2) naming it and the fix."""
    found: dict[str, str] = {}
    for n, c in enumerate(columns, 1):
        key = str(c).strip().lower()
        if key in found and key in (*REQUIRED, "correct_to"):
            # a reader keeps the last of two columns of one name: the file is refused
            # rather than read from a column the person may not have filled in
            first = [str(x).strip().lower() for x in columns].index(key) + 1
            where = ("" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else
                     f" (columns {first} and {n})")
            raise LabelError(
                f"{path.name} has the column {key!r} twice{where}; nothing was recorded",
                hint=f"keep one {key!r} column, the one holding the decisions (delete or "
                     "rename the other), then import the file again")
        found.setdefault(key, str(c))
    named = {c: found[c] for c in (*REQUIRED, "correct_to") if c in found}
    need = [c for c in REQUIRED if c not in named]
    if "correct_to" not in named and any(
            _decision_word(r.get(found.get("decision", "decision"))) == "correct"
            for _n, r in rows):
        need.append("correct_to")
    if need:
        have = ", ".join(str(c) for c in columns) or "none"
        raise LabelError(
            f"{path.name} has no column {', '.join(repr(c) for c in need)} (its columns: "
            f"{have}); nothing was recorded",
            hint="keep the columns glamlab review list wrote (queue_id, version, item_id, "
                 "..., decision, correct_to): fill in decision and correct_to, and leave "
                 "the others as they are")
    return named


def import_decisions(ws: Workspace, path: str | Path, by: str) -> ImportReport:
    """Record the decisions a person wrote in a file from :func:`open_rows` (CSV, xlsx
    or JSON Lines), each with :func:`glamlab.review.decide` as ``by``, one transaction
    per row. A row that cannot be recorded (unknown row or item, a wrong decision word, a
    label not of the project, a row another reviewer holds, decided already or changed
    since) is refused with one line naming it and the fix; the others are recorded.
    Each decision keeps the file it came from (:func:`file_source`: its name and the
    sha256 of its bytes); ``by`` is checked by :func:`check_reviewer`."""
    check_kind(ws)
    by = (by or "").strip()
    if not by:
        raise LabelError("the decisions need a person's name",
                         hint=in_words("say who decided them: by='NAME'",
                                       "say who decided them: --by NAME",
                                       "sign in as the person who decided them"))
    by = check_reviewer(ws, by)
    p = Path(path)
    if not p.exists():
        raise LabelError(f"no file {p}", hint="check the path")
    source = file_source(p)
    columns, rows, unreadable = _read(p)
    col = _columns(columns, rows, p)
    report = ImportReport(file=str(p), by=by, sha256=source["sha256"])
    for line, why in unreadable:
        report.refused.append({"line": line, "reason": f"{p.name} line {line}: {why}"})
    labels = list(ws.card.labels)
    where = "line" if p.suffix.lower() not in (".xlsx", ".xlsm") else "row"
    for line, r in rows:
        if not any(_unquote(v) for v in r.values()):
            continue  # a blank line a spreadsheet saves (",,,,"): no queue row, not one left open
        # the ids as written (never altered by the listing); what a person typed or
        # copied without the ' a formula-safe cell has
        cell = {c: (_unquote(r.get(name)) if c in ("decision", "correct_to") else
                    ("" if r.get(name) is None else str(r.get(name)).strip()))
                for c, name in col.items()}
        item = cell["item_id"]
        at = f"{p.name} {where} {line}" + (f" (item {item})" if item else "")
        word, to = _decision_word(cell["decision"]), cell.get("correct_to", "")

        def refuse(why: str, fix: str, *, at: str = at, item: str = item,
                   line: int = line) -> None:
            report.refused.append({"line": line, "item_id": item or None,
                                   "reason": f"{at}: {why}", "hint": fix})

        if not word:
            if to:
                refuse(f"correct_to says {to!r} but decision is empty",
                       "write correct in its decision column (or clear correct_to)")
            else:
                report.left_open += 1
            continue
        if word not in ACTIONS:
            refuse(f"{cell['decision']!r} is not a decision",
                   f"write one of {', '.join(ACTIONS)} (or leave it empty to keep the row "
                   "open)")
            continue
        queue_id, version = _whole(cell["queue_id"]), _whole(cell["version"])
        if queue_id is None or version is None:
            refuse(f"queue_id {cell['queue_id']!r} and version {cell['version']!r} should be "
                   "numbers", "keep the queue_id and version glamlab review list wrote")
            continue
        if word == "correct":
            if not to:
                refuse("the decision is correct but correct_to is empty",
                       f"write the right label in correct_to: one of {_labels(labels)}")
                continue
            if to not in labels:
                # as glamlab labels import: refused, and the label it most likely means
                # named as the project spells it (other case or spaces, a close spelling)
                near = close_label(to, labels)
                refuse(f"{to!r} is not a label of this project",
                       f"write {near!r}, as the project spells it, in correct_to" if near
                       else f"write one of {_labels(labels)} in correct_to")
                continue
        elif to:
            refuse(f"correct_to says {to!r} but the decision is {word}",
                   "write correct as the decision, or clear correct_to")
            continue
        row = _queue_row(ws, queue_id)
        if row is None or row["item_id"] != item:
            what = (f"no review queue row {queue_id}" if row is None else
                    f"review queue row {queue_id} is about item {row['item_id']}, not "
                    f"{item or '(none)'}")
            refuse(f"{what}; nothing recorded for it",
                   "keep the queue_id and item_id glamlab review list wrote together (a "
                   "sorted sheet must move whole rows), or list the queue again")
            continue
        action, label = word, (to or None)
        if action == "correct" and label == row["label"]:
            action, label = "accept", None  # correcting to the predicted label accepts it
        if _same_as_before(ws, row, version, by, action, label):
            report.already += 1
            continue
        try:
            d = decide(ws, by, queue_id, action, version, label=label, source=source)
        except StaleDecision as exc:
            now_row = _queue_row(ws, queue_id) or row
            why, fix = _stale(ws, now_row, by, exc.message)
            refuse(why, fix)
            continue
        except NotFound:
            refuse(f"no review queue row {queue_id}; nothing recorded for it",
                   "list the queue again (glamlab review list)")
            continue
        except GlamlabError as exc:
            refuse(exc.message, exc.hint or "decide it on the web queue")
            continue
        report.recorded += 1
        report.decisions.append({"line": line, "queue_id": queue_id, "item_id": d["item_id"],
                                 "action": d["action"], "label": d["label"],
                                 "decision_id": d["decision_id"]})
    report.refused.sort(key=lambda x: int(x["line"]))  # in the file's order
    with ws.store.write() as conn:
        ws.store.audit(conn, by, "review.import", str(p.name), recorded=report.recorded,
                       already=report.already, refused=len(report.refused),
                       left_open=report.left_open, sha256=source["sha256"],
                       decision_ids=[int(d["decision_id"]) for d in report.decisions])
    return report


def file_source(path: Path) -> dict[str, Any]:
    """What a decision brought in from ``path`` keeps of it (``decisions.source``): the
    file's name and the sha256 of its bytes, which tell two files of one name apart (a
    copy edited since: another hash). The name only, not the folder: a path on one
    person's computer says nothing to the next."""
    import hashlib

    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise LabelError(f"cannot read {path}: {exc.strerror}", hint="check the path") from exc
    return {"file": path.name, "sha256": digest.hexdigest()}


def check_reviewer(ws: Workspace, by: str) -> str:
    """The reviewer the decisions are recorded as. Where the workspace has users (the web
    app's people, :mod:`glamlab.auth`), one of them who may decide (a reviewer or an
    admin, as on the web queue): an unknown name (a typo would put decisions under a
    person nobody is) or a viewer is refused with the fix. A workspace without users (no
    one signs in to its web app) takes any name, as before."""
    from ..auth.users import list_users

    users = {u["username"]: u["role"] for u in list_users(ws)}
    if not users:
        return by
    deciders = sorted(n for n, role in users.items() if role in ("reviewer", "admin"))
    known = ", ".join(deciders)
    if by not in users:
        same = [n for n in users if n.casefold() == by.casefold()]
        if same:
            raise LabelError(f"no user {by!r} in this workspace (user names are matched "
                             f"exactly)", hint=in_words(f"write by={same[0]!r}, as the user is named",
                                                f"write --by {same[0]}, as the user is named",
                                                f"sign in as {same[0]}, as the user is named"))
        raise LabelError(
            f"no user {by!r} in this workspace, so no decision would say who made it; "
            "nothing was recorded",
            # (no user reviews yet: the one fix is to add one, not to name "none")
            hint=(f"name one of the users who review: {known}; or add {by} first "
                  f"({_add_reviewer(by)})" if deciders else
                  f"no user of this workspace reviews yet: add {by} as a reviewer first "
                  f"({_add_reviewer(by)})"))
    if users[by] not in ("reviewer", "admin"):
        raise LabelError(
            f"{by} is a {users[by]} and cannot decide review-queue rows; nothing was recorded",
            hint=(f"name one of the users who review ({known}), or give {by} the reviewer "
                  f"role ({_add_reviewer(by, replace=True)})" if deciders else
                  f"no user of this workspace reviews yet: give {by} the reviewer role "
                  f"({_add_reviewer(by, replace=True)})"))
    return by


def _labels(labels: list[str]) -> str:
    """The project's labels as a list to choose from: quoted where one holds a comma
    ("emotions, concepts and ideas")."""
    if any("," in lab for lab in labels):
        return ", ".join(repr(lab) for lab in labels)
    return ", ".join(labels)


def _whole(cell: str) -> int | None:
    """A whole number as the listing wrote it (a spreadsheet may save 12 as 12.0); None
    for anything else, a number too large for the database's ids among them."""
    try:
        n = float(cell)
    except ValueError:
        return None
    return int(n) if n.is_integer() and 0 <= n < 2**63 else None


def _queue_row(ws: Workspace, queue_id: int) -> dict[str, Any] | None:
    t = ws.store.t.review_queue
    with ws.store.read() as conn:
        r = conn.execute(sa.select(t).where(t.c.id == queue_id)).first()
    return dict(r._mapping) if r is not None else None


def _same_as_before(ws: Workspace, row: dict[str, Any], version: int, by: str, action: str,
                    label: str | None) -> bool:
    """Whether the row was decided, from the version in the file, by ``by`` with this
    very decision (the file imported before)."""
    if row["status"] != "decided" or int(row["version"]) != version + 1:
        return False
    dec = ws.store.t.decisions
    with ws.store.read() as conn:
        d = conn.execute(sa.select(dec.c.user, dec.c.action, dec.c.label).where(
            dec.c.queue_id == row["id"], dec.c.seen_version == version)
            .order_by(dec.c.id.desc()).limit(1)).first()
    if d is None or d.user != by or d.action != action:
        return False
    return action != "correct" or d.label == label


def _stale(ws: Workspace, row: dict[str, Any], by: str, message: str) -> tuple[str, str]:
    """Why a decision on ``row`` was refused, and the fix: held by another reviewer,
    decided already (by whom, how), or changed since the file was written."""
    from .queue import DEFAULT_LEASE_S

    what = f"review queue row {row['id']}"
    owner = row.get("lease_owner")
    if row["status"] == "open" and owner and owner != by:
        return (f"{what} is being reviewed by {owner} on the web queue; not recorded",
                f"leave it to {owner}, or import the file again once they are done (their "
                f"hold lapses {DEFAULT_LEASE_S // 60} minutes after their page closes); the "
                "rows recorded now are not recorded twice")
    if row["status"] == "open":
        return (message, "list the queue again (glamlab review list) and decide the row in "
                         "the new file")
    dec = ws.store.t.decisions
    with ws.store.read() as conn:
        d = conn.execute(sa.select(dec.c.user, dec.c.action, dec.c.label).where(
            dec.c.queue_id == row["id"]).order_by(dec.c.id.desc()).limit(1)).first()
    if d is None or row["status"] != "decided":
        return (f"{what} is no longer open ({row['status']}); not recorded",
                "list the queue again (glamlab review list)")
    said = d.action + (f" {d.label}" if d.action == "correct" and d.label else "")
    return (f"{what} was already decided by {d.user} ({said}); not recorded",
            "nothing to do, or, to change it, correct the item's label on its web page")


__all__ = ["COLUMNS", "FORMATS", "SORTS", "ImportReport", "check_kind", "check_reviewer",
           "file_source", "import_decisions", "open_rows", "write_rows"]
