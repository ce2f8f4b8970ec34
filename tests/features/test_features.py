"""Page statistics, the feature cache (store and in-memory), thumbnails, bad input."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image

from glamlab.errors import ItemError
from glamlab.features import (
    FEATURE_NAMES,
    MemoryCache,
    PageStats,
    compute_features,
    feature_store,
    get_features,
    get_thumbnail,
    invalidate,
)
from glamlab.features.base import Extractor
from glamlab.items import Item
from tests.features.synthetic import demo_item, demo_rows, synthetic_blank


class Counting(Extractor):
    """Page statistics, counting how often a page is really computed."""

    name = "counting-stats"
    version = 1

    def __init__(self) -> None:
        self.inner = PageStats()
        self.dim = self.inner.dim
        self.calls: list[str] = []

    def extract_one(self, item: Item) -> np.ndarray:
        self.calls.append(item.item_id)
        return self.inner.extract_one(item)


def _pages(n: int = 3) -> list[Item]:
    return [demo_item(r) for r in demo_rows()[:n]]


def test_statistics_tell_a_synthetic_blank_from_a_real_page(tmp_path: Path) -> None:
    blank = Item("b", "image", uri=str(synthetic_blank(tmp_path / "b.jpg", seed=1)))
    real = _pages(1)[0]
    X = get_features(MemoryCache(), [blank, real], PageStats())
    assert X.shape == (2, len(FEATURE_NAMES))
    assert np.isfinite(X).all()
    ink = FEATURE_NAMES.index("strong_ink_frac")
    rows = FEATURE_NAMES.index("rows_inked_frac")
    assert X[0, ink] < 0.01 < X[1, ink]
    assert X[0, rows] < X[1, rows]


def test_red_rubrics_raise_red_fraction(tmp_path: Path) -> None:
    im = Image.new("RGB", (600, 900), (235, 228, 210))
    plain = tmp_path / "plain.jpg"
    im.save(plain)
    im.paste((200, 30, 30), (100, 100, 400, 160))
    red = tmp_path / "red.jpg"
    im.save(red)
    X = get_features(MemoryCache(), [Item("p", "image", uri=str(plain)),
                                     Item("r", "image", uri=str(red))], PageStats())
    k = FEATURE_NAMES.index("red_frac")
    assert X[0, k] == 0 and X[1, k] > 0.02


def test_store_cache_computes_once_and_recomputes_when_content_changes(make_ws) -> None:
    ws = make_ws("cache")
    items = _pages(3)
    ex = Counting()
    first = get_features(ws, items, ex)
    again = get_features(ws, items, ex)
    assert ex.calls == [it.item_id for it in items]  # second call read the store
    np.testing.assert_array_equal(first, again)
    t = ws.store.t.features
    with ws.store.read() as conn:
        keys = {r[0] for r in conn.execute(sa.select(t.c.extractor))}
    assert keys == {"counting-stats@1"}
    # the item is re-ingested with new content: its cached value is stale
    items[1].content_hash = "changed"
    get_features(ws, items, ex)
    assert ex.calls[3:] == [items[1].item_id]
    assert invalidate(ws, extractor="counting-stats@1") == 3
    get_features(ws, items, ex)
    assert len(ex.calls) == 7


def test_active_store_is_used_by_predictor_style_calls(make_ws) -> None:
    ws = make_ws("active")
    items = _pages(2)
    ex = Counting()
    with feature_store(ws):
        get_features(None, items, ex)
    with ws.store.read() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(ws.store.t.features)).scalar()
    assert n == 2


def test_memory_cache_is_bounded() -> None:
    cache = MemoryCache(max_bytes=PageStats().dim * 4 * 2)
    ex = Counting()
    get_features(cache, _pages(3), ex)
    assert len(cache) == 2


def test_unreadable_image_is_a_named_failure_and_the_rest_is_kept(make_ws, tmp_path: Path) -> None:
    ws = make_ws("bad")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    bad = Item("broken-page", "image", uri=str(broken), content_hash="x")
    items = [*_pages(2), bad]
    result = compute_features(ws, items, PageStats())
    assert result.item_ids == [it.item_id for it in items[:2]]
    assert set(result.failures) == {"broken-page"}
    assert "broken-page" in str(result.failures["broken-page"])
    assert result.values.shape == (2, PageStats().dim)
    with pytest.raises(ItemError) as err:
        get_features(ws, items, PageStats())
    assert err.value.item == "broken-page"
    assert err.value.hint


def test_thumbnail_is_a_cached_png(make_ws) -> None:
    ws = make_ws("thumbs")
    item = _pages(1)[0]
    data = get_thumbnail(ws, item, size=128)
    im = Image.open(io.BytesIO(data))
    assert im.format == "PNG" and max(im.size) == 128
    t = ws.store.t.features
    with ws.store.read() as conn:
        stored = conn.execute(sa.select(t.c.value).where(t.c.extractor == "thumbnail-128@1")
                              ).scalar()
    assert bytes(stored) == data


def test_pages_shared_over_threads_give_what_a_loop_gives(monkeypatch, tmp_path: Path) -> None:
    from glamlab.errors import ItemError
    from glamlab.features import PageStats
    from glamlab.items import Item
    from tests.features.synthetic import demo_item, demo_rows

    items = [demo_item(r) for r in demo_rows()[:4]]
    monkeypatch.setenv("GLAMLAB_THREADS", "1")
    serial = PageStats().extract_batch(items)
    monkeypatch.setenv("GLAMLAB_THREADS", "3")
    np.testing.assert_array_equal(PageStats().extract_batch(items), serial)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 not a jpeg")
    with pytest.raises(ItemError, match="broken"):  # the bad page names itself
        PageStats().extract_batch([items[0], Item("broken", "image", uri=str(bad)), items[1]])


def test_run_workers_read_the_workspace_cache_without_writing_it(make_ws) -> None:
    from glamlab.features.cache import MEMORY, worker_cache

    ws = make_ws("shared")
    items = _pages(3)
    ex = Counting()
    get_features(ws, items[:2], ex)  # what train / evaluate cached
    cache = worker_cache(ws.store.url)
    assert cache is not None
    MEMORY.clear()
    with feature_store(cache):
        get_features(None, items, ex)
        get_features(None, items, ex)
    assert ex.calls == [items[0].item_id, items[1].item_id, items[2].item_id]
    with ws.store.read() as conn:  # the worker wrote nothing: the parent is the writer
        n = conn.execute(sa.select(sa.func.count()).select_from(ws.store.t.features)).scalar()
    assert n == 2
    assert worker_cache(None) is None


def test_a_small_run_is_split_across_every_worker() -> None:
    from glamlab.inference.runner import small_run_batch

    assert small_run_batch(236, 2, 256) == 30  # both workers, progress every 30 pages
    assert small_run_batch(1_000_000, 2, 256) == 256
    assert small_run_batch(3, 2, 256) == 1
    assert small_run_batch(10, 0, 256) == 3  # in this process
