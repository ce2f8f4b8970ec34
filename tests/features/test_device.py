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
