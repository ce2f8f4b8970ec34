"""The promotion gate: when may a challenger replace the champion?

Written in glamlab.toml::

    [gate]
    max_drop = 0.01      # δ: never worse than the champion by more than this, overall or on
                         #    any flagged slice
    min_gain = 0.005     # and better overall by at least this much
    slice_field = "collection"   # optional: the metadata field whose slices are checked

Otherwise the challenger stays ``challenger`` and the reason is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError


@dataclass
class GateConfig:
    max_drop: float = 0.01
    min_gain: float = 0.0
    slice_field: str | None = None
    min_slice_size: int = 20
    #: uses of the test split before a warning (see glamlab.tasks.splits.test_budget)
    test_budget: int = 20

    @classmethod
    def from_card(cls, section: dict[str, Any]) -> GateConfig:
        unknown = set(section) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"[gate] has unknown keys: {', '.join(sorted(unknown))}",
                              hint="use max_drop, min_gain, slice_field, min_slice_size, "
                                   "test_budget")
        cfg = cls(**section)
        if cfg.max_drop < 0 or cfg.min_gain < 0:
            raise ConfigError("[gate] max_drop and min_gain must be >= 0",
                              hint="e.g. max_drop = 0.01, min_gain = 0.005")
        return cfg


@dataclass
class GateDecision:
    promote: bool
    reasons: list[str] = field(default_factory=list)
    champion: float | None = None
    challenger: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"promote": self.promote, "reasons": self.reasons, "champion": self.champion,
                "challenger": self.challenger}


def decide(metric: str, champion: float, challenger: float, *, config: GateConfig,
           champion_slices: dict[str, tuple[float, int]] | None = None,
           challenger_slices: dict[str, tuple[float, int]] | None = None,
           paired_p: float | None = None) -> GateDecision:
    """Apply the gate. Slices map a slice value to (metric, n items)."""
    reasons: list[str] = []
    gain = challenger - champion
    ok = True
    if gain < -config.max_drop:
        ok = False
        reasons.append(f"{metric} drops by {-gain:.3f} ({champion:.3f} → {challenger:.3f}), more "
                       f"than the allowed {config.max_drop:.3f}")
    if gain < config.min_gain:
        ok = False
        reasons.append(f"{metric} gains {gain:+.3f}, less than the required {config.min_gain:.3f}")
    for name, (ch_value, n) in sorted((challenger_slices or {}).items()):
        base = (champion_slices or {}).get(name)
        if base is None or n < config.min_slice_size:
            continue
        if ch_value < base[0] - config.max_drop:
            ok = False
            reasons.append(f"slice {config.slice_field or ''}={name!r} ({n} items): {metric} "
                           f"drops from {base[0]:.3f} to {ch_value:.3f}")
    if ok:
        p = f" (paired p = {paired_p:.3g})" if paired_p is not None else ""
        reasons.append(f"{metric} {champion:.3f} → {challenger:.3f}{p}: passes the gate "
                       f"(gain ≥ {config.min_gain:.3f}, no drop over {config.max_drop:.3f} "
                       "overall or on any slice)")
    return GateDecision(ok, reasons, champion, challenger)
