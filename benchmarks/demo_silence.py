"""How long `glamlab demo` stays silent: the longest gap between two output lines.

Runs ``glamlab demo [NAME] --fresh`` in a temporary folder (stdout and stderr merged, as a
person sees them), stamps every line as it arrives, and prints one JSON document: the
total time, the longest gap and the line it followed, and the five longest gaps. The
first hour's promise is no silence over 10 s.

    python benchmarks/demo_silence.py [NAME] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def once(name: str | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="glamlab-demo-") as tmp:
        cmd = [sys.executable, "-m", "glamlab", "demo", *([name] if name else []),
               "--workspace-dir", os.path.join(tmp, "ws"), "--fresh"]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        start = last = time.monotonic()
        gaps: list[tuple[float, str]] = []
        previous = "(start)"
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=env, bufsize=1) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                now = time.monotonic()
                gaps.append((now - last, previous))
                last, previous = now, line.rstrip()[:120]
            code = proc.wait()
        total = time.monotonic() - start
    gaps.sort(key=lambda g: -g[0])
    return {"exit_code": code, "seconds": round(total, 1),
            "longest_gap_s": round(gaps[0][0], 1) if gaps else None,
            "longest_gaps": [{"seconds": round(s, 1), "after": after} for s, after in gaps[:5]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", nargs="?", default=None)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    runs = [once(args.name) for _ in range(args.runs)]
    longest = [r["longest_gap_s"] for r in runs if r["longest_gap_s"] is not None]
    print(json.dumps({"benchmark": "demo_silence", "demo": args.name or "(default)",
                      "runs": runs,
                      "median_longest_gap_s": statistics.median(longest) if longest else None},
                     indent=2))


if __name__ == "__main__":
    main()
