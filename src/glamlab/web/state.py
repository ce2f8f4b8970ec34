"""What the web app keeps in memory between requests: skipped items, queue counts."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from .. import review

if TYPE_CHECKING:
    from ..workspace import Workspace


class SkipSets:
    """Items a user skipped while labelling (in memory, per user, bounded)."""

    def __init__(self) -> None:
        self._sets: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def add(self, user: str, item_id: str) -> None:
        with self._lock:
            s = self._sets.setdefault(user, [])
            s.append(item_id)
            del s[:-500]

    def get(self, user: str) -> list[str]:
        with self._lock:
            return list(self._sets.get(user, []))


class QueueCounts:
    """Open-queue counts for the page header, without a full count on every request.

    Counting a million open rows takes longer than the whole page may. The full count runs
    again when new queue rows appear (:func:`glamlab.review.queue_version`, a cheap
    ``max(id)``) or every ``ttl_s`` seconds; between, decisions made through this app
    adjust it in place. Decisions made by another process show within ``ttl_s`` seconds.
    """

    def __init__(self, ws: Workspace, ttl_s: float = 10.0):
        self.ws = ws
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._at = 0.0
        self._key: Any = None
        self._counts: dict[str, Any] = {}
        self._gen = 0  # bumped by every decision, so a count that raced one is not kept

    def get(self) -> dict[str, Any]:
        key = review.queue_version(self.ws)
        with self._lock:
            if key == self._key and time.monotonic() - self._at < self.ttl_s:
                return {**self._counts, "by_label": dict(self._counts["by_label"])}
            gen = self._gen
        counts = review.queue_counts(self.ws)
        with self._lock:
            if gen == self._gen:
                self._key, self._at, self._counts = key, time.monotonic(), counts
            else:  # a decision landed while counting: this count may predate it
                self._key, self._at, self._counts = None, 0.0, {}
        return {**counts, "by_label": dict(counts["by_label"])}

    def decided(self, results: list[dict[str, Any]]) -> None:
        with self._lock:
            self._gen += 1
            if not self._counts:
                return
            for r in results:
                if not r.get("ok"):
                    continue
                self._counts["open"] -= 1
                self._counts["decisions"] += 1
                lab = str(r.get("predicted"))
                if lab in self._counts["by_label"]:
                    self._counts["by_label"][lab] -= 1
