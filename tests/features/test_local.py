"""Densest-window statistics (glamlab.features.local)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from glamlab.errors import ItemError
from glamlab.features import LocalWindowStats
from glamlab.features.local import FEATURE_NAMES, window_statistics
from glamlab.items import Item


def _page(ornament: bool, red: bool = False) -> Image.Image:
    im = Image.new("RGB", (600, 900), (235, 228, 210))
    d = ImageDraw.Draw(im)
    rng = np.random.default_rng(0)
    for y in range(80, 820, 24):  # text lines: short dark words
        x = 60
        while x < 520:
            wlen = int(rng.integers(20, 60))
            d.rectangle((x, y, x + wlen, y + 8), fill=(40, 35, 30))
            x += wlen + 12
    if ornament:  # a dense patterned band across the page
        for x in range(60, 540, 6):
            d.rectangle((x, 40, x + 3, 70), fill=(20, 20, 20))
    if red:
        d.ellipse((280, 400, 320, 440), fill=(200, 30, 30))
    return im


def _value(vec: np.ndarray, name: str) -> float:
    return float(vec[FEATURE_NAMES.index(name)])


def test_ornament_band_stands_out_from_text() -> None:
    text = window_statistics(_page(False))
    band = window_statistics(_page(True))
    assert text.shape == (len(FEATURE_NAMES),) and np.isfinite(text).all()
    assert _value(band, "win_ink_40x5_max") > _value(text, "win_ink_40x5_max") + 0.1


def test_red_mark_and_blank_page() -> None:
    assert _value(window_statistics(_page(False, red=True)), "win_red_40x5_max") > 0.1
    blank = window_statistics(Image.new("RGB", (600, 900), (240, 235, 220)))
    assert _value(blank, "win_ink_8x4_max") == 0.0


def test_extractor_key_and_bad_item(tmp_path) -> None:
    ex = LocalWindowStats()
    assert ex.key == "local-windows@1" and LocalWindowStats(600).key == "local-windows-600@1"
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(ItemError):
        ex.extract_one(Item("bad", "image", uri=str(bad)))


@pytest.mark.parametrize("ornament", [False, True])
def test_blocks_of_two_keep_the_statistics(ornament: bool) -> None:
    """step=2 finds the maps at full resolution and slides the windows over 2 x 2 block
    means: the densities it reports stay within a few hundredths of step=1's."""
    page = _page(ornament, red=True)
    full, fast = window_statistics(page), window_statistics(page, step=2)
    assert fast.shape == full.shape
    dens = [i for i, n in enumerate(FEATURE_NAMES) if not n.endswith("max_ratio")]
    assert np.abs(fast[dens] - full[dens]).max() < 0.03
    assert LocalWindowStats(step=2).key == "local-windows-s2@1"
    with pytest.raises(ValueError, match="step"):
        LocalWindowStats(step=0)


