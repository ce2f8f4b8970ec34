"""Tokens and BIO tags for span predictors.

HIPE's tokens split words from punctuation (``l`` ``'`` ``avance``, ``Jän`` ``.``); the
regular expression here does the same on raw text, so a span made of whole tokens is a
span the HIPE scorer can see. ``¬`` (end-of-line hyphenation in OCR) is a token of its
own, as in the HIPE files.

OCR text often loses its line breaks: the last word of one line and the first of the
next come out glued (``nachWien``, ``deParis``, ``386Autriche``, ``HavreLE``), and an
entity that starts or ends inside such a glued word cannot be found by a predictor that
tags whole tokens. A word is therefore also cut where a lower-case letter (or a digit)
is followed by a capital that starts a word of at least two letters, or a capital before
a full stop (``ParisM.``). A single capital inside a word is an OCR error, not two words
(``deS``, ``ConseU``: not cut), and ``Mc``/``Mac`` names stay whole (``McDonald``).
Words glued the other way (``Deutschlandvon``) are not cut: case does not show where.

:data:`TOKENISER_VERSION` numbers these rules: a span model whose learned state is made
of tokens (the gazetteer's table, the CRF) records the version it was trained with
(``tokeniser_``; a model saved before versions were recorded was trained with version 1:
:data:`TOKEN_RE`'s words and punctuation, glued words left whole).

:class:`Span` is :class:`glamlab.tasks.spans.model.Span` (one span type for gold and
predictions), re-exported here; predicted spans always carry a ``score``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from ...tasks.spans.model import Span

TOKEN_RE = re.compile(r"\w+|[^\w\s]")

#: 1: words and punctuation (:data:`TOKEN_RE` alone); 2: glued words are cut as well
TOKENISER_VERSION = 2


_NAME_PREFIXES = ("mc", "mac")


def tokenize(text: str) -> list[tuple[int, int]]:
    """Character offsets ``(start, end)`` of the tokens of ``text``; words glued by a
    lost line break are cut where case shows it (see the module's note)."""
    out: list[tuple[int, int]] = []
    for m in TOKEN_RE.finditer(text):
        a, b = m.span()
        word = m.group()
        if b - a < 3 or word[1:].islower() or word.isupper() or not word[1:].isalnum():
            out.append((a, b))
            continue
        cuts = _glued_at(word, text[b:b + 1])
        if not cuts:
            out.append((a, b))
            continue
        edges = [0, *cuts, len(word)]
        out.extend((a + edges[k], a + edges[k + 1]) for k in range(len(edges) - 1))
    return out


def _glued_at(word: str, after: str) -> list[int]:
    """Where ``word`` (one ``\\w+`` run) is two or more words glued together: before a
    capital that follows a lower-case letter or a digit and starts a word of two letters
    or more (or is one capital ending the word before a full stop)."""
    cuts: list[int] = []
    last = 0
    for i in range(1, len(word)):
        before, here = word[i - 1], word[i]
        if not here.isupper():
            continue
        if not (before.islower() or (before.isdigit() and word[i + 1:i + 2].isalpha())):
            continue
        if word[last:i].lower() in _NAME_PREFIXES:
            continue
        j = i + 1
        while j < len(word) and word[j].isalpha() and not (word[j].isupper()
                                                           and word[j - 1].islower()):
            j += 1
        if j - i == 1 and not (j == len(word) and after == "."):
            continue  # one capital inside a word: an OCR error ("deS"), not two words
        cuts.append(i)
        last = i
    return cuts


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
    the HIPE scorer reads it). A span's score is the product of its tokens' scores: the
    chance that all its tags are right (were they independent), so a long span is less
    sure than each of its words. Before, the mean: a sentence-long PER span of words each
    tagged at 0.95 scored 0.95 and was accepted as metadata. On ``../shared/data/ner/dev``
    (``crf-ner``, ``features="ocr"``, trained on ner/train) the spans of 10 tokens or more
    were 367, 1.6% of them right, 96 of them scored 0.9 or more by the mean, 2 by the
    product; over all spans the Brier score fell from 0.353 to 0.235, and the spans at
    0.9 or more were right 72% of the time instead of 63% (F1 unchanged: the same
    spans)."""
    out: list[Span] = []
    start = end = -1
    label: str | None = None
    acc: list[float] = []

    def close() -> None:
        if label is not None:
            out.append(Span(start, end, label, math.prod(acc) if acc else 1.0))

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
