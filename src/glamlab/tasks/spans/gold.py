"""Gold spans in the store: importing them, reading them back, correcting them.

Storage (tables ``span_sets`` and ``spans``, migration 3): one ``span_sets`` row per
annotation of an item — who gave it (``annotator``), from where (``source``), the hash of
the text its offsets index (``text_hash``), ``active`` — and one ``spans`` row per span
of it. The gold spans of an item are its **latest active gold set**, whoever gave it: a
reviewer's correction (:func:`save_spans`) overrides an import, as a correction overrides
an imported label in :mod:`glamlab.tasks.labels`; earlier sets stay for agreement and
history. A set with no span is a gold example with no entity in it. Items and the
``splits`` table are shared with every other task kind, so ``labels split`` style
splitting by document works on ``document_id``-style metadata (see :func:`split_spans`).

An import is all or nothing: every file is read and every item checked first (span
outside the text, overlapping spans of one layer, unknown label, text that does not match
the existing item, conflicting annotations), every problem is reported with its line,
and only a clean import is written, in one transaction — with the items it creates when
the file carries their texts.
"""

from __future__ import annotations

import hashlib
import os
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ...errors import LabelError
from ...progress import plural
from ...said import in_words
from ...store import now
from ...store.queue import fitting_span_sets
from ..labels import MAX_ROWS_IN_MESSAGE, SPLITS, _chunks, _set_splits
from .model import MAIN_LAYER, Span, SpanDoc, check_spans, shown, sort_spans
from .normalise import normalise

if TYPE_CHECKING:
    from ...items import Item
    from ...workspace import Workspace

FORMATS = ("hipe", "jsonl", "webanno")
GOLD = "gold"
PREDICTION = "prediction"
_SUFFIXES = {".tsv", ".jsonl", ".json", ".ndjson"}


