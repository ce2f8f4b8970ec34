"""Tokens and BIO tags for span predictors.

HIPE's tokens split words from punctuation (``l`` ``'`` ``avance``, ``Jän`` ``.``); the
regular expression here does the same on raw text, so a span made of whole tokens is a
span the HIPE scorer can see. ``¬`` (end-of-line hyphenation in OCR) is a token of its
own, as in the HIPE files.

:class:`Span` is :class:`glamlab.tasks.spans.model.Span` (one span type for gold and
predictions), re-exported here; predicted spans always carry a ``score``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...tasks.spans.model import Span

TOKEN_RE = re.compile(r"\w+|[^\w\s]")


def tokenize(text: str) -> list[tuple[int, int]]:
    """Character offsets ``(start, end)`` of the tokens of ``text``."""
    return [m.span() for m in TOKEN_RE.finditer(text)]


def spans_to_bio(tokens: Sequence[tuple[int, int]], spans: Sequence[Span]) -> list[str]:
    """BIO tags, one per token: a token is inside a span when their characters overlap.
    Spans are taken in order of start; a token already tagged keeps its first span."""
    tags = ["O"] * len(tokens)
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        first = True
        for i, (a, b) in enumerate(tokens):
            if b <= span.start or a >= span.end:
                continue
            if tags[i] != "O":
                first = False  # overlapping spans: the earlier one keeps the token
                continue
            tags[i] = ("B-" if first else "I-") + span.label
            first = False
    return tags


def bio_to_spans(tokens: Sequence[tuple[int, int]], tags: Sequence[str],
                 scores: Sequence[float] | None = None) -> list[Span]:
    """Spans from BIO tags (an ``I-`` after ``O`` or after another type opens a span, as
    the HIPE scorer reads it). A span's score is the mean of its tokens' scores."""
    out: list[Span] = []
    start = end = -1
    label: str | None = None
    acc: list[float] = []

    def close() -> None:
        if label is not None:
            out.append(Span(start, end, label, sum(acc) / len(acc) if acc else 1.0))

    for i, tag in enumerate(tags):
        a, b = tokens[i]
        if tag == "O" or not tag:
            close()
            label, acc = None, []
            continue
        prefix, _, kind = tag.partition("-")
        if label is None or kind != label or prefix == "B":
            close()
            label, start, acc = kind, a, []
        end = b
        if scores is not None:
            acc.append(float(scores[i]))
    close()
    return out
