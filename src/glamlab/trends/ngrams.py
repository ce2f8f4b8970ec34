"""The n-gram baseline: how often the researcher's words or phrases occur, per 1,000 words,
in the same groups as the trend (what researchers counted before classifiers).

Texts are lower-cased and split into words (runs of letters and digits, Unicode-aware); a
phrase of k words counts each place where its k words follow one another. The database
returns only (group value, text) pairs for the selected items, in batches by item id
(constant memory); the counting runs in Python because neither SQLite nor PostgreSQL
splits words the same way (SQLite has no regular expressions by default).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import TrendsError
from ..said import in_words
from .aggregate import _meta_value
from .buckets import GroupBy
from .quantify import MIN_ITEMS, too_few

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .trend import TermRow

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str | None) -> list[str]:
    return _WORD.findall((text or "").lower())


def count_phrase(tokens: list[str], phrase: tuple[str, ...]) -> int:
    k = len(phrase)
    if k == 1:
        return tokens.count(phrase[0])
    first = phrase[0]
    return sum(1 for i, w in enumerate(tokens[: len(tokens) - k + 1])
               if w == first and tuple(tokens[i:i + k]) == phrase)


def per_1000_interval(hits: int, words: int) -> tuple[float | None, float | None]:
    """The 95% interval of ``hits`` per 1,000 of ``words`` words: Jeffreys' interval of the
    binomial share ``hits / words`` (``Beta(hits + 1/2, words - hits + 1/2)``), times 1,000,
    with the lower limit 0 for no hit. One hit in 10 words is 100 per 1,000, and anything
    from about 11 to 390: a figure from a few words says little."""
    if words <= 0:
        return None, None
    from scipy.stats import beta

    h = min(hits, words)
    low = 0.0 if h == 0 else float(beta.ppf(0.025, h + 0.5, words - h + 0.5))
    high = 1.0 if h == words else float(beta.ppf(0.975, h + 0.5, words - h + 0.5))
    return round(1000.0 * low, 4), round(1000.0 * high, 4)


def term_frequencies(ws: Workspace, terms: Sequence[str], *, by: GroupBy | str,
                     where: dict[str, Any] | None = None, batch: int = 2000,
                     model_id: int | None = None, min_items: int = MIN_ITEMS
                     ) -> list[TermRow]:
    """Per group and term: words in the group's texts, hits, hits per 1,000 words with a
    95% interval (:func:`per_1000_interval`), and a status: ``too few items: n=1 (fewer
    than 30)`` for a group of fewer than ``min_items`` texts, as the label rows say it
    (with ``model_id``: only the texts that model has a prediction for)."""
    from .trend import TermRow

    gb = GroupBy.parse(by) if isinstance(by, str) else by
    phrases = [(t, tuple(words(t))) for t in terms]
    empty = [t for t, p in phrases if not p]
    if empty:
        raise TrendsError(f"the term {empty[0]!r} has no words to count",
                          hint=in_words("give words or phrases, e.g. "
                                        "terms=['railway', 'steam engine']",
                                        "give words or phrases, e.g. --term railway "
                                        "--term 'steam engine'",
                                        "give words or phrases in 'Also count these words', "
                                        "separated by commas"))
    totals, items, hits = _scan(ws, gb, where, phrases, batch, model_id)
    out = []
    for g in sorted(totals, key=gb.sort_key):
        for term, _ in phrases:
            h = hits.get((g, term), 0)
            out.append(TermRow(g, term, totals[g], h,
                               round(1000.0 * h / totals[g], 4) if totals[g] else None,
                               *per_1000_interval(h, totals[g]), items=items[g],
                               status=too_few(items[g], min_items) or "ok"))
    return out


def group_words(ws: Workspace, *, by: GroupBy | str, where: dict[str, Any] | None = None,
                batch: int = 2000, model_id: int | None = None
                ) -> dict[str | None, tuple[int, int]]:
    """Group -> (items, words in their texts): the denominator of every per-1,000-words
    figure (the n-gram baseline's and the entity trends'); with ``model_id`` only the
    items that model has a prediction for."""
    gb = GroupBy.parse(by) if isinstance(by, str) else by
    totals, items, _ = _scan(ws, gb, where, [], batch, model_id)
    return {g: (items[g], totals[g]) for g in totals}


def _scan(ws: Workspace, gb: GroupBy, where: dict[str, Any] | None,
          phrases: list[tuple[str, tuple[str, ...]]], batch: int, model_id: int | None = None
          ) -> tuple[dict[str | None, int], dict[str | None, int],
                     dict[tuple[str | None, str], int]]:
    """Words, items and phrase hits per group, reading the texts in batches by item id."""
    t = ws.store.t
    value = _meta_value(t, gb.field).label("g")
    totals: dict[str | None, int] = {}
    items: dict[str | None, int] = {}
    hits: dict[tuple[str | None, str], int] = {}
    last: str | None = None
    while True:
        q = (sa.select(t.items.c.item_id, value, t.items.c.text)
             .where(*ws.item_clauses(where, None)).order_by(t.items.c.item_id).limit(batch))
        if last is not None:
            q = q.where(t.items.c.item_id > last)
        if model_id is not None:
            p = t.predictions
            q = q.where(sa.exists().where(p.c.item_id == t.items.c.item_id,
                                          p.c.model_id == model_id))
        with ws.store.read() as conn:
            rows = conn.execute(q).all()
        if not rows:
            break
        for item_id, raw, text in rows:
            last = item_id
            key = gb.key(raw)
            toks = words(text)
            totals[key] = totals.get(key, 0) + len(toks)
            items[key] = items.get(key, 0) + 1
            for term, phrase in phrases:
                hits[(key, term)] = hits.get((key, term), 0) + count_phrase(toks, phrase)
    return totals, items, hits
