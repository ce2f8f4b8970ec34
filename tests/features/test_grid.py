"""Window grid statistics and window labels from graphic boxes (glamlab.features.grid)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from glamlab.features.grid import (
    WINDOW_FEATURES,
    WindowGrid,
    window_boxes,
    window_grid,
    window_labels,
)


def test_window_boxes_cover_the_page_in_feature_order() -> None:
    boxes = window_boxes(4, 3)
    assert boxes.shape == (3 * 2, 4)
    # row-major: the second window is right of the first, the third is below it
    assert boxes[1, 0] > boxes[0, 0] and boxes[1, 1] == boxes[0, 1]
    assert boxes[2, 1] > boxes[0, 1] and boxes[2, 0] == boxes[0, 0]
    assert boxes.min() >= 0.0 and boxes.max() <= 1.0


def test_window_labels_from_boxes() -> None:
    size = (800, 1200)
    # no boxes: every window negative
    assert (window_labels([], size, 8, 4) == 0).all()
    # a small ornament in the top-left cell: the windows holding it are positive
    lab = window_labels([[40, 60, 30, 20]], size, 8, 4).reshape(7, 3)
    assert lab[0, 0] == 1
    assert (lab[1:] == 0).all() and (lab[0, 1:] == 0).all()
    # a woodcut over the top half: windows inside it positive, windows it grazes left
    # out (-1), windows far from it negative
    lab = window_labels([[0, 0, 800, 600]], size, 8, 4).reshape(7, 3)
    assert (lab[:3] == 1).all()
    assert (lab[-2:] == 0).all()
    graze = window_labels([[0, 0, 800, 330]], size, 8, 4).reshape(7, 3)
    assert (graze[2] == -1).all()  # a window with a sliver of the box is left out
    # a thin ornament band across the page: no window holds half of it, but the windows
    # it crosses hold all of it that fits in them
    band = window_labels([[40, 60, 720, 20]], size, 8, 4).reshape(7, 3)
    assert (band[0] == 1).all() and (band[1:] == 0).all()


def _page(band: bool) -> Image.Image:
    im = Image.new("RGB", (600, 900), (235, 228, 210))
    d = ImageDraw.Draw(im)
    rng = np.random.default_rng(0)
    for y in range(120, 820, 24):
        x = 60
        while x < 520:
            wlen = int(rng.integers(20, 60))
            d.rectangle((x, y, x + wlen, y + 8), fill=(40, 35, 30))
            x += wlen + 12
    if band:
        for x in range(60, 540, 6):
            d.rectangle((x, 50, x + 3, 90), fill=(20, 20, 20))
    return im


def test_window_grid_finds_the_dense_band() -> None:
    ink = WINDOW_FEATURES.index("ink")
    plain, band = window_grid(_page(False), 24, 8), window_grid(_page(True), 24, 8)
    assert plain.shape == (23 * 7, len(WINDOW_FEATURES)) and np.isfinite(plain).all()
    # the band lies in the first rows of windows
    assert band[:14, ink].max() > plain[:14, ink].max() + 0.2
    ex = WindowGrid()
    assert ex.dim == 23 * 7 * len(WINDOW_FEATURES) and ex.key == "window-grid-24x8-900@1"
