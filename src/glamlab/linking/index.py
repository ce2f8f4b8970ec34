"""The entity index: which items mention an entity, and how often, year by year.

An entity is its authority record when the mention is linked (``authority_id``, not
``NIL``), else its normalised text (``spans.norm``: ``"M. Poincaré"`` and ``"M. POINCARE"``
are one key). Counting happens in the database: every figure is a ``GROUP BY`` over
``spans`` joined with the span sets in use and the current items (the year is the first
four characters of the item metadata's ``date``), the same SQL on SQLite and PostgreSQL.
What feeds search ("items mentioning Q90") and the trends work (mentions per year).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import GlamlabError
from ..tasks.spans.model import MAIN_LAYER, NIL

if TYPE_CHECKING:
    from ..workspace import Workspace

KEYS = ("entity", "authority", "text")
AUTHORITY_PREFIX = "authority:"
TEXT_PREFIX = "text:"


def _sets(ws: Workspace, kind: str, model_id: int | None) -> Any:
    """The span sets in use: each item's latest active gold set, or the active sets of
    one model's predictions."""
    t = ws.store.t.span_sets
    if kind == "gold":
        return (sa.select(sa.func.max(t.c.id).label("id"))
                .where(t.c.kind == "gold", t.c.active.is_(True))
                .group_by(t.c.item_id).subquery("sets"))
    if kind == "prediction":
        q = sa.select(t.c.id).where(t.c.kind == "prediction", t.c.active.is_(True))
        if model_id is not None:
            q = q.where(t.c.model_id == model_id)
        return q.subquery("sets")
    raise GlamlabError(f"unknown span kind {kind!r}", hint="use gold or prediction")


def _key(ws: Workspace, by: str) -> Any:
    s = ws.store.t.spans
    linked = sa.and_(s.c.authority_id.is_not(None), s.c.authority_id != NIL)
    if by == "authority":
        return s.c.authority_id
    if by == "text":
        return s.c.norm
    if by == "entity":
        return sa.case((linked, sa.literal(AUTHORITY_PREFIX) + s.c.authority_id),
                       else_=sa.literal(TEXT_PREFIX) + s.c.norm)
    raise GlamlabError(f"unknown index key {by!r}", hint=f"use one of {', '.join(KEYS)}")


def _base(ws: Workspace, *, by: str, kind: str, model_id: int | None, label: str | None,
          layer: str) -> tuple[Any, list[Any], Any]:
    s, i = ws.store.t.spans, ws.store.t.items
    sets = _sets(ws, kind, model_id)
    key = _key(ws, by).label("key")
    joined = (s.join(sets, sets.c.id == s.c.set_id)
              .join(i, sa.and_(i.c.item_id == s.c.item_id, i.c.is_current.is_(True))))
    where: list[Any] = [s.c.layer == layer]
    if by == "authority":
        where += [s.c.authority_id.is_not(None), s.c.authority_id != NIL]
    if label is not None:
        where.append(s.c.label == label)
    return key, where, joined


def _split_key(key: str, by: str) -> dict[str, Any]:
    if by == "authority":
        return {"authority_id": key, "text": None}
    if by == "text":
        return {"authority_id": None, "text": key}
    if key.startswith(AUTHORITY_PREFIX):
        return {"authority_id": key[len(AUTHORITY_PREFIX):], "text": None}
    return {"authority_id": None, "text": key[len(TEXT_PREFIX):]}


