"""Ink evidence (glamlab.features.ink): what counts as ink, what does not, and bad input.

Pages drawn here are SYNTHETIC, to pin one property each (paper grain, show-through,
a page number, a scanner edge); real pages come from the bundled blank-pages sample."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from glamlab.errors import ItemError
from glamlab.features.ink import (
    FEATURE_NAMES,
    InkEvidence,
    glyph_rows,
    ink_features,
    ink_map,
    ink_regions,
)
from glamlab.items import Item

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "glamlab" / "demo_data" / "blank_pages"


def paper(seed: int = 0, size: tuple[int, int] = (400, 600), tone: float = 215.0,
          grain: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w, h = size
    page = np.full((h, w), tone, dtype=np.float32) + rng.normal(0, grain, (h, w))
    page -= 12 * np.linspace(-1, 1, w)[None, :] ** 2  # a soft gutter shadow
    return page


def to_u8(a: np.ndarray) -> np.ndarray:
    return np.clip(a, 0, 255).astype(np.uint8)


def text_layer(size: tuple[int, int], text: str, xy: tuple[int, int], lines: int = 1
               ) -> np.ndarray:
    """1 where the glyphs are (the default bitmap font, scaled up by 2)."""
    w, h = size
    im = Image.new("L", (w // 2, h // 2), 0)
    d = ImageDraw.Draw(im)
    for i in range(lines):
        d.text((xy[0] // 2, xy[1] // 2 + 8 * i), text, fill=255, font=ImageFont.load_default())
    return np.asarray(im.resize((w, h), Image.Resampling.NEAREST), dtype=np.float32) / 255


def test_plain_paper_with_grain_and_a_shadow_has_no_ink() -> None:
    for seed in range(3):
        r = ink_regions(ink_map(to_u8(paper(seed))))
        assert r["marks_total"] == 0 and r["ink_cells"] == 0


def test_faint_blurred_show_through_is_not_ink_but_a_page_number_is() -> None:
    size = (400, 600)
    ghost = text_layer(size, "lorem ipsum dolor sit amet", (40, 60), lines=30)
    ghost = np.asarray(Image.fromarray(to_u8(ghost[:, ::-1] * 255))
                       .filter(ImageFilter.GaussianBlur(1.2)), dtype=np.float32) / 255
    page = paper(1) - 8 * ghost  # mirrored, blurred, 8 grey levels at most
    r = ink_regions(ink_map(to_u8(page)))
    assert r["marks_total"] == 0, r["marks"][:3]
    assert r["faint_cells"] > 0  # seen, and called faint
    numbered = page - 150 * text_layer(size, "127", (190, 560))
    r2 = ink_regions(ink_map(to_u8(numbered)))
    assert r2["marks_total"] >= 1
    x, y, w, h = r2["marks"][0]["box"]
    assert 0.4 < x + w / 2 < 0.6 and y > 0.85  # where the number is: bottom centre


def test_scan_background_and_a_leaf_edge_are_edges_not_ink() -> None:
    page = paper(2)
    page[:, :30] = 25  # dark scanner background on the left
    page[:, 30:33] = 90  # the leaf's dark edge
    page[:, 370:372] = 120  # a fore-edge line near the right side
    m = ink_map(to_u8(page))
    r = ink_regions(m)
    assert r["marks_total"] == 0
    assert r["edges"] and not m.leaf[:, 0].any()
    # the same page with a word in the middle: the word is ink, the edges still are not
    worded = page - 140 * text_layer((400, 600), "Testament", (150, 300))
    r2 = ink_regions(ink_map(to_u8(worded)))
    assert r2["marks_total"] >= 1
    assert all(0.2 < mk["box"][0] < 0.8 for mk in r2["marks"])


def test_features_are_evidence_more_ink_never_scores_lower() -> None:
    base = paper(3)
    few = base - 140 * text_layer((400, 600), "a few words", (100, 100))
    many = few - 140 * text_layer((400, 600), "many lines of text here", (40, 200), lines=20)
    fb, ff, fm = (ink_features(ink_map(to_u8(p))) for p in (base, few, many))
    assert fb.shape == (len(FEATURE_NAMES),)
    assert (ff >= fb - 1e-6).all() and (fm >= ff - 1e-6).all()
    assert fm[FEATURE_NAMES.index("cells_18")] > ff[FEATURE_NAMES.index("cells_18")] > 0


def _sample_items(tmp_path: Path | None = None) -> tuple[list[Item], list[str], list[str]]:
    with open(SAMPLE / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    items = [Item(r["id"], "image", uri=str(SAMPLE / r["path"]), content_hash=r["id"])
             for r in rows]
    return items, [r["label"] for r in rows], [r["kind"] for r in rows]


def test_real_pages_threads_match_one_by_one_and_a_shelfmark_is_found() -> None:
    items, labels, kinds = _sample_items()
    X1 = InkEvidence(threads=1).extract_batch(items[:12])
    X2 = InkEvidence(threads=2).extract_batch(items[:12])
    np.testing.assert_array_equal(X1, X2)
    mark = items[kinds.index("number_or_mark_only")]
    r = ink_regions(InkEvidence().page_map(mark))
    assert r["marks_total"] >= 1 and r["marks"][0]["box"][1] < 0.2  # the shelfmark, at the top


def test_unreadable_or_missing_image_is_an_item_error_naming_it(tmp_path: Path) -> None:
    items, _, _ = _sample_items()
    bad = tmp_path / "truncated.jpg"
    bad.write_bytes(Path(items[0].uri or "").read_bytes()[:400])
    for item in (Item("truncated", "image", uri=str(bad)),
                 Item("gone", "image", uri=str(tmp_path / "nope.jpg")),
                 Item("text", "text", text="not a page")):
        with pytest.raises(ItemError) as err:
            InkEvidence().extract_batch([items[1], item])
        assert err.value.item == item.item_id and item.item_id in str(err.value)


def test_a_tiny_or_large_image_is_measured_at_the_working_size(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.png"
    Image.fromarray(to_u8(paper(4, size=(20, 30)))).save(tiny)
    big = tmp_path / "big.png"
    Image.fromarray(to_u8(paper(4, size=(1600, 2400)))).save(big)
    ex = InkEvidence()
    assert ex.page_map(Item("tiny", "image", uri=str(tiny))).shape[0] >= 32
    assert max(ex.page_map(Item("big", "image", uri=str(big))).shape) <= 600


def test_a_row_of_glyphs_is_found_but_scattered_dirt_is_not() -> None:
    rng = np.random.default_rng(5)
    dirty = paper(5)
    for _ in range(40):  # specks and blots of dust, 2-6 px, dark
        y, x = int(rng.integers(20, 580)), int(rng.integers(20, 380))
        r = int(rng.integers(1, 4))
        dirty[y - r:y + r, x - r:x + r] -= 120
    m = ink_map(to_u8(dirty))
    assert ink_regions(m)["marks_total"] > 10  # dark marks, yes
    assert glyph_rows(m) == []  # but no row of glyph-shaped strokes
    numbered = dirty - 150 * text_layer((400, 600), "127", (300, 30))
    rows = glyph_rows(ink_map(to_u8(numbered)))
    assert rows and rows[0]["glyphs"] >= 2
    x, y, w, h = rows[0]["box"]
    assert x > 0.6 and y < 0.15  # top right, where the number is
    f = ink_features(ink_map(to_u8(numbered)))
    assert f[FEATURE_NAMES.index("glyph_rows")] >= 1
