"""Groups from metadata values: ``FIELD``, ``FIELD:year`` or ``FIELD:decade``.

Dates in catalogues are written many ways: ``1850``, ``c.1850``, ``1850-1855``,
``1850-01-20``, ``circa 1850?``. The year of a value is its first four-digit year between
1000 and 2099 (a range counts at its start) that dates the making of the work; a value
without one has no year and falls in the group ``None`` (shown as "(no value)", never
dropped). A value that names only a century (``18th century``, ``late 17th century``,
``XVIIIe siècle``, ``18. Jahrhundert``) has no year or decade, but ``:century`` places it
(``1700s``).

A catalogue also dates what happened to a work after it was made: ``exhibited 1909``,
``published 1881``, ``reproduced in The Studio, 1950``, ``purchased 1923``, ``presented
by the artist 1940``. Such a year is not the year of making, and a trend by decade that
took it would put the work in the wrong decade: a year is refused where a word of
showing, publishing, reproducing or acquiring (:data:`OTHER_EVENTS`) stands between it
and the year before it (or the start of its part of the value: the value's start, a
``;`` or a bracket), and so is every later year of the same part (``exhibited 1909 or
1910``; ``first published 1846, reprinted 1993``: a catalogue names the making first).
``1844, exhibited 1844`` still reads 1844; ``exhibition copy 2007 (original 1993)``
reads 1993; a value whose every year is refused (``exhibited 1909``) has no year:
:func:`other_date` tells it from a value with no year at all, so that the count of such
items can be said. (Tate's own ``dateRange`` takes such a year as the start of the
work's dates: the work was made by then, but not in that decade.)

pandas' words for an empty cell written as text (``nan``, ``None``...) and a float NaN
are no value: never a group of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import TrendsError

BUCKETS = ("year", "decade", "century")
_YEAR = re.compile(r"(?<!\d)(1\d{3}|20\d{2})(?!\d)")

#: words that date an event after the making of a work (its showing, publishing,
#: reproduction or acquisition), in English and a few other catalogue languages; a year
#: they govern is not the work's year. Words of making (printed, cast, engraved, remade)
#: are not among them: the year they give first is the making of the object in hand.
OTHER_EVENTS = (
    # shown
    "exhibited", "exhibition", "exhib.", "exh.", "shown",
    # published, reproduced
    "published", "publ.", "pub.", "publication", "reproduced", "repr.", "illustrated in",
    # acquired
    "purchased", "bought", "acquired", "acquisition", "accessioned", "presented", "given",
    "gift", "donated", "bequeathed", "bequest", "transferred", "lent", "sold",
    # French, German, Dutch, Italian, Spanish
    "exposé", "exposée", "exposition", "publié", "publiée", "acquis", "acquise", "donné",
    "légué", "ausgestellt", "ausstellung", "veröffentlicht", "erworben", "geschenkt",
    "tentoongesteld", "gepubliceerd", "verworven", "esposto", "pubblicato", "acquistato",
    "expuesto", "publicado", "adquirido",
)
_OTHER = re.compile(r"(?<![\w.])(?:" + "|".join(
    re.escape(w) + (r"(?!\w)" if not w.endswith(".") else "") for w in OTHER_EVENTS)
    + ")", re.IGNORECASE)
#: where a part of a value starts: the year of one part is not governed by a word of another
_PART = re.compile(r"[;()\[\]]")
#: a value no one wrote: pandas' and spreadsheets' words for an empty cell, which a table
#: written with ``astype(str)`` holds as text (``nan`` must not become a group)
NO_VALUE_TEXTS = frozenset({"nan", "none", "null", "nat", "<na>"})


def _empty(value: object) -> bool:
    """None, a float NaN, or pandas' word for an empty cell written as text."""
    if value is None or (isinstance(value, float) and value != value):
        return True
    return isinstance(value, str) and value.strip().lower() in NO_VALUE_TEXTS


_CENTURY = re.compile(
    r"(?<![\w.])(?:(\d{1,2})\s*(?:st|nd|rd|th|e|ème|eme|\.)|([XVI]{1,6})\s*(?:e|ème|eme))"
    r"\s*(?:century|centuries|siècle|siecle|jahrhundert|jh\.?)(?!\w)", re.IGNORECASE)
_ROMAN = {"I": 1, "V": 5, "X": 10}


def _roman(text: str) -> int | None:
    total, last = 0, 0
    for ch in reversed(text.upper()):
        v = _ROMAN.get(ch)
        if v is None:
            return None
        total += -v if v < last else v
        last = max(last, v)
    return total or None


