"""A run's workers share the cores: each keeps its numerical libraries to its share."""

from __future__ import annotations

import os
import subprocess
import sys

from glamlab.inference.local import LocalPool
from glamlab.inference.worker import ModelRef


def test_each_worker_gets_its_share_of_the_cores() -> None:
    ref = ModelRef(model_id=1, spec="m", cls="x:Y", folder="/nowhere",
                   kind=None)  # type: ignore[arg-type]  # no model is loaded here
    cores = os.cpu_count() or 1
    assert LocalPool(ref, workers=1, timeout=None).threads == cores
    assert LocalPool(ref, workers=2, timeout=None).threads == max(1, cores // 2)
    assert LocalPool(ref, workers=cores * 4, timeout=None).threads == 1


def test_limit_threads_caps_the_loaded_pools_and_tells_onnxruntime() -> None:
    code = ("import os, sklearn.ensemble, threadpoolctl\n"
            "from glamlab.inference.worker import limit_threads\n"
            "limit_threads(1)\n"
            "print(os.environ['GLAMLAB_THREADS'])\n"
            "print(max(p['num_threads'] for p in threadpoolctl.threadpool_info()))\n")
    env = {k: v for k, v in os.environ.items() if k != "GLAMLAB_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    assert out == ["1", "1"]
    env["GLAMLAB_THREADS"] = "2"  # a user's own setting wins
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    assert out[0] == "2"
