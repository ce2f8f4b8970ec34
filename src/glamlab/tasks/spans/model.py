"""What a span is, and the checks every reader and writer applies to one.

A span is a stretch of an item's text: ``start`` and ``end`` are character offsets
(Python string indices, i.e. Unicode code points; ``end`` exclusive), ``label`` is the
entity type (one of the project's labels). Optionally it carries ``authority_id``
(the authority record it is linked to; ``"NIL"`` when a person or the linker said it
has none), ``score`` (a model's confidence), ``text`` (the covered text, a check on
the offsets) and ``layer``: spans of different layers may overlap (HIPE's nested and
metonymic entities), spans of one layer never do. ``attrs`` keeps what a format says
beyond that (HIPE's fine-grained type, for example).

This is glamlab's one span type: gold spans (readers, the span store), predicted spans
(:mod:`glamlab.predictors.entities`, which re-exports it from ``tokens``) and the
metrics (:mod:`glamlab.evaluation.spans`) all use it. A predictor gives every span a
``score``; a person's span has none. Positional order is ``(start, end, label, score)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAIN_LAYER = "entity"
NIL = "NIL"


def typed_authority_id(raw: object) -> str | None:
    """An authority id as a person typed it (a web form, the API, a file): the spaces
    around it dropped, ``nil`` in any case read as :data:`NIL` (the one spelling stored);
    None when empty."""
    s = "" if raw is None else str(raw).strip()
    if not s:
        return None
    return NIL if s.casefold() == NIL.casefold() else s
_SHOWN = 40


@dataclass
class Span:
    start: int
    end: int
    label: str
    score: float | None = None
    layer: str = MAIN_LAYER
    authority_id: str | None = None
    text: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, int, str, str]:
        """What makes two spans the same annotation: offsets, label and layer."""
        return (self.start, self.end, self.label, self.layer)

    def covered(self, text: str) -> str:
        return text[self.start:self.end]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the JSONL format's ``entities`` objects); empty fields left out."""
        out: dict[str, Any] = {"start": self.start, "end": self.end, "label": self.label}
        if self.text is not None:
            out["text"] = self.text
        if self.layer != MAIN_LAYER:
            out["layer"] = self.layer
        if self.authority_id is not None:
            out["authority_id"] = self.authority_id
        if self.score is not None:
            out["score"] = self.score
        if self.attrs:
            out["attrs"] = self.attrs
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Span:
        """Read the JSON form. ``type`` is accepted for ``label`` (the shared ``labels.csv``
        and spaCy-style files use it). Raises ``ValueError`` saying what is wrong."""
        if not isinstance(d, Mapping):
            raise ValueError(f"an entity must be an object with start, end and label, not {d!r}")
        label = d.get("label", d.get("type"))
        missing = [k for k, v in (("start", d.get("start")), ("end", d.get("end")),
                                  ("label", label)) if v is None]
        if missing:
            raise ValueError(f"an entity has no {' or '.join(missing)}: {_short(d)}")
        start, end = d["start"], d["end"]
        if not (_is_int(start) and _is_int(end)):
            raise ValueError(f"entity offsets must be whole numbers: {_short(d)}")
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"an entity label must be text: {_short(d)}")
        score = d.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
            raise ValueError(f"an entity score must be a number: {_short(d)}")
        authority = d.get("authority_id")
        attrs = d.get("attrs") or {}
        if not isinstance(attrs, Mapping):
            raise ValueError(f"an entity's attrs must be an object: {_short(d)}")
        return cls(start=int(start), end=int(end), label=label.strip(),
                   layer=str(d.get("layer") or MAIN_LAYER),
                   authority_id=typed_authority_id(authority),
                   score=None if score is None else float(score),
                   text=d.get("text") if isinstance(d.get("text"), str) else None,
                   attrs=dict(attrs))


