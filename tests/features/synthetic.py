"""SYNTHETIC page images for unit tests only (never for benchmark figures).

Blank and near-blank pages are rendered here because no labelled set of real blank
pages could be obtained: paper tone, scanner noise, faint bleed-through from the
other side, and an optional page number. Pages with content are real scans from
the bundled demo sample (``src/glamlab/demo_data/illustrations``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from glamlab.items import Item

DEMO = Path(__file__).resolve().parents[2] / "src" / "glamlab" / "demo_data" / "illustrations"


def synthetic_blank(path: Path, seed: int, *, bleed: bool = True, page_number: bool = True,
                    size: tuple[int, int] = (800, 1200)) -> Path:
    rng = np.random.default_rng(seed)
    w, h = size
    tone = np.array([236, 228, 208]) + rng.integers(-12, 12, size=3)
    arr = np.ones((h, w, 3)) * tone
    arr += rng.normal(0, 3.0, size=(h, w, 1))  # scanner noise
    yy = np.linspace(-1, 1, h)[:, None, None]
    arr -= 10 * yy ** 2  # uneven lighting towards the edges
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    font = ImageFont.load_default()
    if bleed:  # mirrored text from the other side, very faint and blurred
        ghost = Image.new("L", (w, h), 0)
        gd = ImageDraw.Draw(ghost)
        for line in range(30):
            gd.text((80, 100 + 32 * line), "lorem ipsum dolor sit amet " * 3, fill=255, font=font)
        ghost = ghost.transpose(Image.Transpose.FLIP_LEFT_RIGHT).filter(ImageFilter.GaussianBlur(2))
        faint = np.asarray(ghost, dtype=np.float32)[..., None] / 255 * 14
        im = Image.fromarray(np.clip(np.asarray(im, dtype=np.float32) - faint, 0, 255)
                             .astype(np.uint8))
        draw = ImageDraw.Draw(im)
    if page_number:
        draw.text((w // 2, h - 60), str(int(rng.integers(1, 400))), fill=(60, 50, 40), font=font)
    im.save(path, quality=85)
    return path


def demo_rows() -> list[dict[str, str]]:
    with open(DEMO / "labels.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def demo_item(row: dict[str, str]) -> Item:
    return Item(row["id"], "image", uri=str(DEMO / row["path"]), content_hash=f"h-{row['id']}")


def illustration_set(n: int = 12) -> tuple[list[Item], list[str]]:
    """Real pages: n/2 graphic, n/2 no_graphic, from distinct documents where possible."""
    rows = demo_rows()
    pick: list[dict[str, str]] = []
    for label in ("graphic", "no_graphic"):
        seen: set[str] = set()
        for r in rows:
            if r["label"] == label and r["document"] not in seen and len(seen) < n // 2:
                seen.add(r["document"])
                pick.append(r)
    return [demo_item(r) for r in pick], [r["label"] for r in pick]


def blank_set(tmp: Path, n: int = 12) -> tuple[list[Item], list[str]]:
    """n/2 SYNTHETIC blank pages and n/2 real pages with content."""
    items, labels = [], []
    for i in range(n // 2):
        p = synthetic_blank(tmp / f"blank{i}.jpg", seed=i, bleed=i % 2 == 0,
                            page_number=i % 3 != 0)
        items.append(Item(f"synthetic-blank-{i}", "image", uri=str(p), content_hash=f"b{i}"))
        labels.append("blank")
    content, _ = illustration_set(n)
    for item in content[: n // 2]:
        items.append(item)
        labels.append("content")
    return items, labels