def text_hash(text: str) -> str:
    """What ``span_sets.text_hash`` holds: the sha256 of the text's UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class SpanImportReport:
    path: str
    format: str
    files: int = 0
    items: int = 0  # items with gold spans from this import
    created: int = 0  # items the import created (the file carried their text)
    added: int = 0  # span sets written
    unchanged: int = 0  # items whose spans (same annotator) were already there
    replaced: int = 0  # items whose earlier spans (same annotator) were replaced
    spans: int = 0  # spans written
    split: str | None = None
    annotator: str = "import"
    labels: dict[str, int] = field(default_factory=dict)
    nul_cleaned: int = 0  # items whose text had NUL characters, removed (offsets moved)
    #: items only in files of glamlab's INCEpTION export no one changed: they keep their
    #: split whatever ``split`` says
    kept_split: int = 0
    split_items: int = 0  # items put in ``split``
    #: imported items left in no split while the test split is frozen (no ``split``
    #: given): no training reads them until they are imported again with --split train
    unsplit: int = 0
    #: ``[existing, created]`` item ids: a document of the file already here as an item
    #: under its own id (its document id), now created again under the file's id (its text
    #: twice in the collection: run, trends and exports count both)
    twins: list[list[str]] = field(default_factory=list)
    #: items whose stored gold spans the file changed (a glamlab INCEpTION folder edited
    #: and imported back, or ``replace``): one ``{item_id, added, removed, changed}`` each,
    #: the spans against the item's gold before (of the layers the file carries)
    updates: list[dict[str, Any]] = field(default_factory=list)
    #: what the file gives that was read all the same but may not be what it meant (a
    #: HIPE I- tag that continues no entity, a document given twice, the same)
    warnings: list[str] = field(default_factory=list)
    #: spans left out by ``type_map`` or ``drop_unknown_types``: their type -> how many
    dropped: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    def summary(self) -> str:
        text = (f"{self.items:,} items with gold spans from {self.files:,} "
                f"{self.format} file{'s' if self.files != 1 else ''} ({self.spans:,} spans "
                f"added, {self.unchanged:,} items unchanged")
        if self.created:
            text += f", {self.created:,} items created"
        if self.replaced:
            text += f", {self.replaced:,} replaced"
        text += ")"
        if self.updates:
            n = len(self.updates)
            parts = [f"{sum(u[k] for u in self.updates):,} {what}"
                     for k, what in (("changed", "changed"), ("added", "added"),
                                     ("removed", "removed"))]
            text += (f"; {n:,} item{'s' if n != 1 else ''} updated "
                     f"({', '.join(parts)} spans): "
                     + ", ".join(u["item_id"] for u in self.updates[:5])
                     + (f" and {n - 5:,} more" if n > 5 else ""))
        if self.split:
            moved = self.split_items
            if not self.kept_split:
                text += f"; put in the {self.split} split"
            elif moved:
                text += (f"; {moved:,} put in the {self.split} split (the {self.kept_split:,} "
                         "in files unchanged since the export keep their split)")
            else:
                text += (f"; every file is unchanged since the export, so no item was put "
                         f"in the {self.split} split")
        if self.unsplit:
            n = self.unsplit
            who = (("it is" if n == 1 else "they are") if n == self.items else
                   f"{n:,} of them {'is' if n == 1 else 'are'}")
            text += (f"; {who} in no split, so no training reads "
                     f"{'it' if n == 1 else 'them'} (the test split is frozen): import the "
                     "file again with --split train")
        if self.twins:
            n = len({a for a, _ in self.twins})
            a, b = self.twins[0]
            text += (f"; {n:,} document{'s' if n != 1 else ''} of the file "
                     f"{'is' if n == 1 else 'are'} already here as "
                     f"{'an item' if n == 1 else 'items'} under {'its' if n == 1 else 'their'}"
                     f" own id (e.g. {a!r}, now also {b!r}): the collection holds "
                     f"{'its' if n == 1 else 'their'} text twice, and glamlab run, trends and "
                     "the exports count both; to keep one copy, ingest the collection without "
                     "the file's documents, or import the file first and give the ingested "
                     "documents the file's ids (DATASET-LANG-DOCUMENT_ID)")
        if self.nul_cleaned:
            text += (f"; NUL characters (\\x00) removed from the text of {self.nul_cleaned:,} "
                     f"item{'s' if self.nul_cleaned != 1 else ''}, their entities kept on the "
                     "same words")
        if self.dropped:
            n = sum(self.dropped.values())
            text += (f"; {n:,} {plural(n, 'span')} of types left out as asked ("
                     + ", ".join(f"{k} {v:,}" for k, v in self.dropped.items()) + ")")
        for w in self.warnings:
            text += f"\nwarning: {w}"
        return text


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES
                      and not p.name.startswith("."))
    return [path]


#: the first line of the ``index.tsv`` glamlab's INCEpTION export writes beside its files
#: (then the item metadata fields asked for, a column each)
EXPORT_INDEX_HEADER = "file\titem_id"
#: the last column of that ``index.tsv``: the sha256 of each file as glamlab wrote it
EXPORT_DIGEST_COLUMN = "glamlab_sha256"


def _export_index(files: list[Path]) -> tuple[list[Path], dict[Path, str], dict[Path, str]]:
    """The span files without the ``index.tsv`` of a glamlab INCEpTION export
    (:func:`glamlab.actions.entity_export.write_inception_folder`), the item id each
    file of that folder is about (its file name is the id made safe for a file system),
    and the sha256 each file had when it was written (folders written since the column
    came)."""
    kept: list[Path] = []
    ids: dict[Path, str] = {}
    digests: dict[Path, str] = {}
    for f in files:
        if f.name == "index.tsv":
            try:
                with open(f, encoding="utf-8-sig") as fh:
                    lines = fh.read().splitlines()
            except OSError:
                lines = []
            # the item metadata columns an export may add after item_id are not read
            if lines and lines[0].split("\t")[:2] == EXPORT_INDEX_HEADER.split("\t"):
                head = lines[0].split("\t")
                at = head.index(EXPORT_DIGEST_COLUMN) if EXPORT_DIGEST_COLUMN in head else None
                for line in lines[1:]:
                    cells = line.split("\t")
                    name, item_id = [*cells, ""][:2]
                    if name and item_id:
                        ids[f.parent / name] = item_id
                        if at is not None and at < len(cells) and cells[at]:
                            digests[f.parent / name] = cells[at]
                continue
        kept.append(f)
    return kept, ids, digests


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def tsv_span_format(path: Path, suffixes: tuple[str, ...] = (".tsv",)) -> str | None:
    """``hipe`` or ``webanno`` when ``path`` (a file with one of ``suffixes``) starts as a
    gold-span table (HIPE TSV, WebAnno TSV 3.3 from INCEpTION); None otherwise (a
    spreadsheet of labels, no such file)."""
    from ...errors import GlamlabError

    if not path.is_file() or path.suffix.lower() not in suffixes:
        return None
    try:
        fmt = detect_format(path)
    except GlamlabError:
        return None
    return fmt if fmt in ("hipe", "webanno") else None


def detect_format(path: Path) -> str:
    """``hipe``, ``jsonl`` or ``webanno``, from the start of the file (and its suffix)."""
    from . import hipe, jsonl, webanno

    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise LabelError(f"cannot read {path}: {exc.strerror}", hint="check the path") from exc
    if webanno.sniff(head):
        return "webanno"
    if hipe.sniff(head):
        return "hipe"
    if jsonl.sniff(head) or path.suffix.lower() in (".jsonl", ".ndjson"):
        return "jsonl"
    if not head.strip():  # the format is no help: there is nothing in it to import
        raise LabelError(f"{path.name}: the file is empty (no text, no entities)",
                         item=path.name, hint="give the complete file (it may have been "
                         "cut short while copying or exporting)")
    raise LabelError(f"{path.name}: not a span file glamlab reads (HIPE TSV, JSONL, or "
                     "WebAnno TSV 3.3)", hint=in_words(
                         "give its format with format='hipe', 'jsonl' or 'webanno'",
                         "give its format with --format hipe, jsonl or webanno",
                         "save it as HIPE TSV, JSON Lines or WebAnno TSV 3.3 (as INCEpTION "
                         "exports it) and upload it again"))


def read_span_file(path: str | Path, *, format: str | None = None, segment: str = "sentence",
                   label_map: Mapping[str, str | None] | None = None,
                   problems: list[tuple[int, str]] | None = None,
                   warnings: list[str] | None = None) -> list[SpanDoc]:
    """The items one file holds, read by its format; line problems go to ``problems``,
    what is read all the same but said (a HIPE I- tag that continues nothing) to
    ``warnings``."""
    from .hipe import read_hipe
    from .jsonl import read_jsonl
    from .webanno import read_webanno

    p = Path(path)
    fmt = format or detect_format(p)
    if fmt not in FORMATS:
        raise LabelError(f"unknown span format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    problems = problems if problems is not None else []
    if fmt == "hipe":
        docs = list(read_hipe(p, segment=segment, label_map=label_map, problems=problems,
                              warnings=warnings))
    elif fmt == "jsonl":
        docs = list(read_jsonl(p, problems=problems))
    else:
        docs = list(read_webanno(p, problems=problems))
    for doc in docs:
        problems.extend(without_nul(doc))
    if fmt != "hipe" and label_map:
        for doc in docs:
            kept, lines = [], []
            for i, s in enumerate(doc.spans):
                mapped = label_map.get(s.label, s.label)
                if mapped is not None:
                    s.label = mapped
                    kept.append(s)
                    lines.append(doc.line_of(i))
            doc.spans, doc.span_lines = kept, lines
    return docs


def without_nul(doc: SpanDoc) -> list[tuple[int, str]]:
    """Remove NUL characters (``\\x00``, which PostgreSQL cannot store and OCR sometimes
    leaves) from what a file gives for one item, in place, as ingest removes them from
    texts: offsets after a NUL move back by one, so every span still covers its words, on
    both stores. ``doc.nul_removed`` says how many went from the text. A span that covered
    nothing but NUL is a problem (its line, returned)."""
    from ...ingest.base import nul_note, strip_nul

    problems: list[tuple[int, str]] = []
    text = doc.text
    if text is not None and "\x00" in text:
        before = [0] * (len(text) + 1)  # NULs before each offset
        for i, ch in enumerate(text):
            before[i + 1] = before[i] + (ch == "\x00")
        kept, lines = [], []
        for i, s in enumerate(doc.spans):
            if 0 <= s.start < s.end <= len(text):
                start, end = s.start - before[s.start], s.end - before[s.end]
                if start == end:
                    problems.append((doc.line_of(i), f"{doc.item_id}: span {s.start}-{s.end} "
                                     f"{s.label} covers nothing but NUL characters (\\x00), "
                                     "which are removed from texts: leave this entity out"))
                    continue
                s.start, s.end = start, end
            kept.append(s)
            lines.append(doc.line_of(i))
        doc.spans, doc.span_lines = kept, lines
        doc.text = text.replace("\x00", "")
        doc.nul_removed = len(text) - len(doc.text)
    for s in doc.spans:
        s.label, s.layer, s.authority_id, s.text, s.attrs = (
            strip_nul(v)[0] for v in (s.label, s.layer, s.authority_id, s.text, s.attrs))
    doc.meta, in_meta = strip_nul(doc.meta)
    doc.annotator = strip_nul(doc.annotator)[0]
    where = " and ".join(w for w, hit in (("text", doc.nul_removed), ("metadata", in_meta))
                         if hit)
    if where:
        doc.meta = {**doc.meta, "ingest_note": nul_note(where)}
    return problems


def _same_text(a: str, b: str) -> int | None:
    """None when offsets into ``a`` index ``b`` the same way (equal, or differing only in
    which whitespace separates the words); else the first position that differs."""
    if a == b:
        return None
    if len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y and not (x.isspace() and y.isspace()):
                return i
        return None
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                min(len(a), len(b)))


def _current_items(conn: sa.Connection, ws: Workspace,
                   ids: Sequence[str]) -> dict[str, tuple[str | None, str]]:
    t = ws.store.t.items
    out: dict[str, tuple[str | None, str]] = {}
    for chunk in _chunks(list(ids)):
        for r in conn.execute(sa.select(t.c.item_id, t.c.text, t.c.modality).where(
                t.c.is_current.is_(True), t.c.item_id.in_(chunk))):
            out[r.item_id] = (r.text, r.modality)
    return out


def _active_sets(conn: sa.Connection, ws: Workspace, ids: Sequence[str], *,
                 kind: str = GOLD, annotator: str | None = None) -> dict[str, Any]:
    """item id -> its latest active set of ``kind`` (by ``annotator`` when given)."""
    t = ws.store.t.span_sets
    out: dict[str, Any] = {}
    for chunk in _chunks(list(ids)):
        q = sa.select(t).where(t.c.active.is_(True), t.c.kind == kind, t.c.item_id.in_(chunk))
        if annotator is not None:
            q = q.where(t.c.annotator == annotator)
        for r in conn.execute(q.order_by(t.c.id)):
            out[r.item_id] = r  # later sets overwrite earlier ones
    return out


def _spans_of_sets(conn: sa.Connection, ws: Workspace,
                   set_ids: Sequence[int]) -> dict[int, list[Span]]:
    t = ws.store.t.spans
    ids = [int(i) for i in set_ids]
    out: dict[int, list[Span]] = {i: [] for i in ids}
    for chunk in (ids[k:k + 900] for k in range(0, len(ids), 900)):
        for r in conn.execute(sa.select(t).where(t.c.set_id.in_(chunk)).order_by(t.c.id)):
            out[int(r.set_id)].append(Span(start=r.char_start, end=r.char_end, label=r.label,
                                           layer=r.layer, authority_id=r.authority_id,
                                           score=r.score, text=r.text, attrs=r.attrs or {}))
    return {k: sort_spans(v) for k, v in out.items()}


def _comparable(spans: Iterable[Span]) -> set[tuple[Any, ...]]:
    return {(*s.key, s.authority_id) for s in spans}


def _span_changes(old: Iterable[Span], new: Iterable[Span]) -> dict[str, int]:
    """How ``new`` differs from ``old``: spans ``changed`` (the same words of the same
    layer, another type or authority id), ``added`` and ``removed``."""
    o, n = _comparable(old), _comparable(new)
    gone, came = o - n, n - o
    where_gone = {(x[0], x[1], x[3]) for x in gone}
    changed = sum(1 for x in came if (x[0], x[1], x[3]) in where_gone)
    return {"changed": changed, "added": len(came) - changed, "removed": len(gone) - changed}


def _change_words(c: dict[str, int]) -> str:
    return ", ".join(f"{c[k]} {k}" for k in ("changed", "added", "removed") if c[k]) \
        or "no change"


def record_spans(conn: sa.Connection, ws: Workspace, item_id: str, text: str,
                 spans: Sequence[Span], *, annotator: str, source: str | None,
                 kind: str = GOLD, model_id: int | None = None, run_id: int | None = None,
                 prediction_id: int | None = None, stamp: Any = None) -> int:
    """Write one span set (and its spans) in the caller's transaction; returns its id.

    The one writer of ``span_sets``/``spans``: imports, review corrections and (kind
    ``prediction``) a run's output all come through here. Spans must have been checked
    against ``text`` (:func:`~.model.check_spans`), the item's current text: the set
    records that version (``item_version``), so a later re-ingest with other words
    shows (:func:`glamlab.store.queue.span_gold_fits`)."""
    t = ws.store.t
    stamp = stamp or now()
    # the item version whose text this is (the current one, as every caller gives it)
    version = conn.execute(sa.select(t.items.c.version).where(
        t.items.c.item_id == item_id, t.items.c.is_current.is_(True),
        t.items.c.text == text)).scalar()
    pk = conn.execute(t.span_sets.insert().values(
        item_id=item_id, kind=kind, annotator=annotator, source=source,
        text_hash=text_hash(text), spans=len(spans), model_id=model_id, run_id=run_id,
        prediction_id=prediction_id, active=True, created_at=stamp,
        item_version=version)).inserted_primary_key
    assert pk is not None
    set_id = int(pk[0])
    if spans:
        conn.execute(t.spans.insert(), [
            {"set_id": set_id, "item_id": item_id, "layer": s.layer, "char_start": s.start,
             "char_end": s.end, "label": s.label, "text": text[s.start:s.end],
             "norm": normalise(text[s.start:s.end]), "authority_id": s.authority_id,
             "score": s.score, "attrs": s.attrs or {}} for s in spans])
    return set_id


#: the longest texts whose earlier spans are re-anchored by aligning the two texts
#: (:func:`carry_over`); a longer one keeps only the spans still at the same offsets
ALIGN_MAX_CHARS = 20_000
#: how far beyond the change in the text's length a re-anchored span may move
_NEARBY = 32


def carry_over(spans: Sequence[Span], old: str | None, text: str) -> list[Span]:
    """The spans (made on the earlier text ``old`` of an item, None when the store no
    longer has it) that still cover the same words in its text now, ``text``, at their
    offsets there: each kept where its characters are the very same at the same offsets,
    else re-anchored where an alignment of the two texts (:class:`difflib.SequenceMatcher`,
    texts up to :data:`ALIGN_MAX_CHARS`) puts all of its characters, unchanged, nearby (no
    further than the text's change in length, and a few characters). Any other span is
    left out, and so is one that would overlap a span kept before it on its layer."""
    return sort_spans(new for _, new in carried(spans, old, text))


def carried(spans: Sequence[Span], old: str | None, text: str) -> list[tuple[Span, Span]]:
    """:func:`carry_over`, each span kept with the one of ``spans`` it comes from."""
    import dataclasses

    opcodes: list[Any] | None = None
    kept: list[tuple[Span, Span]] = []
    for s in sort_spans(spans):
        words = s.text if s.text is not None else (
            old[s.start:s.end] if old is not None and s.end <= len(old) else None)
        if not words or s.end - s.start != len(words):
            continue
        at: int | None = s.start if text[s.start:s.end] == words else None
        if at is None and old is not None and old[s.start:s.end] == words \
                and max(len(old), len(text)) <= ALIGN_MAX_CHARS:
            if opcodes is None:
                import difflib

                opcodes = difflib.SequenceMatcher(None, old, text,
                                                  autojunk=False).get_opcodes()
            for tag, i1, i2, j1, _j2 in opcodes:
                if tag == "equal" and i1 <= s.start and s.end <= i2:
                    moved = j1 + s.start - i1
                    if abs(moved - s.start) <= abs(len(text) - len(old)) + _NEARBY \
                            and text[moved:moved + len(words)] == words:
                        at = moved
                    break
        if at is None or any(k.layer == s.layer and k.start < at + len(words) and at < k.end
                             for _, k in kept):
            continue
        kept.append((s, dataclasses.replace(s, start=at, end=at + len(words), text=words)))
    return kept


@dataclass
class GoldBase:
    """A text's gold spans a person's next gold set builds on (a review decision, an
    added entity, the whole text marked checked; :func:`gold_to_build_on`): its latest
    gold set's spans, or, where that set was made on an earlier text of the item (it was
    ingested again with other words), those of its spans that still fit the text
    (:func:`carry_over`: ``carried_over`` of them; ``dropped``, the others, stay in that
    set, in the history)."""

    spans: list[Span]
    changed: bool = False
    earlier: list[Span] = field(default_factory=list)  # the set's spans, on its text

    @property
    def carried_over(self) -> int:
        return len(self.spans) if self.changed else 0

    @property
    def dropped(self) -> int:
        return len(self.earlier) - len(self.spans) if self.changed else 0

    def of_layer(self, layer: str) -> GoldBase:
        """The same, for the spans of one layer only."""
        return GoldBase([s for s in self.spans if s.layer == layer], self.changed,
                        [s for s in self.earlier if s.layer == layer])

    def note(self) -> dict[str, int] | None:
        """What the answer says of it: None where the gold fitted the text; else how
        many spans of the earlier text were carried over and how many dropped."""
        if not self.changed:
            return None
        return {"carried_over": self.carried_over, "dropped": self.dropped}


def earlier_text(conn: sa.Connection, ws: Workspace, row: Any) -> str | None:
    """The text the gold set ``row`` was made on (its ``item_version``'s, or the item's
    version whose text has its hash), None where the store no longer has it."""
    t = ws.store.t.items
    texts = conn.execute(sa.select(t.c.version, t.c.text).where(
        t.c.item_id == row.item_id, t.c.text.is_not(None)).order_by(t.c.version.desc())).all()
    for v, text in texts:
        if row.item_version is not None and int(v) == int(row.item_version) \
                and text_hash(text) == row.text_hash:
            return str(text)
    return next((str(text) for _, text in texts if text_hash(text) == row.text_hash), None)


def fitting_spans(conn: sa.Connection, ws: Workspace, row: Any, spans: Sequence[Span],
                  text: str) -> GoldBase:
    """The spans of the gold set ``row`` as they index ``text``, the item's text now:
    all of them where the set was made on that text (the one definition the queue and
    training use: :func:`glamlab.store.queue.span_gold_fits`), else those
    :func:`carry_over` keeps (see :class:`GoldBase`)."""
    if int(row.id) in fitting_span_sets(conn, [row.id]):
        return GoldBase(list(spans))
    return GoldBase(carry_over(spans, earlier_text(conn, ws, row), text), changed=True,
                    earlier=list(spans))


def gold_to_build_on(conn: sa.Connection, ws: Workspace, item_id: str,
                     text: str) -> GoldBase | None:
    """The gold spans (every layer) of ``item_id`` a person's new gold set on its text
    ``text`` (its current one) starts from (:class:`GoldBase`); None when it has none."""
    latest = _active_sets(conn, ws, [item_id]).get(item_id)
    if latest is None:
        return None
    return fitting_spans(conn, ws, latest, _spans_of_sets(conn, ws, [latest.id])[int(latest.id)],
                         text)


def _fail(name: str, problems: list[tuple[int, str]], path: Path | None = None,
          unknown: Sequence[str] = (), labels: Sequence[str] = ()) -> LabelError:
    problems = sorted(problems)
    hint = "fix these lines (or add the items or labels first) and import the file again"
    if unknown and path is not None:  # types the project lacks (HIPE's PROD and TIME)
        example = unknown[0]
        hint = (f"the file's {', '.join(unknown)} "
                f"{plural(len(unknown), 'is no label', 'are no labels')} "
                f"of this project: leave {'it' if len(unknown) == 1 else 'them'} out with "
                f"`glamlab labels import {shlex.quote(str(path))} --drop-unknown-types`, or "
                f"map {'it' if len(unknown) == 1 else 'each'} to a label with --type-map "
                f"(`--type-map {example}={labels[0] if labels else 'LABEL'}`; "
                f"`--type-map {example}=` leaves it out), or add "
                f"{'it' if len(unknown) == 1 else 'them'} to the labels in glamlab.toml; "
                + ("then fix the other lines" if any("unknown label" not in m
                                                    for _, m in problems) else
                   "nothing else is wrong"))
    shown_rows = "\n".join(f"  line {n}: {msg}" if n else f"  {msg}"
                           for n, msg in problems[:MAX_ROWS_IN_MESSAGE])
    more = len(problems) - MAX_ROWS_IN_MESSAGE
    if more > 0:
        shown_rows += f"\n  ... and {more} more"
    return LabelError(f"{name}: {len(problems)} problem{'s' if len(problems) != 1 else ''}, "
                      f"nothing imported:\n{shown_rows}", hint=hint, rows=problems)


def import_spans(ws: Workspace, path: str | os.PathLike[str], *, format: str | None = None,
                 split: str | None = None, annotator: str | None = None,
                 replace: bool = False, segment: str = "sentence",
                 label_map: Mapping[str, str | None] | None = None,
                 create_items: bool = True,
                 type_map: Mapping[str, str | None] | None = None,
                 drop_unknown_types: bool = False) -> SpanImportReport:
    """Import gold spans from a file or a folder of files, all or nothing.

    ``format``: ``hipe`` (HIPE/CoNLL IOB TSV), ``jsonl`` or ``webanno`` (WebAnno TSV 3.3 as
    INCEpTION exports it); by default each file's own. A folder is read whole (an
    INCEpTION project export's ``annotation/<document>/<user>.tsv`` files: each user's
    annotation is kept as that user's). Items the file carries the text of are created
    when missing (``create_items``); existing items must have the same text. ``split``
    puts the imported items in the train or test split; ``annotator`` (default: the
    user the file names, else "import") owns the spans, and ``replace`` lets the file
    replace that annotator's earlier spans (otherwise a difference is a conflict).
    ``segment`` (HIPE): ``sentence`` (one item per sentence, as the shared ``labels.csv``)
    or ``document``; ``label_map`` maps the file's types to the project's labels
    (``None`` drops a type). ``type_map`` maps the types as read (``PROD``, what an
    unknown-label problem names) to the project's labels, ``None`` or ``""`` leaving them
    out; ``drop_unknown_types`` leaves out every span whose type is then not a label of
    the project. What either left out is counted in the report's ``dropped``.

    Raises :class:`~glamlab.errors.LabelError` listing every problem with its line; the
    CLI prints it as one error with the fix."""
    from ...ingest import write_records
    from ...ingest.base import Record, check_record
    from ..splits import is_frozen, split_of

    root = Path(path)
    if split is not None and split not in SPLITS:
        raise LabelError(f"unknown split {split!r}",
                         hint=in_words("use split='train' or split='test'",
                                       "use --split train or --split test",
                                       "choose the training or the test split"))
    if not root.exists():
        raise LabelError(f"{root} does not exist", hint="check the path")
    files, exported_ids, digests = _export_index(_files(root))
    if not files:
        raise LabelError(f"{root} holds no .tsv, .jsonl or .json file",
                         hint="give a span file, or a folder of them")
    # the files of glamlab's INCEpTION export no one changed since: nothing to import
    # into the project they came from (their items are there)
    untouched = {f for f in files if f in digests and _sha256(f) == digests[f]}
    problems: list[tuple[int, str]] = []
    warnings: list[str] = []  # read all the same, and said (an I- tag continuing nothing)
    docs: list[tuple[Path, SpanDoc]] = []
    formats: set[str] = set()
    #: files that carry the main layer only (WebAnno TSV: INCEpTION's Named Entity
    #: layer): the item's other layers (nested, metonymic) are kept as they are
    main_only: set[Path] = set()
    for f in files:
        fmt = format or detect_format(f)
        formats.add(fmt)
        if fmt == "webanno":
            main_only.add(f)
        local: list[tuple[int, str]] = []
        said: list[str] = []
        for doc in read_span_file(f, format=fmt, segment=segment, label_map=label_map,
                                  problems=local, warnings=said):
            if f in exported_ids:  # a file of glamlab's INCEpTION export: its item's id
                doc.item_id = exported_ids[f]
            docs.append((f, doc))
        prefix = f"{f.name}: " if len(files) > 1 else ""
        problems.extend((n, prefix + msg) for n, msg in local)
        warnings.extend(prefix + msg for msg in said)

    def named(f: Path, msg: str) -> str:
        return f"{f.name}: {msg}" if len(files) > 1 else msg

    labels = list(ws.card.labels)
    dropped: dict[str, int] = {}
    if type_map or drop_unknown_types:
        # the file says ``prod``, the problem it gave says ``PROD``: either spelling maps
        # (a key written exactly as read wins over one that differs only in case)
        folded = {k.casefold(): v for k, v in (type_map or {}).items()}
        exact = dict(type_map or {})
        for _f, doc in docs:
            taken: list[Span] = []
            taken_lines: list[int] = []
            for i, sp in enumerate(doc.spans):
                read_as = sp.label
                sp.label = (exact[read_as] if read_as in exact
                            else folded.get(read_as.casefold(), read_as)) or ""
                if not sp.label or (drop_unknown_types and sp.label not in labels):
                    dropped[read_as] = dropped.get(read_as, 0) + 1
                    continue
                taken.append(sp)
                taken_lines.append(doc.line_of(i))
            doc.spans, doc.span_lines = taken, taken_lines
    unknown = sorted({sp.label for _f, doc in docs for sp in doc.spans} - set(labels))
    wanted: dict[tuple[str, str], tuple[Path, SpanDoc]] = {}
    #: a document (or an item) the file gives again, the same: (file, its name) -> the
    #: lines of its first and its second reading
    repeated: dict[tuple[Path, str], tuple[int, int]] = {}
    for f, doc in docs:
        who = annotator or doc.annotator or "import"
        key = (doc.item_id, who)
        if key in wanted:
            other = wanted[key][1]
            if (other.text, _comparable(other.spans)) != (doc.text, _comparable(doc.spans)):
                problems.append((doc.line, named(
                    f, f"{doc.item_id}: a second, different annotation of the item by {who!r} "
                       f"(first at line {other.line})")))
            elif wanted[key][0] == f:
                name = str((doc.meta or {}).get("document_id") or doc.item_id)
                repeated.setdefault((f, name), (other.line, doc.line))
            continue
        wanted[key] = (f, doc)
    if repeated:
        n = len(repeated)
        (f, name), (first, again) = next(iter(repeated.items()))
        warnings.append(named(
            f, f"{n:,} {'document is' if n == 1 else 'documents are'} in the file more than "
               f"once, the same each time (e.g. {name!r} at line {first} and again at line "
               f"{again}): read once; if the file was put together by mistake, remove the "
               "repeat"))
    ids = sorted({item_id for item_id, _ in wanted})
    records: dict[str, Record] = {}
    texts: dict[str, str] = {}
    with ws.store.read() as conn:
        current = _current_items(conn, ws, ids)
    as_exported = {key for key, (f, _) in wanted.items()
                   if f in untouched and key[0] in current}
    for key in as_exported:
        del wanted[key]
    ids = sorted({item_id for item_id, _ in wanted})
    for (item_id, _who), (f, doc) in wanted.items():
        have = current.get(item_id)
        if have is None:
            if doc.text is None:
                problems.append((doc.line, named(f, f"{item_id}: no such item in the "
                                                    "workspace, and the file does not carry "
                                                    "its text")))
                continue
            if not create_items:
                problems.append((doc.line, named(f, f"{item_id}: no such item in the "
                                                    "workspace")))
                continue
            if item_id in texts and texts[item_id] != doc.text:
                problems.append((doc.line, named(f, f"{item_id}: two different texts for the "
                                                    "item in this import")))
                continue
            if item_id not in records:
                rec = Record(item_id=item_id, modality="text", source_kind=_kind(f, formats),
                             source=str(f), content_hash=text_hash(doc.text), text=doc.text,
                             meta=dict(doc.meta))
                bad = check_record(rec)
                if bad is not None:
                    problems.append((doc.line, named(f, f"{bad.reason} ({bad.hint})")))
                    continue
                records[item_id] = rec
            texts[item_id] = doc.text
        else:
            item_text, modality = have
            if item_text is None:
                problems.append((doc.line, named(f, f"{item_id}: the item has no text (a "
                                                    f"{modality} item without OCR)")))
                continue
            if doc.text is not None:
                at = _same_text(doc.text, item_text)
                if at is not None:
                    problems.append((doc.line, named(
                        f, f"{item_id}: the text does not match the item's text (at character "
                           f"{at}: the file has {shown(doc.text[at:at + 20])}, the item "
                           f"{shown(item_text[at:at + 20])})")))
                    continue
            texts[item_id] = item_text
        problems.extend((n, named(f, msg)) for n, msg in check_spans(
            texts[item_id], doc.spans, labels=labels, lines=doc.span_lines, line=doc.line,
            item_id=item_id))

    fmt_name = formats.pop() if len(formats) == 1 else "mixed"
    report = SpanImportReport(path=str(root), format=fmt_name, files=len(files),
                              split=split, annotator=annotator or "import",
                              unchanged=len(as_exported),
                              kept_split=len({k[0] for k in as_exported} - set(ids)),
                              warnings=warnings, dropped=dict(sorted(dropped.items())))
    # a document the collection already holds under its own id (ingested first, with the
    # archive's ids), created again under the file's: said, not left to double the counts
    documents: dict[str, str] = {}  # document id -> its first item created here
    for item_id, r in sorted(records.items()):
        if (r.meta or {}).get("document_id") not in (None, "", item_id):
            documents.setdefault(str((r.meta or {})["document_id"]), item_id)
    if documents:
        with ws.store.read() as conn:
            here = _current_items(conn, ws, sorted(documents))
        report.twins = [[d, documents[d]] for d in sorted(here)]
    name = root.name
    with ws.store.write() as conn:
        keys = list(wanted)
        before: dict[tuple[str, str], Any] = {}
        for who in sorted({w for _, w in keys}):
            for item_id, row in _active_sets(conn, ws, [i for i, w in keys if w == who],
                                             annotator=who).items():
                before[(item_id, who)] = row
        # the item's gold now, whoever gave it (a reviewer's correction, an import): a
        # file that says the same adds nothing (an INCEpTION folder exported and imported
        # back unchanged, a reviewer's entity that came back through it)
        latest = _active_sets(conn, ws, ids)
        old_spans = _spans_of_sets(conn, ws, [r.id for r in [*before.values(),
                                                             *latest.values()]])
        fits = fitting_span_sets(conn, [r.id for r in [*before.values(), *latest.values()]])

        def view(f: Path, spans: Iterable[Span]) -> list[Span]:
            return [s for s in spans if f not in main_only or s.layer == MAIN_LAYER]

        base: dict[tuple[str, str], list[Span]] = {}  # the gold the file is compared with
        full: dict[tuple[str, str], list[Span]] = {}  # the spans to store
        same: set[tuple[str, str]] = set()
        for key, (f, doc) in wanted.items():
            row = before.get(key)
            # (an annotator named by the call or the file gives their own annotation,
            # kept for agreement even where it says what another's says)
            anonymous = annotator is None and doc.annotator is None
            now_row = latest.get(key[0]) if anonymous or f in exported_ids else None
            if now_row is not None and int(now_row.id) in fits and \
                    _comparable(view(f, old_spans[int(now_row.id)])) == \
                    _comparable(view(f, doc.spans)):
                same.add(key)
                continue
            # what the file's spans replace: the annotator's own earlier gold, else the
            # item's gold now (a file of the main layer keeps the other layers of it)
            was = row if row is not None and int(row.id) in fits else (
                now_row if now_row is not None and int(now_row.id) in fits else None)
            kept = [] if was is None or f not in main_only else [
                s for s in old_spans[int(was.id)] if s.layer != MAIN_LAYER]
            full[key] = [*doc.spans, *kept]
            if was is not None:
                base[key] = view(f, old_spans[int(was.id)])
            # a file of glamlab's own INCEpTION export, edited and imported back, updates
            # the spans it was exported with; any other file must not silently replace
            # what its annotator gave before
            if row is not None and not replace and f not in exported_ids and \
                    _comparable(view(f, old_spans[int(row.id)])) != \
                    _comparable(view(f, doc.spans)):
                change = _change_words(_span_changes(view(f, old_spans[int(row.id)]),
                                                     view(f, doc.spans)))
                problems.append((doc.line, named(
                    f, f"{key[0]}: conflicts with the {row.spans} spans {key[1]!r} gave before "
                       f"({len(doc.spans)} here: {change})")))
        if split is not None and is_frozen(ws, conn=conn):
            now_split = split_of(ws, ids, conn=conn)
            for key, (f, doc) in wanted.items():
                if (now_split.get(key[0]) == "test") != (split == "test"):
                    problems.append((doc.line, named(
                        f, f"{key[0]}: would {'join' if split == 'test' else 'leave'} the "
                           "frozen test split")))
        if problems:
            raise _fail(name, problems, root, unknown, labels)
        stamp = now()
        if records:
            report.created = write_records(ws.store, conn, list(records.values()),
                                           sources=[str(root)]).added
        t = ws.store.t.span_sets
        for key, (f, doc) in wanted.items():
            item_id, who = key
            row = before.get(key)
            if key in same or (row is not None and int(row.id) in fits and
                               _comparable(old_spans[int(row.id)]) == _comparable(full[key])):
                report.unchanged += 1
                continue
            if row is not None:
                conn.execute(t.update().where(t.c.item_id == item_id, t.c.annotator == who,
                                              t.c.kind == GOLD, t.c.active.is_(True))
                             .values(active=False))
                report.replaced += 1
            if key in base:
                report.updates.append({"item_id": item_id,
                                       **_span_changes(base[key], view(f, doc.spans))})
            record_spans(conn, ws, item_id, texts[item_id], sort_spans(full[key]),
                         annotator=who, source=f.name, stamp=stamp)
            report.added += 1
            report.spans += len(doc.spans)
        for _, doc in wanted.values():
            for s in doc.spans:
                if s.layer == MAIN_LAYER:
                    report.labels[s.label] = report.labels.get(s.label, 0) + 1
        # the items of files unchanged since glamlab exported them keep their split: an
        # export imported back as it was is no decision to move them (and must never
        # move an item across a frozen test split, which is checked for ``wanted`` only)
        if split is not None and ids:
            _set_splits(conn, ws, {i: split for i in ids})
            report.split_items = len(ids)
        elif ids and is_frozen(ws, conn=conn):
            report.unsplit = len(set(ids) - set(split_of(ws, ids, conn=conn)))
        report.items = len(ids) + len(as_exported)
        report.nul_cleaned = sum(1 for _, doc in wanted.values() if doc.nul_removed)
        ws.store.audit(conn, annotator or "import", "spans.import", name, files=len(files),
                       format=fmt_name, items=len(ids), sets=report.added,
                       spans=report.spans, created=report.created, replaced=report.replaced,
                       split=split)
    return report


def _kind(path: Path, formats: set[str]) -> str:
    return next(iter(formats)) if len(formats) == 1 else path.suffix.lstrip(".").lower()


def gold_spans(ws: Workspace, ids: Sequence[str] | None = None, *,
               layer: str | None = MAIN_LAYER,
               conn: sa.Connection | None = None) -> dict[str, list[Span]]:
    """item id -> its gold spans (of ``layer``; all layers with ``layer=None``), in reading
    order, for every item with a gold set (an empty list: labelled, no entity)."""
    if conn is None:
        with ws.store.read() as c:
            return gold_spans(ws, ids, layer=layer, conn=c)
    t = ws.store.t.span_sets
    if ids is None:
        latest = {r.item_id: r for r in conn.execute(
            sa.select(t).where(t.c.kind == GOLD, t.c.active.is_(True)).order_by(t.c.id))}
    else:
        latest = _active_sets(conn, ws, ids)
    spans = _spans_of_sets(conn, ws, [r.id for r in latest.values()])
    return {item_id: [s for s in spans[int(r.id)] if layer is None or s.layer == layer]
            for item_id, r in sorted(latest.items())}


def gold_span_sets(ws: Workspace, item_id: str) -> list[dict[str, Any]]:
    """Every active gold annotation of one item (one per annotator, latest first), for
    agreement and for the review screen's history."""
    t = ws.store.t.span_sets
    with ws.store.read() as conn:
        rows = list(conn.execute(sa.select(t).where(
            t.c.item_id == item_id, t.c.kind == GOLD, t.c.active.is_(True))
            .order_by(t.c.id.desc())))
        spans = _spans_of_sets(conn, ws, [r.id for r in rows])
    return [{"set_id": r.id, "annotator": r.annotator, "source": r.source,
             "created_at": r.created_at, "text_hash": r.text_hash,
             "spans": spans[int(r.id)]} for r in rows]


