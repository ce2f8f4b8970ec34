"""A predictor over an HTTP JSON model service (vision, OCR, tagging APIs) that may
charge per call.

Everything about the service lives in ``glamlab.toml``::

    [services.tagger]
    url = "https://api.example.org/v1/tag"
    method = "POST"
    secret_env = "TAGGER_KEY"          # the secret is read from this variable at call time
    auth_header = "Authorization"      # sent as "<auth_prefix><secret>"
    auth_prefix = "Bearer "
    request = { text = "{text}", id = "{item_id}" }   # {text} {item_id} {uri} {image_base64} {meta.FIELD}
    labels_path = "result.tags"        # dotted path to the list of labels in the JSON answer
                                       # (numbers index lists: "responses.0.labelAnnotations")
    label_key = "name"                 # in each element (elements may also be plain strings)
    score_key = "confidence"           # missing -> 1.0
    price_per_call = 0.002
    budget = 5.0                       # total spend cap for this service, all runs together
    max_retries = 3                    # on 429, 5xx, timeouts and connection errors
    backoff_s = 0.5                    # doubled after each retry; Retry-After is honoured
    rate_per_s = 5                     # at most this many calls per second
    timeout_s = 30

    [services.tagger.mapping]          # service label -> task label
    fireworks = "leisure and pastimes"

Guarantees:

- **secret**: only the *name* of the environment variable is in the config, the saved
  model and the store; the value is put in one request header and nowhere else (not in
  logs, errors, the cache or ``repr``);
- **cache**: every answer is kept in the ``service_cache`` table under the sha256 of the
  request body (which holds the item's content), so a re-run, a resumed run or a retry of
  a failed batch never pays twice;
- **budget**: spend is the sum of ``service_cache.cost`` for the service; a call that would
  take it past ``budget`` is not made and :class:`~glamlab.errors.BudgetExceeded` is
  raised (the run stops, nothing is overspent); failed calls are not counted as paid;
- **failures**: a service that fails for an item (HTTP error after retries, malformed
  JSON, an answer without the labels) gives that item an :class:`~glamlab.errors.ItemError`
  with the reason, never an empty prediction that would read as "no label".
  :meth:`ServicePredictor.call` returns one :class:`ServiceAnswer` per item with either the
  labels or the failure; ``predict_proba`` first caches every good answer, then raises for
  the first failed item, so the batch can be retried item by item at no cost;
- **open-ended labels**: answers are stored as returned; :meth:`ServicePredictor.unmapped_labels`
  lists what the service said that the mapping does not cover.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import BudgetExceeded, ConfigError, ItemError, ServiceError
from .base import Predictor

if TYPE_CHECKING:
    import httpx
    import numpy as np

    from ..items import Item
    from ..store import Store

log = logging.getLogger(__name__)

REQUIRED = ("url",)
DEFAULTS: dict[str, Any] = {
    "method": "POST", "secret_env": None, "auth_header": "Authorization", "auth_prefix": "Bearer ",
    "request": {"text": "{text}"}, "labels_path": "labels", "label_key": "label",
    "score_key": "score", "price_per_call": 0.0, "budget": None, "max_retries": 3,
    "backoff_s": 0.5, "max_backoff_s": 30.0, "rate_per_s": None, "timeout_s": 30.0,
    "mapping": {},
}
RETRY_STATUS = {429, 500, 502, 503, 504}
#: keys of a saved model's config that the card's current [services.NAME] overrides when
#: the model is loaded in a workspace (what it costs and how it is called, not what it
#: answers): raising the budget in the card applies to models trained before
OPERATIONAL = ("secret_env", "auth_header", "auth_prefix", "price_per_call", "budget",
               "max_retries", "backoff_s", "max_backoff_s", "rate_per_s", "timeout_s")
#: seconds a failed item is not asked again (the batch-then-item-by-item retry of
#: :func:`glamlab.tasks.predict.predict_items` must not pay twice for one bad item)
FAILURE_MEMORY_S = 60.0


@dataclass
class ServiceAnswer:
    item_id: str
    labels: list[tuple[str, float]] = field(default_factory=list)  # as returned by the service
    error: str | None = None
    cached: bool = False
    cost: float = 0.0
    hint: str | None = None


def service_config(card_raw: dict[str, Any], name: str) -> dict[str, Any]:
    """``[services.NAME]`` from a card's raw TOML, checked and with defaults filled in."""
    services = card_raw.get("services", {})
    cfg = services.get(name) if isinstance(services, dict) else None
    if not isinstance(cfg, dict):
        raise ConfigError(f"no [services.{name}] section in glamlab.toml",
                          hint=f"add [services.{name}] with at least url = \"...\"")
    return check_config(cfg, name)


