"""One normal form for entity names in OCR text, shared by matching and the entity index.

``normalise("Ménélik")`` and ``normalise("MENELIK")`` are both ``"menelik"``. Steps, in
order: compatibility forms (NFKC: ligatures ``ﬁ`` → ``fi``, long s ``ſ`` → ``s``, full-width
letters), the letters NFKC leaves (``œ`` → ``oe``, ``æ`` → ``ae``, ``ß`` → ``ss``, ``ĳ`` → ``ij``),
end-of-line hyphenation joined (``Hedi¬ ger``, ``Hedi- ger`` → ``hediger``), diacritics
dropped, case folded, every other non-alphanumeric character a space, spaces collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_LETTERS = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ẞ": "SS",
                          "ĳ": "ij", "Ĳ": "IJ", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
                          "ł": "l", "Ł": "L", "ı": "i"})
# a soft hyphen, or ¬ / - / ‐ at a line end (optionally followed by spaces), inside a word
_HYPHENATION = re.compile(r"(?<=\w)(?:\u00ad|[¬\-\u2010\u2011]\s+|¬)(?=\w)")
_NOT_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=200_000)
def normalise(text: str) -> str:
    """The normal form of an entity name (see the module docstring)."""
    s = unicodedata.normalize("NFKC", text).translate(_LETTERS)
    s = _HYPHENATION.sub("", s)
    s = "".join(ch for ch in unicodedata.normalize("NFD", s) if not unicodedata.combining(ch))
    s = _NOT_WORD.sub(" ", s.casefold())
    return " ".join(s.split())


__all__ = ["normalise"]
