"""Concept queries: from "I have a question" to "here is the trend, and how sure we are".

1. :func:`build_index` embeds every text item with an encoder glamlab ships (``minilm``:
   all-MiniLM-L6-v2 int8; ``e5``: multilingual-e5-small), in batches through the feature
   cache (an interrupted build resumes where it stopped: embedded items are not embedded
   again), and puts the vectors in an HNSW index (hnswlib; chosen by measurement among
   sqlite-vec, hnswlib, usearch and DuckDB vss, see docs/trends.md) saved in the workspace.
2. :func:`search` finds the passages nearest to a phrase or a few example passages.
3. :func:`concept_workspace` starts a two-label project for the concept over the same
   items; :func:`to_label` proposes items to label (nearest passages, a middle band and
   random ones, so the labels hold negatives too); once a model exists, the existing
   uncertainty sampling (:func:`glamlab.tasks.sampling.sample_items`) takes over.
4. Train, evaluate, run and trend with the library as for any task
   (``registry.training.train``, ``evaluation``, ``inference.run``, :func:`glamlab.trends.trends`).

A passage is one text item (long texts are cut at the encoder's limit, 128 word pieces for
``minilm``); items without text are skipped and counted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import MissingDependency, TrendsError
from ..predictors.text.embed import TextEmbedding

if TYPE_CHECKING:
    import numpy as np

    from ..items import Item
    from ..workspace import Workspace

ENCODERS = ("minilm", "e5")
DIM = 384


@dataclass
class IndexInfo:
    encoder: str
    passages: int
    skipped: int
    embedded_now: int
    reused: int
    seconds: float
    path: str

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class Hit:
    item_id: str
    similarity: float
    text: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def _folder(ws: Workspace) -> Path:
    d = ws.data_dir / "concepts"
    d.mkdir(exist_ok=True)
    return d


class VectorIndex:
    """An HNSW index over unit vectors (cosine; hnswlib), keys 0..n-1, with the item ids
    beside it."""

    def __init__(self, dim: int = DIM, capacity: int = 100_000):
        try:
            import hnswlib
        except ImportError as exc:
            raise MissingDependency("hnswlib", "text") from exc
        self.dim = dim
        self.index = hnswlib.Index(space="cosine", dim=dim)
        self.index.init_index(max_elements=capacity, ef_construction=128, M=16)
        self.index.set_ef(128)
        self.ids: list[str] = []

    def add(self, ids: Sequence[str], vectors: np.ndarray, threads: int = -1) -> None:
        import numpy as np

        if not len(ids):
            return
        need = len(self.ids) + len(ids)
        if need > self.index.get_max_elements():
            self.index.resize_index(max(need, 2 * self.index.get_max_elements()))
        keys = np.arange(len(self.ids), need, dtype=np.int64)
        self.index.add_items(np.ascontiguousarray(vectors, dtype=np.float32), keys,
                             num_threads=threads)
        self.ids.extend(ids)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        k = min(k, len(self.ids))
        self.index.set_ef(max(128, k))
        keys, dist = self.index.knn_query(vector.astype("float32"), k=k)
        return [(self.ids[int(key)], round(1.0 - float(d), 4))
                for key, d in zip(keys[0], dist[0], strict=True)]

    def save(self, path: Path) -> None:
        self.index.save_index(str(path))
        path.with_suffix(".ids.json").write_text(json.dumps(self.ids), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        import hnswlib

        vi = cls.__new__(cls)
        vi.ids = json.loads(path.with_suffix(".ids.json").read_text(encoding="utf-8"))
        vi.dim = DIM
        vi.index = hnswlib.Index(space="cosine", dim=DIM)
        vi.index.load_index(str(path), max_elements=max(len(vi.ids), 1))
        vi.index.set_ef(128)
        return vi

    def __len__(self) -> int:
        return len(self.ids)


def build_index(ws: Workspace, *, encoder: str = "minilm", where: dict[str, Any] | None = None,
                batch: int = 2000, progress: bool = False) -> IndexInfo:
    """Embed the text items (resumable through the feature cache) and index them."""
    import time

    from ..features.cache import compute_features
    from ..progress import Progress, watched

    t0 = time.perf_counter()
    if encoder not in ENCODERS:
        raise TrendsError(f"unknown encoder {encoder!r}", hint=f"choose one of {', '.join(ENCODERS)}")
    extractor = TextEmbedding(encoder)
    index = VectorIndex()
    skipped = embedded = reused = 0
    bar = (Progress("embedding passages", total=ws.count_items(where=where), enabled=progress,
                    said="embedded")
           if progress or watched() is not None else None)
    chunk: list[Item] = []

    def flush() -> None:
        nonlocal skipped, embedded, reused
        texts = [it for it in chunk if it.modality == "text"]
        res = compute_features(ws, texts, extractor)
        index.add(res.item_ids, res.values)
        skipped += len(chunk) - len(res.item_ids)
        embedded += res.computed
        reused += res.reused
        if bar is not None:
            bar.update(len(chunk))
        chunk.clear()

    try:
        for item in ws.items(where=where, batch_size=batch):
            chunk.append(item)
            if len(chunk) >= batch:
                flush()
        if chunk:
            flush()
    finally:
        if bar is not None:
            bar.close()
    if not len(index):
        raise TrendsError("no text item to index", hint="ingest text (OCR, records) first")
    path = _folder(ws) / f"{encoder}.hnsw"
    index.save(path)
    return IndexInfo(encoder, len(index), skipped, embedded, reused,
                     round(time.perf_counter() - t0, 2), str(path))


def query_vector(texts: Sequence[str], *, encoder: str = "minilm") -> np.ndarray:
    """One unit vector for a concept: a phrase, or the mean of a few example passages."""
    import numpy as np

    from ..predictors.text.embed import encoder as get_encoder

    texts = [t for t in texts if t and t.strip()]
    if not texts:
        raise TrendsError("a concept needs a phrase or example passages",
                          hint="e.g. search(ws, 'railway accidents') or a list of passages")
    # a short phrase is a query (e5 embeds it as "query:"); examples are passages
    as_query = len(texts) == 1 and len(texts[0].split()) <= 12
    v = get_encoder(encoder).encode(list(texts), query=as_query).mean(axis=0)
    return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)


def has_index(ws: Workspace, encoder: str = "minilm") -> bool:
    """Whether :func:`build_index` has built the ``encoder`` passage index here."""
    return (ws.data_dir / "concepts" / f"{encoder}.hnsw").exists()


def search(ws: Workspace, concept: str | Sequence[str], *, k: int = 50,
           encoder: str = "minilm") -> list[Hit]:
    """The ``k`` passages nearest to ``concept`` (a phrase or example passages)."""
    path = _folder(ws) / f"{encoder}.hnsw"
    if not path.exists():
        raise TrendsError(f"no {encoder} passage index in this workspace yet",
                          hint="build it first: glamlab.trends.concepts.build_index(ws)")
    index = VectorIndex.load(path)
    found = index.search(query_vector([concept] if isinstance(concept, str) else concept,
                                      encoder=encoder), k)
    items = {it.item_id: it for it in ws.items(ids=[i for i, _ in found])}
    return [Hit(i, s, (items[i].text or "")[:300] if i in items else "",
                items[i].meta if i in items else {}) for i, s in found]


def to_label(ws: Workspace, concept: str | Sequence[str], n: int = 40, *, seed: int = 0,
             encoder: str = "minilm", pool: int = 2000) -> list[dict[str, Any]]:
    """Items to label first for a new concept: half the nearest passages, a quarter from
    further down the ranking, a quarter at random (negatives matter as much as positives).
    Each row says why it was picked, and holds the start of the passage's text (300
    characters) to read it by."""
    import numpy as np

    hits = search(ws, concept, k=pool, encoder=encoder)
    rng = np.random.default_rng(seed)
    near = hits[: n // 2]
    band = hits[n // 2:]
    middle = [band[i] for i in sorted(rng.choice(len(band), size=min(n // 4, len(band)),
                                                 replace=False))] if band else []
    taken = {h.item_id for h in near + middle}
    rest = [it.item_id for it in ws.items() if it.item_id not in taken]
    k = min(n - len(near) - len(middle), len(rest))
    rand = [rest[i] for i in sorted(rng.choice(len(rest), size=k, replace=False))] if k else []
    texts = {it.item_id: (it.text or "")[:300] for it in ws.items(ids=rand)} if rand else {}
    return ([{"id": h.item_id, "why": "nearest", "similarity": h.similarity, "text": h.text}
             for h in near]
            + [{"id": h.item_id, "why": "further down", "similarity": h.similarity,
                "text": h.text} for h in middle]
            + [{"id": i, "why": "random", "text": texts.get(i, "")} for i in rand])


def copy_embeddings(source: Workspace, ws: Workspace, ids: Sequence[str]) -> int:
    """Copy the passage embeddings ``source`` holds for ``ids`` (its concept index's, its
    models') into ``ws``'s feature cache: a concept project over the same items trains,
    evaluates and runs without embedding them again. Returns the rows copied."""
    import sqlalchemy as sa

    src, dst = source.store.t.features, ws.store.t.features
    cols = [src.c.item_id, src.c.extractor, src.c.content_hash, src.c.value, src.c.created_at]
    copied = 0
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        with source.store.read() as conn:
            found = [dict(r) for r in conn.execute(sa.select(*cols).where(
                src.c.extractor.like(f"{TextEmbedding.name}-%"),
                src.c.item_id.in_(chunk))).mappings()]
        if found:
            with ws.store.write() as conn:
                conn.execute(sa.insert(dst), found)
            copied += len(found)
    return copied


def concept_workspace(source: Workspace, path: str | Path, concept: str, *,
                      where: dict[str, Any] | None = None, db: str | None = None,
                      batch: int = 2000) -> Workspace:
    """A new two-label workspace (``concept`` / ``other``) over the text items of
    ``source`` (copied with their metadata, so trends can group them, and with the
    passage embeddings ``source`` holds, so that nothing is embedded again:
    :func:`copy_embeddings`)."""
    from ..store import now
    from ..workspace import Workspace

    ws = Workspace.init(path, task=f"concept: {concept}"[:100], modality="text",
                        labels=[concept, "other"], positive_label=concept,
                        need=f"find and count passages about {concept!r}", db=db)
    t = ws.store.t
    rows: list[dict[str, Any]] = []

    def flush() -> None:
        with ws.store.write() as conn:
            conn.execute(t.items.insert(), rows)
        copy_embeddings(source, ws, [r["item_id"] for r in rows])
        rows.clear()

    stamp = now()
    for it in source.items(where=where, batch_size=batch):
        if it.modality != "text":
            continue
        rows.append({"item_id": it.item_id, "version": 1, "is_current": True,
                     "modality": "text", "source_kind": it.source_kind, "source": it.source,
                     "uri": it.uri, "page": it.page, "content_hash": it.content_hash,
                     "text": it.text, "width": None, "height": None, "meta": it.meta,
                     "ingest_id": None, "created_at": stamp})
        if len(rows) >= batch:
            flush()
    if rows:
        flush()
    return ws