def check_config(cfg: dict[str, Any], name: str = "service") -> dict[str, Any]:
    for key in ("secret", "api_key", "token"):
        if key in cfg:
            raise ConfigError(f"[services.{name}] must not hold a secret ({key!r})",
                              hint="put it in an environment variable and name it with secret_env")
    unknown = sorted(set(cfg) - set(DEFAULTS) - set(REQUIRED))
    if unknown:
        raise ConfigError(f"[services.{name}]: unknown keys {unknown}",
                          hint=f"valid keys: {', '.join(sorted(set(DEFAULTS) | set(REQUIRED)))}")
    missing = [k for k in REQUIRED if not cfg.get(k)]
    if missing:
        raise ConfigError(f"[services.{name}] is missing {missing}", hint="add the service URL")
    out = {**DEFAULTS, **cfg}
    if out["budget"] is not None and float(out["budget"]) < 0:
        raise ConfigError(f"[services.{name}] budget must be >= 0", hint="fix the budget")
    return out


class ServicePredictor(Predictor):
    """Scores from an HTTP JSON service, mapped to the task's labels (see the module doc).

    Construct with the service ``name`` and its ``config`` (as in glamlab.toml), or with
    :meth:`from_workspace`. :meth:`bind` attaches the workspace store (the cache and budget
    ledger) and, for tests, an ``httpx`` transport."""

    name = "external"
    needs_fit: ClassVar[bool] = False
    batch_size: ClassVar[int] = 16
    #: its cache of answers and budget ledger are the workspace's store: a run calls it
    #: from the process that holds the store (glamlab.inference.runner)
    needs_store: ClassVar[bool] = True
    intended_use = "use a hosted model (vision, OCR, tagging) where no local one is good enough"
    limitations = "costs money per call; the service may change without notice; labels are mapped"

    def __init__(self, service: str = "service", config: dict[str, Any] | None = None):
        self.service = service
        self.config = dict(config or {})
        self.name = f"service:{service}"  # type: ignore[misc]  # one catalogue name per service
        self._store: Store | None = None
        self._transport: httpx.BaseTransport | None = None
        self._client: httpx.Client | None = None
        self._memory: dict[str, dict[str, Any]] = {}
        self._spent_here = 0.0
        self._last_call = 0.0
        self._lock = threading.Lock()
        self._unmapped: Counter[str] = Counter()
        self._failed: dict[str, tuple[float, str, str | None]] = {}
        self._usage: dict[str, float] = {"calls": 0, "cached": 0, "failed": 0, "spent": 0.0}

    @classmethod
    def from_workspace(cls, ws: Any, service: str) -> ServicePredictor:
        obj = cls(service=service, config=service_config(ws.card.raw, service))
        return obj.bind(store=ws.store)

    def bind(self, store: Store | None = None,
             transport: httpx.BaseTransport | None = None) -> ServicePredictor:
        if store is not None:
            self._store = store
        if transport is not None:
            self._transport = transport
            self._client = None
        return self

    def refresh(self, card_raw: dict[str, Any]) -> ServicePredictor:
        """Take the card's current price, budget, secret variable, retries and timeouts
        for this service (:data:`OPERATIONAL`), when the card still has the block."""
        services = card_raw.get("services", {})
        current = services.get(self.service) if isinstance(services, dict) else None
        if isinstance(current, dict):
            fresh = check_config(current, self.service)
            for key in OPERATIONAL:
                self.config[key] = fresh[key]
        return self

    def usage(self) -> dict[str, Any]:
        """What this predictor object did so far: paid ``calls``, answers from the
        ``cached`` store, ``failed`` items and the money ``spent``."""
        u = self._usage
        return {"calls": int(u["calls"]), "cached": int(u["cached"]),
                "failed": int(u["failed"]), "spent": round(float(u["spent"]), 6)}

    @property
    def cfg(self) -> dict[str, Any]:
        return check_config(self.config, self.service)

    @property
    def price_per_item(self) -> float:  # type: ignore[override]
        return float(self.config.get("price_per_call", 0.0))

    def meta_fields(self) -> tuple[str, ...]:
        """The ``{meta.FIELD}`` placeholders of the request template."""
        import json
        import re

        text = json.dumps(self.config, default=str)
        return tuple(dict.fromkeys(re.findall(r"\{meta\.([^{}]+)\}", text)))

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        cfg = self.cfg
        bad = sorted({v for v in cfg["mapping"].values() if v not in self.classes_})
        if bad:
            raise ConfigError(f"[services.{self.service}.mapping] maps to {bad}, "
                              f"which are not task labels", hint=f"task labels: {self.classes_}")

    # -- requests ----------------------------------------------------------------------
    def _render(self, template: Any, item: Item) -> Any:
        if isinstance(template, dict):
            return {k: self._render(v, item) for k, v in template.items()}
        if isinstance(template, list):
            return [self._render(v, item) for v in template]
        if not isinstance(template, str):
            return template
        values = {"{text}": item.text or "", "{item_id}": item.item_id, "{uri}": item.uri or ""}
        if "{image_base64}" in template:
            path = item.path
            if path is None:
                raise ItemError(f"item {item.item_id} has no local file to send",
                                item=item.item_id, hint="send {uri} instead of {image_base64}")
            try:
                values["{image_base64}"] = base64.b64encode(path.read_bytes()).decode("ascii")
            except OSError as exc:
                raise ItemError(f"item {item.item_id}: cannot read {path}: {exc.strerror}",
                                item=item.item_id, hint="check the file") from exc
        for key, value in (item.meta or {}).items():
            values["{meta." + str(key) + "}"] = "" if value is None else str(value)
        if template in values:
            return values[template]
        for k, v in values.items():
            template = template.replace(k, v)
        return template

    def _headers(self) -> dict[str, str]:
        cfg = self.cfg
        headers = {"Accept": "application/json"}
        env = cfg["secret_env"]
        if env:
            secret = os.environ.get(env)
            if not secret:
                raise ServiceError(f"service {self.service}: the environment variable {env} is not set",
                                   hint=f"export {env}=... (the service's key) before running")
            headers[cfg["auth_header"]] = f"{cfg['auth_prefix']}{secret}"
        return headers

    def _http(self) -> httpx.Client:
        import httpx

        if self._client is None:
            self._client = httpx.Client(transport=self._transport, timeout=float(self.cfg["timeout_s"]))
        return self._client

    # -- cache and budget --------------------------------------------------------------
    def _cached(self, key: str) -> dict[str, Any] | None:
        if key in self._memory:
            return self._memory[key]
        if self._store is None:
            return None
        t = self._store.t.service_cache
        with self._store.read() as conn:
            row = conn.execute(t.select().where(t.c.service == self.service,
                                                t.c.content_hash == key)).first()
        if row is None:
            return None
        resp = row.response if isinstance(row.response, dict) else json.loads(row.response)
        self._memory[key] = resp
        return resp  # type: ignore[no-any-return]

    def spent(self) -> float:
        """Total paid to this service: every cached answer's cost (all runs)."""
        if self._store is None:
            return self._spent_here
        import sqlalchemy as sa

        t = self._store.t.service_cache
        with self._store.read() as conn:
            total = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(t.c.cost), 0.0))
                                 .where(t.c.service == self.service)).scalar_one()
        return float(total)

    def _remember(self, key: str, response: dict[str, Any], cost: float) -> None:
        self._memory[key] = response
        self._spent_here += cost
        if self._store is None:
            return
        from ..store import now

        t = self._store.t.service_cache
        with self._store.write() as conn:
            exists = conn.execute(t.select().where(t.c.service == self.service,
                                                   t.c.content_hash == key)).first()
            if exists is None:
                conn.execute(t.insert().values(service=self.service, content_hash=key,
                                               response=response, cost=cost, created_at=now()))

    # -- calling -----------------------------------------------------------------------
    def _wait_for_rate(self) -> None:
        rate = self.cfg["rate_per_s"]
        if not rate:
            return
        gap = 1.0 / float(rate)
        delay = self._last_call + gap - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._last_call = time.monotonic()

    def _post(self, body: Any, item_id: str) -> dict[str, Any]:
        """One paid call with retries. Returns the JSON answer or raises ItemError."""
        import httpx

        cfg = self.cfg
        headers = self._headers()
        attempts = int(cfg["max_retries"]) + 1
        backoff = float(cfg["backoff_s"])
        reason = "no answer"
        for attempt in range(attempts):
            self._wait_for_rate()
            try:
                resp = self._http().request(cfg["method"], cfg["url"], json=body, headers=headers)
            except httpx.TimeoutException:
                reason = f"timed out after {cfg['timeout_s']} s"
                resp = None
            except httpx.TransportError as exc:
                reason = f"connection failed ({type(exc).__name__})"
                resp = None
            if resp is not None:
                log.info("service %s item %s: HTTP %s", self.service, item_id, resp.status_code)
                if resp.status_code < 300:
                    try:
                        data = resp.json()
                    except ValueError:
                        raise ItemError(f"service {self.service} answered item {item_id} with "
                                        "malformed JSON", item=item_id,
                                        hint="check the service, or its URL in glamlab.toml") from None
                    if not isinstance(data, dict | list):
                        raise ItemError(f"service {self.service}: answer for {item_id} is not a "
                                        "JSON object", item=item_id, hint="check labels_path")
                    return data if isinstance(data, dict) else {"_": data}
                reason = f"HTTP {resp.status_code}"
                if resp.status_code not in RETRY_STATUS:
                    raise ItemError(f"service {self.service} refused item {item_id}: {reason}",
                                    item=item_id, hint=self._status_hint(resp.status_code))
                retry_after = resp.headers.get("Retry-After")
                if retry_after and retry_after.replace(".", "", 1).isdigit():
                    backoff = max(backoff, float(retry_after))
            if attempt + 1 < attempts:
                time.sleep(min(backoff, float(cfg["max_backoff_s"])))
                backoff *= 2
        raise ItemError(f"service {self.service} failed for item {item_id}: {reason}"
                        f" (after {attempts} attempt{'s' if attempts > 1 else ''})", item=item_id,
                        hint="re-run later (or raise max_retries / timeout_s in "
                             f"[services.{self.service}]): answers already received are cached "
                             "and not paid again")

    def _status_hint(self, status: int) -> str:
        where = f"[services.{self.service}]"
        if status in (401, 403):
            env = self.cfg["secret_env"]
            return (f"check the key in ${env} and auth_header / auth_prefix in {where}" if env
                    else f"the service wants a key: set secret_env in {where}")
        if status in (404, 405):
            return f"check url and method in {where}"
        if status in (400, 413, 415, 422):
            return f"the service cannot read this request: check request in {where}"
        return f"check the service and {where}"

    def _labels(self, data: dict[str, Any], item_id: str) -> list[tuple[str, float]]:
        cfg = self.cfg
        node: Any = data.get("_", data) if "_" in data and len(data) == 1 else data
        path = [p for p in str(cfg["labels_path"]).split(".") if p]
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]  # "responses.0.labelAnnotations"
            else:
                raise ItemError(f"service {self.service}: the answer for {item_id} has no "
                                f"{cfg['labels_path']!r}", item=item_id,
                                hint="fix labels_path in glamlab.toml, or check the service")
        if not isinstance(node, list):
            raise ItemError(f"service {self.service}: {cfg['labels_path']!r} in the answer for "
                            f"{item_id} is not a list", item=item_id, hint="fix labels_path")
        out = []
        for el in node:
            if isinstance(el, str):
                out.append((el, 1.0))
            elif isinstance(el, dict) and cfg["label_key"] in el:
                try:
                    score = float(el.get(cfg["score_key"], 1.0))
                except (TypeError, ValueError):
                    score = 1.0
                out.append((str(el[cfg["label_key"]]), min(max(score, 0.0), 1.0)))
            else:
                raise ItemError(f"service {self.service}: unreadable label {str(el)[:80]!r} for "
                                f"{item_id}", item=item_id, hint="fix label_key in glamlab.toml")
        return out

    def call(self, items: list[Item]) -> list[ServiceAnswer]:
        """Ask the service about each item (cached answers first). Per-item failures are
        returned, not raised; :class:`BudgetExceeded` is raised before a call that would
        pass the budget."""
        cfg = self.cfg
        price = float(cfg["price_per_call"])
        budget = cfg["budget"]
        answers = []
        with self._lock:
            spent = self.spent() if budget is not None else 0.0
            for item in items:
                try:
                    body = self._render(cfg["request"], item)
                except ItemError as exc:
                    answers.append(ServiceAnswer(item.item_id, error=exc.message, hint=exc.hint))
                    self._usage["failed"] += 1
                    continue
                key = hashlib.sha256(json.dumps([cfg["url"], body], sort_keys=True,
                                                ensure_ascii=False).encode()).hexdigest()
                data = self._cached(key)
                cached = data is not None
                cost = 0.0
                failed = self._failed.get(key)
                if data is None and failed and time.monotonic() - failed[0] < FAILURE_MEMORY_S:
                    answers.append(ServiceAnswer(item.item_id, error=failed[1], hint=failed[2]))
                    continue  # it failed moments ago: not asked (nor paid) again
                if cached:
                    self._usage["cached"] += 1
                if data is None:
                    if budget is not None and spent + price > float(budget) + 1e-12:
                        raise BudgetExceeded(
                            f"service {self.service}: the next call would cost {price} and take "
                            f"the spend from {spent:.4f} past the budget of {budget}",
                            item=item.item_id,
                            hint=f"raise budget in [services.{self.service}] or run fewer items")
                    try:
                        data = self._post(body, item.item_id)
                    except ItemError as exc:
                        self._failed[key] = (time.monotonic(), exc.message, exc.hint)
                        self._usage["failed"] += 1
                        answers.append(ServiceAnswer(item.item_id, error=exc.message,
                                                     hint=exc.hint))
                        continue
                    cost = price
                    spent += price
                    self._usage["calls"] += 1
                    self._usage["spent"] += price
                    self._remember(key, data, cost)
                try:
                    labels = self._labels(data, item.item_id)
                except ItemError as exc:
                    self._usage["failed"] += 1
                    answers.append(ServiceAnswer(item.item_id, error=exc.message, cached=cached,
                                                 cost=cost, hint=exc.hint))
                    continue
                answers.append(ServiceAnswer(item.item_id, labels, cached=cached, cost=cost))
        return answers

    # -- the predictor protocol --------------------------------------------------------
    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        answers = self.call(items)
        failed = [a for a in answers if a.error]
        if failed:
            first = failed[0]
            raise ItemError(first.error or "service failed", item=first.item_id,
                            hint=first.hint or "the other items' answers are cached")
        return self._predict_from_answers(answers)

    def _predict_from_answers(self, answers: list[ServiceAnswer]) -> np.ndarray:
        """Scores over the task's labels from the service's answers, through the mapping
        (a service label that is also a task label maps to itself)."""
        import numpy as np

        mapping = self.cfg["mapping"]
        index = {c: i for i, c in enumerate(self.classes_)}
        out = np.zeros((len(answers), len(self.classes_)))
        for row, ans in enumerate(answers):
            for label, score in ans.labels:
                task_label = mapping.get(label, label if label in index else None)
                if task_label is None:
                    self._unmapped[label] += 1
                    continue
                col = index[task_label]
                out[row, col] = max(out[row, col], score)
        if not self.multi_label_:
            sums = out.sum(axis=1, keepdims=True)
            out = np.divide(out, sums, out=np.full_like(out, 1.0 / len(self.classes_)),
                            where=sums > 0)
        return out  # type: ignore[no-any-return]

    def unmapped_labels(self) -> dict[str, int]:
        """Service labels seen that map to no task label, most frequent first."""
        return dict(self._unmapped.most_common())

    def service_labels(self) -> dict[str, int]:
        """Every label the service has returned for this service's cached answers, with
        counts (reads the cache, so it covers earlier runs too)."""
        counts: Counter[str] = Counter()
        responses = list(self._memory.values())
        if self._store is not None:
            t = self._store.t.service_cache
            with self._store.read() as conn:
                responses = [r.response if isinstance(r.response, dict) else json.loads(r.response)
                             for r in conn.execute(t.select().where(t.c.service == self.service))]
        for resp in responses:
            try:
                counts.update(label for label, _ in self._labels(resp, "?"))
            except ItemError:
                continue
        return dict(counts.most_common())

    def learned_state(self) -> dict[str, Any]:
        return {}

    def card(self) -> dict[str, Any]:
        cfg = {**DEFAULTS, **self.config}
        return {**super().card(), "service": self.service, "external": True,
                "url": cfg.get("url"), "price_per_call": float(cfg["price_per_call"]),
                "budget": cfg["budget"]}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(vars(self))
        state.update(_client=None, _store=None, _transport=None, _lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        self._lock = threading.Lock()
