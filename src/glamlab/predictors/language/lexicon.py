"""Word-frequency evidence for language identification: how common a text's words are in
each language, from ``wordfreq``'s lists (CC BY-SA 4.0)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import MissingDependency
from .peers import _cached

if TYPE_CHECKING:
    import numpy as np


_WORD = None  # compiled lazily: runs of letters (no digits, no underscore)


LEXICON_FLOOR = 1e-7  # a word rarer than this (or unknown) in a language gives no evidence


LEXICON_MAX_WORDS = 200


def lexicon_languages(codes_: list[str]) -> list[str]:
    """The task languages that ``wordfreq`` has a word-frequency list for (exact matches
    only: ``wordfreq`` would answer Latin with Italian's list, Welsh with English's)."""
    try:
        import wordfreq
    except ImportError as exc:
        raise MissingDependency("wordfreq", "text") from exc
    have = set(_cached(("wordfreq-langs",), lambda: sorted(wordfreq.available_languages("small"))))
    return [c for c in codes_ if c in have]


def lexicon_evidence(texts: list[str], codes_: list[str]) -> np.ndarray:
    """(n, K) word-frequency evidence for each text in each language of ``codes_``:
    the sum over its words (casefolded, at most :data:`LEXICON_MAX_WORDS`) of
    ``ln(max(freq, FLOOR) / FLOOR)``, with frequencies from ``wordfreq``'s *small* lists
    (words at least about once per million). A language without a list gets 0, as does a
    language that knows none of the words. Lists are loaded once per process (~0.3 s and
    ~6 MB per language)."""
    import math
    import re

    import numpy as np
    import wordfreq

    global _WORD
    if _WORD is None:
        _WORD = re.compile(r"[^\W\d_]+")
    covered = set(lexicon_languages(codes_))
    lists = [_cached(("wordfreq", c), lambda c=c: wordfreq.get_frequency_dict(c, wordlist="small"))
             if c in covered else None for c in codes_]
    log_floor = math.log(LEXICON_FLOOR)
    out = np.zeros((len(texts), len(codes_)))
    for row, text in enumerate(texts):
        words = [w.casefold() for w in _WORD.findall(text)[:LEXICON_MAX_WORDS]]
        if not words:
            continue
        for col, freq in enumerate(lists):
            if freq is None:
                continue
            ev = 0.0
            for w in words:
                f = freq.get(w)
                if f is not None and f > LEXICON_FLOOR:
                    ev += math.log(f) - log_floor
            out[row, col] = ev
    return out
