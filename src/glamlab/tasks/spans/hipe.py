"""The HIPE / CoNLL-style IOB TSV of the HIPE-2020 and HIPE-2022 shared tasks.

One token a line, ten tab-separated columns named by the first line::

    TOKEN  NE-COARSE-LIT  NE-COARSE-METO  NE-FINE-LIT  NE-FINE-METO  NE-FINE-COMP
    NE-NESTED  NEL-LIT  NEL-METO  MISC

``#`` lines without the columns are comments: ``# hipe2022:document_id = ...`` starts a
document; ``date``, ``language``, ``dataset``, ``publication_title``/``newspaper`` and
``original_license`` describe it (HIPE-2020 v0.9 files put ``language``, ``newspaper``
and ``date`` *before* ``document_id``; both orders are read). A line that has the ten
columns is a token even when it starts with ``#`` (OCR reads ``#`` in real newspapers).

What becomes of it:

- the text of each *segment* (a sentence, cut after tokens whose MISC has
  ``EndOfSentence``; or the whole document with ``segment="document"``) is the tokens
  joined by a space, or nothing after ``NoSpaceAfter``; in a whole document a token
  flagged ``EndOfLine`` is followed by a line break (the OCR's lines, as ALTO gives
  them: ``pro¬`` / ``posé``). OCR noise and hyphenation (``¬``) are kept. This is exactly how the shared ``labels.csv`` of
  ``data/ner`` was built, with the same item ids (``<dataset>-<lang>-<document>-s000``).
- spans come from the BIO tags: ``NE-COARSE-LIT`` is the main layer (``entity``), with
  ``NEL-LIT`` as the authority id (a Wikidata QID, or ``NIL``, read in any case) and ``NE-FINE-LIT`` kept as
  ``attrs["fine"]``; ``NE-COARSE-METO`` (with ``NEL-METO``) is the ``metonymic`` layer and
  ``NE-NESTED`` the ``nested`` layer. ``_`` (not annotated in this dataset) reads as ``O``.
  An ``I-`` tag that does not continue an entity of its type starts one (as the HIPE
  scorer reads it).
- types map to the project's labels through ``label_map`` (default :data:`HIPE_TYPES`:
  ``pers/loc/org/prod/time`` and NewsEye's ``PER/LOC/ORG/HumanProd`` to
  ``PER/LOC/ORG/PROD/TIME``); a type that maps to ``None`` is dropped.
- item metadata: ``dataset``, ``lang``, ``document_id``, ``date`` (absent for ``NA``),
  ``publication``, ``license``, ``segment`` (the sentence number) and ``source``. The
  dataset and language come from the document's comment lines, else from a file named
  ``DATASET-LANG.tsv`` (``hipe2020-fr.tsv``); a document with neither is refused, saying
  which is missing and how to give it. No default: they begin every item id, and ids
  made up from any file name would change when the file is renamed (a second import
  would make new items beside the first).

Sentences: HIPE-2022 files carry ``EndOfSentence`` flags (made by pySBD). The HIPE-2020
v0.9 training files carry none; for those, sentence mode runs pySBD 0.3.4 over each
document's text (``pip install 'glamlab[entities]'``), which reproduces HIPE's own flags.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import LabelError, MissingDependency
from .model import MAIN_LAYER, Span, SpanDoc, typed_authority_id

FORMAT = "hipe"
COLUMNS = ("TOKEN", "NE-COARSE-LIT", "NE-COARSE-METO", "NE-FINE-LIT", "NE-FINE-METO",
           "NE-FINE-COMP", "NE-NESTED", "NEL-LIT", "NEL-METO", "MISC")
# (tag column, layer, link column, fine-type column)
LAYERS = (("NE-COARSE-LIT", MAIN_LAYER, "NEL-LIT", "NE-FINE-LIT"),
          ("NE-COARSE-METO", "metonymic", "NEL-METO", "NE-FINE-METO"),
          ("NE-NESTED", "nested", None, None))
HIPE_TYPES: dict[str, str | None] = {
    "pers": "PER", "loc": "LOC", "org": "ORG", "prod": "PROD", "time": "TIME",
    "PER": "PER", "LOC": "LOC", "ORG": "ORG", "HumanProd": "PROD", "PROD": "PROD",
    "TIME": "TIME",
}
#: the entity types in words, for pages a curator reads (exports and the CLI keep the codes)
TYPE_WORDS = {"PER": "people", "LOC": "places", "ORG": "organisations",
              "PROD": "products (works, titles)", "TIME": "dates and times",
              "MISC": "other names"}


def type_words(code: str) -> str:
    """An entity type in words with its code after it, ``places (LOC)``; a type with no
    words (a project's own) as it is."""
    words = TYPE_WORDS.get(code)
    return f"{words} ({code})" if words else code


SEGMENTS = ("sentence", "document")
_META_KEYS = {"document_id": "document_id", "date": "date", "language": "lang",
              "dataset": "dataset", "publication_title": "publication",
              "newspaper": "publication", "original_license": "license"}
_EMPTY = {"", "_", "NA", "N/A"}
_STEM_RE = re.compile(r"^([A-Za-z0-9]+)-([a-z]{2,3})$")
_PYSBD_LANGS = {"fr", "de", "en", "it", "es", "nl"}


@dataclass
class _Token:
    text: str
    tags: dict[str, str]
    misc: set[str]
    line: int


@dataclass
class _Document:
    document_id: str
    line: int
    meta: dict[str, str] = field(default_factory=dict)
    tokens: list[_Token] = field(default_factory=list)


def sniff(head: str) -> bool:
    """Does the start of a file look like HIPE TSV?"""
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    return first.startswith("TOKEN\t") or first.startswith("# hipe20") or bool(
        re.match(r"# (language|newspaper|date|document_id) = ", first))


def _comment(line: str) -> tuple[str, str] | None:
    body = line[1:].strip()
    key, sep, value = body.partition("=")
    if not sep:
        return None
    key = key.strip().rpartition(":")[2]
    return key, value.strip()


def _documents(path: Path, problems: list[tuple[int, str]]) -> Iterator[_Document]:
    columns = list(COLUMNS)
    pending: dict[str, str] = {}
    doc: _Document | None = None
    header_seen = False
    # read whole before parsing: a caller that stops early never leaves the file open
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            lines = fh.readlines()
    except OSError as exc:
        raise LabelError(f"cannot read {path}: {exc.strerror}", hint="check the path") from exc
    except UnicodeDecodeError as exc:
        raise LabelError(f"{path.name} is not UTF-8 text",
                         hint="save it as UTF-8 and import it again") from exc
    for n, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        fields = line.split("\t")
        if fields[0] == "TOKEN" and not header_seen:
            columns = fields
            header_seen = True
            missing = [c for c in ("TOKEN", "NE-COARSE-LIT", "MISC") if c not in columns]
            if missing:
                raise LabelError(f"{path.name} line {n}: the header has no "
                                 f"{', '.join(missing)} column",
                                 hint="use the HIPE TSV header (TOKEN, NE-COARSE-LIT, "
                                      "..., MISC)")
            continue
        if line.startswith("#") and len(fields) != len(columns):
            kv = _comment(line)
            if kv is None:
                continue
            key, value = kv
            if key == "document_id":
                if doc is not None:
                    yield doc
                doc = _Document(document_id=value, line=n, meta=dict(pending))
                pending = {}
            elif key in _META_KEYS:
                if doc is not None and not doc.tokens:
                    doc.meta[key] = value
                else:
                    pending[key] = value
            continue
        if len(fields) != len(columns):
            problems.append((n, f"{len(fields)} tab-separated columns, not "
                                f"{len(columns)} ({', '.join(columns)})"))
            continue
        if doc is None:
            problems.append((n, "a token before any '# document_id = ...' line"))
            continue
        pending = {}
        row = dict(zip(columns, fields, strict=True))
        doc.tokens.append(_Token(text=row["TOKEN"], tags=row,
                                 misc=set(row.get("MISC", "").split("|")), line=n))
    if doc is not None:
        yield doc


def _sentence_ends(doc: _Document, lang: str) -> set[int]:
    """Token indexes that end a sentence, by pySBD over the document's text (for files
    without ``EndOfSentence`` flags)."""
    try:
        import pysbd
    except ImportError as exc:
        raise MissingDependency("pysbd", "entities") from exc
    text, starts = [], []
    pos = 0
    for tok in doc.tokens:
        starts.append(pos)
        text.append(tok.text)
        pos += len(tok.text)
        if "NoSpaceAfter" not in tok.misc:
            text.append(" ")
            pos += 1
    joined = "".join(text)
    seg = pysbd.Segmenter(language=lang if lang in _PYSBD_LANGS else "en", clean=False,
                          char_span=True)
    ends: set[int] = set()
    token = 0
    for sent in seg.segment(joined):
        while token + 1 < len(starts) and starts[token + 1] < sent.end:
            token += 1
        if starts[token] < sent.end:
            ends.add(token)
    return ends


def _runs(tokens: list[_Token], column: str,
          problems: list[tuple[int, str]]) -> Iterator[tuple[str, int, int]]:
    """(type, first token, last token) of each entity a BIO column tags."""
    current: tuple[str, int, int] | None = None
    for i, tok in enumerate(tokens):
        tag = tok.tags.get(column, "O")
        prefix, _, kind = tag.partition("-")
        if tag in _EMPTY or tag == "O" or prefix not in ("B", "I") or not kind:
            if not (tag in _EMPTY or tag == "O"):
                problems.append((tok.line, f"{column} tag {tag!r} is not O, B-TYPE or I-TYPE"))
            if current is not None:
                yield current
            current = None
        elif prefix == "I" and current is not None and current[0] == kind:
            current = (kind, current[1], i)
        else:
            if current is not None:
                yield current
            current = (kind, i, i)
    if current is not None:
        yield current


def _orphans(tokens: list[_Token]) -> Iterator[tuple[int, str, str]]:
    """The tokens of one document whose ``I-TYPE`` tag continues no entity of that type
    (after ``O``, or after another type): ``(line, tag, the tag before it)``. An ``I-``
    at the start of a sentence inside an entity continues it (not one of these)."""
    for column, *_ in LAYERS:
        before = "O"
        for tok in tokens:
            tag = tok.tags.get(column)
            if tag is None:
                break
            tag = "O" if tag in _EMPTY else tag
            if tag.startswith("I-") and before[2:] != tag[2:]:
                yield tok.line, tag, before
            before = tag if tag[:2] in ("B-", "I-") else "O"


def _build(tokens: list[_Token], *, line_breaks: bool, types: Mapping[str, str | None],
           problems: list[tuple[int, str]]) -> tuple[str, list[Span], list[int]]:
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    pos = 0
    for i, tok in enumerate(tokens):
        offsets.append((pos, pos + len(tok.text)))
        parts.append(tok.text)
        pos += len(tok.text)
        if i + 1 < len(tokens):
            if line_breaks and "EndOfLine" in tok.misc:
                sep = "\n"
            else:
                sep = "" if "NoSpaceAfter" in tok.misc else " "
            parts.append(sep)
            pos += len(sep)
    text = "".join(parts)
    spans: list[Span] = []
    lines: list[int] = []
    for column, layer, link_column, fine_column in LAYERS:
        if column not in tokens[0].tags:
            continue
        for kind, first, last in _runs(tokens, column, problems):
            coarse = kind.partition(".")[0]  # NE-NESTED holds fine types (loc.adm.town)
            if coarse not in types:
                problems.append((tokens[first].line, f"unknown {column} type {kind!r}"
                                 f" (known: {', '.join(sorted(types))})"))
                continue
            label = types[coarse]
            if label is None:
                continue
            start, end = offsets[first][0], offsets[last][1]
            link = tokens[first].tags.get(link_column or "", "_")
            attrs: dict[str, Any] = {}
            fine = tokens[first].tags.get(fine_column or "", "_")
            if fine[:2] in ("B-", "I-"):
                attrs["fine"] = fine[2:]
            elif kind != coarse:
                attrs["fine"] = kind
            if first == 0 and tokens[0].tags[column].startswith("I-"):
                attrs["continued"] = True  # cut by a sentence boundary inside the entity
            spans.append(Span(start=start, end=end, label=label, layer=layer,
                              # nil in any case is NIL (as the page, the API
                              # and JSONL read it)
                              authority_id=None if link in _EMPTY
                              else typed_authority_id(link),
                              text=text[start:end], attrs=attrs))
            lines.append(tokens[first].line)
    return text, spans, lines


def _missing(document_id: str, name: str, dataset: str | None, lang: str | None) -> str:
    """What a document lacks of its dataset and language (both are part of its item ids),
    where they were looked for, and how to give them."""
    missing = [k for k, v in (("dataset", dataset), ("language", lang)) if not v]
    lines = " or ".join(f"'# {k} = ...'" for k in missing)
    fix = (f"a '# {missing[0]} = {'NAME' if missing[0] == 'dataset' else 'fr'}' line"
           if len(missing) == 1 else "'# dataset = NAME' and '# language = fr' lines")
    stem = f"{dataset or 'NAME'}-{lang or 'LANG'}.tsv"
    return (f"document {document_id!r}: no {' and no '.join(missing)}, which its item ids "
            f"begin with (no {lines} line in its comments, and the file name {name!r} is "
            f"not DATASET-LANG.tsv such as hipe2020-fr.tsv); fix: add {fix} to the "
            f"document's comment lines, or name the file {stem}")


def read_hipe(path: str | Path, *, segment: str = "sentence",
              label_map: Mapping[str, str | None] | None = None,
              problems: list[tuple[int, str]] | None = None,
              warnings: list[str] | None = None) -> Iterator[SpanDoc]:
    """The items (sentences or documents) of a HIPE TSV file, with their spans.

    Problems a line has are appended to ``problems`` (line, message) and the line is left
    out; :func:`~glamlab.tasks.spans.import_spans` refuses the file when there are any.
    What is read all the same but may not be what the file meant (an ``I-`` tag that
    continues no entity) is said in ``warnings``, one message for the file."""
    if segment not in SEGMENTS:
        raise LabelError(f"unknown segment {segment!r}", hint="use sentence or document")
    p = Path(path)
    problems = problems if problems is not None else []
    types = dict(HIPE_TYPES if label_map is None else label_map)
    stem = _STEM_RE.match(p.stem)
    before = len(problems)
    read_tokens = 0
    orphans: list[tuple[int, str, str]] = []  # (line, its tag, the tag before it)
    for doc in _documents(p, problems):
        read_tokens += len(doc.tokens)
        orphans.extend(_orphans(doc.tokens))
        meta = {_META_KEYS[k]: v for k, v in doc.meta.items()
                if k in _META_KEYS and v not in _EMPTY}
        dataset = meta.get("dataset") or (stem.group(1) if stem else None)
        lang = meta.get("lang") or (stem.group(2) if stem else None)
        if not dataset or not lang:
            problems.append((doc.line, _missing(doc.document_id, p.name, dataset, lang)))
            continue
        meta.update(dataset=dataset, lang=lang, document_id=doc.document_id, source=p.name)
        if not doc.tokens:
            continue
        base = f"{dataset}-{lang}-{doc.document_id}"
        if segment == "document":
            text, spans, lines = _build(doc.tokens, line_breaks=True, types=types,
                                        problems=problems)
            yield SpanDoc(item_id=base, text=text, spans=spans, line=doc.line,
                          span_lines=lines, meta=meta)
            continue
        if any("EndOfSentence" in t.misc for t in doc.tokens):
            ends = {i for i, t in enumerate(doc.tokens) if "EndOfSentence" in t.misc}
        else:
            ends = _sentence_ends(doc, lang)
        start = 0
        number = 0
        for i in range(len(doc.tokens)):
            if i in ends or i == len(doc.tokens) - 1:
                tokens = doc.tokens[start:i + 1]
                text, spans, lines = _build(tokens, line_breaks=False, types=types,
                                            problems=problems)
                yield SpanDoc(item_id=f"{base}-s{number:03d}", text=text, spans=spans,
                              line=tokens[0].line, span_lines=lines,
                              meta={**meta, "segment": number})
                number += 1
                start = i + 1
    if orphans and warnings is not None:
        orphans.sort()
        n = len(orphans)
        line, tag, after = orphans[0]
        shown = ", ".join(str(x[0]) for x in orphans[:5]) + (f" and {n - 5:,} more"
                                                             if n > 5 else "")
        where = f"line {line}" if n == 1 else f"lines {shown}; the first, line {line}"
        warnings.append(
            f"{n:,} {'entity begins' if n == 1 else 'entities begin'} with an I- tag that "
            f"continues no entity ({where}: {tag!r} after {after!r}, not after "
            f"B-{tag[2:]} or {tag!r}): "
            f"{'it was' if n == 1 else 'each was'} read as an entity starting there, as "
            "the HIPE scorer reads it; if the file meant otherwise, correct the tags there "
            "and import it again")
    if not read_tokens and len(problems) == before:  # a header only, or comments only
        problems.append((0, "no tokens: the file has only a header or comment lines (a "
                            "HIPE TSV gives one token a line, with its tags, after a "
                            "'# document_id = ...' line); the file is cut short or empty, "
                            "give the complete file"))


__all__ = ["COLUMNS", "FORMAT", "HIPE_TYPES", "LAYERS", "SEGMENTS", "TYPE_WORDS", "read_hipe",
           "sniff", "type_words"]
