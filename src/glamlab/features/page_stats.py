"""Page statistics: fast, hand-made measurements of a page image.

Computed on a reduced decode (JPEG draft mode: a 1200 px scan decodes at 1/4 scale
in a few milliseconds) with numpy and scipy only. They describe how much ink there
is and how it is laid out (text lines are short, wide and periodic; pictures are
tall blobs with mid-tones and edges in every direction), the paper and its borders,
and colour (red rubrics, coloured miniatures). Good enough alone to separate blank
pages from pages with content, and a cheap complement to embeddings for
illustrations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .base import Extractor, decode

if TYPE_CHECKING:
    import numpy as np

    from ..items import Item

_GRID = 4

FEATURE_NAMES: tuple[str, ...] = (
    # grey levels
    "grey_mean", "grey_std", "grey_p01", "grey_p05", "grey_p50", "grey_p95", "contrast",
    "entropy", "dark_frac", "midtone_frac",
    # ink after adaptive thresholding
    "ink_frac", "strong_ink_frac", "faint_ink_frac",
    # connected components of ink
    "cc_log_count", "cc_log_count_ge4", "cc_mean_area", "cc_max_area_frac", "cc_largest_share",
    "cc_big_count", "cc_big_area_frac",
    # components after joining letters into lines
    "blob_log_count", "blob_tall_count", "blob_tall_area_frac", "blob_max_height_frac",
    "blob_max_width_frac", "blob_tallest_fill", "blob_median_height_frac",
    # bag of blob shapes (height relative to a text line, x dense/sparse), rules, isolated marks
    "shape_line_dense", "shape_line_sparse", "shape_mid_dense", "shape_mid_sparse",
    "shape_large_dense", "shape_large_sparse", "shape_nonline_area_frac", "shape_rules",
    "shape_compact_marks", "shape_midtone_blobs",
    # edges
    "edge_density", "edge_mean", "edge_hv_ratio", "edge_diag_frac",
    # projection profiles
    "rows_inked_frac", "cols_inked_frac", "row_profile_std", "col_profile_std",
    "row_periodicity", "row_period_frac", "col_gap_frac",
    # borders
    "border_top", "border_bottom", "border_left", "border_right", "border_max", "centre_dark",
    # colour
    "colourfulness", "saturation_mean", "saturated_frac", "red_frac", "blue_green_frac",
    "paper_warmth",
    # 4x4 grid summaries (position-free)
    "grid_ink_max", "grid_ink_min", "grid_ink_std", "grid_std_max", "grid_midtone_max",
    "grid_edge_max", "grid_dark_max", "grid_cells_dense", "grid_cells_empty",
    "aspect",
)


class PageStats(Extractor):
    """Statistics of a page at about ``max_side`` pixels (default 300: a 1200 px JPEG
    decodes at 1/4 scale)."""

    name: ClassVar[str] = "page-stats"
    version: ClassVar[int] = 2
    batch_size: ClassVar[int] = 64
    feature_names: ClassVar[tuple[str, ...]] = FEATURE_NAMES

    def __init__(self, max_side: int = 300):
        self.max_side = max_side
        self.dim = len(FEATURE_NAMES)

    @property
    def key(self) -> str:
        suffix = "" if self.max_side == 300 else f"-{self.max_side}"
        return f"{self.name}{suffix}@{self.version}"

    def extract_one(self, item: Item) -> np.ndarray:
        im = decode(item, self.max_side)
        return page_statistics(im)


def page_statistics(im) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The statistics of one decoded RGB ``PIL.Image`` (see :data:`FEATURE_NAMES`)."""
    import numpy as np
    from scipy import ndimage

    rgb = np.asarray(im, dtype=np.float32)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    grey = np.asarray(im.convert("L"), dtype=np.float32) if im.mode == "RGB" else (
        0.299 * r + 0.587 * g + 0.114 * b)
    h, w = grey.shape
    area = float(h * w)
    f: dict[str, float] = {}

    hist = np.bincount(np.clip(grey, 0, 255).astype(np.uint8).ravel(), minlength=256)
    cdf = np.cumsum(hist) / area
    p01, p05, p50, p90, p95, p99 = (float(np.searchsorted(cdf, q)) for q in
                                    (0.01, 0.05, 0.5, 0.9, 0.95, 0.99))
    paper = max(p90, 1.0)
    f["grey_mean"] = grey.mean() / 255
    f["grey_std"] = grey.std() / 255
    f["grey_p01"], f["grey_p05"], f["grey_p50"], f["grey_p95"] = (
        p01 / 255, p05 / 255, p50 / 255, p95 / 255)
    f["contrast"] = (p99 - p01) / 255
    hist64 = hist.reshape(64, 4).sum(axis=1)
    prob = hist64[hist64 > 0] / area
    f["entropy"] = float(-(prob * np.log2(prob)).sum()) / 6
    f["dark_frac"] = float(hist[: int(0.5 * paper)].sum() / area)
    f["midtone_frac"] = float(hist[int(0.3 * paper) + 1: int(0.75 * paper)].sum() / area)

    # ink: darker than the local background (adaptive threshold, 15 px window)
    local = ndimage.uniform_filter(grey, size=15, mode="reflect")
    ink = grey < local - 12
    strong = ink & (grey < 0.7 * paper)
    f["ink_frac"] = float(_frac(ink))
    f["strong_ink_frac"] = float(_frac(strong))
    f["faint_ink_frac"] = float(_frac(ink & ~strong))

    eight = np.ones((3, 3), dtype=bool)
    labels, n = ndimage.label(strong, structure=eight)
    if n:
        sizes = np.bincount(labels.ravel())[1:].astype(np.float64)
        big = sizes > 0.005 * area
        f["cc_log_count"] = float(np.log1p(n))
        f["cc_log_count_ge4"] = float(np.log1p((sizes >= 4).sum()))
        f["cc_mean_area"] = float(np.log1p(sizes.mean()))
        f["cc_max_area_frac"] = float(sizes.max() / area)
        f["cc_largest_share"] = float(sizes.max() / sizes.sum())
        f["cc_big_count"] = float(big.sum())
        f["cc_big_area_frac"] = float(sizes[big].sum() / area)
    else:
        for k in ("cc_log_count", "cc_log_count_ge4", "cc_mean_area", "cc_max_area_frac",
                  "cc_largest_share", "cc_big_count", "cc_big_area_frac"):
            f[k] = 0.0

    # join letters into words/lines (horizontal closing only), then look for tall blobs
    joined = ndimage.maximum_filter1d(strong.view(np.uint8), 5, axis=1)
    blabels, bn = ndimage.label(joined, structure=eight)
    f["blob_log_count"] = float(np.log1p(bn))
    if bn:
        boxes = ndimage.find_objects(blabels)
        heights = np.array([s[0].stop - s[0].start for s in boxes], dtype=np.float64)
        widths = np.array([s[1].stop - s[1].start for s in boxes], dtype=np.float64)
        bsizes = np.bincount(blabels.ravel())[1:].astype(np.float64)
        real = bsizes >= 4
        med_h = float(np.median(heights[real])) if real.any() else 1.0
        tall = (heights > max(4 * med_h, 0.06 * h)) & (widths > 0.04 * w)
        f["blob_tall_count"] = float(tall.sum())
        f["blob_tall_area_frac"] = float((heights[tall] * widths[tall]).sum() / area)
        f["blob_max_height_frac"] = float(heights.max() / h)
        f["blob_max_width_frac"] = float(widths.max() / w)
        t = int(heights.argmax())
        f["blob_tallest_fill"] = float(bsizes[t] / max(heights[t] * widths[t], 1))
        f["blob_median_height_frac"] = med_h / h
        hr = heights / max(med_h, 1.0)
        fill = bsizes / np.maximum(heights * widths, 1)
        dense = fill > 0.45
        line, midb, large = real & (hr < 1.6), real & (hr >= 1.6) & (hr < 4), real & (hr >= 4)
        f["shape_line_dense"] = float(np.log1p((line & dense).sum()))
        f["shape_line_sparse"] = float(np.log1p((line & ~dense).sum()))
        f["shape_mid_dense"] = float(np.log1p((midb & dense).sum()))
        f["shape_mid_sparse"] = float(np.log1p((midb & ~dense).sum()))
        f["shape_large_dense"] = float(np.log1p((large & dense).sum()))
        f["shape_large_sparse"] = float(np.log1p((large & ~dense).sum()))
        f["shape_nonline_area_frac"] = float((heights * widths)[real & ~line].sum() / area)
        f["shape_rules"] = float(np.log1p((real & (widths > 0.2 * w) & (hr < 1.0)
                                           & (fill > 0.6)).sum()))
        aspect_b = widths / np.maximum(heights, 1)
        f["shape_compact_marks"] = float(np.log1p((real & (hr >= 1.3) & (aspect_b > 0.5)
                                                   & (aspect_b < 2.5) & (fill > 0.35)).sum()))
        bmean = np.asarray(ndimage.mean(grey, blabels, np.arange(1, bn + 1)))
        f["shape_midtone_blobs"] = float(np.log1p((real & ~line & (bmean > 0.45 * paper)).sum()))
    else:
        for k in ("blob_tall_count", "blob_tall_area_frac", "blob_max_height_frac",
                  "blob_max_width_frac", "blob_tallest_fill", "blob_median_height_frac",
                  "shape_line_dense", "shape_line_sparse", "shape_mid_dense", "shape_mid_sparse",
                  "shape_large_dense", "shape_large_sparse", "shape_nonline_area_frac",
                  "shape_rules", "shape_compact_marks", "shape_midtone_blobs"):
            f[k] = 0.0

    gx = ndimage.sobel(grey, axis=1)
    gy = ndimage.sobel(grey, axis=0)
    mag = np.abs(gx) + np.abs(gy)
    edges = mag > 100
    f["edge_density"] = float(_frac(edges))
    f["edge_mean"] = float(mag.mean() / 255)
    ax, ay = np.abs(gx[edges]), np.abs(gy[edges])
    f["edge_hv_ratio"] = float(ax.sum() / (ax.sum() + ay.sum())) if edges.any() else 0.5
    f["edge_diag_frac"] = (float(((ax > 0.4 * ay) & (ay > 0.4 * ax)).mean())
                           if edges.any() else 0.0)

    # projection profiles inside a 5 % margin (ignores scanner borders)
    mh, mw = max(1, h // 20), max(1, w // 20)
    core = strong[mh:h - mh, mw:w - mw]
    rows = core.mean(axis=1)
    cols = core.mean(axis=0)
    f["rows_inked_frac"] = float((rows > 0.01).mean())
    f["cols_inked_frac"] = float((cols > 0.01).mean())
    f["row_profile_std"] = float(rows.std())
    f["col_profile_std"] = float(cols.std())
    period, strength = _periodicity(rows)
    f["row_periodicity"] = strength
    f["row_period_frac"] = period / max(len(rows), 1)
    f["col_gap_frac"] = float((cols < 0.002).mean())

    bh, bw = max(1, h // 25), max(1, w // 25)
    darkness = 1 - grey / 255
    f["border_top"] = float(darkness[:bh].mean())
    f["border_bottom"] = float(darkness[-bh:].mean())
    f["border_left"] = float(darkness[:, :bw].mean())
    f["border_right"] = float(darkness[:, -bw:].mean())
    f["border_max"] = max(f["border_top"], f["border_bottom"], f["border_left"], f["border_right"])
    f["centre_dark"] = float(darkness[h // 4: 3 * h // 4, w // 4: 3 * w // 4].mean())

    rg = r - g
    yb = 0.5 * (r + g) - b
    f["colourfulness"] = float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())) / 255
    mx = np.maximum(np.maximum(r, g), b)
    mn = np.minimum(np.minimum(r, g), b)
    sat = (mx - mn) / np.maximum(mx, 1)
    f["saturation_mean"] = float(sat.mean())
    f["saturated_frac"] = float(_frac((sat > 0.45) & (mx > 60)))
    f["red_frac"] = float(_frac((r > g + 45) & (r > b + 45) & (r > 90)))
    f["blue_green_frac"] = float(_frac(((b > r + 25) | (g > r + 25)) & (mx > 40)))
    paper_mask = grey >= p50
    f["paper_warmth"] = float((r[paper_mask].mean() - b[paper_mask].mean()) / 255)

    # position-free summaries of a 4 x 4 grid
    gh, gw = h // _GRID, w // _GRID
    mid = (grey > 0.3 * paper) & (grey < 0.75 * paper)
    dark = grey < 0.5 * paper

    def cells(a: np.ndarray) -> np.ndarray:
        return a[:gh * _GRID, :gw * _GRID].reshape(_GRID, gh, _GRID, gw).mean(axis=(1, 3)).ravel()

    ci = cells(strong.astype(np.float32))
    csq = cells(grey * grey)
    cmean = cells(grey)
    cell_std = np.sqrt(np.maximum(csq - cmean * cmean, 0)) / 255
    f["grid_ink_max"], f["grid_ink_min"], f["grid_ink_std"] = ci.max(), ci.min(), ci.std()
    f["grid_std_max"] = float(cell_std.max())
    f["grid_midtone_max"] = float(cells(mid.astype(np.float32)).max())
    f["grid_edge_max"] = float(cells(edges.astype(np.float32)).max())
    f["grid_dark_max"] = float(cells(dark.astype(np.float32)).max())
    f["grid_cells_dense"] = float((ci > 0.25).sum())
    f["grid_cells_empty"] = float((ci < 0.002).sum())
    f["aspect"] = h / max(w, 1)

    return np.array([f[k] for k in FEATURE_NAMES], dtype=np.float32)


def _frac(mask: np.ndarray) -> float:
    import numpy as np

    return float(np.count_nonzero(mask)) / max(mask.size, 1)


def _periodicity(profile: np.ndarray) -> tuple[float, float]:
    """Strongest autocorrelation of a profile at lags 3..40 (text lines repeat)."""
    import numpy as np

    x = profile - profile.mean()
    denom = float((x * x).sum())
    if len(x) < 12 or denom <= 1e-12:
        return 0.0, 0.0
    n = len(x)
    spec = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(spec * np.conj(spec))[:n] / denom
    hi = min(40, n - 1)
    lag = 3 + int(np.argmax(ac[3:hi + 1]))
    return float(lag), float(ac[lag])
