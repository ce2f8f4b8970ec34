"""Dense windows: one network pass per page, each window the average of the last
convolution's map over it (graphic-windows with windows="dense")."""

from __future__ import annotations

import numpy as np
import pytest

from glamlab.features.embed import pooling_weights


def test_a_box_on_cell_edges_averages_the_cells_it_covers() -> None:
    w = pooling_weights(np.array([[0.0, 0.0, 0.5, 0.25]]), fh=4, fw=2).reshape(4, 2)
    expected = np.zeros((4, 2))
    expected[0, 0] = 1.0
    np.testing.assert_allclose(w, expected)
    whole = pooling_weights(np.array([[0.0, 0.0, 1.0, 1.0]]), fh=3, fw=5)
    np.testing.assert_allclose(whole, np.full((1, 15), 1 / 15))


def test_a_box_across_cells_weighs_them_by_the_share_it_covers() -> None:
    # x from 0.25 to 1.0 over 2 columns: a quarter of the box in column 0, three in column 1
    w = pooling_weights(np.array([[0.25, 0.0, 1.0, 1.0]]), fh=1, fw=2)
    np.testing.assert_allclose(w, [[1 / 3, 2 / 3]])
    assert np.isclose(w.sum(), 1.0)


def test_each_window_of_a_page_pools_its_part_of_the_map(monkeypatch, tmp_path) -> None:
    pytest.importorskip("torch")
    from glamlab.features import embed, onnx_embed
    from glamlab.features.grid import window_boxes
    from tests.features.synthetic import demo_item, demo_rows

    monkeypatch.setenv(onnx_embed.ENV_CACHE, str(tmp_path))
    monkeypatch.delenv(embed.ENV_DEVICE, raising=False)
    items = [demo_item(row) for row in demo_rows()[:2]]
    ex = embed.EffNetDenseGrid(rows=4, cols=2, height=256, width=128)
    X = ex.windows(ex.extract_batch(items))
    assert X.shape == (2, 3, embed.DIM) and ex.n_windows == 3
    from PIL import Image

    page = np.asarray(items[1].open_image(max_side=256).resize((128, 256),
                                                               Image.Resampling.BILINEAR))
    maps = embed.embed_maps(page[None])[0]  # (1280, 8, 4)
    for k, (x0, y0, x1, y1) in enumerate(window_boxes(4, 2)):
        w = pooling_weights(np.array([[x0, y0, x1, y1]]), 8, 4).reshape(8, 4)
        np.testing.assert_allclose(X[1, k], (maps * w).sum(axis=(1, 2)), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="multiples of 32"):
        embed.EffNetDenseGrid(height=250)
