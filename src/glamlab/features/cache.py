"""The feature cache: every feature is computed once per item and extractor version.

Values live in the store's ``features`` table (``item_id``, ``extractor`` =
``name@version``, the item's ``content_hash``, ``value`` bytes), so training,
evaluation, runs and monitoring share them. A value whose ``content_hash`` differs
from the item's current one is stale and is recomputed (the item was re-ingested
with new content). Outside a workspace (a notebook, a benchmark) a bounded
in-process cache plays the same part.

Which store is used:

- ``get_features(ws_or_store, items, extractor)``: the one given;
- ``get_features(None, ...)`` (what predictors call): the store made active with
  ``with feature_store(ws): ...``, else the in-process cache.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ItemError

if TYPE_CHECKING:
    import numpy as np

    from ..items import Item
    from ..store import Store
    from .base import Extractor

_ACTIVE: ContextVar[Any] = ContextVar("glamlab_feature_store", default=None)
_CHUNK = 400


class MemoryCache:
    """Bounded in-process cache (least recently used values leave first)."""

    def __init__(self, max_bytes: int = 512 * 2**20):
        self.max_bytes = max_bytes
        self._data: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str, item: Item) -> bytes | None:
        k = (key, item.item_id, _identity(item))
        with self._lock:
            value = self._data.get(k)
            if value is not None:
                self._data.move_to_end(k)
            return value

    def put(self, key: str, item: Item, value: bytes) -> None:
        k = (key, item.item_id, _identity(item))
        with self._lock:
            old = self._data.pop(k, None)
            if old is not None:
                self._size -= len(old)
            self._data[k] = value
            self._size += len(value)
            while self._size > self.max_bytes and self._data:
                _, dropped = self._data.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._data)


MEMORY = MemoryCache()


class ReadThrough:
    """A workspace's cache read, never written: what run workers use (the parent process
    is the store's single writer). Values found in the store are reused; new ones stay
    in this process's memory."""

    def __init__(self, store: Store):
        self.store = store


def worker_cache(url: str | None) -> ReadThrough | None:
    """A :class:`ReadThrough` on the store at ``url`` (None when there is none, or it
    cannot be opened: the worker then computes features as before)."""
    if not url:
        return None
    from ..store import Store

    try:
        return ReadThrough(Store(url, migrate=False))
    except Exception:  # noqa: BLE001 - a cache is an optimisation, never a failure
        return None


def _identity(item: Item) -> str:
    return item.content_hash or f"{item.uri}#{item.page or 0}"


@contextlib.contextmanager
def feature_store(ws_or_store: Any) -> Iterator[None]:
    """Make a workspace's store the cache that predictors use inside the block."""
    token = _ACTIVE.set(_as_store(ws_or_store))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def active_store() -> Store | None:
    return _ACTIVE.get()  # type: ignore[no-any-return]


def _as_store(source: Any) -> Any:
    if source is None or isinstance(source, MemoryCache | ReadThrough):
        return source
    return getattr(source, "store", source)  # a Workspace, or a Store already


@dataclass
class FeatureResult:
    """Rows for the items that could be read, and a reason for each that could not."""

    values: np.ndarray
    item_ids: list[str]
    failures: dict[str, ItemError] = field(default_factory=dict)
    computed: int = 0
    reused: int = 0


def compute_features(source: Any, items: Sequence[Item], extractor: Extractor) -> FeatureResult:
    """Features of ``items`` (cached ones reused, the rest computed and stored). An item
    that cannot be read is left out of ``values`` and named in ``failures``."""
    import numpy as np

    items = list(items)
    cache = _as_store(source) if source is not None else active_store()
    backend: Any = MEMORY if cache is None else cache
    key = extractor.key
    found = _load(backend, key, items)
    vectors: dict[str, np.ndarray] = {}
    for item in items:
        raw = found.get(item.item_id)
        if raw is not None:
            vec = np.frombuffer(raw, dtype="<f4")
            if vec.size == extractor.dim:
                vectors[item.item_id] = vec
    reused = len(vectors)
    todo = [it for it in items if it.item_id not in vectors]
    failures: dict[str, ItemError] = {}
    new: list[tuple[Item, bytes]] = []
    for start in range(0, len(todo), extractor.batch_size):
        batch = todo[start:start + extractor.batch_size]
        for item, vec in _extract_guarded(extractor, batch, failures):
            vectors[item.item_id] = vec
            new.append((item, vec.astype("<f4").tobytes()))
        if len(new) >= _CHUNK:
            _save(backend, key, new)
            new = []
    if new:
        _save(backend, key, new)
    ids = [it.item_id for it in items if it.item_id in vectors]
    values = (np.vstack([vectors[i] for i in ids]).astype(np.float32) if ids
              else np.zeros((0, extractor.dim), dtype=np.float32))
    return FeatureResult(values, ids, failures, computed=len(todo) - len(failures), reused=reused)