def _reference(im: Image.Image, step: int) -> np.ndarray:
    """The statistics as first written: float maps, scipy's uniform filter, numpy's
    percentiles (what the integer version must reproduce)."""
    from scipy import ndimage

    from glamlab.features.local import _WINDOWS, ink_maps

    rgb = np.asarray(im.convert("RGB"), dtype=np.float32)
    grey = np.asarray(im.convert("L"), dtype=np.float32)
    _, *maps = ink_maps(rgb, grey)
    if step > 1:
        h, w = (maps[0].shape[0] // step) * step, (maps[0].shape[1] // step) * step
        maps = [sum(a[i:h:step, j:w:step].astype(np.float32) for i in range(step)
                    for j in range(step)) / step ** 2 for a in maps]
    h, w = maps[0].shape
    mh, mw = h // 33, w // 33
    out: list[float] = []
    for a in maps:
        for fh, fw in _WINDOWS:
            win = ndimage.uniform_filter(a.astype(np.float32), (max(3, h // fh), max(3, w // fw)))
            v = win[mh:h - mh, mw:w - mw].ravel()
            nz = v[v > 0.01]
            med = float(np.median(nz)) if nz.size else 0.0
            top, p99 = float(v.max()), float(np.percentile(v, 99))
            out += [top, p99, p99 - med, top / (med + 0.02)]
    return np.array(out, dtype=np.float32)


def _scan() -> Image.Image:
    from pathlib import Path

    import glamlab

    folder = Path(glamlab.__file__).parent / "demo_data" / "illustrations" / "images"
    return Image.open(sorted(folder.glob("*.jpg"))[0]).convert("RGB")


def test_ink_maps_of_8_bit_arrays_equal_the_float_ones() -> None:
    """The quick 8-bit path (histogram percentile, int16 Sobel and red) finds the same
    paper level and the same maps as float arrays."""
    from glamlab.features.local import ink_maps

    for im in (_scan(), _page(True, red=True)):
        rgb8, g8 = np.asarray(im.convert("RGB")), np.asarray(im.convert("L"))
        quick = ink_maps(rgb8, g8)
        plain = ink_maps(rgb8.astype(np.float32), g8.astype(np.float32))
        assert quick[0] == plain[0]
        for a, b in zip(quick[1:], plain[1:], strict=True):
            assert a.any() and (a == b).all()


def test_a_page_thinner_than_a_block_has_no_windows() -> None:
    """A 900 x 1 banner at step 2 leaves no 2 x 2 block: zeros, as before the integer
    version (which first failed on it), not an error."""
    for size, step in (((900, 1), 2), ((1, 1), 3), ((2, 2), 3)):
        got = window_statistics(Image.new("RGB", size, (200, 30, 30)), step)
        assert got.shape == (len(FEATURE_NAMES),) and not got.any()


@pytest.mark.parametrize("step", [1, 2])
@pytest.mark.parametrize("page", ["text", "ornament", "scan", "small"])
def test_integer_windows_equal_the_float_filters(page: str, step: int) -> None:
    """Integral images and histogram percentiles give the figures of float maps, scipy's
    uniform filter and numpy's percentiles, to float rounding (a window at exactly the
    0.01 density that counts as non-empty may fall either side: the max ratio can move a
    little, the densities cannot)."""
    im = {"text": lambda: _page(False, red=True), "ornament": lambda: _page(True),
          "scan": _scan, "small": lambda: _page(True).resize((40, 60))}[page]()
    got, want = window_statistics(im, step), _reference(im, step)
    exact = [i for i, n in enumerate(FEATURE_NAMES) if n.endswith(("_max", "_p99"))]
    assert np.abs(got[exact] - want[exact]).max() < 1e-5
    assert np.allclose(got, want, rtol=0.02, atol=2e-3)
    assert np.mean(np.abs(got - want) < 1e-5) > 0.9


def test_a_saved_local_stats_model_keeps_its_windows(tmp_path) -> None:
    import json

    from glamlab.predictors.base import PARAMS_FILE, Predictor
    from glamlab.predictors.catalogue import create
    from tests.features.synthetic import demo_item, demo_rows

    head = create("local-stats-gbm")
    assert head.feature_spec() == "stats+windows-s2"
    del head.window_step  # a model pickled inside another before the option existed
    assert head.feature_spec() == "stats+windows"
    assert create("local-stats-gbm", window_step=1).feature_spec() == "stats+windows"
    # a model saved on its own before the option existed: its params lack it
    rows = demo_rows()[:12]
    model = create("local-stats-gbm", calibrate=False, window_step=1).fit(
        [demo_item(r) for r in rows], [r["label"] for r in rows])
    model.save(tmp_path / "m")
    params_file = tmp_path / "m" / PARAMS_FILE
    saved = json.loads(params_file.read_text())
    assert saved["params"]["window_step"] == 1
    del saved["params"]["window_step"]
    params_file.write_text(json.dumps(saved))
    old = Predictor.load(tmp_path / "m")
    assert old.feature_spec() == "stats+windows"  # not the new default's blocks
    new = create("local-stats-gbm", calibrate=False).fit(
        [demo_item(r) for r in rows], [r["label"] for r in rows])
    new.save(tmp_path / "n")
    assert Predictor.load(tmp_path / "n").feature_spec() == "stats+windows-s2"


@pytest.mark.parametrize("step", [1, 2])
def test_opencv_and_numpy_give_the_same_integers(step: int, monkeypatch) -> None:
    """OpenCV (the images extra) only makes the maps and windows quicker: without it the
    numpy and scipy code gives the very same numbers, maps and statistics."""
    from glamlab.features import local

    pages = [_scan(), _page(True, red=True), _page(False), _page(True).resize((40, 60))]
    with_cv2 = [(local.ink_maps(np.asarray(p), np.asarray(p.convert("L"))),
                 window_statistics(p, step)) for p in pages]
    monkeypatch.setattr(local, "_cv2", lambda: None)
    for page, (maps, stats) in zip(pages, with_cv2, strict=True):
        plain = local.ink_maps(np.asarray(page), np.asarray(page.convert("L")))
        assert maps[0] == plain[0]
        for a, b in zip(maps[1:], plain[1:], strict=True):
            assert a.dtype == b.dtype == np.bool_ and np.array_equal(a, b)
        assert np.array_equal(window_statistics(page, step), stats)


@pytest.mark.parametrize("opencv", [True, False])
def test_ink_at_exactly_twelve_levels_under_its_neighbourhood_is_not_ink(opencv: bool,
                                                                          monkeypatch) -> None:
    """The adaptive threshold is strict and exact: a pixel exactly 12 levels under the
    mean of its 21 x 21 window is not ink, one level darker is, with or without OpenCV."""
    from glamlab.features import local

    if not opencv:
        monkeypatch.setattr(local, "_cv2", lambda: None)
    # background v + 12, one neighbour v + 24, the pixel v: the window sums to
    # 441 (v + 12), so its mean is exactly v + 12
    v = 100
    g = np.full((41, 41), v + 12, dtype=np.uint8)
    g[20, 21] = v + 24
    g[20, 20] = v
    tie = local._darker_than_neighbourhood(g, 12)
    assert not tie[20, 20]
    g[20, 20] = v - 1
    g[20, 21] = v + 25  # the window's sum is unchanged, the pixel one level darker
    assert local._darker_than_neighbourhood(g, 12)[20, 20]
