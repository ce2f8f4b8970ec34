"""Authority files: the records entities are linked to, imported into the workspace.

An authority file is a CSV (with a header) or JSONL file, one record a row:

=============  ==============================================================
``id``         the record's identifier (a QID, a GND or VIAF number, a local id)
``label``      the preferred label
``alt_labels`` other names: several in one CSV cell separated by ``|``
               (``Frankreich|Frankr.|France``; no space needed around it), a list
               (or the same ``|``-separated string) in JSONL
``type``       the entity type, one of the project's labels (``PER``, ``LOC`` ...) or empty
``start_date`` optional: birth or foundation, ISO (``1854`` or ``1854-06-12``)
``end_date``   optional: death or dissolution
``lat, lon``   optional: coordinates (decimal degrees)
``uri``        optional: the record's URI (else derived from the id)
``description`` optional
=============  ==============================================================

Common other spellings of the column names are accepted (``qid``, ``preferred_label``,
``aliases``, ``birth``...). An import is all or nothing, every problem with its line, and
a record already in the workspace is replaced by the file's (the file is the authority).
"""

from __future__ import annotations

import csv
import heapq
import json
import os
import re
import shlex
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import LabelError
from ..files import loads_json
from ..store import now

if TYPE_CHECKING:
    from ..workspace import Workspace

