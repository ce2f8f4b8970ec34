"""EfficientNet-Lite0 page embeddings on the CPU and, where torch sees one, on a CUDA GPU
(``GLAMLAB_DEVICE``): agreement of the two and pages/s of each. Prints ONE JSON document.

    python benchmarks/embedding_device.py                    # the bundled demo pages
    python benchmarks/embedding_device.py --pages DIR --repeats 5

For each device and view (``whole``: page squashed to 224 px; ``tiles``: page + 6 tiles):

- ``pages_per_s``: end to end (decode the JPEG with reduced decoding, resize, embed),
  median of ``--repeats`` runs over all pages, after one warm-up run;
- ``net_pages_per_s``: the network alone on crops decoded beforehand, so that the
  device's share is visible apart from JPEG decoding, which stays on the CPU.

``agreement`` compares the CUDA vectors with the CPU vectors of the same pages:
the smallest cosine similarity and the largest absolute difference. A GPU changes the
order of floating-point sums, so the vectors differ in the last digits, never more.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from glamlab.features import embed
from glamlab.items import Item

DEMO = Path(__file__).resolve().parents[1] / "src" / "glamlab" / "demo_data" / "illustrations"


def read_pages(folder: Path, limit: int | None) -> list[Item]:
    images = sorted(p for p in (folder / "images").iterdir()
                    if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".tif", ".tiff"))
    if limit:
        images = images[:limit]
    return [Item(item_id=p.stem, modality="image", uri=str(p)) for p in images]


def use_device(device: str) -> None:
    os.environ[embed.ENV_DEVICE] = device  # read at each call: the next batch runs there


def timed(fn, repeats: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    out = fn()  # warm-up (and cuDNN autotuning on a GPU)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def main() -> None:
    import torch
    from PIL import Image

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=Path, default=DEMO, help="folder with images/")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    items = read_pages(args.pages, args.limit)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    crops = np.stack([np.asarray(embed.decode(it, embed.INPUT * 2).resize(
        (embed.INPUT, embed.INPUT), Image.Resampling.BILINEAR)) for it in items])
    result: dict[str, object] = {
        "pages": len(items), "repeats": args.repeats, "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    vectors: dict[tuple[str, str], np.ndarray] = {}
    for device in devices:
        use_device(device)
        embed.load_backbone()
        per: dict[str, object] = {}
        for view in ("whole", "tiles"):
            ext = embed.EffNetEmbedding(view=view)
            secs, vecs = timed(lambda ext=ext: ext.extract_batch(items), args.repeats)
            vectors[(device, view)] = np.asarray(vecs)
            per[view] = {"pages_per_s": round(len(items) / secs, 1)}
        net_secs, _ = timed(lambda: np.vstack([embed.embed_arrays(crops[i:i + 64])
                                               for i in range(0, len(crops), 64)]),
                            args.repeats)
        per["net_pages_per_s"] = round(len(items) / net_secs, 1)
        result[device] = per
    if "cuda" in devices:
        agreement = {}
        for view in ("whole", "tiles"):
            a, b = vectors[("cpu", view)], vectors[("cuda", view)]
            cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
            agreement[view] = {"min_cosine": float(cos.min()),
                               "max_abs_diff": float(np.abs(a - b).max())}
        result["agreement"] = agreement
        result["speedup_whole"] = round(
            result["cuda"]["whole"]["pages_per_s"]  # type: ignore[index]
            / result["cpu"]["whole"]["pages_per_s"], 2)  # type: ignore[index]
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