def save_spans(ws: Workspace, item_id: str, spans: Sequence[Span], *, annotator: str,
               source: str = "review") -> int:
    """A person's spans for one item (a review correction, a new annotation): checked
    against the item's text and the project's labels, then stored as that person's
    latest gold set, which makes it the item's gold (and training data for ``retrain``).
    Returns the set id. Raises :class:`~glamlab.errors.LabelError` naming the problem."""
    with ws.store.write() as conn:
        return store_person_spans(conn, ws, item_id, spans, annotator=annotator,
                                  source=source)


def item_text(conn: sa.Connection, ws: Workspace, item_id: str, what: str) -> str:
    """The current text of ``item_id``; one :class:`LabelError` naming the item when there
    is no such item, or it has no text (``what``: what the text was wanted for)."""
    current = _current_items(conn, ws, [item_id])
    if item_id not in current:
        raise LabelError(f"no item with id {item_id!r}", item=item_id,
                         hint="check the id with glamlab items list")
    text = current[item_id][0]
    if text is None:
        raise LabelError(f"item {item_id!r} has no text {what}", item=item_id,
                         hint="spans go on text items (or page images with OCR text)")
    return text


def store_person_spans(conn: sa.Connection, ws: Workspace, item_id: str,
                       spans: Sequence[Span], *, annotator: str, source: str = "review") -> int:
    """:func:`save_spans` in the caller's write transaction (review decisions and the
    labelling page, through the ``entities`` task kind's ``write_gold``)."""
    text = item_text(conn, ws, item_id, "to put spans on")
    problems = check_spans(text, spans, labels=ws.card.labels, item_id=item_id)
    if problems:
        raise LabelError("; ".join(msg for _, msg in problems), item=item_id,
                         hint="fix the spans and save again", rows=problems)
    t = ws.store.t.span_sets
    conn.execute(t.update().where(t.c.item_id == item_id, t.c.annotator == annotator,
                                  t.c.kind == GOLD, t.c.active.is_(True))
                 .values(active=False))
    set_id = record_spans(conn, ws, item_id, text, sort_spans(spans),
                          annotator=annotator, source=source)
    ws.store.audit(conn, annotator, "spans.save", item_id, set_id=set_id,
                   spans=len(spans), source=source)
    return set_id