MAX_ROWS_IN_MESSAGE = 20
_ALIASES = {
    "id": ("id", "record_id", "qid", "identifier", "authority_id"),
    "label": ("label", "preferred_label", "preflabel", "name", "pref_label"),
    "alt_labels": ("alt_labels", "alternative_labels", "altlabels", "aliases", "alt_label",
                   "variants"),
    "type": ("type", "entity_type", "label_type", "class"),
    "start_date": ("start_date", "birth", "born", "date_of_birth", "inception", "start"),
    "end_date": ("end_date", "death", "died", "date_of_death", "dissolved", "end"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "uri": ("uri", "url"),
    "description": ("description", "note"),
}
_DATE_RE = re.compile(r"^-?\d{1,4}(-\d{2}(-\d{2})?)?$")


@dataclass
class AuthorityRecord:
    record_id: str
    label: str
    alt_labels: list[str] = field(default_factory=list)
    type: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    lat: float | None = None
    lon: float | None = None
    uri: str | None = None
    description: str | None = None

    @property
    def names(self) -> list[str]:
        """The preferred label and the alternative labels, without repeats."""
        return list(dict.fromkeys([self.label, *self.alt_labels]))

    def year_range(self) -> tuple[int | None, int | None]:
        return _year(self.start_date), _year(self.end_date)

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _year(date: str | None) -> int | None:
    if not date:
        return None
    m = re.match(r"^(-?\d{1,4})", date.strip())
    return int(m.group(1)) if m else None


@dataclass
class AuthorityImportReport:
    path: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    types: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    def summary(self) -> str:
        return (f"{self.rows:,} authority records read: {self.added:,} added, "
                f"{self.updated:,} updated, {self.unchanged:,} unchanged")


def _pick(row: Mapping[str, Any], key: str) -> Any:
    for name in _ALIASES[key]:
        for k, v in row.items():
            if isinstance(k, str) and k.strip().lower() == name and v not in (None, ""):
                return v
    return None


class _UnmappedType(ValueError):
    """A record whose type is none of the project's labels (and no type map maps it)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


#: the project label a common authority type most likely means, for the suggested fix
_TYPE_GUESSES = {
    "PER": ("person", "persons", "people", "human", "q5", "personne", "personen"),
    "LOC": ("place", "places", "location", "locations", "loc", "city", "country",
            "settlement", "geographic", "ort", "lieu", "q515", "q6256"),
    "ORG": ("organisation", "organization", "organisations", "organizations", "org",
            "company", "institution", "corporate body", "körperschaft"),
}


def _guess_label(kind: str, labels: Iterable[str]) -> str | None:
    have = set(labels)
    for label, names in _TYPE_GUESSES.items():
        if kind.strip().lower() in names and label in have:
            return label
    return None


def _unmapped_problems(unmapped: Mapping[str, list[int]],
                       labels: Sequence[str]) -> list[tuple[int, str]]:
    """One problem per record type none of the project's labels is, however many records
    have it: how many, the first lines, and the ``--type-map`` that maps it."""
    out = []
    for kind, lines in sorted(unmapped.items(), key=lambda kv: kv[1][0]):
        guess = _guess_label(kind, labels)
        shown = ", ".join(str(n) for n in lines[:3]) + (
            f" and {len(lines) - 3:,} more" if len(lines) > 3 else "")
        out.append((lines[0], f"type {kind!r} ({len(lines):,} record"
                              f"{'s' if len(lines) != 1 else ''}, line"
                              f"{'s' if len(lines) != 1 else ''} {shown}) is not one of the "
                              f"project's labels ({', '.join(sorted(labels))}): map it with "
                              f"--type-map {_quoted_pair(kind, guess or 'LABEL')}"
                              + ("" if guess else " (LABEL one of those)")
                              + f", or --type-map {_quoted_pair(kind, '')} to import those "
                                "records without a type"))
    return out


def _quoted_pair(kind: str, label: str) -> str:
    return shlex.quote(f"{kind}={label}")


def _record(row: Mapping[str, Any], types: Mapping[str, str | None] | None,
            allowed: set[str] | None) -> AuthorityRecord:
    """One record from a row; raises ValueError with what is wrong."""
    rid = _pick(row, "id")
    label = _pick(row, "label")
    if rid is None or not str(rid).strip():
        raise ValueError("no id")
    rid = str(rid).strip()
    if label is None or not str(label).strip():
        raise ValueError(f"{rid}: no label")
    alts = _pick(row, "alt_labels") or []
    if isinstance(alts, str):
        alts = alts.split("|")
    if not isinstance(alts, list) or not all(isinstance(a, str) for a in alts):
        raise ValueError(f"{rid}: alt_labels must be text ('|'-separated) or a list of text")
    kind = _pick(row, "type")
    kind = str(kind).strip() if kind is not None else None
    if kind is not None and types is not None and kind in types:
        kind = types[kind]
    if kind and allowed is not None and kind not in allowed:
        raise _UnmappedType(kind, f"{rid}: type {kind!r} is not one of the project's labels "
                                  f"({', '.join(sorted(allowed))}): map it to one with "
                                  f"--type-map {kind}=LABEL, or leave the type empty")
    dates = {}
    for key in ("start_date", "end_date"):
        v = _pick(row, key)
        v = str(v).strip() if v is not None else None
        if v and not _DATE_RE.match(v):
            raise ValueError(f"{rid}: {key} {v!r} is not an ISO date (YYYY, YYYY-MM or "
                             "YYYY-MM-DD)")
        dates[key] = v or None
    coords: dict[str, float | None] = {}
    for key, limit in (("lat", 90.0), ("lon", 180.0)):
        v = _pick(row, key)
        if v is None:
            coords[key] = None
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"{rid}: {key} {v!r} is not a number") from None
        if not -limit <= f <= limit:
            raise ValueError(f"{rid}: {key} {f:g} is out of range (±{limit:g})")
        coords[key] = f
    uri = _pick(row, "uri")
    desc = _pick(row, "description")
    return AuthorityRecord(record_id=rid, label=str(label).strip(),
                           alt_labels=[a.strip() for a in alts if a.strip()], type=kind or None,
                           start_date=dates["start_date"], end_date=dates["end_date"],
                           lat=coords["lat"], lon=coords["lon"],
                           uri=str(uri).strip() if uri else None,
                           description=str(desc) if desc else None)


def read_authority(path: str | os.PathLike[str], *,
                   type_map: Mapping[str, str | None] | None = None,
                   labels: Iterable[str] | None = None,
                   problems: list[tuple[int, str]] | None = None) -> Iterator[AuthorityRecord]:
    """The records of a CSV or JSONL authority file; line problems go to ``problems``."""
    for _, rec in _read(path, type_map=type_map, labels=labels, problems=problems):
        yield rec


def _read(path: str | os.PathLike[str], *, type_map: Mapping[str, str | None] | None,
          labels: Iterable[str] | None,
          problems: list[tuple[int, str]] | None,
          unmapped: dict[str, list[int]] | None = None
          ) -> Iterator[tuple[int, AuthorityRecord]]:
    """The records with their lines; a row's problem goes to ``problems``, a record
    whose type is none of ``labels`` to ``unmapped`` (type -> lines) when given."""
    p = Path(path)
    problems = problems if problems is not None else []
    allowed = set(labels) if labels is not None else None
    try:
        fh = open(p, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise LabelError(f"cannot read {p}: {exc.strerror}", hint="check the path") from exc
    with fh:
        try:
            head = fh.read(1)
            fh.seek(0)
            if p.suffix.lower() in (".jsonl", ".ndjson", ".json") or head == "{":
                for n, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    try:
                        obj = loads_json(line)
                        if not isinstance(obj, dict):
                            raise ValueError("not a JSON object")
                        yield n, _record(obj, type_map, allowed)
                    except json.JSONDecodeError as exc:
                        problems.append((n, f"not valid JSON ({exc.msg})"))
                    except _UnmappedType as exc:
                        if unmapped is None:
                            problems.append((n, str(exc)))
                        else:
                            unmapped.setdefault(exc.kind, []).append(n)
                    except ValueError as exc:
                        problems.append((n, str(exc)))
                return
            reader = csv.DictReader(fh)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            for key in ("id", "label"):
                if not any(a in header for a in _ALIASES[key]):
                    raise LabelError(f"{p.name} has no {key} column (columns: "
                                     f"{', '.join(header) or 'none'})",
                                     hint="name the columns id, label, alt_labels, type, ...")
            for row in reader:
                extra = row.pop(None, None)  # type: ignore[call-overload]
                if extra:
                    problems.append((reader.line_num, f"{len(extra)} more cell"
                                     f"{'s' if len(extra) != 1 else ''} than the header "
                                     f"({', '.join(repr(str(c)[:40]) for c in extra[:3])}): a "
                                     "value with a comma goes between double quotes"))
                    continue
                try:
                    yield reader.line_num, _record(row, type_map, allowed)
                except _UnmappedType as exc:
                    if unmapped is None:
                        problems.append((reader.line_num, str(exc)))
                    else:
                        unmapped.setdefault(exc.kind, []).append(reader.line_num)
                except ValueError as exc:
                    problems.append((reader.line_num, str(exc)))
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise LabelError(f"{p.name} line {reader.line_num + 1}: a cell longer than "
                                 f"{csv.field_size_limit():,} characters, which no authority "
                                 "record holds (a quote never closed swallows the lines "
                                 "after it)", hint="close the quote, or check that this is "
                                 "the authority file") from exc
            raise LabelError(f"{p.name}: not valid CSV ({exc})",
                             hint="fix the quoting") from exc
        except UnicodeDecodeError as exc:
            raise LabelError(f"{p.name} is not UTF-8 text",
                             hint="save it as UTF-8 and import it again") from exc


def _row(r: AuthorityRecord, source: str, stamp: Any) -> dict[str, Any]:
    return {"record_id": r.record_id, "label": r.label, "alt_labels": r.alt_labels,
            "type": r.type, "start_date": r.start_date, "end_date": r.end_date, "lat": r.lat,
            "lon": r.lon, "uri": r.uri, "description": r.description, "source": source,
            "created_at": stamp}


def _from_row(r: Any) -> AuthorityRecord:
    return AuthorityRecord(record_id=r.record_id, label=r.label,
                           alt_labels=list(r.alt_labels or []), type=r.type,
                           start_date=r.start_date, end_date=r.end_date, lat=r.lat, lon=r.lon,
                           uri=r.uri, description=r.description)


def import_authority(ws: Workspace, path: str | os.PathLike[str], *,
                     type_map: Mapping[str, str | None] | None = None,
                     check_types: bool = True) -> AuthorityImportReport:
    """Import an authority file (CSV or JSONL) into the workspace, all or nothing.

    Record types must be project labels (``check_types``), or be mapped to them with
    ``type_map`` (``{"human": "PER", "Q5": "PER"}``). Records with an id already in the
    workspace are replaced by the file's. Raises :class:`~glamlab.errors.LabelError`
    listing every problem with its line."""
    p = Path(path)
    problems: list[tuple[int, str]] = []
    records: dict[str, AuthorityRecord] = {}
    lines: dict[str, int] = {}
    report = AuthorityImportReport(path=str(p))
    unmapped: dict[str, list[int]] = {}
    for line, rec in _read(p, type_map=type_map, labels=ws.card.labels if check_types else None,
                           problems=problems, unmapped=unmapped):
        report.rows += 1
        if rec.record_id in records and records[rec.record_id] != rec:
            problems.append((line, f"{rec.record_id}: a second, different record with this "
                                   f"id (first at line {lines[rec.record_id]})"))
            continue
        records[rec.record_id] = rec
        lines.setdefault(rec.record_id, line)
    problems.extend(_unmapped_problems(unmapped, list(ws.card.labels)))
    if problems:
        problems.sort()
        shown = "\n".join(f"  line {n}: {m}" for n, m in problems[:MAX_ROWS_IN_MESSAGE])
        if len(problems) > MAX_ROWS_IN_MESSAGE:
            shown += f"\n  ... and {len(problems) - MAX_ROWS_IN_MESSAGE} more"
        hint = "fix these rows and import the file again"
        if unmapped:
            pairs = " ".join(f"--type-map {_quoted_pair(k, _guess_label(k, ws.card.labels) or 'LABEL')}"
                             for k in sorted(unmapped, key=lambda k: unmapped[k][0]))
            hint = (f"glamlab authority import {shlex.quote(str(p))} {pairs}"
                    + ("" if len(unmapped) == len(problems) else
                       " (and fix the other rows)"))
        raise LabelError(f"{p.name}: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
                         f", nothing imported:\n{shown}", hint=hint, rows=problems)
    t = ws.store.t.authorities
    stamp = now()
    with ws.store.write() as conn:
        existing: dict[str, AuthorityRecord] = {}
        ids = list(records)
        for i in range(0, len(ids), 900):
            for r in conn.execute(sa.select(t).where(t.c.record_id.in_(ids[i:i + 900]))):
                existing[r.record_id] = _from_row(r)
        new_rows = []
        for rid, rec in records.items():
            old = existing.get(rid)
            if old == rec:
                report.unchanged += 1
            elif old is None:
                new_rows.append(_row(rec, p.name, stamp))
                report.added += 1
            else:
                values = _row(rec, p.name, stamp)
                values.pop("record_id")
                conn.execute(t.update().where(t.c.record_id == rid).values(**values))
                report.updated += 1
            if rec.type:
                report.types[rec.type] = report.types.get(rec.type, 0) + 1
        for i in range(0, len(new_rows), 2000):
            conn.execute(t.insert(), new_rows[i:i + 2000])
        ws.store.audit(conn, "import", "authority.import", p.name, rows=report.rows,
                       added=report.added, updated=report.updated)
    return report


def load_authority(ws: Workspace, *, types: Sequence[str] | None = None) -> list[AuthorityRecord]:
    """Every authority record of the workspace (of ``types`` when given), by id."""
    t = ws.store.t.authorities
    q = sa.select(t).order_by(t.c.record_id)
    if types is not None:
        q = q.where(t.c.type.in_(list(types)))
    with ws.store.read() as conn:
        return [_from_row(r) for r in conn.execute(q)]


def authority_records(ws: Workspace, ids: Sequence[str]) -> dict[str, AuthorityRecord]:
    """The records of these ids (those the workspace has), by id."""
    t = ws.store.t.authorities
    out: dict[str, AuthorityRecord] = {}
    with ws.store.read() as conn:
        for i in range(0, len(ids), 900):
            for r in conn.execute(sa.select(t).where(t.c.record_id.in_(list(ids[i:i + 900])))):
                out[r.record_id] = _from_row(r)
    return out


#: the most records a search of the authority gives (:func:`search_authority`)
SEARCH_LIMIT = 20


def _match_rank(q: str, words: list[str], names: list[str], joined: str,
                known: str) -> int | None:
    """How well the normalised query ``q`` (its ``words``) matches a record's normalised
    ``names`` (``joined``: them one a line; ``known``: a space, then every word of the
    names and the description): 1 a name equal to it, 2 a name whose first words it is,
    3 a name starting with it, 4 a word of a name starting with it, 5 a name containing
    it, 6 each of its words starting a word of the names or the description; None when
    it does not match. The substring tests first: most records match nothing."""
    if q in joined:
        best = 5
        for n in names:
            if n == q:
                return 1
            rank = (2 if n.startswith(q + " ") else 3 if n.startswith(q)
                    else 4 if f" {q}" in f" {n}" else 5)
            best = min(best, rank)
        return best
    if words and all(f" {w}" in known for w in words):
        return 6
    return None


#: a record as a search compares it: id, type, normalised label, normalised names, them
#: one a line, a space and every word of the names and the description
_Indexed = tuple[str, "str | None", str, list[str], str, str]
#: per store: what the authority table was (rows, last id, last change) and its records'
#: names as a search compares them (normalised once, not at every key typed)
_SEARCH_INDEX: dict[str, tuple[tuple[Any, ...], list[_Indexed]]] = {}
_SEARCH_INDEX_LOCK = threading.Lock()


def _search_index(ws: Workspace) -> list[_Indexed]:
    """Each authority record of ``ws`` as a search compares it (:data:`_Indexed`), built
    again only when the table changed (an import adds rows, or replaces a record and
    stamps it)."""
    from ..tasks.spans.normalise import normalise

    t = ws.store.t.authorities
    with ws.store.read() as conn:
        state = tuple(conn.execute(sa.select(sa.func.count(), sa.func.max(t.c.id),
                                             sa.func.max(t.c.created_at))).one())
        held = _SEARCH_INDEX.get(ws.store.url)
        if held is not None and held[0] == state:
            return held[1]
        index = []
        for r in conn.execute(sa.select(t.c.record_id, t.c.label, t.c.alt_labels, t.c.type,
                                        t.c.description)):
            names = [m for m in (normalise(n) for n in
                                 dict.fromkeys([r.label, *(r.alt_labels or [])]) if n) if m]
            index.append((r.record_id, r.type, normalise(r.label), names, "\n".join(names),
                          " " + " ".join([*names, normalise(r.description or "")])))
    with _SEARCH_INDEX_LOCK:
        if len(_SEARCH_INDEX) >= 8:  # a server has one project; tests make many
            _SEARCH_INDEX.pop(next(iter(_SEARCH_INDEX)))
        _SEARCH_INDEX[ws.store.url] = (state, index)
    return index


def search_authority(ws: Workspace, query: str, *, label: str | None = None,
                     limit: int = SEARCH_LIMIT) -> list[AuthorityRecord]:
    """The project's own authority records (those imported into the workspace; nothing
    is asked of any other service) that ``query`` names, best first: the record whose id
    it is, then by its preferred and alternative labels, case, accents and punctuation
    aside (a name equal to it, starting with it, with a word starting with it, containing
    it; else each of its words starting a word of the names or the description, so that
    ``paris texas`` finds the Paris described as a city in Texas); among equals, records of
    type ``label`` first (the span's type), then by name. At most ``limit`` records; none
    for an empty query. What the review card's "Find another record" searches; the
    names are normalised once per change of the authority table, not at every search."""
    from ..tasks.spans.normalise import normalise

    raw = " ".join(query.split())
    q = normalise(raw)
    if not raw or limit <= 0:
        return []
    words = q.split()
    folded = raw.casefold()
    found: list[tuple[tuple[int, int, str, str], str]] = []
    for rid, kind, norm_label, names, joined, known in _search_index(ws):
        if rid.casefold() == folded:
            rank: int | None = 0
        elif not q:
            continue
        else:
            rank = _match_rank(q, words, names, joined, known)
        if rank is not None:
            found.append(((rank, 0 if label and kind == label else 1, norm_label, rid), rid))
    best = [rid for _, rid in heapq.nsmallest(limit, found)]
    records = authority_records(ws, best)
    return [records[rid] for rid in best if rid in records]


def authority_from_mentions(mentions: Iterable[Any]) -> list[AuthorityRecord]:
    """Records built from linked mentions (objects with ``text``, ``label`` and
    ``authority_id``): each id with every surface form seen for it (the most frequent as
    its label) and its most frequent type. How the linking benchmark builds its list
    from a training split; ``NIL`` and unlinked mentions are left out."""
    forms: dict[str, dict[str, int]] = {}
    kinds: dict[str, dict[str, int]] = {}
    for m in mentions:
        rid = getattr(m, "authority_id", None)
        if not rid or rid == "NIL":
            continue
        text = " ".join(m.text.split())
        forms.setdefault(rid, {})[text] = forms.setdefault(rid, {}).get(text, 0) + 1
        kinds.setdefault(rid, {})[m.label] = kinds.setdefault(rid, {}).get(m.label, 0) + 1
    out = []
    for rid in sorted(forms):
        ranked = sorted(forms[rid].items(), key=lambda kv: (-kv[1], kv[0]))
        kind = max(kinds[rid].items(), key=lambda kv: (kv[1], kv[0]))[0]
        out.append(AuthorityRecord(record_id=rid, label=ranked[0][0],
                                   alt_labels=[f for f, _ in ranked[1:]], type=kind))
    return out


__all__ = ["AuthorityImportReport", "AuthorityRecord", "authority_from_mentions",
           "authority_records",
           "import_authority", "load_authority", "read_authority", "search_authority"]
