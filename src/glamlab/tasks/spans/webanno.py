"""WebAnno TSV 3.3, the tab-separated format INCEpTION (and WebAnno) import and export.

The format (INCEpTION's user guide, "WebAnno TSV 3.3 File format"):

- a header: ``#FORMAT=WebAnno TSV 3.3``, then one ``#T_SP=`` (span), ``#T_CH=`` (chain) or
  ``#T_RL=`` (relation) line per layer naming its features (``|``-separated), then two
  empty lines;
- sentences separated by an empty line: an optional ``#Sentence.id=``, one ``#Text=`` line
  per line of the sentence, and one row per token (``1-2``) or sub-token (``1-2.1``):
  ``id<TAB>begin-end<TAB>token<TAB>`` and one column per feature, each followed by a tab;
- a column holds ``_`` (no annotation), ``*`` (an annotation whose feature is empty), or
  the value, ``|``-separated when annotations are stacked, each with ``[N]`` when it
  spans several tokens or is stacked (the same ``N`` on every token it covers);
- reserved characters in values are escaped with ``\\``; offsets count UTF-16 code units
  (a character above U+FFFF counts twice), glamlab's offsets count characters;
- INCEpTION rebuilds the document text from the ``#Text=`` lines: each sentence is
  placed at its first token and followed by a line break (dropped when the next sentence
  starts right there), and the space up to the next sentence's first token is filled
  with spaces (so the writer puts all the whitespace after a sentence's last word, blank
  lines, tabs starting a line, into its ``#Text=`` lines, and the text comes back as it
  was). Only whitespace before the text's first word cannot be carried: it comes back as
  spaces of the same length (:func:`lost_lead`; the offsets stay right).

Entities are the named-entity layer ``de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity``
with its features ``value`` (the type: a span's label) and ``identifier`` (the linked
record: its authority id, ``nil`` in any case read as NIL); other layers and columns are
read past. A different span layer (a custom ``webanno.custom.Entity|label`` layer, say)
is read with ``layer=`` and ``label_feature=``.

:func:`write_webanno` writes one item as a document INCEpTION imports: one sentence a
line of the text (a line break inside an entity keeps the lines together), tokens split
at whitespace and at every entity boundary, one ``NamedEntity`` per span of the main layer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ...errors import LabelError
from .model import MAIN_LAYER, Span, SpanDoc, shown, typed_authority_id

FORMAT = "webanno"
NAMED_ENTITY = "de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"
HEADER = "#FORMAT=WebAnno TSV 3.3"
_FORMAT_RE = re.compile(r"^#FORMAT=WebAnno TSV 3\.(\d+)\s*$")
_ROW_ID_RE = re.compile(r"^(\d+)-(\d+)(?:\.(\d+))?$")
_OFFSETS_RE = re.compile(r"^(\d+)-(\d+)$")
_DISAMBIGUATION_RE = re.compile(r"^(.*?)\[(\d+)\]$", re.S)
_VALUE_ESCAPES = [("\\\\", "\\"), ("\\[", "["), ("\\]", "]"), ("\\|", "|"), ("\\_", "_"),
                  ("\\->", "->"), ("\\;", ";"), ("\\t", "\t"), ("\\n", "\n"), ("\\*", "*")]
_TEXT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", "\b": "\\b",
                 "\\": "\\\\"}
_TEXT_ESCAPES.update({chr(c): "\\" + chr(c) for c in range(32) if not 7 < c < 14})


def sniff(head: str) -> bool:
    return head.lstrip("\ufeff").startswith("#FORMAT=WebAnno TSV")


# -- escaping ------------------------------------------------------------------------
def escape_value(value: str) -> str:
    out = []
    i = 0
    while i < len(value):
        if value.startswith("->", i):
            out.append("\\->")
            i += 2
            continue
        ch = value[i]
        out.append({"\\": "\\\\", "[": "\\[", "]": "\\]", "|": "\\|", "_": "\\_", ";": "\\;",
                    "\t": "\\t", "\n": "\\n", "*": "\\*"}.get(ch, ch))
        i += 1
    return "".join(out)


def unescape_value(value: str) -> str:
    out = []
    i = 0
    while i < len(value):
        if value[i] == "\\":
            for esc, plain in _VALUE_ESCAPES:
                if value.startswith(esc, i):
                    out.append(plain)
                    i += len(esc)
                    break
            else:
                out.append("\\")
                i += 1
            continue
        out.append(value[i])
        i += 1
    return "".join(out)


def escape_text(text: str) -> str:
    return "".join(_TEXT_ESCAPES.get(ch, ch) for ch in text)


def unescape_text(text: str) -> str:
    reverse = {v: k for k, v in _TEXT_ESCAPES.items()}
    out = []
    i = 0
    while i < len(text):
        pair = text[i:i + 2]
        if text[i] == "\\" and pair in reverse:
            out.append(reverse[pair])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _split_unescaped(value: str, sep: str) -> list[str]:
    parts, current, i = [], [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            current.append(value[i:i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


# -- UTF-16 offsets ----------------------------------------------------------------------
def utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _utf16_index(text: str) -> list[int]:
    """``index[u]`` = the character offset of UTF-16 offset ``u`` (-1 inside a pair)."""
    index: list[int] = []
    for i, ch in enumerate(text):
        index.append(i)
        if ord(ch) > 0xFFFF:
            index.append(-1)
    index.append(len(text))
    return index


# -- reading ---------------------------------------------------------------------------
@dataclass
class _Layer:
    kind: str  # SP | CH | RL
    name: str
    features: list[str]

    @property
    def width(self) -> int:
        return max(1, len(self.features)) if self.kind == "SP" else len(self.features)


@dataclass
class _Annotation:
    label: str | None
    identifier: str | None
    begin: int
    end: int
    line: int


@dataclass
class _Sentence:
    text: list[str] = field(default_factory=list)
    line: int = 0
    first_token_begin: int | None = None


def item_id_for(path: Path) -> str:
    """The item a WebAnno file is about: ``annotation/<doc>/<user>.tsv`` (and
    ``curation/<doc>/...``) in an INCEpTION project export name the document by the
    folder; otherwise the file name without ``.tsv`` (and a ``.txt`` before it)."""
    if path.parent.parent.name in ("annotation", "curation") and path.parent.name:
        name = path.parent.name
    else:
        name = path.name[:-4] if path.name.lower().endswith(".tsv") else path.stem
    for suffix in (".txt", ".xmi", ".xml"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def annotator_for(path: Path) -> str | None:
    """``annotation/<doc>/<user>.tsv``: the user; ``curation/...``: "curation"."""
    if path.parent.parent.name == "annotation":
        return path.stem
    if path.parent.parent.name == "curation":
        return "curation"
    return None


def read_webanno(path: str | Path, *, item_id: str | None = None, layer: str = NAMED_ENTITY,
                 label_feature: str = "value", id_feature: str = "identifier",
                 problems: list[tuple[int, str]] | None = None) -> Iterator[SpanDoc]:
    """The one document of a WebAnno TSV 3.2/3.3 file, its text as INCEpTION rebuilds it
    (less the final line break) and the spans of ``layer``.

    Line problems go to ``problems``; a file that is not WebAnno TSV, or lacks the layer,
    raises :class:`~glamlab.errors.LabelError`."""
    p = Path(path)
    problems = problems if problems is not None else []
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise LabelError(f"cannot read {p}: {exc.strerror}", hint="check the path") from exc
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LabelError(f"{p.name} is not UTF-8 text",
                         hint="WebAnno TSV is always UTF-8: export it again from INCEpTION") from exc
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if not lines or not _FORMAT_RE.match(lines[0]) or int(_FORMAT_RE.match(lines[0]).group(1)) < 2:  # type: ignore[union-attr]
        raise LabelError(f"{p.name} line 1: not WebAnno TSV 3.2 or 3.3 "
                         f"({shown(lines[0]) if lines else 'empty file'})",
                         hint="export the document from INCEpTION as 'WebAnno TSV v3.3'")
    layers: list[_Layer] = []
    n = 1
    while n < len(lines) and lines[n].startswith(("#T_SP=", "#T_CH=", "#T_RL=")):
        kind = lines[n][3:5]
        name, *features = lines[n][6:].split("|")
        layers.append(_Layer(kind, name, [f for f in features if f]))
        n += 1
    label_col = id_col = None
    col = 3
    for lay in layers:
        if lay.kind == "SP" and lay.name == layer:
            if label_feature in lay.features:
                label_col = col + lay.features.index(label_feature)
            if id_feature in lay.features:
                id_col = col + lay.features.index(id_feature)
            break
        col += lay.width
    if label_col is None:
        have = ", ".join(f"{x.name}|{'|'.join(x.features)}" for x in layers if x.kind == "SP")
        raise LabelError(f"{p.name}: no span layer {layer} with a {label_feature!r} feature "
                         f"(span layers here: {have or 'none'})",
                         hint="export with the Named Entity layer, or name your entity layer "
                              "and its type feature (layer=..., label_feature=...)")
    width = 3 + sum(x.width for x in layers)

    text16: list[str] = []  # the document text as INCEpTION rebuilds it
    length16 = 0
    annotations: dict[int, _Annotation] = {}
    singles: list[_Annotation] = []
    tokens: list[tuple[int, int, str, int]] = []  # (begin16, end16, token, line)
    sentence: _Sentence | None = None
    state = "space"
    for at in range(n, len(lines)):
        line = lines[at]
        lineno = at + 1
        if line == "":
            state = "space"
            sentence = None
            continue
        if line.startswith("#") and state in ("space", "header"):
            if state == "space":
                sentence = _Sentence(line=lineno)
                state = "header"
            assert sentence is not None
            if line.startswith("#Text="):
                sentence.text.append(unescape_text(line[len("#Text="):]))
            continue
        fields = line.split("\t")
        m_id = _ROW_ID_RE.match(fields[0])
        m_off = _OFFSETS_RE.match(fields[1]) if len(fields) > 1 else None
        if state == "space" or sentence is None:
            problems.append((lineno, "a token row outside a sentence (no #Text= line before it)"))
            continue
        if len(fields) < width or not m_id or not m_off:
            problems.append((lineno, f"not a token row: expected {width} tab-separated columns "
                                     "(id, begin-end, token and the layers' features), found "
                                     f"{len(fields)}"))
            continue
        begin, end = int(m_off.group(1)), int(m_off.group(2))
        if state == "header":  # the sentence's first token: place its text
            if length16 > begin:
                if length16 == begin + 1 and text16 and text16[-1].endswith("\n"):
                    text16[-1] = text16[-1][:-1]
                    length16 -= 1
                else:
                    problems.append((lineno, f"the sentence starts at {begin}, inside the "
                                             f"sentence before it (which ends at {length16})"))
            if length16 < begin:
                text16.append(" " * (begin - length16))
                length16 = begin
            joined = "\n".join(sentence.text) + "\n"
            text16.append(joined)
            length16 += utf16_len(joined)
            state = "token"
        if not m_id.group(3):
            tokens.append((begin, end, fields[2], lineno))
        labels = _column(fields[label_col])
        ids = _column(fields[id_col]) if id_col is not None else [(None, None)] * len(labels)
        if len(ids) != len(labels):
            problems.append((lineno, f"{len(labels)} {label_feature} values but {len(ids)} "
                                     f"{id_feature} values"))
            continue
        for (label, ref), (ident, _) in zip(labels, ids, strict=True):
            if ref is None:
                singles.append(_Annotation(label, ident, begin, end, lineno))
            elif ref in annotations:
                a = annotations[ref]
                a.begin, a.end = min(a.begin, begin), max(a.end, end)
            else:
                annotations[ref] = _Annotation(label, ident, begin, end, lineno)
    if state == "header" and sentence is not None and sentence.text and text16:
        problems.append((sentence.line, "the last sentence has no token rows after its "
                                        "#Text= line (the file is cut short); export it from "
                                        "INCEpTION again"))
    if not text16:  # no sentence: an empty item would come in, with no text to label
        problems.append((len(lines), "no sentence after the header (no #Text= line with its "
                                     "token rows): the file is cut short, or its document "
                                     "is empty; export it from INCEpTION again"))
        return
    text = "".join(text16)
    index = _utf16_index(text)

    def chars(u: int) -> int | None:
        return index[u] if 0 <= u < len(index) and index[u] >= 0 else None

    for begin, end, token, lineno in tokens:
        b, e = chars(begin), chars(end)
        if b is None or e is None or text[b:e] != token:
            problems.append((lineno, f"token {shown(token)} at {begin}-{end} is not what the "
                                     f"#Text= lines hold there"
                                     + (f" ({shown(text[b:e])})" if b is not None
                                        and e is not None else "")))
    spans: list[Span] = []
    span_lines: list[int] = []
    for a in sorted([*annotations.values(), *singles], key=lambda a: (a.begin, a.line)):
        b, e = chars(a.begin), chars(a.end)
        if b is None or e is None:
            problems.append((a.line, f"annotation at {a.begin}-{a.end} is outside the text"))
            continue
        if a.label is None:
            problems.append((a.line, f"the entity {shown(text[b:e])} has no {label_feature} "
                                     "(no type)"))
            continue
        # nil in any case is NIL (as the page, the API and JSONL read it)
        spans.append(Span(start=b, end=e, label=a.label,
                          authority_id=typed_authority_id(a.identifier), text=text[b:e]))
        span_lines.append(a.line)
    if text.endswith("\n"):
        text = text[:-1]  # INCEpTION ends every sentence with a line break
    yield SpanDoc(item_id=item_id or item_id_for(p), text=text, spans=spans, line=1,
                  span_lines=span_lines, meta={"source": p.name}, annotator=annotator_for(p))


def _column(cell: str) -> list[tuple[str | None, int | None]]:
    """(value or None for ``*``, disambiguation id or None) of each stacked annotation."""
    if cell in ("_", ""):
        return []
    out: list[tuple[str | None, int | None]] = []
    for part in _split_unescaped(cell, "|"):
        ref = None
        m = _DISAMBIGUATION_RE.match(part)
        if m and not m.group(1).endswith("\\"):
            part, ref = m.group(1), int(m.group(2))
        out.append((None if part == "*" else unescape_value(part), ref))
    return out


# -- writing -------------------------------------------------------------------------
def _sentences(text: str, spans: list[Span]) -> list[tuple[int, int]]:
    """(start, end) of each sentence: the lines of the text, kept together where an
    entity crosses a line break; blank lines dropped."""
    inside = [False] * (len(text) + 1)
    for s in spans:
        for i in range(s.start, s.end):
            inside[i] = True
    out: list[tuple[int, int]] = []
    start = 0
    for i, ch in enumerate(text):
        if ch == "\n" and not inside[i]:
            out.append((start, i))
            start = i + 1
    out.append((start, len(text)))
    trimmed = []
    for a, b in out:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            trimmed.append((a, b))
    return trimmed


def _text_end(text: str, sentences: list[tuple[int, int]], k: int) -> int:
    """Where the #Text= lines of sentence ``k`` end: with all the whitespace after its last
    word, up to the next sentence's first word, so that blank lines, spaces before a line
    break, a CR, a tab or spaces starting the next line and the text's own last line
    breaks come back as they were (a reader, INCEpTION's too, places each sentence at its
    first token, and drops the line break it adds after a sentence when the next one
    starts right there); the last sentence takes the rest of the text (a reader drops the
    line break it adds after it).

    What comes before the text's first word cannot be carried: a reader places the first
    sentence at its first token and fills what is before it with spaces, and a sentence
    needs a token. See :func:`lost_lead`."""
    if k == len(sentences) - 1:
        return len(text)
    return sentences[k + 1][0]


def lost_lead(text: str) -> str:
    """The whitespace before ``text``'s first word that WebAnno TSV 3.3 cannot carry:
    INCEpTION (and :func:`read_webanno`) rebuild the text from the #Text= lines, each
    sentence placed at its first token and the room before the first one filled with
    spaces, so leading line breaks or tabs come back as spaces of the same length (the
    offsets stay right; a text imported back into its project is still the same text,
    but a new project gets the spaces). Empty when nothing is lost (no leading
    whitespace, or only spaces)."""
    lead = text[:len(text) - len(text.lstrip())]
    return "" if lead.strip(" ") == "" or lead == text else lead


def _tokens(text: str, start: int, end: int, cuts: set[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    i = start
    while i < end:
        if text[i].isspace():
            i += 1
            continue
        j = i + 1
        while j < end and not text[j].isspace() and j not in cuts:
            j += 1
        out.append((i, j))
        i = j
    return out


def write_webanno(out: IO[str], text: str, spans: Iterable[Span], *,
                  layer: str = MAIN_LAYER) -> int:
    """Write ``text`` and its spans of ``layer`` as one WebAnno TSV 3.3 document.

    Spans are trimmed of surrounding whitespace (the format cannot start or end an
    annotation between tokens); overlapping spans are written stacked. The text comes
    back from :func:`read_webanno` (and INCEpTION) as it is, but for line breaks or
    tabs before its first word, which come back as spaces (:func:`lost_lead`: the
    format cannot carry them; :func:`glamlab.actions.entity_export.write_inception_folder`
    warns of them). Returns the number of entities written."""
    chosen = [s for s in spans if s.layer == layer]
    for s in chosen:
        if not 0 <= s.start < s.end <= len(text):
            raise ValueError(f"span {s.start}-{s.end} {s.label} is outside the text "
                             f"(0-{len(text)})")
    trimmed: list[Span] = []
    for s in chosen:
        a, b = s.start, s.end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            trimmed.append(Span(start=a, end=b, label=s.label, authority_id=s.authority_id))
    cuts = {s.start for s in trimmed} | {s.end for s in trimmed}
    sentences = _sentences(text, trimmed)
    rows: list[tuple[int, list[tuple[int, int]]]] = []  # (sentence, tokens)
    covering: dict[tuple[int, int], list[int]] = {}
    all_tokens: list[tuple[int, int]] = []
    for k, (a, b) in enumerate(sentences):
        toks = _tokens(text, a, b, cuts)
        rows.append((k, toks))
        all_tokens.extend(toks)
    for n, s in enumerate(trimmed):
        for tok in all_tokens:
            if tok[0] >= s.start and tok[1] <= s.end:
                covering.setdefault(tok, []).append(n)
    width: dict[int, int] = {}  # tokens each entity covers
    for ns in covering.values():
        for n in ns:
            width[n] = width.get(n, 0) + 1
    stacked = {n for ns in covering.values() if len(ns) > 1 for n in ns}
    ids: dict[int, int] = {}  # disambiguation ids, in order of appearance
    for tok in all_tokens:
        for n in covering.get(tok, []):
            if (width[n] > 1 or n in stacked) and n not in ids:
                ids[n] = len(ids) + 1
    u16 = [0]
    for ch in text:
        u16.append(u16[-1] + (2 if ord(ch) > 0xFFFF else 1))
    out.write(f"{HEADER}\n#T_SP={NAMED_ENTITY}|identifier|value\n\n")
    for k, toks in rows:
        a = sentences[k][0]
        b = _text_end(text, sentences, k)
        out.write("\n")
        for part in text[a:b].split("\n"):
            out.write("#Text=" + escape_text(part) + "\n")
        for t, tok in enumerate(toks, start=1):
            names = covering.get(tok, [])
            if names:
                suffix = [f"[{ids[n]}]" if n in ids else "" for n in names]
                ident = "|".join((escape_value(trimmed[n].authority_id or "")
                                  if trimmed[n].authority_id else "*") + sfx
                                 for n, sfx in zip(names, suffix, strict=True))
                value = "|".join(escape_value(trimmed[n].label) + sfx
                                 for n, sfx in zip(names, suffix, strict=True))
            else:
                ident = value = "_"
            out.write(f"{k + 1}-{t}\t{u16[tok[0]]}-{u16[tok[1]]}\t{text[tok[0]:tok[1]]}\t"
                      f"{ident}\t{value}\t\n")
    return len(trimmed)


__all__ = ["FORMAT", "HEADER", "NAMED_ENTITY", "annotator_for", "escape_text", "escape_value",
           "item_id_for", "lost_lead", "read_webanno", "sniff", "unescape_text", "unescape_value",
           "utf16_len", "write_webanno"]
