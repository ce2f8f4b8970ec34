"""Groups from metadata values: ``FIELD``, ``FIELD:year`` or ``FIELD:decade``.

Dates in catalogues are written many ways: ``1850``, ``c.1850``, ``1850-1855``,
``1850-01-20``, ``circa 1850?``. The year of a value is its first four-digit year between
1000 and 2099 (a range counts at its start); a value without one has no year and falls in
the group ``None`` (shown as "(no value)", never dropped). A value that names only a
century (``18th century``, ``late 17th century``, ``XVIIIe siècle``, ``18. Jahrhundert``)
has no year or decade, but ``:century`` places it (``1700s``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import TrendsError

BUCKETS = ("year", "decade", "century")
_YEAR = re.compile(r"(?<!\d)(1\d{3}|20\d{2})(?!\d)")


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
    if value is None:
        return None
    m = _CENTURY.search(str(value))
    if not m:
        return None
    n = int(m.group(1)) if m.group(1) else _roman(m.group(2))
    # the centuries of the years a value may hold (1000 to 2099): the 10th's group
    # '900s' would sort after '2000s' and has no place on a chart's axis
    return (n - 1) * 100 if n and 11 <= n <= 21 else None


def year_of(value: object) -> int | None:
    """The first plausible year in ``value``, or None."""
    if value is None:
        return None
    m = _YEAR.search(str(value))
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class GroupBy:
    """What ``--by`` asked for: a metadata field, and how its values are bucketed."""

    field: str
    bucket: str | None = None

    @classmethod
    def parse(cls, spec: str) -> GroupBy:
        field, _, bucket = spec.strip().partition(":")
        field = field.strip()
        bucket = bucket.strip().lower() or None  # type: ignore[assignment]
        if not field:
            raise TrendsError(f"--by {spec!r} names no metadata field",
                              hint="e.g. --by date_text:decade or --by newspaper")
        if bucket is not None and bucket not in BUCKETS:
            raise TrendsError(f"unknown bucket {bucket!r} in --by {spec!r}",
                              hint=f"use FIELD, or FIELD:{' / FIELD:'.join(BUCKETS)}")
        return cls(field, bucket)

    def key(self, value: object) -> str | None:
        """The group a raw metadata value belongs to."""
        if self.bucket is None:
            if value is None:
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
