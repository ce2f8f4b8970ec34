"""Progress for long jobs: a bar in a terminal, a line every few seconds elsewhere."""

from __future__ import annotations

import sys
import time
from typing import IO, Any


class Progress:
    """Count work done. In a terminal, a tqdm bar (count, rate, ETA); in a log, a
    line every ``interval`` seconds; with ``enabled=False``, nothing."""

    def __init__(
        self,
        desc: str,
        *,
        total: int | None = None,
        unit: str = "items",
        stream: IO[str] | None = None,
        interval: float = 5.0,
        enabled: bool = True,
    ):
        self.desc = desc
        self.total = total
        self.unit = unit
        self.stream = stream or sys.stderr
        self.interval = interval
        self.enabled = enabled
        self.n = 0
        self._start = time.monotonic()
        self._last = self._start
        self._bar: Any = None
        if enabled and _isatty(self.stream):
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=f" {unit}", file=self.stream,
                             dynamic_ncols=True, leave=True)

    def update(self, n: int = 1) -> None:
        self.n += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        t = time.monotonic()
        if t - self._last >= self.interval:
            self._last = t
            self._line()

    def _line(self) -> None:
        elapsed = max(time.monotonic() - self._start, 1e-9)
        rate = self.n / elapsed
        msg = f"{self.desc}: {self.n:,}"
        if self.total:
            msg += f"/{self.total:,}"
        msg += f" {self.unit}, {rate:,.0f}/s"
        if self.total and rate > 0:
            msg += f", ETA {(self.total - self.n) / rate:,.0f} s"
        print(msg, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled and self.n:
            self._line()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._start


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
