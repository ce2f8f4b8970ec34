"""Entity spans over item texts: the data model, the file formats, and gold spans in the store.

>>> from glamlab.tasks.spans import import_spans, gold_spans, save_spans
>>> import_spans(ws, "data/ner/train/iob/hipe2020-fr.tsv", split="train")   # HIPE TSV
>>> import_spans(ws, "inception-export/", format="webanno")                # INCEpTION
>>> gold_spans(ws)["hipe2020-fr-EXP-1908-01-21-a-i0053-s000"]
[Span(start=0, end=9, label='LOC', ...)]

Formats read: HIPE/CoNLL IOB TSV (:mod:`.hipe`), JSON Lines (:mod:`.jsonl`), WebAnno TSV
3.3 (:mod:`.webanno`, which also writes it). Storage and the all-or-nothing import:
:mod:`.gold`. Exports of predicted and gold spans: :mod:`glamlab.actions.entity_export`.
"""

from .gold import (
    FORMATS,
    SpanData,
    SpanImportReport,
    detect_format,
    gold_span_sets,
    gold_spans,
    import_spans,
    read_span_file,
    record_spans,
    save_spans,
    span_counts,
    span_data,
    split_spans,
    text_hash,
)
from .model import MAIN_LAYER, NIL, Span, SpanDoc, check_spans, sort_spans
from .normalise import normalise

__all__ = [
    "FORMATS",
    "MAIN_LAYER",
    "NIL",
    "Span",
    "SpanData",
    "SpanDoc",
    "SpanImportReport",
    "check_spans",
    "detect_format",
    "gold_span_sets",
    "gold_spans",
    "import_spans",
    "normalise",
    "read_span_file",
    "record_spans",
    "save_spans",
    "sort_spans",
    "span_counts",
    "span_data",
    "split_spans",
    "text_hash",
]
