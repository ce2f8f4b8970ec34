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
