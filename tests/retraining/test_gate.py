from __future__ import annotations

import pytest

from glamlab.errors import ConfigError
from glamlab.retraining.gate import GateConfig, decide


def test_promotes_on_clear_gain():
    d = decide("f1_macro", 0.80, 0.86, config=GateConfig(max_drop=0.01, min_gain=0.02))
    assert d.promote and "passes" in d.reasons[0]


def test_keeps_challenger_when_gain_too_small():
    d = decide("f1_macro", 0.80, 0.805, config=GateConfig(min_gain=0.02))
    assert not d.promote and "less than the required" in d.reasons[0]


def test_blocks_when_a_slice_drops():
    cfg = GateConfig(max_drop=0.02, min_gain=0.0, slice_field="collection")
    d = decide("f1_macro", 0.80, 0.84, config=cfg,
               champion_slices={"maps": (0.9, 50), "letters": (0.7, 40)},
               challenger_slices={"maps": (0.8, 50), "letters": (0.85, 40)})
    assert not d.promote
    assert any("maps" in r for r in d.reasons)


def test_small_slices_are_not_judged():
    cfg = GateConfig(max_drop=0.02, min_slice_size=20)
    d = decide("f1_macro", 0.80, 0.84, config=cfg, champion_slices={"x": (0.9, 5)},
               challenger_slices={"x": (0.5, 5)})
    assert d.promote


def test_bad_gate_config():
    with pytest.raises(ConfigError):
        GateConfig.from_card({"max_dorp": 0.1})
    with pytest.raises(ConfigError):
        GateConfig.from_card({"max_drop": -1})


def test_max_p_requires_a_significant_gain() -> None:
    cfg = GateConfig.from_card({"max_p": 0.05})
    noisy = decide("f1_macro", 0.80, 0.804, config=cfg, paired_p=0.44)
    assert not noisy.promote and "not significant" in noisy.reasons[-1]
    untested = decide("f1_macro", 0.80, 0.83, config=cfg, paired_p=None)
    assert not untested.promote and "no paired test" in untested.reasons[-1]
    clear = decide("f1_macro", 0.80, 0.85, config=cfg, paired_p=0.001)
    assert clear.promote


def test_without_max_p_a_noisy_gain_is_promoted_and_said_to_be_noise() -> None:
    d = decide("f1_macro", 0.80, 0.804, config=GateConfig(), paired_p=0.44)
    assert d.promote and "within the noise" in " ".join(d.reasons)
    sure = decide("f1_macro", 0.80, 0.85, config=GateConfig(), paired_p=0.001)
    assert sure.promote and "within the noise" not in " ".join(sure.reasons)


def test_max_p_out_of_range_is_refused() -> None:
    with pytest.raises(ConfigError, match="max_p"):
        GateConfig.from_card({"max_p": 5})
