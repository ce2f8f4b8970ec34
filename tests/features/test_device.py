"""Which device the EfficientNet embedding runs on (``GLAMLAB_DEVICE``)."""

from __future__ import annotations

import pytest

from glamlab.errors import GlamlabError

torch = pytest.importorskip("torch")
embed = pytest.importorskip("glamlab.features.embed")


def test_cpu_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(embed.ENV_DEVICE, raising=False)
    assert embed.choose_device() == "cpu"
    monkeypatch.setenv(embed.ENV_DEVICE, " CPU ")
    assert embed.choose_device() == "cpu"


def test_auto_follows_what_torch_sees(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(embed.ENV_DEVICE, "auto")
    assert embed.choose_device() == ("cuda" if torch.cuda.is_available() else "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert embed.choose_device() == "cpu"


def test_cuda_without_a_gpu_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(GlamlabError, match="sees no CUDA GPU") as info:
        embed.choose_device("cuda:0")
    assert info.value.hint and "GLAMLAB_DEVICE" in info.value.hint


def test_unknown_device_names_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(embed.ENV_DEVICE, "tpu")
    with pytest.raises(GlamlabError, match="not a device") as info:
        embed.choose_device()
    assert "cpu, cuda" in (info.value.hint or "")


@pytest.mark.parametrize("make", [lambda: embed.EffNetEmbedding(view="tiles"),
                                  lambda: embed.EffNetTileGrid(rows=4, cols=2)],
                         ids=["tiles", "window-grid"])
def test_pages_decoded_in_threads_embed_as_in_a_loop(make, monkeypatch, tmp_path) -> None:
    import numpy as np

    from glamlab.errors import ItemError
    from glamlab.items import Item
    from tests.features.synthetic import demo_item, demo_rows

    monkeypatch.setenv(embed.ENV_DEVICE, "cpu")
    items = [demo_item(r) for r in demo_rows()[:3]]
    ext = make()
    monkeypatch.setattr(embed, "DECODE_THREADS", 1)
    serial = ext.extract_batch(items)
    monkeypatch.setattr(embed, "DECODE_THREADS", 3)
    threaded = ext.extract_batch(items)
    np.testing.assert_allclose(threaded, serial, rtol=1e-5, atol=1e-5)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 not a jpeg")
    with pytest.raises(ItemError, match="bad-page"):
        ext.extract_batch([items[0], Item("bad-page", "image", uri=str(bad)), items[1]])


def test_the_device_is_chosen_at_each_call_not_once_per_process(monkeypatch) -> None:
    """GLAMLAB_DEVICE is read whenever a batch is embedded: a process that has embedded on
    one device follows the setting when it changes (the weights load once per device)."""
    monkeypatch.setattr(embed, "_MODELS", {})
    monkeypatch.setenv(embed.ENV_DEVICE, "cpu")
    first, device = embed.load_backbone()
    assert device == "cpu" and embed.load_backbone()[0] is first
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv(embed.ENV_DEVICE, "cuda")
    with pytest.raises(GlamlabError, match="sees no CUDA GPU"):
        embed.load_backbone()  # not the CPU network loaded before
    monkeypatch.setenv(embed.ENV_DEVICE, "auto")
    assert embed.load_backbone() == (first, "cpu")