@dataclass
class SpanDoc:
    """One item's text and spans as a file gives them, with the file's line numbers.

    ``text`` is None when the format does not carry it (the item must exist then).
    ``line`` is where the item starts in the file; ``span_lines[i]`` is the line of
    ``spans[i]`` (the line that names it, for error messages)."""

    item_id: str
    text: str | None
    spans: list[Span]
    line: int = 0
    span_lines: list[int] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    annotator: str | None = None
    nul_removed: int = 0  # NUL characters removed from ``text`` when it was read

    def line_of(self, i: int) -> int:
        return self.span_lines[i] if i < len(self.span_lines) else self.line


def _is_int(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (
        isinstance(v, float) and v.is_integer())


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def shown(text: str) -> str:
    """A piece of text for a message: quoted, control characters escaped, shortened."""
    return repr(_short(text))


def has_nul(value: Any) -> bool:
    """Whether a NUL character is in ``value`` or any string inside it (PostgreSQL can
    store none, in text or in JSON)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def check_spans(text: str, spans: Sequence[Span], *, labels: Iterable[str] | None = None,
                lines: Sequence[int] | None = None, line: int = 0,
                item_id: str | None = None) -> list[tuple[int, str]]:
    """Every problem with ``spans`` over ``text``, as (line number, message) pairs.

    A span outside the text or empty, a label not in ``labels`` (when given), a ``text``
    that is not what the offsets cover, and two spans of one layer that overlap."""
    allowed = set(labels) if labels is not None else None
    where = f"{item_id}: " if item_id else ""
    problems: list[tuple[int, str]] = []

    def at(i: int) -> int:
        return lines[i] if lines is not None and i < len(lines) else line

    for i, s in enumerate(spans):
        name = f"span {s.start}-{s.end} {s.label!r}"
        nul = [f for f, v in (("label", s.label), ("layer", s.layer),
                              ("authority id", s.authority_id), ("attrs", s.attrs))
               if has_nul(v)]
        if nul:
            problems.append((at(i), f"{where}{name}: its {' and '.join(nul)} "
                                    f"hold{'s' if len(nul) == 1 else ''} NUL characters "
                                    "(\\x00), which no store keeps: remove them"))
            continue
        name = f"span {s.start}-{s.end} {s.label}"
        if s.start < 0 or s.end > len(text) or s.start >= s.end:
            problems.append((at(i), f"{where}{name} is outside the text (0-{len(text)})"
                             if s.start < s.end else f"{where}{name} is empty or reversed"))
            continue
        if allowed is not None and s.label not in allowed:
            problems.append((at(i), f"{where}{name}: unknown label {s.label!r} (the task's "
                                    f"labels: {', '.join(sorted(allowed))})"))
        if s.text is not None and text[s.start:s.end] != s.text:
            problems.append((at(i), f"{where}{name} says {shown(s.text)} but the text there "
                                    f"reads {shown(text[s.start:s.end])}"))
    by_layer: dict[str, list[tuple[int, int]]] = {}
    for i, s in enumerate(spans):
        if 0 <= s.start < s.end <= len(text):
            by_layer.setdefault(s.layer, []).append((s.start, i))
    for layer, starts in by_layer.items():
        starts.sort()
        last: int | None = None
        for _, i in starts:
            s = spans[i]
            if last is not None and s.start < spans[last].end:
                p = spans[last]
                problems.append((at(i), f"{where}span {s.start}-{s.end} {s.label} overlaps span "
                                        f"{p.start}-{p.end} {p.label} (layer {layer!r})"))
                if s.end <= p.end:
                    continue
            last = i
    return problems


def sort_spans(spans: Iterable[Span]) -> list[Span]:
    """Spans in reading order: by start, then longer first, then layer and label."""
    return sorted(spans, key=lambda s: (s.start, -s.end, s.layer, s.label))


__all__ = ["MAIN_LAYER", "NIL", "Span", "SpanDoc", "check_spans", "shown", "sort_spans",
           "typed_authority_id"]
