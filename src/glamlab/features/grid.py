"""Window-grid statistics: a fixed grid of overlapping windows, each described by a
few numbers, so that a classifier can be trained on *windows* (where the graphic is)
rather than on whole pages.

A page is decoded at about 900 px and five maps are made: strong ink (adaptive
threshold), mid-tones, edges (Sobel), red (rubrics) and darkness. The page (inside a
2 % margin) is cut into ``rows x cols`` cells; a window is a block of 2 x 2 cells, so
windows overlap by half and there are ``(rows - 1) x (cols - 1)`` of them. With the
default 24 x 8 cells a window is about 1/12 of the page high and 1/4 wide: a rule, an
ornament band, a fleuron or a red mark fills a good part of one window, a woodcut
fills several.

Per window (:data:`WINDOW_FEATURES`): the mean of each map, the same divided by the
page's median window (text is even from window to window, an ornament is not), the
densest pixel row and column of ink (rules and bands), how regular the row profile
is (text lines alternate ink and gaps), and the window's position. The vector of a
page is the windows' rows one after the other (row-major), see :func:`window_boxes`
for where each window lies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from .base import Extractor, decode

if TYPE_CHECKING:
    import numpy as np

    from ..items import Item

WINDOW_FEATURES: tuple[str, ...] = (
    "ink", "midtone", "edge", "red", "dark",
    "ink_rel", "midtone_rel", "edge_rel", "red_rel", "dark_rel",
    "row_max", "col_max", "rows_inked", "row_cv", "row_alternation",
    "y", "x",
)
_MAPS = 5
MARGIN = 0.02


class WindowGrid(Extractor):
    """Statistics of ``(rows - 1) x (cols - 1)`` overlapping windows of a page at about
    ``max_side`` pixels; ``dim`` = windows x ``len(WINDOW_FEATURES)``."""

    name: ClassVar[str] = "window-grid"
    version: ClassVar[int] = 1
    batch_size: ClassVar[int] = 16

    def __init__(self, rows: int = 24, cols: int = 8, max_side: int = 900):
        if rows < 2 or cols < 2:
            raise ValueError("a window grid needs at least 2 x 2 cells")
        self.rows = rows
        self.cols = cols
        self.max_side = max_side
        self.n_windows = (rows - 1) * (cols - 1)
        self.dim = self.n_windows * len(WINDOW_FEATURES)

    @property
    def key(self) -> str:
        return f"{self.name}-{self.rows}x{self.cols}-{self.max_side}@{self.version}"

    def extract_one(self, item: Item) -> np.ndarray:
        return window_grid(decode(item, self.max_side), self.rows, self.cols).ravel()

    def windows(self, X: np.ndarray) -> np.ndarray:
        """``(n_pages, dim)`` to ``(n_pages, n_windows, n_features)``."""
        return X.reshape(len(X), self.n_windows, len(WINDOW_FEATURES))


def _edges(n: int, parts: int) -> np.ndarray:
    import numpy as np

    lo, hi = int(round(n * MARGIN)), n - int(round(n * MARGIN))
    return np.linspace(lo, hi, parts + 1).round().astype(int)


def window_boxes(rows: int = 24, cols: int = 8) -> np.ndarray:
    """``(n_windows, 4)`` boxes ``x0, y0, x1, y1`` of the windows as fractions of the page
    width and height, in the order of the feature vector."""
    import numpy as np

    ys = MARGIN + (1 - 2 * MARGIN) * np.arange(rows + 1) / rows
    xs = MARGIN + (1 - 2 * MARGIN) * np.arange(cols + 1) / cols
    out = [(xs[j], ys[i], xs[j + 2], ys[i + 2]) for i in range(rows - 1) for j in range(cols - 1)]
    return np.array(out, dtype=np.float64)


def window_labels(boxes: Sequence[Sequence[float]], size: tuple[int, int], rows: int = 24,
                  cols: int = 8, min_cover: float = 0.5) -> np.ndarray:
    """Training labels of the windows of a page from its graphic boxes ``[x, y, w, h]``
    (pixels of an image of ``size`` = width, height).

    A window is positive (1) when it holds at least ``min_cover`` of as much of a box
    as a window could hold: of the whole box when the box is smaller than the window, of
    the window when the box is bigger, of a band across the window for a long rule or
    ornament band. A window a box only grazes is left out of training (-1); a window
    no box touches is negative (0)."""
    import numpy as np

    win = window_boxes(rows, cols)
    labels = np.zeros(len(win), dtype=np.int8)
    width, height = size
    ww, wh = win[:, 2] - win[:, 0], win[:, 3] - win[:, 1]
    for x, y, w, h in boxes:
        if w <= 0 or h <= 0:
            continue
        b = np.array([x / width, y / height, (x + w) / width, (y + h) / height])
        ix = np.clip(np.minimum(win[:, 2], b[2]) - np.maximum(win[:, 0], b[0]), 0, None)
        iy = np.clip(np.minimum(win[:, 3], b[3]) - np.maximum(win[:, 1], b[1]), 0, None)
        reach = np.minimum(ww, b[2] - b[0]) * np.minimum(wh, b[3] - b[1])
        cover = ix * iy / reach
        touched = ix * iy > 0
        labels = np.where(cover >= min_cover, 1,
                          np.where(touched & (labels == 0), -1, labels)).astype(np.int8)
    return labels


def window_grid(im, rows: int = 24, cols: int = 8) -> np.ndarray:  # type: ignore[no-untyped-def]
    """``(n_windows, len(WINDOW_FEATURES))`` statistics of one decoded ``PIL.Image``."""
    import numpy as np

    from .local import ink_maps

    rgb = np.asarray(im.convert("RGB"), dtype=np.float32)
    grey = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    h, w = grey.shape
    paper, ink, mid, edges, red = ink_maps(rgb, grey)
    dark = np.clip(1.0 - grey / paper, 0.0, 1.0)
    maps = np.stack([ink, mid, edges, red], axis=-1).astype(np.float32)
    maps = np.concatenate([maps, dark[..., None]], axis=-1)

    ye, xe = _edges(h, rows), _edges(w, cols)
    maps = maps[ye[0]:ye[-1], xe[0]:xe[-1]]  # inside the margin
    ink = ink[ye[0]:ye[-1], xe[0]:xe[-1]]
    ye, xe = ye - ye[0], xe - xe[0]
    # cell sums of every map: (rows, cols, maps)
    csum = np.add.reduceat(np.add.reduceat(maps, ye[:-1], axis=0), xe[:-1], axis=1)
    careas = np.outer(np.diff(ye), np.diff(xe)).astype(np.float32)
    # windows = 2 x 2 blocks of cells
    wsum = csum[:-1, :-1] + csum[1:, :-1] + csum[:-1, 1:] + csum[1:, 1:]
    wareas = careas[:-1, :-1] + careas[1:, :-1] + careas[:-1, 1:] + careas[1:, 1:]
    means = wsum / np.maximum(wareas, 1.0)[..., None]  # (rows-1, cols-1, maps)
    flat = means.reshape(-1, _MAPS)
    med = np.median(flat, axis=0)
    rel = flat / (med + 0.02)

    # row / column profiles of ink inside each window
    ink32 = ink.astype(np.float32)
    row_in_cells = np.add.reduceat(ink32, xe[:-1], axis=1)  # (h', cols) per pixel row
    col_in_cells = np.add.reduceat(ink32, ye[:-1], axis=0)  # (rows, w')
    extra = np.zeros((rows - 1, cols - 1, 5), dtype=np.float32)
    for i in range(rows - 1):
        y0, y1 = ye[i], ye[i + 2]
        rowband = row_in_cells[y0:y1]
        colband = col_in_cells[i] + col_in_cells[i + 1]
        for j in range(cols - 1):
            x0, x1 = xe[j], xe[j + 2]
            prof = (rowband[:, j] + rowband[:, j + 1]) / max(x1 - x0, 1)
            cprof = colband[x0:x1] / max(y1 - y0, 1)
            if prof.size == 0 or cprof.size == 0:
                continue
            m = float(prof.mean())
            inked = prof > 0.02
            extra[i, j] = (float(prof.max()), float(cprof.max()), float(inked.mean()),
                           float(prof.std() / (m + 1e-3)),
                           float(np.abs(np.diff(inked.astype(np.int8))).sum()) / prof.size)
    centres = window_boxes(rows, cols)
    pos = np.stack([(centres[:, 1] + centres[:, 3]) / 2, (centres[:, 0] + centres[:, 2]) / 2],
                   axis=1)
    out = np.hstack([flat, rel, extra.reshape(-1, 5), pos])
    return out.astype(np.float32)
