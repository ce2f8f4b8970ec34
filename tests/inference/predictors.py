"""Test-only predictors for the run tests (never registered in the package).

``register()`` adds them to the predictor catalogue of the current process; a test that
runs ``glamlab run`` in a subprocess starts it through :data:`CLI_BOOT`, which calls
``register()`` first.
"""

from __future__ import annotations

import os
import re
import signal
import time
import zlib

import numpy as np

from glamlab.errors import ItemError
from glamlab.predictors import catalogue
from glamlab.predictors.base import Predictor

NAMES = {
    "test_hash": "tests.inference.predictors:HashPredictor",
    "test_image": "tests.inference.predictors:ImagePredictor",
}

CLI_BOOT = ("import sys; from tests.inference.predictors import register; register(); "
            "from glamlab.cli import main; sys.argv[0] = 'glamlab'; main()")


def register() -> None:
    catalogue.BUILTIN.update(NAMES)


class HashPredictor(Predictor):
    """Scores from a hash of the item id (deterministic, cheap). ``work`` adds that many
    rounds of pure-Python arithmetic per item (CPU-bound); items in ``fail_on`` raise
    an ItemError, in ``sleep_on`` sleep ``sleep_s`` seconds, in ``crash_on`` kill their
    process, in ``backtrack_on`` run a regular expression that backtracks for ever (as a
    careless rule does); ``sleep_each`` sleeps per item (slow model). On ``sigint_on``
    items it sends Ctrl-C (SIGINT) to the process ``sigint_to`` (this one if 0), once:
    only while the file ``sigint_mark`` does not exist yet (it is created); with
    ``raise_interrupt`` it raises KeyboardInterrupt itself instead (as a second Ctrl-C
    does, at once). On ``gate_on`` items it creates ``gate + ".reached"``, once, then waits
    (at most two minutes) until the file ``gate + ".go"`` exists: a test sends a signal
    while the run is known to be in the middle of a batch."""

    name = "test_hash"
    needs_fit = False
    # its own batch: a run looks at a stop request between parts this big (at least 16:
    # glamlab.inference.worker.stop_step), which the mid-batch stop test counts on
    batch_size = 16

    def __init__(self, work: int = 0, fail_on: tuple[str, ...] = (),
                 sleep_on: tuple[str, ...] = (), sleep_s: float = 0.0,
                 crash_on: tuple[str, ...] = (), sleep_each: float = 0.0,
                 backtrack_on: tuple[str, ...] = (), sigint_on: tuple[str, ...] = (),
                 sigint_to: int = 0, sigint_mark: str = "", raise_interrupt: bool = False,
                 gate_on: tuple[str, ...] = (), gate: str = ""):
        self.work = work
        self.fail_on = fail_on
        self.sleep_on = sleep_on
        self.sleep_s = sleep_s
        self.crash_on = crash_on
        self.sleep_each = sleep_each
        self.backtrack_on = backtrack_on
        self.sigint_on = sigint_on
        self.sigint_to = sigint_to
        self.sigint_mark = sigint_mark
        self.raise_interrupt = raise_interrupt
        self.gate_on = gate_on
        self.gate = gate

    def _predict_batch(self, items):
        k = len(self.classes_)
        out = np.empty((len(items), k))
        for row, item in enumerate(items):
            if item.item_id in self.fail_on:
                raise ItemError(f"{item.item_id}: cannot read this item", item=item.item_id,
                                hint="replace the file")
            if item.item_id in self.crash_on:
                os._exit(9)
            if item.item_id in self.backtrack_on:
                re.match(r"(a+)+$", "a" * 60 + "b")  # 2**60 steps: never ends
            if item.item_id in self.sigint_on and not os.path.exists(self.sigint_mark):
                open(self.sigint_mark, "w").close()
                if self.raise_interrupt:
                    raise KeyboardInterrupt
                os.kill(self.sigint_to or os.getpid(), signal.SIGINT)
            if item.item_id in self.gate_on and not os.path.exists(self.gate + ".reached"):
                open(self.gate + ".reached", "w").close()
                deadline = time.monotonic() + 120
                while not os.path.exists(self.gate + ".go") and time.monotonic() < deadline:
                    time.sleep(0.02)
            if item.item_id in self.sleep_on:
                time.sleep(self.sleep_s)
            if self.sleep_each:
                time.sleep(self.sleep_each)
            acc = 0
            for i in range(self.work):
                acc = (acc * 31 + i) % 1_000_003
            h = zlib.crc32(item.item_id.encode())
            raw = np.array([((h >> (3 * j)) % 97) + 1.0 for j in range(k)])
            out[row] = raw / raw.sum() if not self.multi_label_ else raw / 98.0
        return out


class ImagePredictor(Predictor):
    """Reads each image (so vanished and corrupt files fail for real) and scores its
    mean brightness."""

    name = "test_image"
    needs_fit = False
    modalities = ("image",)

    def _predict_batch(self, items):
        out = []
        for item in items:
            im = item.open_image(max_side=64)
            bright = float(np.asarray(im.convert("L"), dtype=np.float64).mean()) / 255.0
            out.append([bright, 1.0 - bright][: len(self.classes_)])
        return np.array(out)
