"""Priced external services as predictors of a workspace: the ``[services.NAME]`` blocks
of ``glamlab.toml`` by name (``service:NAME``, or ``NAME`` when no built-in predictor has
it), what each costs, and :func:`try_service`, the look at a sample before paying for a
whole collection (``glamlab try-service``).

The HTTP client, the cache of answers, the budget and the per-item errors are
:mod:`glamlab.predictors.external`; this module only finds the blocks, builds and binds
the predictor for a workspace and reports.

>>> from glamlab.predictors.services import try_service
>>> report = try_service(ws, "tagger", sample=5)   # pays for at most 5 calls
>>> report.unmapped                                 # what the mapping does not cover
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, ServiceError, UnknownPredictor
from .external import ServicePredictor, check_config, service_config

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .base import Predictor

PREFIX = "service:"
#: calls ``try_service`` makes without asking (the CLI and the web page confirm more)
FREE_SAMPLE = 5


def names(card_raw: dict[str, Any]) -> list[str]:
    """The service blocks of a card (``[services.NAME]``), in card order."""
    services = card_raw.get("services", {})
    return [n for n, v in services.items() if isinstance(v, dict)] \
        if isinstance(services, dict) else []


def service_of(name: str, card_raw: dict[str, Any] | None = None) -> str | None:
    """The service a predictor name means: ``service:NAME``, or ``NAME`` itself when the
    card has ``[services.NAME]`` and no built-in or plug-in predictor is called that."""
    if name.startswith(PREFIX):
        return name[len(PREFIX):]
    if card_raw is not None and name in names(card_raw):
        from .catalogue import available

        if name not in available():
            return name
    return None


def create(ws: Workspace, service: str, **params: Any) -> ServicePredictor:
    """The predictor of ``[services.SERVICE]``, bound to the workspace's store (its cache
    and budget ledger). ``params`` override keys of the block (``--param budget=2``)."""
    if service not in names(ws.card.raw):
        listed = ", ".join(PREFIX + n for n in names(ws.card.raw)) or "none"
        raise UnknownPredictor(f"no service called {service!r} in glamlab.toml (services: "
                               f"{listed})",
                               hint=f"add a [services.{service}] block (url, secret_env, "
                                    "price_per_call, budget, mapping): docs/services.md")
    service_config(ws.card.raw, service)  # the block as written is valid
    raw = dict(ws.card.raw["services"][service])
    raw.update(params)
    check_config(raw, service)
    return ServicePredictor(service=service, config=raw).bind(store=ws.store)


def attach(predictor: Predictor, ws: Workspace) -> Predictor:
    """Bind a loaded service predictor to ``ws`` (its store is the cache and the budget
    ledger; its card's current price, budget, key variable and retries apply). Any other
    predictor is returned as it is."""
    if isinstance(predictor, ServicePredictor):
        predictor.refresh(ws.card.raw).bind(store=ws.store)
    return predictor


def describe(ws_or_card_raw: Any) -> list[dict[str, Any]]:
    """One catalogue entry per service block (as :func:`catalogue.describe` gives), with
    its price, budget and (given a workspace) what it has cost so far."""
    raw = ws_or_card_raw if isinstance(ws_or_card_raw, dict) else ws_or_card_raw.card.raw
    store = None if isinstance(ws_or_card_raw, dict) else ws_or_card_raw.store
    modality = (raw.get("project", {}) or {}).get("modality") if isinstance(raw, dict) else None
    currency = str((raw.get("costs", {}) or {}).get("currency", "EUR"))
    out = []
    for n in names(raw):
        try:
            cfg = check_config(raw["services"][n], n)
        except ConfigError as exc:
            out.append({"name": PREFIX + n, "service": n, "summary": f"misconfigured: {exc}",
                        "modalities": (modality or "image", "text"), "needs": exc.hint or "",
                        "speed": "", "cost": "", "good_for": ("service",),
                        "multi_label": True, "price_per_call": None, "budget": None,
                        "spent": None, "currency": currency, "error": exc.message})
            continue
        price = float(cfg["price_per_call"])
        budget = cfg["budget"]
        spent = None
        if store is not None:
            spent = ServicePredictor(n, cfg).bind(store=store).spent()
        cost = f"{price:g} {currency} per call (cached answers are free)"
        if budget is not None:
            cost += f"; budget {float(budget):g} {currency}"
        if spent is not None:
            cost += f", {spent:g} spent"
        needs = (f"the key in ${cfg['secret_env']}" if cfg["secret_env"] else "no key") + \
            "; the network; a [services] mapping to your labels"
        out.append({"name": PREFIX + n, "service": n,
                    "summary": f"the external service at {cfg['url']} (its labels mapped to "
                               "yours); no training",
                    "modalities": ("image", "text", "record"), "needs": needs,
                    "speed": f"the service's ({cfg['rate_per_s'] or 'no'} calls/s limit)",
                    "cost": cost, "good_for": ("service",), "multi_label": True,
                    "price_per_call": price, "budget": budget, "spent": spent,
                    "currency": currency, "mapping": dict(cfg["mapping"])})
    return out


# -- try-service --------------------------------------------------------------------
@dataclass
class TriedItem:
    item_id: str
    gold: Any  # the item's gold label (train split), or None
    labels: list[dict[str, Any]]  # {"label", "score", "maps_to" (None: unmapped)}
    predicted: list[str]  # the task labels the mapped answer gives
    error: str | None = None
    hint: str | None = None
    cached: bool = False
    cost: float = 0.0


@dataclass
class TryReport:
    service: str
    url: str
    items: list[TriedItem]
    calls: int
    cached: int
    cost: float
    spent_total: float
    budget: float | None
    currency: str
    price_per_call: float
    unmapped: dict[str, int] = field(default_factory=dict)
    mapped: dict[str, str] = field(default_factory=dict)  # service label -> task label seen
    task_labels: list[str] = field(default_factory=list)
    agree: int | None = None  # items whose mapped answer includes the gold label

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sample_items(ws: Workspace, n: int, *, seed: int = 0,
                 ids: list[str] | None = None) -> list[tuple[Any, Any]]:
    """``n`` items to try a service on: labelled training items first (so its answers can
    be set beside yours), then unlabelled ones. Never test items."""
    import random

    from ..tasks.splits import labelled_split, split_of

    if ids:
        found = {i.item_id: i for i in ws.items(ids=ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise ServiceError(f"no item {missing[0]!r} in this workspace",
                               item=missing[0], hint="glamlab items lists the item ids")
        train = labelled_split(ws, "train")
        gold = dict(zip([i.item_id for i in train.items], train.labels, strict=True))
        return [(found[i], gold.get(i)) for i in ids]
    rng = random.Random(seed)
    train = labelled_split(ws, "train")
    pairs = list(zip(train.items, train.labels, strict=True))
    rng.shuffle(pairs)
    out: list[tuple[Any, Any]] = pairs[:n]
    if len(out) < n:
        splits = split_of(ws)
        seen = {i.item_id for i, _ in out}
        rest = [i for i in ws.items(limit=20 * n + 100)
                if i.item_id not in seen and splits.get(i.item_id) is None]
        rng.shuffle(rest)
        out += [(i, None) for i in rest[: n - len(out)]]
    return out


def estimate(ws: Workspace, service: str, n: int) -> dict[str, Any]:
    """What trying ``n`` items would cost at most (cached answers are free)."""
    p = create(ws, service)
    price = p.price_per_item
    return {"service": service, "items": n, "price_per_call": price,
            "max_cost": round(price * n, 6), "spent": p.spent(), "budget": p.cfg["budget"],
            "currency": ws.card.currency}


def try_service(ws: Workspace, service: str, *, sample: int = FREE_SAMPLE, seed: int = 0,
                ids: list[str] | None = None, transport: Any = None) -> TryReport:
    """Send ``sample`` items (or ``ids``) to the service and show, for each, the labels
    and scores it returned, what each maps to in the project's labels (or that it maps to
    none), and what it cost. Answers are cached: trying again is free. ``transport``: an
    ``httpx`` transport (tests)."""
    from ..tasks.kinds import task_kind

    p = create(ws, service)
    if transport is not None:
        p.bind(transport=transport)
    kind = task_kind(ws.card)
    classes = [str(c) for c in getattr(kind, "labels", ws.card.labels)]
    p.fit([], [], classes=classes, multi_label=bool(ws.card.multi_label))
    pairs = sample_items(ws, max(0, int(sample)), seed=seed, ids=ids)
    answers = p.call([i for i, _ in pairs])
    mapping = {str(k): str(v) for k, v in p.cfg["mapping"].items()}
    index = set(classes)
    tried: list[TriedItem] = []
    unmapped: dict[str, int] = {}
    mapped: dict[str, str] = {}
    agree = 0
    with_gold = 0
    for (item, gold), ans in zip(pairs, answers, strict=True):
        rows = []
        for label, score in sorted(ans.labels, key=lambda x: -x[1]):
            target = mapping.get(label, label if label in index else None)
            rows.append({"label": label, "score": round(score, 4), "maps_to": target})
            if target is None:
                unmapped[label] = unmapped.get(label, 0) + 1
            else:
                mapped[label] = target
        predicted: list[str] = []
        if not ans.error:
            proba = p._predict_from_answers([ans])[0]
            if ws.card.multi_label:
                predicted = [c for c, s in zip(classes, proba, strict=True) if s >= 0.5]
            elif proba.max() > 0 and any(r["maps_to"] for r in rows):
                predicted = [classes[int(proba.argmax())]]
        if gold is not None and not ans.error:
            with_gold += 1
            golds = [gold] if isinstance(gold, str) else list(gold)
            if set(golds) & set(predicted):
                agree += 1
        tried.append(TriedItem(item.item_id, gold, rows, predicted, ans.error, ans.hint,
                               ans.cached, ans.cost))
    usage = p.usage()
    return TryReport(service=service, url=str(p.cfg["url"]), items=tried,
                     calls=usage["calls"], cached=usage["cached"], cost=usage["spent"],
                     spent_total=p.spent(), budget=p.cfg["budget"],
                     currency=ws.card.currency, price_per_call=p.price_per_item,
                     unmapped=dict(sorted(unmapped.items(), key=lambda kv: -kv[1])),
                     mapped=mapped, task_labels=classes,
                     agree=agree if with_gold else None)
