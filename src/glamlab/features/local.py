"""Local-window statistics: where on the page is ink, mid-tone, edge or red densest?

A page is decoded at about 900 px and four maps are made: strong ink (adaptive
threshold), mid-tones, edges (Sobel) and red (rubrics). Each map is averaged over
sliding windows of three shapes (a line band 1/40 of the page high and 1/5 wide, a
paragraph-sized 1/15 x 1/8 window, a block 1/8 x 1/4), inside a 3 % margin. For each
map and window shape the maximum, the 99th percentile, that percentile minus the
median of the non-empty windows, and the maximum relative to that median are kept
(48 numbers). Text gives an even density from window to window; an ornament band, a
rule, a fleuron, a red mark or a woodcut gives a window much denser than the text
around it, even when it is too small to survive squashing the page to 224 px.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .base import Extractor, decode

if TYPE_CHECKING:
    import numpy as np

    from ..items import Item

_MAPS = ("ink", "midtone", "edge", "red")
_WINDOWS = ((40, 5), (15, 8), (8, 4))  # page height / window height, page width / window width
_SUMMARIES = ("max", "p99", "p99_over_median", "max_ratio")

FEATURE_NAMES: tuple[str, ...] = tuple(
    f"win_{m}_{fh}x{fw}_{s}" for m in _MAPS for fh, fw in _WINDOWS for s in _SUMMARIES)


class LocalWindowStats(Extractor):
    """Densest-window statistics of a page at about ``max_side`` pixels (default 900)."""

    name: ClassVar[str] = "local-windows"
    version: ClassVar[int] = 1
    batch_size: ClassVar[int] = 16
    feature_names: ClassVar[tuple[str, ...]] = FEATURE_NAMES

    def __init__(self, max_side: int = 900, step: int = 1):
        if step < 1:
            raise ValueError("step must be 1 or more")
        self.max_side = max_side
        self.step = step
        self.dim = len(FEATURE_NAMES)

    @property
    def key(self) -> str:
        suffix = "" if self.max_side == 900 else f"-{self.max_side}"
        suffix += "" if self.step == 1 else f"-s{self.step}"
        return f"{self.name}{suffix}@{self.version}"

    def extract_one(self, item: Item) -> np.ndarray:
        return window_statistics(decode(item, self.max_side), self.step)


def ink_maps(rgb: np.ndarray, grey: np.ndarray) -> tuple[float, np.ndarray, np.ndarray,
                                                          np.ndarray, np.ndarray]:
    """Per-pixel maps both window extractors summarise, from float32 RGB and grey
    arrays: the paper's grey level (90th percentile), then ink (darker than its 21 px
    neighbourhood and than the paper), mid-tone, strong edges (Sobel) and red."""
    import numpy as np
    from scipy import ndimage

    paper = max(float(np.percentile(grey, 90)), 1.0)
    local = ndimage.uniform_filter(grey, 21)
    ink = (grey < local - 12) & (grey < 0.7 * paper)
    mid = (grey > 0.3 * paper) & (grey < 0.75 * paper)
    mag = np.abs(ndimage.sobel(grey, 1)) + np.abs(ndimage.sobel(grey, 0))
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    red = (r > g + 45) & (r > b + 45) & (r > 90)
    return paper, ink, mid, mag > 100, red


def window_statistics(im, step: int = 1) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The statistics of one decoded ``PIL.Image`` (see :data:`FEATURE_NAMES`). With
    ``step`` > 1 the four maps are found at full resolution (a thin stroke stays a
    stroke), then averaged over ``step x step`` blocks before the sliding windows: the
    windows are 30 px or more, so their densities barely change, at about 1/step² of
    the cost."""
    import numpy as np
    from scipy import ndimage

    rgb = np.asarray(im.convert("RGB"), dtype=np.float32)
    grey = np.asarray(im.convert("L"), dtype=np.float32)
    _, ink, mid, edges, red = ink_maps(rgb, grey)
    if step > 1:
        ink, mid, edges, red = (_blocks(a, step) for a in (ink, mid, edges, red))
    h, w = ink.shape
    mh, mw = h // 33, w // 33
    out: list[float] = []
    for a in (ink, mid, edges, red):
        a32 = a.astype(np.float32)
        for fh, fw in _WINDOWS:
            win = ndimage.uniform_filter(a32, (max(3, h // fh), max(3, w // fw)))
            v = win[mh:h - mh, mw:w - mw].ravel()
            if v.size == 0:
                out += [0.0, 0.0, 0.0, 0.0]
                continue
            nz = v[v > 0.01]
            med = float(np.median(nz)) if nz.size else 0.0
            top, p99 = float(v.max()), float(np.percentile(v, 99))
            out += [top, p99, p99 - med, top / (med + 0.02)]
    return np.array(out, dtype=np.float32)


def _blocks(a: np.ndarray, step: int) -> np.ndarray:
    """The mean of each ``step x step`` block of ``a`` (the edge rows and columns that do
    not fill a block are dropped)."""
    import numpy as np

    h, w = (a.shape[0] // step) * step, (a.shape[1] // step) * step
    total = np.zeros((h // step, w // step), dtype=np.float32)
    for i in range(step):  # strided sums: much quicker than a mean over reshaped axes
        for j in range(step):
            total += a[i:h:step, j:w:step]
    return total / (step * step)  # type: ignore[no-any-return]
