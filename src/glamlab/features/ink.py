"""Ink evidence: does a page carry ink of its own, and where?

A page is decoded in grey at about 600 px (reduced JPEG decoding: the luminance
channel only, at 1/2 of a 1200 px scan) and cut into 8 x 8 px cells. One sort
per cell gives its darkest pixels and its paper; everything else is computed on the
cell grid (75 x 50 numbers for a page), which is what makes it fast.

Physically:

- **paper**: the local brightness of the page's own paper, the 75th percentile of a
  cell's pixels, lifted over three cells (ink never fills a 24 px window) and
  smoothed. Contrast is measured against it, so a grey, yellowed or shaded page
  (gutter shadow, stains' slow gradients) has the same scale as a white one;
- **noise**: the paper's own grain (the spread of quiet cells nearby). A cell counts
  as inked only where its third-darkest pixel is darker than the paper by more than
  four times that grain (and by the contrast level asked for), so a grainy or
  stained paper does not read as ink, and three pixels are needed, not one;
- **contrast levels**: ink is counted at several contrasts, from 5 % to 40 % darker
  than the paper. Show-through from the other side of a leaf is mirrored, blurred
  and faint (a few per cent); printing, writing and stamps, even faint, are
  usually ten per cent and more;
- **page edges**: dark scan background (dark cells connected to the image border),
  inked cells reached from it or from the border within the outer 8 % of the page,
  and long thin vertical lines near the sides (fore-edges, gutters, the edge of the
  next leaf) are marked as edges and never count as ink. A shelfmark or a page
  number near the top stays ink: only edge-like shapes are removed.

:func:`ink_map` computes the cell maps, :func:`ink_features` turns them into the
numbers a model reads (:data:`FEATURE_NAMES`: counts of inked cells at each level,
how clustered they are, the strongest contrasts, dark areas), and
:func:`ink_regions` gives the boxes of the ink found and of the edges ignored (the
explanation a reviewer sees). :class:`InkEvidence` is the cached extractor.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .base import Extractor

if TYPE_CHECKING:
    import numpy as np

    from ..items import Item

CELL = 8
#: contrast levels (share of the paper's brightness) at which ink is counted
LEVELS: tuple[float, ...] = (0.05, 0.08, 0.12, 0.18, 0.27, 0.40)
#: ink must be this many noise sigmas darker than the paper
NOISE_K = 4.0
#: the level that decides what is "ink" in explanations and edge tracing
MARK_LEVEL = 0.12
EDGE_LEVEL = 0.08

FEATURE_NAMES: tuple[str, ...] = (
    *(f"cells_{int(lv * 100):02d}" for lv in LEVELS),
    "clustered_08", "clustered_18", "dense_18",
    "top1", "top3", "top10", "top30",
    "dark_area",
)


@dataclass
class InkMap:
    """Cell maps of one page (``Hc x Wc`` cells of :data:`CELL` px at the working size).

    ``contrast``: how much darker than the paper the cell's third-darkest pixel is (a
    share of the paper's brightness; 0 where that is within the paper's noise).
    ``dense``: the same for the tenth-darkest pixel (ink covering at least 10 px).
    ``dark``: the same for the quarter-darkest pixel (a solid dark area: a picture).
    ``edge``: page edges and scan background; ``leaf``: cells on the page itself.
    """

    shape: tuple[int, int]
    paper: float
    contrast: np.ndarray
    dense: np.ndarray
    dark: np.ndarray
    edge: np.ndarray
    leaf: np.ndarray

    @property
    def core(self) -> np.ndarray:
        return self.leaf & ~self.edge  # type: ignore[no-any-return]


def ink_map(grey: np.ndarray) -> InkMap:
    """The cell maps of a greyscale page (``uint8`` or float array, about 600 px)."""
    import numpy as np
    from scipy import ndimage

    g = np.asarray(grey)
    Hc, Wc = g.shape[0] // CELL, g.shape[1] // CELL
    if Hc < 4 or Wc < 4:
        raise ValueError(f"the page is too small to judge ({g.shape[1]} x {g.shape[0]} px)")
    q = (g[:Hc * CELL, :Wc * CELL].reshape(Hc, CELL, Wc, CELL).swapaxes(1, 2)
         .reshape(Hc, Wc, CELL * CELL).astype(np.float32))
    q.sort(axis=2)  # in place; numpy's vectorised float sort beats np.partition here
    v3, v10, p25, p75, vmax = (q[:, :, k] for k in (2, 9, 16, 48, 63))

    # the paper: bright quantile lifted over 3 cells (ink never fills 24 px), smoothed
    bg = ndimage.uniform_filter(ndimage.maximum_filter(p75, 3, mode="nearest"), 3,
                                mode="nearest")
    bg = np.maximum(bg, 1.0)
    # the paper's grain: the quietest spread nearby (p75 - p25 is 1.35 sigma)
    spread = ndimage.uniform_filter(ndimage.minimum_filter(p75 - p25, 5, mode="nearest"), 3,
                                    mode="nearest")
    floor = NOISE_K * np.maximum(spread / 1.35, 0.5)

    def contrast(v: np.ndarray) -> np.ndarray:
        depth = bg - v
        return np.where(depth > floor, depth / bg, 0.0).astype(np.float32)

    c3, c10, c25 = contrast(v3), contrast(v10), contrast(p25)

    # scan background: dark cells (no paper in them) connected to the image border
    flat = vmax.ravel()
    k = int(0.9 * (flat.size - 1))
    paper = float(np.partition(flat, k)[k])  # the 90th percentile
    dark = vmax < 0.6 * paper
    off = np.zeros_like(dark)
    lab, n = ndimage.label(dark)
    if n:
        rim = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
        touching = np.unique(rim[rim > 0])
        if touching.size:
            off = ndimage.binary_dilation(np.isin(lab, touching), iterations=1)
    edge = _edges(c3 >= EDGE_LEVEL, off)
    return InkMap(shape=(Hc * CELL, Wc * CELL), paper=paper, contrast=c3, dense=c10, dark=c25,
                  edge=edge, leaf=~off)


def _edges(inked: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Inked cells that are page edges rather than ink: reached from the scan background
    within the outer 8 % of the page; reached from the image border there and long
    (>= 15 % of the page) along it; long thin vertical lines in the outer 15 %."""
    import numpy as np
    from scipy import ndimage

    Hc, Wc = inked.shape
    inked = inked & ~off
    eight = np.ones((3, 3), dtype=bool)
    outer = np.zeros_like(inked)
    bh, bw = max(1, int(0.08 * Hc)), max(1, int(0.08 * Wc))
    outer[:bh] = outer[-bh:] = True
    outer[:, :bw] = outer[:, -bw:] = True
    zone = inked & outer
    edge = np.zeros_like(inked)
    if zone.any():
        near_off = ndimage.binary_dilation(off, iterations=1)
        edge = ndimage.binary_propagation(zone & near_off, structure=eight, mask=zone)
        rim = np.zeros_like(inked)
        rim[0] = rim[-1] = True
        rim[:, 0] = rim[:, -1] = True
        from_rim = ndimage.binary_propagation(zone & rim, structure=eight, mask=zone) & ~edge
        edge |= _long(from_rim, 0.15 * Hc, 0.15 * Wc)
    sides = np.zeros_like(inked)
    sw = max(1, int(0.15 * Wc))
    sides[:, :sw] = sides[:, -sw:] = True
    edge |= _long(inked & sides & ~edge, 0.15 * Hc, None, thin=4)
    return edge