def century_of(value: object) -> int | None:
    """The first year of the century ``value`` names (``18th century``: 1700), when it
    names one and no year; None otherwise."""
    if _empty(value):
        return None
    text = str(value)
    m = _CENTURY.search(text)
    if not m or _OTHER.search(_PART.split(text[:m.start()])[-1]):
        return None  # none, or the century of an exhibition, a gift...
    n = int(m.group(1)) if m.group(1) else _roman(m.group(2))
    # the centuries of the years a value may hold (1000 to 2099): the 10th's group
    # '900s' would sort after '2000s' and has no place on a chart's axis
    return (n - 1) * 100 if n and 11 <= n <= 21 else None


def _years(value: object) -> list[tuple[int, bool]]:
    """Each plausible year in ``value`` with whether it may date the making of the work
    (False: a year of exhibition, publication, acquisition... :data:`OTHER_EVENTS`, or a
    later year of the same part of the value: a catalogue names the making first, then
    what followed, so the ``1993`` of ``first published 1846, reprinted 1993`` is a
    reprint, not the work's year)."""
    if _empty(value):
        return []
    text = str(value)
    out: list[tuple[int, bool]] = []
    start = 0  # where the text that governs the next year starts
    refused = False  # a year of this part was refused: the years after it follow it
    for m in _YEAR.finditer(text):
        between = text[start:m.start()]
        parts = _PART.split(between)
        if len(parts) > 1:  # a new part: "exhibition copy 2007 (original 1993)"
            between, refused = parts[-1], False
        refused = refused or _OTHER.search(between) is not None
        out.append((int(m.group(1)), not refused))
        start = m.end()
    return out


def year_of(value: object) -> int | None:
    """The first plausible year in ``value`` that dates the making of the work (not
    ``exhibited 1909``, ``published 1881``, ``purchased 1923``: see the module's
    docstring), or None."""
    return next((y for y, making in _years(value) if making), None)


def other_date(value: object) -> bool:
    """Whether ``value`` holds years but none of them dates the making of the work
    (``exhibited 1909``): it has no year for a trend (:func:`year_of` is None), for a
    reason worth saying apart from an empty or undated value."""
    years = _years(value)
    return bool(years) and not any(making for _y, making in years)


@dataclass(frozen=True)
class GroupBy:
    """What ``--by`` asked for: a metadata field, and how its values are bucketed."""

    field: str
    bucket: str | None = None

    @classmethod
    def parse(cls, spec: str, *, option: str | None = None) -> GroupBy:
        """``FIELD`` or ``FIELD:BUCKET``; refused with the fix in the words of where it was
        given: Python's ``by=`` (the default), or a command-line ``option`` ("--by")."""
        field, _, bucket = str(spec).strip().partition(":")
        field = field.strip()
        bucket = bucket.strip().lower() or None  # type: ignore[assignment]
        given = f"{option} {spec!r}" if option else f"by={spec!r}"
        if not field:
            raise TrendsError(f"{given} names no metadata field",
                              hint=f"e.g. {option} date_text:decade or {option} newspaper"
                              if option else "e.g. by='date_text:decade' or by='newspaper'")
        if bucket is not None and bucket not in BUCKETS:
            choices = (f"FIELD, or FIELD:{' / FIELD:'.join(BUCKETS)}" if option else
                       "'FIELD', or " + " / ".join(f"'FIELD:{b}'" for b in BUCKETS))
            raise TrendsError(f"unknown bucket {bucket!r} in {given}", hint=f"use {choices}")
        return cls(field, bucket)

    def key(self, value: object) -> str | None:
        """The group a raw metadata value belongs to."""
        if self.bucket is None:
            if _empty(value):  # None, NaN, "nan": no value, never a group "nan"
                return None
            text = str(value).strip()
            return text or None
        year = year_of(value)
        if year is None:
            century = century_of(value) if self.bucket == "century" else None
            return None if century is None else f"{century}s"
        if self.bucket == "year":
            return str(year)
        if self.bucket == "decade":
            return f"{year // 10 * 10}s"
        return f"{year // 100 * 100}s"

    def sort_key(self, group: str | None) -> tuple[int, float, str]:
        if group is None:
            return (2, 0.0, "")
        y = year_of(group) if self.bucket else None
        return (0, float(y), group) if y is not None else (1, 0.0, group)

    def __str__(self) -> str:
        return f"{self.field}:{self.bucket}" if self.bucket else self.field