@dataclass
class SpanData:
    """Items of one split with their gold spans (main layer), in item id order."""

    split: str
    items: list[Item]
    spans: list[list[Span]]
    stale: list[str]  # items whose text changed since their spans were given (left out)

    def __len__(self) -> int:
        return len(self.items)


def span_data(ws: Workspace, split: str = "train") -> SpanData:
    """The gold spans of the train (or test) split, with their items. Items whose text
    changed since their spans were given (a new item version) are left out and named in
    ``stale``: their offsets index another text."""
    from ..splits import split_of

    if split not in SPLITS:
        raise LabelError(f"unknown split {split!r}", hint="use train or test")
    with ws.store.read() as conn:
        splits = split_of(ws, conn=conn)
        wanted = sorted(i for i, s in splits.items() if s == split)
        sets = _active_sets(conn, ws, wanted)
        spans = _spans_of_sets(conn, ws, [r.id for r in sets.values()])
        fits = fitting_span_sets(conn, [r.id for r in sets.values()])
    items, out, stale = [], [], []
    for item in ws.items(ids=list(sets)):
        row = sets[item.item_id]
        if item.text is None or int(row.id) not in fits:
            stale.append(item.item_id)
            continue
        items.append(item)
        out.append([s for s in spans[int(row.id)] if s.layer == MAIN_LAYER])
    return SpanData(split=split, items=items, spans=out, stale=stale)