def entity_index(ws: Workspace, *, by: str = "entity", kind: str = "gold",
                 model_id: int | None = None, label: str | None = None,
                 layer: str = MAIN_LAYER, date_field: str = "date", min_mentions: int = 1,
                 limit: int | None = 100) -> list[dict[str, Any]]:
    """The most mentioned entities, most first: ``key``, ``authority_id`` or ``text``,
    ``name`` (the authority's preferred label when linked), ``label`` (the type most
    mentions have) and ``labels``, ``mentions``, ``items`` (distinct items) and
    ``by_year`` (``{"1908": 3, ...}``; mentions in items whose ``date_field`` has no year
    under ``"unknown"``).

    ``by``: ``entity`` (the authority record, else the normalised text), ``authority``
    (linked mentions only) or ``text``. ``kind``: ``gold`` spans, or ``prediction`` spans
    (of ``model_id``)."""
    s, i, a = ws.store.t.spans, ws.store.t.items, ws.store.t.authorities
    key, where, joined = _base(ws, by=by, kind=kind, model_id=model_id, label=label,
                               layer=layer)
    mentions = sa.func.count().label("mentions")
    items = sa.func.count(sa.distinct(s.c.item_id)).label("items")
    top = (sa.select(key, mentions, items).select_from(joined).where(*where)
           .group_by(key).having(sa.func.count() >= min_mentions)
           .order_by(mentions.desc(), key))
    if limit is not None:
        top = top.limit(limit)
    top_sq = top.subquery("top")
    year = sa.func.substr(i.c.meta[date_field].as_string(), 1, 4).label("year")
    by_year = (sa.select(key, year, sa.func.count().label("n")).select_from(joined)
               .where(*where, key.in_(sa.select(top_sq.c.key)))
               .group_by(key, year))
    by_label = (sa.select(key, s.c.label, sa.func.count().label("n")).select_from(joined)
                .where(*where, key.in_(sa.select(top_sq.c.key)))
                .group_by(key, s.c.label))
    with ws.store.read() as conn:
        rows = list(conn.execute(sa.select(top_sq)))
        years: dict[str, dict[str, int]] = {}
        for k, y, n in conn.execute(by_year):
            y = y if isinstance(y, str) and len(y) == 4 and y.isdigit() else "unknown"
            years.setdefault(k, {})[y] = years.setdefault(k, {}).get(y, 0) + int(n)
        labels: dict[str, dict[str, int]] = {}
        for k, lab, n in conn.execute(by_label):
            labels.setdefault(k, {})[lab] = int(n)
        ids = [_split_key(r.key, by)["authority_id"] for r in rows]
        ids = [x for x in ids if x]
        names: dict[str, str] = {}
        for start in range(0, len(ids), 900):
            names.update({r.record_id: r.label for r in conn.execute(
                sa.select(a.c.record_id, a.c.label).where(
                    a.c.record_id.in_(ids[start:start + 900])))})
    out = []
    for r in rows:
        parts = _split_key(r.key, by)
        kinds = labels.get(r.key, {})
        out.append({"key": r.key, **parts,
                    "name": names.get(parts["authority_id"] or "") or parts["text"],
                    "label": max(kinds.items(), key=lambda kv: (kv[1], kv[0]))[0]
                    if kinds else None,
                    "labels": kinds, "mentions": int(r.mentions), "items": int(r.items),
                    "by_year": dict(sorted(years.get(r.key, {}).items()))})
    return out


def entity_items(ws: Workspace, key: str, *, by: str = "entity", kind: str = "gold",
                 model_id: int | None = None, layer: str = MAIN_LAYER,
                 date_field: str = "date", limit: int | None = 1000,
                 offset: int = 0) -> list[dict[str, Any]]:
    """The items that mention one entity (``key`` as :func:`entity_index` gives it; with
    ``by="entity"`` a bare authority id or text is read as such), with their mention
    counts and dates, most mentions first."""
    from ..tasks.spans.normalise import normalise

    s, i = ws.store.t.spans, ws.store.t.items
    if by == "entity" and not key.startswith((AUTHORITY_PREFIX, TEXT_PREFIX)):
        key = AUTHORITY_PREFIX + key if _looks_like_id(ws, key) else TEXT_PREFIX + normalise(key)
    elif by == "text":
        key = normalise(key)
    k, where, joined = _base(ws, by=by, kind=kind, model_id=model_id, label=None, layer=layer)
    date = i.c.meta[date_field].as_string().label("date")
    mentions = sa.func.count().label("mentions")
    q = (sa.select(s.c.item_id, date, mentions).select_from(joined)
         .where(*where, k == key).group_by(s.c.item_id, date)
         .order_by(mentions.desc(), s.c.item_id).offset(offset))
    if limit is not None:
        q = q.limit(limit)
    with ws.store.read() as conn:
        return [{"item_id": r.item_id, "date": r.date, "mentions": int(r.mentions)}
                for r in conn.execute(q)]


def _looks_like_id(ws: Workspace, key: str) -> bool:
    s = ws.store.t.spans
    with ws.store.read() as conn:
        return conn.execute(sa.select(s.c.id).where(s.c.authority_id == key).limit(1)
                            ).first() is not None


__all__ = ["KEYS", "entity_index", "entity_items"]