def _long(mask: np.ndarray, min_h: float | None, min_w: float | None,
          thin: int | None = None) -> np.ndarray:
    """The connected parts of ``mask`` at least ``min_h`` cells tall (and at most
    ``thin`` wide) or ``min_w`` wide."""
    import numpy as np
    from scipy import ndimage

    out = np.zeros_like(mask)
    lab, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    for k, sl in enumerate(ndimage.find_objects(lab), start=1):
        h = sl[0].stop - sl[0].start
        w = sl[1].stop - sl[1].start
        tall = min_h is not None and h >= min_h and (thin is None or w <= thin)
        wide = min_w is not None and w >= min_w
        if tall or wide:
            out[sl] |= lab[sl] == k
    return out


def ink_features(m: InkMap) -> np.ndarray:
    """The numbers a model reads (:data:`FEATURE_NAMES`); every one is evidence of ink
    (more means more likely content)."""
    import numpy as np
    from scipy import ndimage

    core = m.core
    c = np.where(core, m.contrast, 0.0)
    out: list[float] = []
    for lv in LEVELS:
        out.append(float(np.log1p(np.count_nonzero(c >= lv))))
    box = np.ones((3, 3), dtype=np.int16)
    for lv in (0.08, 0.18):
        ink = c >= lv
        neighbours = ndimage.convolve(ink.astype(np.int16), box, mode="constant") - ink
        out.append(float(np.log1p(np.count_nonzero(ink & (neighbours >= 2)))))
    out.append(float(np.log1p(np.count_nonzero(core & (m.dense >= 0.18)))))
    top = np.sort(c[c > 0])[::-1]
    for k in (1, 3, 10, 30):
        out.append(float(top[k - 1]) if top.size >= k else 0.0)
    n_core = max(int(np.count_nonzero(core)), 1)
    out.append(float(np.log10(np.count_nonzero(core & (m.dark >= 0.3)) / n_core + 1e-4) + 4))
    return np.asarray(out, dtype=np.float32)