def split_spans(ws: Workspace, *, test_size: float = 0.3, seed: int = 0,
                group_by: str | None = "document_id", force: bool = False) -> dict[str, Any]:
    """Put the items with gold spans in the train and test splits, stratified by the
    entity types they hold and grouped by ``group_by`` (item metadata; by default the
    document, so that no document has sentences on both sides). The same stratified
    group split as :func:`glamlab.tasks.split_labels`; a frozen split needs ``force``.
    Texts labelled in review stay in their split, and texts a saved model learned from
    in the train split, with the other texts of their group (``kept``, ``learned``,
    ``kept_with``: :func:`glamlab.tasks.splits.keep_in_place`)."""
    import numpy as np

    from ..splits import _group_value, is_frozen, keep_in_place, split_around
    from .complete import reviewed_texts

    if not 0.0 < test_size < 1.0:
        raise LabelError(f"test size must be between 0 and 1, not {test_size:g}",
                         hint="e.g. test_size=0.3")
    gold = gold_spans(ws)
    if not gold:
        raise LabelError("no item has gold spans", hint="import them first (import_spans)")
    ids = sorted(gold)
    classes = list(ws.card.labels)
    index = {c: i for i, c in enumerate(classes)}
    Y = np.zeros((len(ids), len(classes)), dtype=np.int8)
    for r, item_id in enumerate(ids):
        for s in gold[item_id]:
            if s.label in index:
                Y[r, index[s.label]] = 1
    groups: list[Any] = []
    ungrouped = 0
    items = {i.item_id: i for i in ws.items(ids=ids)}
    for item_id in ids:
        value = _group_value(items[item_id], group_by) if group_by else None
        if value is None:
            ungrouped += 1
            value = f"item:{item_id}"
        groups.append(value)
    with ws.store.write() as conn:
        frozen = is_frozen(ws, conn=conn)
        if frozen and not force:
            raise LabelError("the test split is frozen (it has been evaluated against)",
                             hint="keep it, or pass force=True (logged) to split again")
        reviewed = reviewed_texts(ws, ids, conn)
        pinned, learned = keep_in_place(conn, ws, ids, groups, reviewed)
        mask = split_around(Y, ids, groups, pinned, test_size, seed, learned=len(learned))
        _set_splits(conn, ws, {i: ("test" if m else "train") for i, m in zip(ids, mask,
                                                                            strict=True)})
        ws.store.audit(conn, "glamlab", "split.create", None, test_size=test_size, seed=seed,
                       group_by=group_by, items=len(ids), forced=bool(frozen), kind="spans",
                       kept=len(reviewed), learned=len(learned - reviewed))
    return {"train": int((~mask).sum()), "test": int(mask.sum()), "groups": len(set(groups)),
            "ungrouped": ungrouped, "group_by": group_by, "kept": len(reviewed),
            "learned": len(learned - reviewed),
            "kept_with": len(pinned) - len(reviewed | learned)}


def span_counts(ws: Workspace) -> dict[str, Any]:
    """How many gold spans of each label, and items, by split (main layer)."""
    from ..splits import split_of

    gold = gold_spans(ws)
    splits = split_of(ws, list(gold))
    counts: dict[str, dict[str, int]] = {}
    totals = {"train": 0, "test": 0, "unsplit": 0}
    for item_id, spans in gold.items():
        s = splits.get(item_id, "unsplit")
        totals[s] += 1
        for span in spans:
            counts.setdefault(span.label, {"train": 0, "test": 0, "unsplit": 0})[s] += 1
    return {"items": len(gold), "splits": totals,
            "labels": [{"label": k, **v, "total": sum(v.values())}
                       for k, v in sorted(counts.items())]}


__all__ = ["FORMATS", "GOLD", "PREDICTION", "GoldBase", "SpanData", "SpanImportReport",
           "carried", "carry_over", "detect_format", "earlier_text", "fitting_spans", "gold_span_sets",
           "gold_spans", "gold_to_build_on", "import_spans", "read_span_file", "record_spans",
           "save_spans", "span_counts", "span_data", "split_spans", "store_person_spans",
           "text_hash"]
