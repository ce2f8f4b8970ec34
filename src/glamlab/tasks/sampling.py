"""Choosing the items people should label next: one sampler for the command line
(``glamlab labels sample``) and the web app's labelling page.

Each strategy means one thing, wherever it is used:

- ``random``: unlabelled items in a random order. The order is that of the items'
  content hashes from a random starting point (seeded), so one item costs one index
  look-up however large the collection;
- ``stratified``: every stratum (a value of a metadata field; default: the source the
  items came from) gets its share: the items come from the strata whose labelled items
  fall furthest below their share of the collection, at random within a stratum;
- ``uncertainty``: among a random pool of unlabelled items (``pool``, 5,000 by default),
  those a model is least sure about, by the task kind's measure
  (:meth:`TaskKind.uncertainty`: 1 - the top score for single-label; the label nearest
  0.5 for multi-label). The scores are a model's stored predictions (the web app: the
  latest model that ran) or fresh ones (``glamlab labels sample --model NAME``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import LabelError
from ..said import in_words
from .kinds import task_kind
from .predict import Predicted

if TYPE_CHECKING:
    from ..items import Item
    from ..workspace import Workspace

STRATEGIES = {
    "random": "random unlabelled items",
    "stratified": "each source (or another field) its share of the labels",
    "uncertainty": "the items the model is least sure about first",
}
#: what may choose the items of the test split: it must stay a random sample of the
#: collection (model-ordered sampling is for training labels only)
TEST_STRATEGIES = ("random", "stratified")
ITEM_COLUMNS = ("source", "source_kind", "modality", "uri")
DEFAULT_POOL = 5000

#: Fresh predictions of a model for some items (see :func:`glamlab.inference.model_scorer`).
Scorer = Callable[[list["Item"]], Predicted]


@dataclass
class Sample:
    strategy: str
    items: list[dict[str, Any]]
    pool: int  # unlabelled items considered
    failed: list[dict[str, str]] = field(default_factory=list)
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _unlabelled(ws: Workspace) -> list[Any]:
    """The clauses of the current items with no gold label: none in ``labels``, and no
    gold spans (an entities project keeps its gold in the span store: a text imported
    or reviewed is labelled, and offering it again would replace its spans)."""
    t = ws.store.t
    ti = t.items
    labelled = sa.exists().where(t.labels.c.item_id == ti.c.item_id, t.labels.c.active.is_(True))
    spans = sa.exists().where(t.span_sets.c.item_id == ti.c.item_id,
                              t.span_sets.c.kind == "gold", t.span_sets.c.active.is_(True))
    return [ti.c.is_current.is_(True), ~labelled, ~spans]


def unlabelled_of(ws: Workspace, ids: Sequence[str]) -> list[str]:
    """Those of ``ids`` that are current items with no gold label, in the order given
    (the web's labelling by nearness to a phrase: its ranking, less what is labelled)."""
    if not ids:
        return []
    ti = ws.store.t.items
    found: set[str] = set()
    with ws.store.read() as conn:
        for start in range(0, len(ids), 500):
            found.update(conn.execute(sa.select(ti.c.item_id).where(
                ti.c.item_id.in_(list(ids[start:start + 500])), *_unlabelled(ws))).scalars())
    return [i for i in ids if i in found]


def _field(ws: Workspace, by: str) -> Any:
    ti = ws.store.t.items
    return ti.c[by] if by in ITEM_COLUMNS else ti.c.meta[by].as_string()


def _random_ids(conn: sa.Connection, ws: Workspace, n: int, rng: random.Random,
                where: Sequence[Any], join: Any = None) -> list[str]:
    """Up to ``n`` item ids in content-hash order from a random point (wrapping round)."""
    ti = ws.store.t.items
    pivot = rng.getrandbits(256).to_bytes(32, "big").hex()
    out: list[str] = []
    for side in (ti.c.content_hash >= pivot, ti.c.content_hash < pivot):
        if len(out) >= n:
            break
        q = sa.select(ti.c.item_id)
        if join is not None:
            q = q.select_from(join)
        out += [r[0] for r in conn.execute(q.where(*where, side)
                                           .order_by(ti.c.content_hash, ti.c.item_id)
                                           .limit(n - len(out)))]
    return out


def latest_predicting_model(ws: Workspace) -> int | None:
    """The id of the newest model version with stored predictions, if any."""
    with ws.store.read() as conn:
        found = conn.execute(sa.select(sa.func.max(ws.store.t.predictions.c.model_id))).scalar()
    return int(found) if found is not None else None


def strategies_for(split: str | None) -> dict[str, str]:
    """The strategies that may choose items for ``split`` (None: not said)."""
    if split == "test":
        return {k: v for k, v in STRATEGIES.items() if k in TEST_STRATEGIES}
    return dict(STRATEGIES)


def check_strategy(strategy: str, split: str | None) -> None:
    """Refuse model-ordered sampling for the test split (it would stop being a random
    sample of the collection, and every figure measured on it would be biased)."""
    if split == "test" and strategy not in TEST_STRATEGIES:
        raise LabelError(f"{strategy} sampling cannot choose test items: the test split "
                         "must stay a random sample of the collection",
                         hint=in_words(
                             "use strategy='random' or 'stratified' for test labels; "
                             f"{strategy} sampling is for training labels (split='train')",
                             "use --strategy random or stratified for test labels; "
                             f"{strategy} sampling is for training labels (--split train)",
                             "choose random or stratified sampling for test labels; "
                             f"{strategy} sampling is for training labels"))


def sample_items(ws: Workspace, n: int, *, strategy: str = "random", seed: int | None = 0,
                 by: str = "source", pool: int = DEFAULT_POOL, exclude: Iterable[str] = (),
                 scorer: Scorer | None = None, model: str | None = None,
                 model_id: int | None = None, split: str | None = None) -> Sample:
    """Pick ``n`` unlabelled items to label next (see the module docstring).

    ``exclude``: ids to leave out (items a person skipped). Uncertainty needs scores:
    ``scorer`` (fresh predictions; ``model`` names it in the result), or ``model_id``
    (that model version's stored predictions). ``split``: where the labels will go;
    for ``test`` only random and stratified sampling are allowed."""
    if strategy not in STRATEGIES:
        raise LabelError(f"unknown sampling strategy {strategy!r}",
                         hint=f"choose one of {', '.join(STRATEGIES)}")
    check_strategy(strategy, split)
    if n < 1:
        raise LabelError("--n must be at least 1")
    if strategy == "uncertainty" and scorer is None and model_id is None:
        raise LabelError("uncertainty sampling needs a model to ask",
                         hint=in_words("train one (train(ws, 'PREDICTOR'), glamlab.registry"
                                       ".training) and pass scorer= (its fresh predictions) "
                                       "or model_id= (its version's stored predictions)",
                                       "train one (glamlab train PREDICTOR) and pass --model "
                                       "NAME",
                                       "train a model on the Train models page first"))
    rng = random.Random(seed)
    where = _unlabelled(ws)
    skip = list(dict.fromkeys(exclude))[-500:]
    if skip:
        where.append(ws.store.t.items.c.item_id.not_in(skip))
    with ws.store.read() as conn:
        if strategy == "random":
            available = _count(conn, ws, where)
            if not available:
                raise _nothing_to_sample(conn, ws, skipped=bool(skip))
            ids = _random_ids(conn, ws, n, rng, where)
            return Sample(strategy, [{"id": i} for i in ids], pool=available)
        if strategy == "stratified":
            return _stratified(conn, ws, n, rng, where, by, skipped=bool(skip))
    return _uncertain(ws, n, rng, where, pool, scorer, model, model_id, skipped=bool(skip))


def _nothing_to_sample(conn: sa.Connection, ws: Workspace, *, skipped: bool) -> LabelError:
    """Why no item is left to sample, in words: no items at all (none brought in yet),
    or every item labelled (or skipped) already."""
    ti = ws.store.t.items
    if not _count(conn, ws, [ti.c.is_current.is_(True)]):
        return LabelError("there are no items to sample from yet: the workspace is empty",
                          hint="bring the collection in first: glamlab ingest SOURCE")
    return LabelError("every item is labelled" + (" or skipped" if skipped else "")
                      + " already; nothing to sample",
                      hint="glamlab labels show counts the labels; bring more items in with "
                           "glamlab ingest SOURCE")


def _count(conn: sa.Connection, ws: Workspace, where: Sequence[Any]) -> int:
    ti = ws.store.t.items
    return int(conn.execute(sa.select(sa.func.count()).select_from(ti).where(*where)).scalar()
               or 0)


def _stratified(conn: sa.Connection, ws: Workspace, n: int, rng: random.Random,
                where: Sequence[Any], by: str, *, skipped: bool = False) -> Sample:
    ti = ws.store.t.items
    key = _field(ws, by)
    sizes = {_key(k): int(c) for k, c in conn.execute(
        sa.select(key, sa.func.count()).where(ti.c.is_current.is_(True)).group_by(key))}
    free = {_key(k): int(c) for k, c in conn.execute(
        sa.select(key, sa.func.count()).where(*where).group_by(key))}
    if not free:
        raise _nothing_to_sample(conn, ws, skipped=skipped)
    labelled = {g: sizes.get(g, 0) - free.get(g, 0) for g in sizes}
    take = _shares(n=min(n, sum(free.values())), sizes=sizes, labelled=labelled, free=free)
    out: list[dict[str, Any]] = []
    for g, k in take.items():
        cond = key.is_(None) if g is None else key == g
        out += [{"id": i, by: g} for i in _random_ids(conn, ws, k, rng, [*where, cond])]
    return Sample("stratified", out, pool=sum(free.values()))


def _key(value: Any) -> str | None:
    return None if value is None else str(value)


def _shares(n: int, sizes: dict[Any, int], labelled: dict[Any, int],
            free: dict[Any, int]) -> dict[Any, int]:
    """How many of ``n`` new items each stratum gets, so that the labelled items come
    nearest each stratum's share of the collection (largest remainder of the shortfalls,
    capped by the unlabelled items a stratum has left)."""
    total = sum(sizes.values())
    goal = sum(labelled.values()) + n
    short = {g: max(0.0, goal * sizes[g] / total - labelled.get(g, 0)) for g in free}
    if sum(short.values()) <= 0:  # every stratum has its share: in proportion to size
        short = {g: float(sizes[g]) for g in free}
    scale = n / sum(short.values())
    quotas = {g: s * scale for g, s in short.items()}
    take = {g: min(int(q), free[g]) for g, q in quotas.items()}
    left = n - sum(take.values())
    order = sorted(quotas, key=lambda g: (-(quotas[g] - int(quotas[g])), str(g)))
    while left > 0:
        moved = False
        for g in order:
            if left <= 0:
                break
            if take[g] < free[g]:
                take[g] += 1
                left -= 1
                moved = True
        if not moved:
            break
    return {g: k for g, k in take.items() if k > 0}


def _uncertain(ws: Workspace, n: int, rng: random.Random, where: list[Any], pool: int,
               scorer: Scorer | None, model: str | None, model_id: int | None, *,
               skipped: bool = False) -> Sample:
    kind = task_kind(ws.card)
    p = ws.store.t.predictions
    ti = ws.store.t.items
    join = None
    if scorer is None:  # stored predictions: only items that model has predicted
        join = ti.join(p, sa.and_(p.c.item_id == ti.c.item_id, p.c.model_id == model_id))
    with ws.store.read() as conn:
        ids = _random_ids(conn, ws, max(pool, n), rng, where, join)
    if not ids and scorer is not None:
        with ws.store.read() as conn:
            raise _nothing_to_sample(conn, ws, skipped=skipped)
    if not ids:
        raise LabelError("no unlabelled item has a prediction to be unsure about",
                         hint="run a model over the collection first: glamlab run")
    items = list(ws.items(ids=ids))
    failed: list[dict[str, str]] = []
    if scorer is not None:
        res = scorer(items)
        predictions = res.predictions
        failed = res.failure_dicts()
    else:
        predictions = _stored(ws, kind, items, model_id)
    ranked = []
    for item, pred in zip(items, predictions, strict=True):
        if pred is not None:
            ranked.append((-float(kind.uncertainty(pred)), item.item_id, pred))
    ranked.sort(key=lambda r: (r[0], r[1]))
    out = []
    for neg, item_id, pred in ranked[:n]:
        row: dict[str, Any] = {"id": item_id, "uncertainty": round(-neg, 4)}
        cands = kind.candidates(pred)
        if cands:
            row["model_guess"] = cands[0].label
            row["score"] = round(cands[0].score, 4)
        out.append(row)
    return Sample("uncertainty", out, pool=len(items), failed=failed, model=model)


def _stored(ws: Workspace, kind: Any, items: list[Item], model_id: int | None) -> list[Any]:
    p = ws.store.t.predictions
    found: dict[str, Any] = {}
    ids = [i.item_id for i in items]
    with ws.store.read() as conn:
        for lo in range(0, len(ids), 900):
            for r in conn.execute(sa.select(p.c.item_id, p.c.label, p.c.labels, p.c.scores,
                                            p.c.score)
                                  .where(p.c.model_id == model_id,
                                         p.c.item_id.in_(ids[lo:lo + 900]))):
                try:
                    found[r.item_id] = kind.from_stored(r.label, r.labels, r.scores, r.score)
                except (TypeError, ValueError):
                    continue  # a malformed stored prediction is not a guess to rank
    return [found.get(i) for i in ids]


def next_to_label(ws: Workspace, *, strategy: str = "random", exclude: Iterable[str] = (),
                  rng: random.Random | None = None, by: str = "source",
                  split: str | None = None) -> Item | None:
    """The next item to show a person for labelling (the web app's labelling page);
    uncertainty uses the stored predictions of the latest model that ran, and is random
    until a model has run. None when nothing is left. Labels for the ``test`` split
    are chosen at random or stratified only (:func:`check_strategy`)."""
    check_strategy(strategy, split)
    seed = (rng or random.Random()).getrandbits(64)
    model_id = latest_predicting_model(ws) if strategy == "uncertainty" else None
    if strategy == "uncertainty" and model_id is None:
        strategy = "random"
    try:
        sample = sample_items(ws, 1, strategy=strategy, seed=seed, by=by, exclude=exclude,
                              model_id=model_id)
    except LabelError:
        sample = None
    if (sample is None or not sample.items) and strategy != "random":
        try:  # nothing left where the strategy looks: any unlabelled item
            sample = sample_items(ws, 1, strategy="random", seed=seed, exclude=exclude)
        except LabelError:
            return None
    if sample is None or not sample.items:
        return None
    return ws.item(sample.items[0]["id"])
