"""The int8 copy of EfficientNet-Lite0's page maps (graphic-windows' precision="int8"):
quantised once from the float export, calibrated on fixed bundled pages, cached under
its own versioned name, and giving window vectors close to the float ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glamlab.errors import GlamlabError

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
from glamlab.features import embed, onnx_embed  # noqa: E402


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def onnx_cpu(monkeypatch: pytest.MonkeyPatch, model_cache: Path) -> Path:
    monkeypatch.setenv(onnx_embed.ENV_CACHE, str(model_cache))
    monkeypatch.setenv(onnx_embed.ENV_BACKEND, "onnx")
    monkeypatch.delenv(embed.ENV_DEVICE, raising=False)
    return model_cache


def test_int8_windows_are_close_to_the_float_ones(onnx_cpu: Path) -> None:
    from tests.features.synthetic import demo_item, demo_rows

    items = [demo_item(row) for row in demo_rows()[:4]]
    ref = embed.EffNetDenseGrid()
    q = embed.EffNetDenseGrid(precision="int8")
    assert q.key != ref.key and "int8" in q.key  # the feature cache keeps them apart
    a, b = ref.windows(ref.extract_batch(items)), q.windows(q.extract_batch(items))
    assert a.shape == b.shape == (4, ref.n_windows, embed.DIM)
    assert not np.allclose(a, b)  # the quantised network ran, not the float one
    page_cos = (a * b).sum(axis=(1, 2)) / (np.linalg.norm(a, axis=(1, 2))
                                           * np.linalg.norm(b, axis=(1, 2)))
    assert page_cos.min() > 0.98, page_cos
    win_cos = (a * b).sum(2) / (np.linalg.norm(a, axis=2) * np.linalg.norm(b, axis=2))
    assert np.median(win_cos) > 0.98, np.median(win_cos)
    # cached next to the float export, under its own versioned name
    path = onnx_embed.model_path(None, "maps", "int8")
    assert path.exists() and path.parent == onnx_embed.model_path(None, "maps").parent
    assert f"onnx{onnx_embed.EXPORT_VERSION}-maps-int8q{onnx_embed.QUANT_VERSION}" in path.name


def test_the_int8_file_is_rebuilt_when_the_export_or_recipe_changes(
        onnx_cpu: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Path] = []

    def fake_quantize(float_path: Path, path: Path) -> Path:  # the real one takes 30 s
        assert float_path == onnx_embed.model_path(None, "maps")
        made.append(path)
        path.write_bytes(float_path.read_bytes())
        return path

    monkeypatch.setattr(onnx_embed, "quantize", fake_quantize)
    monkeypatch.setattr(onnx_embed, "_SESSIONS", {})
    old = onnx_embed.model_path(None, "maps", "int8")
    old_key = embed.EffNetDenseGrid(precision="int8").key
    monkeypatch.setattr(onnx_embed, "EXPORT_VERSION", onnx_embed.EXPORT_VERSION + 1)
    new = onnx_embed.model_path(None, "maps", "int8")
    assert new != old and not new.exists()
    assert embed.EffNetDenseGrid(precision="int8").key != old_key
    onnx_embed.session(None, "maps", "int8")
    assert made == [new] and new.exists()
    assert onnx_embed.model_path(None, "maps").exists()  # the new float export, first
    onnx_embed.session(None, "maps", "int8")  # cached: not quantised again
    assert made == [new]
    monkeypatch.setattr(onnx_embed, "QUANT_VERSION", onnx_embed.QUANT_VERSION + 1)
    newer = onnx_embed.model_path(None, "maps", "int8")
    assert newer != new and embed.EffNetDenseGrid(precision="int8").key != old_key
    onnx_embed.session(None, "maps", "int8")
    assert made == [new, newer]


def test_the_calibration_pages_are_fixed_bundled_pages() -> None:
    pages = onnx_embed.calibration_pages()
    assert len(pages) == 29 and all(p.exists() for p in pages)
    assert pages == onnx_embed.calibration_pages()


def test_a_wrong_precision_is_one_clear_error(onnx_cpu: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from glamlab.errors import PredictorError
    from glamlab.predictors.catalogue import create

    with pytest.raises(GlamlabError, match="precision"):
        embed.EffNetDenseGrid(precision="int4")
    with pytest.raises(PredictorError, match="precision"):
        create("graphic-windows", precision="fp16")._extractors()
    with pytest.raises(ValueError, match="maps only"):
        onnx_embed.model_path(None, "pooled", "int8")
    # where torch runs the network, int8 falls back to float, under the float key
    monkeypatch.setenv(onnx_embed.ENV_BACKEND, "torch")
    assert embed.EffNetDenseGrid(precision="int8").key == embed.EffNetDenseGrid().key
    with pytest.raises(GlamlabError, match="onnxruntime"):
        embed.embed_maps(np.zeros((1, 64, 32, 3), np.uint8), precision="int8")