def ink_regions(m: InkMap, level: float = MARK_LEVEL, limit: int = 50) -> dict[str, Any]:
    """Where the ink is: boxes ``[x, y, w, h]`` as shares of the page (so they fit any
    rendering of it), strongest first, with each box's contrast; and the edges ignored."""
    import numpy as np
    from scipy import ndimage

    Hc, Wc = m.contrast.shape
    eight = np.ones((3, 3), dtype=bool)

    def boxes(mask: np.ndarray, strength: np.ndarray | None) -> list[dict[str, Any]]:
        lab, n = ndimage.label(mask, structure=eight)
        found = []
        for k, sl in enumerate(ndimage.find_objects(lab), start=1):
            y0, y1, x0, x1 = sl[0].start, sl[0].stop, sl[1].start, sl[1].stop
            row: dict[str, Any] = {"box": [round(x0 / Wc, 4), round(y0 / Hc, 4),
                                           round((x1 - x0) / Wc, 4), round((y1 - y0) / Hc, 4)],
                                   "cells": int(np.count_nonzero(lab[sl] == k))}
            if strength is not None:
                row["contrast"] = round(float(strength[sl][lab[sl] == k].max()), 3)
            found.append(row)
        key = (lambda r: (-r["contrast"], -r["cells"])) if strength is not None else (
            lambda r: -r["cells"])
        return sorted(found, key=key)

    core = m.core
    c = np.where(core, m.contrast, 0.0)
    marks = boxes(c >= level, c)
    faint_mask = (c > 0) & (c < level)
    faint = c[faint_mask]
    return {
        "marks": marks[:limit],
        "marks_total": len(marks),
        "ink_cells": int(np.count_nonzero(c >= level)),
        "strongest": round(float(c.max()), 3) if c.size else 0.0,
        "faint_cells": int(faint.size),
        "faint_regions": int(ndimage.label(faint_mask, structure=eight)[1]),
        "faint_strongest": round(float(faint.max()), 3) if faint.size else 0.0,
        "edges": boxes(m.edge | ~m.leaf, None)[:limit],
        "level": level,
    }


def grey_page(item: Item, max_side: int) -> np.ndarray:
    """The item's page in grey at about ``max_side`` px (JPEG: luminance only, reduced
    decoding), as uint8. Raises :class:`~glamlab.errors.ItemError` naming the item."""
    import numpy as np
    from PIL import Image

    from ..errors import ItemError

    if item.modality != "image":
        raise ItemError(f"{item.item_id}: {item.modality} items have no image", item=item.item_id,
                        hint="ink evidence needs image items")
    im = item.open_image(max_side=max_side, mode="L")
    if max(im.size) > 1.05 * max_side:  # the same scale whatever the scan's size
        scale = max_side / max(im.size)
        im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))),
                       Image.Resampling.BOX)
    if min(im.size) < 4 * CELL:  # a thumbnail-sized image: enlarge it to a few cells
        scale = 4 * CELL / max(1, min(im.size))
        im = im.resize((max(4 * CELL, round(im.width * scale)),
                        max(4 * CELL, round(im.height * scale))))
    return np.asarray(im, dtype=np.uint8)


class InkEvidence(Extractor):
    """Ink evidence of a page (:data:`FEATURE_NAMES`) at about ``max_side`` px (default
    600). A batch is decoded and measured in ``threads`` threads (decoding and the
    numpy work release the GIL)."""

    name: ClassVar[str] = "ink-evidence"
    version: ClassVar[int] = 1
    batch_size: ClassVar[int] = 64
    feature_names: ClassVar[tuple[str, ...]] = FEATURE_NAMES

    def __init__(self, max_side: int = 600, threads: int | None = None):
        self.max_side = max_side
        self.threads = threads
        self.dim = len(FEATURE_NAMES)

    @property
    def key(self) -> str:
        suffix = "" if self.max_side == 600 else f"-{self.max_side}"
        return f"{self.name}{suffix}@{self.version}"

    def page_map(self, item: Item) -> InkMap:
        return ink_map(grey_page(item, self.max_side))

    def extract_one(self, item: Item) -> np.ndarray:
        return ink_features(self.page_map(item))

    def extract_batch(self, items: list[Item]) -> np.ndarray:
        import numpy as np

        threads = min(self.threads or min(4, os.cpu_count() or 1), len(items))
        if threads <= 1:
            return super().extract_batch(items)
        with ThreadPoolExecutor(threads) as pool:  # the first ItemError propagates
            rows = list(pool.map(self.extract_one, items))
        return np.vstack(rows).astype(np.float32)
