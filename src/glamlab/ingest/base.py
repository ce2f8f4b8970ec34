"""What every source reader yields, and how readers are chosen."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Record:
    """One item as a source reader found it."""

    item_id: str
    modality: str  # image | text
    source_kind: str
    source: str
    content_hash: str
    uri: str | None = None
    page: int | None = None
    text: str | None = None
    width: int | None = None
    height: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Problem:
    """Bad input: recorded in the store with the reason and the fix; the batch goes on."""

    source: str
    item_ref: str | None
    reason: str
    hint: str | None = None


@dataclass
class IngestOptions:
    id_column: str | None = None
    text_column: str | None = None
    image_column: str | None = None  # CSV/JSONL/Parquet: a path (relative to the file) of an image
    max_image_pixels: int = 178_956_970
    cache_dir: str | None = None
    http_timeout: float = 30.0
    http_transport: Any = None  # an httpx transport (tests); None: the network


class SourceReader(Protocol):
    """A module in :mod:`glamlab.ingest` that reads one kind of source."""

    KIND: str

    def can_read(self, source: str) -> bool: ...

    def read(self, source: str, options: IngestOptions) -> Iterator[Record | Problem]: ...


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_json(value: Any) -> str:
    import json

    return sha256_bytes(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode())