def get_features(source: Any, items: Sequence[Item], extractor: Extractor) -> np.ndarray:
    """``(len(items), extractor.dim)`` float32 features aligned with ``items``.

    Raises :class:`ItemError` naming the first item that cannot be read (the others'
    features are cached all the same, so a retry without it is quick)."""
    result = compute_features(source, items, extractor)
    if result.failures:
        first = next(iter(result.failures.values()))
        raise first
    return result.values


def _extract_guarded(extractor: Extractor, batch: list[Item],
                     failures: dict[str, ItemError]) -> list[tuple[Item, np.ndarray]]:
    try:
        rows = extractor.extract_batch(batch)
        return list(zip(batch, rows, strict=True))
    except ItemError as exc:
        if len(batch) == 1:
            failures[batch[0].item_id] = exc
            return []
    out: list[tuple[Item, np.ndarray]] = []
    for item in batch:  # retry one by one: keep the good ones, name the bad ones
        try:
            out.append((item, extractor.extract_batch([item])[0]))
        except ItemError as exc:
            failures[item.item_id] = exc
    return out


# -- raw bytes (vectors and thumbnails) -------------------------------------------------
def _load(backend: Any, key: str, items: list[Item]) -> dict[str, bytes]:
    if isinstance(backend, ReadThrough):
        out = _load(MEMORY, key, items)
        rest = [it for it in items if it.item_id not in out]
        return {**out, **(_load(backend.store, key, rest) if rest else {})}
    if isinstance(backend, MemoryCache):
        out = {}
        for item in items:
            value = backend.get(key, item)
            if value is not None:
                out[item.item_id] = value
        return out
    import sqlalchemy as sa

    t = backend.t.features
    want = {it.item_id: it.content_hash for it in items}
    out = {}
    ids = list(want)
    with backend.read() as conn:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            rows = conn.execute(sa.select(t.c.item_id, t.c.content_hash, t.c.value)
                                .where(t.c.extractor == key, t.c.item_id.in_(chunk)))
            for item_id, content_hash, value in rows:
                if content_hash == want[item_id]:  # stale values are recomputed
                    out[item_id] = bytes(value)
    return out


def _save(backend: Any, key: str, rows: list[tuple[Item, bytes]]) -> None:
    if isinstance(backend, ReadThrough):
        backend = MEMORY
    if isinstance(backend, MemoryCache):
        for item, value in rows:
            backend.put(key, item, value)
        return
    import sqlalchemy as sa

    from ..store import now

    t = backend.t.features
    stamp = now()
    with backend.write() as conn:
        ids = [item.item_id for item, _ in rows]
        conn.execute(sa.delete(t).where(t.c.extractor == key, t.c.item_id.in_(ids)))
        conn.execute(sa.insert(t), [
            {"item_id": item.item_id, "extractor": key, "content_hash": item.content_hash,
             "value": value, "created_at": stamp} for item, value in rows])


def invalidate(ws_or_store: Any, item_ids: Sequence[str] | None = None,
               extractor: str | None = None) -> int:
    """Forget cached features (of some items, of one extractor key, or all); returns rows
    deleted. Normally not needed: a changed content_hash is detected on read."""
    import sqlalchemy as sa

    store = _as_store(ws_or_store)
    t = store.t.features
    stmt = sa.delete(t)
    if extractor is not None:
        stmt = stmt.where(t.c.extractor == extractor)
    if item_ids is not None:
        stmt = stmt.where(t.c.item_id.in_(list(item_ids)))
    with store.write() as conn:
        return int(conn.execute(stmt).rowcount or 0)


# -- thumbnails ---------------------------------------------------------------------------
def get_thumbnail(source: Any, item: Item, size: int = 256) -> bytes:
    """PNG bytes of the page, long side ``size`` pixels, cached like features.
    Raises :class:`ItemError` naming the item if the image cannot be read."""
    import io

    from .base import decode

    cache = _as_store(source) if source is not None else active_store()
    backend: Any = MEMORY if cache is None else cache
    key = f"thumbnail-{size}@1"
    found = _load(backend, key, [item]).get(item.item_id)
    if found is not None:
        return found
    im = decode(item, size)
    im.thumbnail((size, size))
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    data = buf.getvalue()
    _save(backend, key, [(item, data)])
    return data
