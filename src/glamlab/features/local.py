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

from typing import TYPE_CHECKING, Any, ClassVar

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
    """Per-pixel maps both window extractors summarise, from RGB and grey arrays: the
    paper's grey level (90th percentile), then ink (darker than its 21 px neighbourhood
    and than the paper), mid-tone, strong edges (Sobel) and red. Float arrays (any grey
    level) or 8-bit ones (``uint8``, as decoded), which give the maps quicker and in
    exact integers: the percentile from a histogram, the neighbourhood as a 21 x 21 sum,
    Sobel and red in int16. OpenCV, when it is installed (the images extra), computes
    the histogram, the sum, Sobel and red about twice as fast, to the same integers. The
    float path's neighbourhood is a float mean, so where a pixel sits exactly 12 levels
    under it the two paths may differ."""
    import numpy as np

    exact = grey.dtype == np.uint8
    if exact:
        paper = max(_percentile_of_counts(_grey_histogram(grey), 90.0), 1.0)
        ink = _darker_than_neighbourhood(grey, 12) & (grey < 0.7 * paper)
        mid = (grey > 0.3 * paper) & (grey < 0.75 * paper)
        mag = _sobel_magnitude(grey)
    else:
        from scipy import ndimage

        paper = max(float(np.percentile(grey, 90)), 1.0)
        local = ndimage.uniform_filter(grey, 21)
        ink = (grey < local - 12) & (grey < 0.7 * paper)
        mid = (grey > 0.3 * paper) & (grey < 0.75 * paper)
        mag = np.abs(ndimage.sobel(grey, 1)) + np.abs(ndimage.sobel(grey, 0))
    return paper, ink, mid, mag > 100, _red(rgb)


def _grey_histogram(g8: np.ndarray) -> np.ndarray:
    """How many pixels of an 8-bit image have each of the 256 grey levels."""
    import numpy as np

    cv2 = _cv2()
    if cv2 is not None:
        hist = cv2.calcHist([np.ascontiguousarray(g8)], [0], None, [256], [0, 256])
        return hist.ravel().astype(np.int64)  # type: ignore[no-any-return]
    return np.bincount(g8.ravel(), minlength=256)


def _red(rgb: np.ndarray) -> np.ndarray:
    """Red pixels: red over 90 and 45 levels above both green and blue."""
    import numpy as np

    cv2 = _cv2()
    if rgb.dtype == np.uint8 and cv2 is not None:  # saturating differences: r - g > 45
        r, g, b = cv2.split(np.ascontiguousarray(rgb))
        return (cv2.subtract(r, g) > 45) & (cv2.subtract(r, b) > 45) & (r > 90)  # type: ignore[no-any-return]
    r, g, b = ((rgb[..., k].astype(np.int16) for k in range(3)) if rgb.dtype == np.uint8
               else (rgb[..., 0], rgb[..., 1], rgb[..., 2]))
    return (r > g + 45) & (r > b + 45) & (r > 90)  # type: ignore[no-any-return]


def _cv2() -> Any:
    """OpenCV when it is installed (the images extra brings it), else None: it gives the
    same integers as the numpy code below, several times quicker."""
    try:
        import cv2
    except ImportError:  # pragma: no cover - the images extra is installed in the tests
        return None
    return cv2


def _darker_than_neighbourhood(g8: np.ndarray, by: int, size: int = 21) -> np.ndarray:
    """Where an 8-bit image is more than ``by`` levels darker than the mean of the
    ``size x size`` window centred on it (edges reflected as ``scipy.ndimage`` reflects
    them), decided in exact integers: ``size² x g < sum - by x size²``. With OpenCV the
    sum is an integer box filter; without it, scipy's float mean, whose error (~1e-5)
    is far below the 1/size² steps an exact mean moves in, so a margin of 1e-3 gives the
    same answer, ties included."""
    import numpy as np

    cv2 = _cv2()
    if cv2 is not None and min(g8.shape) > size // 2:
        sums = cv2.boxFilter(np.ascontiguousarray(g8), cv2.CV_32S, (size, size),
                             normalize=False, borderType=cv2.BORDER_REFLECT)
        return sums - (size * size) * g8.astype(np.int32) > by * size * size  # type: ignore[no-any-return]
    from scipy import ndimage

    g = g8.astype(np.float32)
    return ndimage.uniform_filter(g, size, mode="reflect") - g > by + 1e-3  # type: ignore[no-any-return]


