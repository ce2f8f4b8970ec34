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
    "glyph_rows",
)
#: features a model weighs; ``glyph_rows`` is a guard (see :func:`glyph_rows`)
MODEL_FEATURES: tuple[str, ...] = FEATURE_NAMES[:-1]


@dataclass
class InkMap:
    """Cell maps of one page (``Hc x Wc`` cells of :data:`CELL` px at the working size).

    ``contrast``: how much darker than the paper the cell's third-darkest pixel is (a
    share of the paper's brightness; 0 where that is within the paper's noise).
    ``dense``: the same for the tenth-darkest pixel (ink covering at least 10 px).
    ``dark``: the same for the quarter-darkest pixel (a solid dark area: a picture).
    ``edge``: page edges and scan background; ``leaf``: cells on the page itself.
    ``grey``: the page itself (for the shapes of the strongest marks).
    """

    shape: tuple[int, int]
    paper: float
    contrast: np.ndarray
    dense: np.ndarray
    dark: np.ndarray
    edge: np.ndarray
    leaf: np.ndarray
    grey: np.ndarray

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
                  edge=edge, leaf=~off, grey=g)


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


#: a glyph-shaped mark at the working size: at least this tall or wide (px) ...
GLYPH_MIN_EXTENT = 6
#: ... at most this share of its box inked (strokes, not blots), 10 px or more
GLYPH_MAX_FILL = 0.65
#: regions looked at: cells this much darker than the paper; pixels of a glyph: this much
GLYPH_LEVEL = 0.18
GLYPH_PIXEL = 0.15


def glyph_rows(m: InkMap, limit: int = 10, regions: int = 40) -> list[dict[str, Any]]:
    """Rows of glyph-shaped marks: two or more strokes of letter size side by side (a
    page number, a word, a shelfmark, a line of text).

    The strongest ink regions of up to 8 x 30 cells (cells at least 18 % darker than the
    paper, at most ``regions`` of them; larger ones are blocks of text or pictures) are
    looked at pixel by pixel: a mark is glyph-shaped when it is
    6 to 80 px tall or wide (at 600 px), at least 2 px the other way, covers 10 px or
    more and at most 65 % of its box (a stroke, not a blot of dirt). Two glyphs make a
    row when they overlap vertically by half the smaller's height, their heights differ
    by less than 1.8 x and the gap between them is at most 1.5 x the taller. Specks of
    dust, foxing and stains are blots or lone marks: no dev-set blank page has a row.
    Stops after ``limit`` rows. Boxes are ``[x, y, w, h]`` as shares of the page."""
    import numpy as np
    from scipy import ndimage

    c = np.where(m.core, m.contrast, 0.0)
    eight = np.ones((3, 3), dtype=bool)
    lab, n = ndimage.label(c >= GLYPH_LEVEL, structure=eight)
    if n == 0:
        return []
    slices = ndimage.find_objects(lab)
    peaks = np.asarray(ndimage.maximum(c, lab, np.arange(1, n + 1)))
    Hc, Wc = c.shape
    H, W = m.shape
    g = m.grey
    glyphs: list[tuple[int, int, int, int]] = []
    rows: list[tuple[int, int, int, int, int]] = []
    for k in np.argsort(-peaks, kind="stable")[:regions]:
        sl = slices[k]
        if sl[0].stop - sl[0].start > 8 or sl[1].stop - sl[1].start > 30:
            continue  # a block of text or a picture: evidence enough without its glyphs
        y0, y1 = max(0, sl[0].start - 1), min(Hc, sl[0].stop + 1)
        x0, x1 = max(0, sl[1].start - 1), min(Wc, sl[1].stop + 1)
        win = g[y0 * CELL:y1 * CELL, x0 * CELL:x1 * CELL]
        flat = win.ravel()
        q = int(0.75 * (flat.size - 1))
        paper = float(np.partition(flat, q)[q])
        pl, pn = ndimage.label(win < paper * (1 - GLYPH_PIXEL), structure=eight)
        if pn == 0:
            continue
        areas = np.bincount(pl.ravel())
        wh, ww = win.shape
        found = []
        for j, ps in enumerate(ndimage.find_objects(pl), start=1):
            h, w = ps[0].stop - ps[0].start, ps[1].stop - ps[1].start
            ext, area = max(h, w), int(areas[j])
            cut = ((ps[0].start == 0 and y0 > 0) or (ps[1].start == 0 and x0 > 0)
                   or (ps[0].stop == wh and y1 < Hc) or (ps[1].stop == ww and x1 < Wc))
            if (not cut and GLYPH_MIN_EXTENT <= ext <= 80 and min(h, w) >= 2 and area >= 10
                    and area <= GLYPH_MAX_FILL * h * w):
                box = (y0 * CELL + ps[0].start, x0 * CELL + ps[1].start, h, w)
                if not any(_overlap(box, other) > 0.5 for other in glyphs):
                    found.append(box)
        if not found:
            continue
        glyphs.extend(found[:25])
        rows = _rows(glyphs)
        if len(rows) >= limit or len(glyphs) >= 150:
            break
    return [{"box": [round(bx / W, 4), round(by / H, 4), round(bw / W, 4), round(bh / H, 4)],
             "glyphs": n_g} for (by, bx, bh, bw, n_g) in rows[:limit]]


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Share of box ``a`` (y, x, h, w) covered by box ``b``."""
    dy = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    dx = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(dy, 0) * max(dx, 0) / max(a[2] * a[3], 1)


def _rows(glyphs: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int, int]]:
    """Group glyph boxes ``(y, x, h, w)`` side by side into rows of two or more; each row
    as its bounding box and glyph count."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if len(glyphs) < 2:
        return []
    b = np.asarray(glyphs, dtype=np.float64)
    y, x, h, w = b[:, 0:1], b[:, 1:2], b[:, 2:3], b[:, 3:4]
    hmax, hmin = np.maximum(h, h.T), np.minimum(h, h.T)
    overlap = np.minimum(y + h, (y + h).T) - np.maximum(y, y.T)
    gap = np.maximum(x, x.T) - np.minimum(x + w, (x + w).T)
    pair = (hmax <= 1.8 * hmin) & (overlap >= 0.5 * hmin) & (gap <= 1.5 * hmax)
    np.fill_diagonal(pair, False)
    i, j = np.nonzero(pair)
    n, comp = connected_components(coo_matrix((np.ones(len(i)), (i, j)),
                                              shape=(len(b), len(b))), directed=False)
    out = []
    for k in range(n):
        members = b[comp == k]
        if len(members) < 2:
            continue
        y0, x0 = members[:, 0].min(), members[:, 1].min()
        y1 = (members[:, 0] + members[:, 2]).max()
        x1 = (members[:, 1] + members[:, 3]).max()
        out.append((int(y0), int(x0), int(y1 - y0), int(x1 - x0), len(members)))
    return sorted(out, key=lambda r: (-r[4], r[0], r[1]))


def ink_features(m: InkMap) -> np.ndarray:
    """The numbers a model reads (:data:`FEATURE_NAMES`); every one is evidence of ink
    (more means more likely content). The last, ``glyph_rows`` (0 to 3), counts rows of
    glyph-shaped marks (:func:`glyph_rows`)."""
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
    out.append(float(len(glyph_rows(m, limit=3))))  # 0-3: enough for the guard
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
        "glyph_rows": glyph_rows(m),
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
    version: ClassVar[int] = 2
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
