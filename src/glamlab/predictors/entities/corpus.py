"""A small private reader of the shared NER corpus (``labels.csv`` of
``../shared/data/ner/<split>/``): one row per sentence with its gold spans.

Columns: ``id, path_or_text, label, lang, dataset, document_id, date, license``; ``label``
is a JSON list of ``{"start", "end", "type", "text"}``. The gold-span import formats
(HIPE IOB TSV, JSONL, WebAnno) replace this reader when they land.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import LabelError
from .tokens import Span


@dataclass(frozen=True)
class Sentence:
    id: str
    text: str
    spans: tuple[Span, ...]
    lang: str
    dataset: str
    document_id: str
    date: str = ""
    license: str = ""
    meta: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def group(self) -> str:
        """``<dataset>-<lang>``, e.g. ``hipe2020-fr``."""
        return f"{self.dataset}-{self.lang}"


def read_sentences(path: str | Path) -> list[Sentence]:
    """Every sentence of a ``labels.csv`` (or of the folder holding one), in file order.
    A span outside its sentence, or a label that is not JSON, is one error naming the row."""
    p = Path(path)
    if p.is_dir():
        p = p / "labels.csv"  # else a CSV file of the same columns
    if not p.exists():
        raise LabelError(f"{p} does not exist", hint="give a folder holding labels.csv")
    out: list[Sentence] = []
    with open(p, newline="", encoding="utf-8-sig") as fh:  # a BOM'd CSV from Excel too
        for n, row in enumerate(csv.DictReader(fh), start=2):
            text = row.get("path_or_text") or ""
            try:
                raw = json.loads(row.get("label") or "[]")
                spans = tuple(Span(int(e["start"]), int(e["end"]), str(e["type"]))
                              for e in raw)
            except (ValueError, KeyError, TypeError) as exc:
                raise LabelError(f"{p.name} line {n}: label is not a JSON list of spans",
                                 item=row.get("id"), rows=[(n, str(exc))],
                                 hint='write [{"start": 0, "end": 5, "type": "PER"}]') from exc
            for s in spans:
                if not 0 <= s.start < s.end <= len(text):
                    raise LabelError(f"{p.name} line {n}: span {s.start}-{s.end} lies outside "
                                     f"the text ({len(text)} characters)", item=row.get("id"),
                                     rows=[(n, "span outside the text")],
                                     hint="fix the offsets")
            out.append(Sentence(id=row["id"], text=text, spans=spans, lang=row.get("lang", ""),
                                dataset=row.get("dataset", ""),
                                document_id=row.get("document_id", ""),
                                date=row.get("date", ""), license=row.get("license", "")))
    return out


def read_many(paths: Iterable[str | Path]) -> list[Sentence]:
    out: list[Sentence] = []
    for p in paths:
        out.extend(read_sentences(p))
    return out


def documents(sentences: Sequence[Sentence]) -> dict[str, list[Sentence]]:
    """Sentences grouped by document, documents in first-seen order."""
    docs: dict[str, list[Sentence]] = {}
    for s in sentences:
        docs.setdefault(s.document_id, []).append(s)
    return docs