def window_statistics(im, step: int = 1) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The statistics of one decoded ``PIL.Image`` (see :data:`FEATURE_NAMES`). With
    ``step`` > 1 the four maps are found at full resolution (a thin stroke stays a
    stroke), then averaged over ``step x step`` blocks before the sliding windows: the
    windows are 30 px or more, so their densities barely change, at about 1/step² of
    the cost.

    The same figures as float maps and ``scipy.ndimage.uniform_filter`` give (reflected
    edges; tested), computed in integers: the maps (:func:`ink_maps` on the 8-bit image)
    are 0/1, so a block holds a count and a window's density is a count over its area;
    the windows are sums over an integral image, and the percentiles are read from a histogram of those counts
    (exact: numpy's linear interpolation between order statistics): about twice as
    quick as filtering float maps and partitioning them twelve times. One difference: a
    window at exactly 0.01 density (possible where 0.01 x its area is a whole number)
    is empty here, where float rounding counted most such windows in; the median of the
    non-empty windows, and so ``p99_over_median`` and ``max_ratio``, can move by a few
    thousandths on such a page."""
    import numpy as np

    _, ink, mid, edges, red = ink_maps(np.asarray(im.convert("RGB")),
                                       np.asarray(im.convert("L")))
    maps = [_block_counts(a, step) for a in (ink, mid, edges, red)]
    h, w = maps[0].shape
    if not h or not w:  # thinner than one block (a 900 x 1 banner at step 2): no window
        return np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    mh, mw = h // 33, w // 33
    shapes = [(max(3, h // fh), max(3, w // fw)) for fh, fw in _WINDOWS]
    out: list[float] = []
    for counts in maps:
        integral = _IntegralImage(counts, shapes)
        for sh, sw in shapes:
            sums = integral.window_sums(sh, sw, mh, mw)
            if sums.size == 0:
                out += [0.0, 0.0, 0.0, 0.0]
                continue
            scale = float(sh * sw * step * step)
            hist = np.bincount(sums.ravel())
            top = (len(hist) - 1) / scale
            p99 = _percentile_of_counts(hist, 99.0) / scale
            hist[:int(np.floor(0.01 * scale)) + 1] = 0  # the non-empty windows: above 0.01
            med = _percentile_of_counts(hist, 50.0) / scale if hist.any() else 0.0
            out += [top, p99, p99 - med, top / (med + 0.02)]
    return np.array(out, dtype=np.float32)


def _sobel_magnitude(g8: np.ndarray) -> np.ndarray:
    """``|sobel(grey, 1)| + |sobel(grey, 0)|`` as scipy computes it (reflected edges) on
    8-bit grey levels, in int16 (exact: at most 2,040)."""
    import numpy as np

    cv2 = _cv2()
    if cv2 is not None and min(g8.shape) > 1:
        g8 = np.ascontiguousarray(g8)
        gx = cv2.Sobel(g8, cv2.CV_16S, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT)
        gy = cv2.Sobel(g8, cv2.CV_16S, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT)
        return np.abs(gx) + np.abs(gy)  # type: ignore[no-any-return]
    p = np.pad(g8.astype(np.int16), 1, mode="symmetric")
    dx = p[:, 2:] - p[:, :-2]
    gx = dx[:-2] + 2 * dx[1:-1] + dx[2:]
    sy = p[:, :-2] + 2 * p[:, 1:-1] + p[:, 2:]
    gy = sy[2:] - sy[:-2]
    return np.abs(gx) + np.abs(gy)  # type: ignore[no-any-return]


def _block_counts(a: np.ndarray, step: int) -> np.ndarray:
    """The number of set pixels in each ``step x step`` block of the 0/1 map ``a`` (the
    edge rows and columns that do not fill a block are dropped; ``step`` 1: ``a``), as
    8-bit integers while they fit (``step`` up to 15), else 32-bit."""
    import numpy as np

    a = a.view(np.uint8) if a.dtype == np.bool_ else a.astype(np.uint8)
    if step == 1:
        return a
    h, w = (a.shape[0] // step) * step, (a.shape[1] // step) * step
    total = np.zeros((h // step, w // step), dtype=np.uint8 if step * step < 256 else np.int32)
    for i in range(step):
        for j in range(step):
            total += a[i:h:step, j:w:step]
    return total


class _IntegralImage:
    """Window sums of an integer map at every position, placed and padded as
    ``scipy.ndimage.uniform_filter`` places its windows (reflected edges): one integral
    image of the map padded for the largest of ``shapes``, read by every window shape."""

    def __init__(self, a: np.ndarray, shapes: list[tuple[int, int]]):
        import numpy as np

        self.shape = a.shape
        self.top = max(sh // 2 for sh, _ in shapes)
        self.left = max(sw // 2 for _, sw in shapes)
        bottom = max(sh - 1 - sh // 2 for sh, _ in shapes)
        right = max(sw - 1 - sw // 2 for _, sw in shapes)
        pads = ((self.top, bottom), (self.left, right))
        cv2 = _cv2()
        if (cv2 is not None and int(a.max(initial=0)) < 256
                and max(self.top, bottom) < a.shape[0] and max(self.left, right) < a.shape[1]):
            p = cv2.copyMakeBorder(np.ascontiguousarray(a, dtype=np.uint8), *pads[0],
                                   *pads[1], cv2.BORDER_REFLECT)
            self.ii = cv2.integral(p, sdepth=cv2.CV_32S)
            return
        p = np.pad(a, pads, mode="symmetric")
        self.ii = np.zeros((p.shape[0] + 1, p.shape[1] + 1), dtype=np.int32)
        np.cumsum(p, axis=0, dtype=np.int32, out=self.ii[1:, 1:])
        np.cumsum(self.ii[1:, 1:], axis=1, out=self.ii[1:, 1:])

    def window_sums(self, sh: int, sw: int, mh: int = 0, mw: int = 0) -> np.ndarray:
        """The ``sh x sw`` window sums centred on every pixel, less ``mh`` rows and
        ``mw`` columns at each edge."""
        h, w = self.shape
        y0, x0 = self.top - sh // 2 + mh, self.left - sw // 2 + mw  # the first window's corner
        h, w = h - 2 * mh, w - 2 * mw
        ii = self.ii
        return (ii[y0 + sh:y0 + sh + h, x0 + sw:x0 + sw + w] - ii[y0:y0 + h, x0 + sw:x0 + sw + w]  # type: ignore[no-any-return]
                - ii[y0 + sh:y0 + sh + h, x0:x0 + w] + ii[y0:y0 + h, x0:x0 + w])


def _percentile_of_counts(hist: np.ndarray, q: float) -> float:
    """``np.percentile(values, q)`` (linear interpolation) of the integers whose
    histogram ``hist`` is (``hist[v]`` = how many equal ``v``), without sorting them."""
    import numpy as np

    cum = np.cumsum(hist)
    n = int(cum[-1])
    pos = q / 100.0 * (n - 1)
    lo = int(np.floor(pos))
    frac = pos - lo
    v_lo = int(np.searchsorted(cum, lo, side="right"))
    if frac == 0.0:
        return float(v_lo)
    v_hi = int(np.searchsorted(cum, lo + 1, side="right"))
    return float(v_lo + frac * (v_hi - v_lo))
