"""Ingest throughput and memory, printed as ONE JSON document.

    python benchmarks/ingest.py            # full: 100k-row CSV x3, 1M-row CSV, 10k JPEGs x3
    python benchmarks/ingest.py --quick    # smaller sizes, for a smoke run

Keys (targets in brackets):
  csv_100k_rows_per_s        rows/s through the whole ws.ingest path, median of runs [>= 20,000]
  csv_1m_peak_rss_mb         peak RSS of a fresh process ingesting a 1M-row CSV     [< 500]
  images_10k_files_per_s     JPEG files/s, headers + sha256 only, median of runs      [>= 300]
Peers measured in the same process for scale: parsing the CSV alone (csv.reader) and
reading the image headers alone (Pillow), so the ratios say what the store costs.
``*_per_cpu_s`` divide by the process's CPU time: steadier than wall time on a shared
machine (the load average is reported too).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("the of and a to in is was for on are as with his they at be this from le la les "
         "de des et un une der die das und").split()


def make_csv(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "collection", "year", "shelfmark"])
        for i in range(n):
            w.writerow([f"rec-{i:07d}", " ".join(rng.choices(WORDS, k=12)),
                        rng.choice(("maps", "books", "letters", "prints")), 1700 + i % 300,
                        f"MS {rng.randrange(10000)}"])


def make_jpegs(folder: Path, n: int) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        sub = folder / f"vol{i // 1000:02d}"
        sub.mkdir(exist_ok=True)
        Image.new("RGB", (64 + i % 7, 48), (i % 256, 128, 64)).save(sub / f"p{i:05d}.jpg",
                                                                     quality=70)


def ingest_once(root: Path, name: str, sources: list[str], **kw: object) -> tuple[float, dict]:
    from glamlab import Workspace

    ws = Workspace.init(root / name, task="bench", modality="text", labels=["a", "b"])
    try:
        t0 = time.perf_counter()
        c0 = time.process_time()
        report = ws.ingest(sources, **kw)  # type: ignore[arg-type]
        dt = time.perf_counter() - t0
        cpu = time.process_time() - c0
        t1 = time.perf_counter()
        again = ws.ingest(sources, **kw)  # type: ignore[arg-type]
        dt_again = time.perf_counter() - t1
    finally:
        ws.close()
    assert report.failed == 0 and again.unchanged == report.added, (report.to_dict(),)
    return dt, {"items": report.added, "seconds": dt, "cpu_seconds": cpu,
                "reingest_seconds": dt_again}


def parse_only(path: Path) -> float:
    t0 = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as fh:
        n = sum(1 for _ in csv.reader(fh)) - 1
    return n / (time.perf_counter() - t0)


def headers_only(folder: Path) -> float:
    from PIL import Image

    t0 = time.perf_counter()
    n = 0
    for dirpath, _dirs, files in os.walk(folder):
        for f in files:
            with Image.open(os.path.join(dirpath, f)) as im:
                im.size  # noqa: B018 - the header is what is measured
            n += 1
    return n / (time.perf_counter() - t0)


RSS_CHILD = """
import json, resource, sys, time
from glamlab import Workspace
ws = Workspace.init(sys.argv[1], task="bench", modality="text", labels=["a", "b"])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
r = ws.ingest([sys.argv[2]]) if sys.argv[2] != "-" else None
dt = time.perf_counter() - t0
ws.close()
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rss_before_ingest_mb": base / 1024,
                  "rows": r.added if r else 0, "failed": r.failed if r else 0,
                  "seconds": dt}))
"""


def peak_rss(root: Path, name: str, csv_path: str) -> dict:
    out = subprocess.run([sys.executable, "-c", RSS_CHILD, str(root / name), csv_path],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    n_csv, n_big, n_img = (10_000, 100_000, 1_000) if args.quick else (100_000, 1_000_000, 10_000)
    result: dict[str, object] = {"quick": args.quick, "runs": args.runs,
                                 "cpus": os.cpu_count(), "python": sys.version.split()[0]}
    with tempfile.TemporaryDirectory(prefix="glamlab-bench-") as tmp:
        root = Path(tmp)
        small = root / "rows.csv"
        make_csv(small, n_csv)
        runs = [ingest_once(root, f"csv{i}", [str(small)]) for i in range(args.runs)]
        rates = [n_csv / dt for dt, _ in runs]
        reingest = [n_csv / r["reingest_seconds"] for _, r in runs]
        cpu_rates = [n_csv / r["cpu_seconds"] for _, r in runs]
        parse = [parse_only(small) for _ in range(args.runs)]
        result.update({
            "csv_rows": n_csv,
            "csv_100k_rows_per_s": round(statistics.median(rates)),
            "csv_100k_rows_per_s_runs": [round(r) for r in rates],
            "csv_100k_rows_per_cpu_s": round(statistics.median(cpu_rates)),
            "csv_100k_reingest_unchanged_rows_per_s": round(statistics.median(reingest)),
            "peer_csv_parse_only_rows_per_s": round(statistics.median(parse)),
        })
        result["ratio_ingest_to_parse_only"] = round(
            statistics.median(rates) / statistics.median(parse), 3)

        big = root / "big.csv"
        make_csv(big, n_big, seed=1)
        idle = peak_rss(root, "idle", "-")
        rss = peak_rss(root, "big", str(big))
        assert rss["rows"] == n_big and rss["failed"] == 0, rss
        result.update({
            "csv_big_rows": n_big,
            "csv_1m_peak_rss_mb": round(rss["peak_rss_mb"], 1),
            "csv_1m_rss_before_ingest_mb": round(rss["rss_before_ingest_mb"], 1),
            "csv_1m_rows_per_s": round(n_big / rss["seconds"]),
            "peer_idle_process_peak_rss_mb": round(idle["peak_rss_mb"], 1),
        })
        big.unlink()

        images = root / "images"
        make_jpegs(images, n_img)
        runs = [ingest_once(root, f"img{i}", [str(images)]) for i in range(args.runs)]
        rates = [n_img / dt for dt, _ in runs]
        heads = [headers_only(images) for _ in range(args.runs)]
        cpu_rates = [n_img / r["cpu_seconds"] for _, r in runs]
        result.update({
            "images": n_img,
            "images_10k_files_per_s": round(statistics.median(rates), 1),
            "images_10k_files_per_s_runs": [round(r, 1) for r in rates],
            "images_10k_files_per_cpu_s": round(statistics.median(cpu_rates), 1),
            "images_10k_reingest_files_per_s": round(statistics.median(
                [n_img / r["reingest_seconds"] for _, r in runs]), 1),
            "peer_pillow_headers_only_files_per_s": round(statistics.median(heads), 1),
        })
    result["load_average_1min"] = round(os.getloadavg()[0], 2)  # a busy machine slows wall time
    result["targets"] = {"csv_100k_rows_per_s": ">= 20000", "csv_1m_peak_rss_mb": "< 500",
                         "images_10k_files_per_s": ">= 300"}
    result["self_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                                       1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
