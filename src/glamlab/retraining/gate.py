"""The promotion gate: when may a challenger replace the champion?

Written in glamlab.toml::

    [gate]
    max_drop = 0.01      # δ: never worse than the champion by more than this, overall or on
                         #    any flagged slice
    min_gain = 0.005     # and better overall by at least this much
    max_p = 0.05         # optional: and the gain significant (paired test p below this)
    slice_field = "collection"   # optional: the metadata field whose slices are checked

Without ``max_p``, a challenger that is no worse is promoted even when its gain is within
the noise (it learned from more labels); the reason then says so, with the p-value.

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
    #: promote only when the paired test's p-value is below this (None: not required)
    max_p: float | None = None
    slice_field: str | None = None
    min_slice_size: int = 20
    #: uses of the test split before a warning (see glamlab.tasks.splits.test_budget)
    test_budget: int = 20

    @classmethod
    def from_card(cls, section: dict[str, Any]) -> GateConfig:
        unknown = set(section) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"[gate] has unknown keys: {', '.join(sorted(unknown))}",
                              hint="use max_drop, min_gain, max_p, slice_field, "
                                   "min_slice_size, test_budget")
        cfg = cls(**section)
        if cfg.max_drop < 0 or cfg.min_gain < 0:
            raise ConfigError("[gate] max_drop and min_gain must be >= 0",
                              hint="e.g. max_drop = 0.01, min_gain = 0.005")
        if cfg.max_p is not None and not 0.0 < cfg.max_p <= 1.0:
            raise ConfigError("[gate] max_p must be above 0 and at most 1",
                              hint="e.g. max_p = 0.05")
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


#: the measures a gate compares on, as a curator reads them ("auc gains" meant nothing to
#: one); the stored name in parentheses where it helps a data scientist
MEASURE_WORDS = {"auc": "ROC AUC (how well the chances rank the outcomes)",
                 "roc_auc": "ROC AUC (how well the chances rank the outcomes)",
                 "mae": "the count's average miss (MAE)",
                 "rmse": "the count's root mean squared miss (RMSE)",
                 "f1_macro": "F1 (macro average)", "f1_micro": "F1 (micro average)",
                 "f1_weighted": "F1 (weighted average)", "f1_samples": "F1 (per item)",
                 "accuracy": "accuracy"}


def measure_words(metric: str) -> str:
    """A measure's stored name (``auc``) in words."""
    return MEASURE_WORDS.get(metric, metric.replace("_", " "))


def decide(metric: str, champion: float, challenger: float, *, config: GateConfig,
           champion_slices: dict[str, tuple[float, int]] | None = None,
           challenger_slices: dict[str, tuple[float, int]] | None = None,
           paired_p: float | None = None, lower_is_better: bool = False) -> GateDecision:
    """Apply the gate. Slices map a slice value to (metric, n items). With
    ``lower_is_better`` (an error such as a count's MAE) a gain is a fall of the metric."""
    reasons: list[str] = []
    gain = (champion - challenger) if lower_is_better else (challenger - champion)
    name = measure_words(metric)
    short = name.split(" (", 1)[0]  # the parentheses said once
    ok = True
    if gain < -config.max_drop:
        ok = False
        reasons.append(f"{name} is worse with the new version by {-gain:.3f} "
                       f"({champion:.3f} → {challenger:.3f}: current model → new version), "
                       f"more than the allowed {config.max_drop:.3f}")
        name = short
    if gain < config.min_gain:
        ok = False
        minus = ("current model minus new version" if lower_is_better
                 else "new version minus current model")
        reasons.append(f"{name}: the new version's gain is {gain:+.3f} ({minus}), less than "
                       f"the required {config.min_gain:.3f}")
        name = short
    for slice_name, (ch_value, n) in sorted((challenger_slices or {}).items()):
        base = (champion_slices or {}).get(slice_name)
        if base is None or n < config.min_slice_size:
            continue
        if (ch_value > base[0] + config.max_drop if lower_is_better
                else ch_value < base[0] - config.max_drop):
            ok = False
            reasons.append(f"slice {config.slice_field or ''}={slice_name!r} ({n} items): "
                           f"{name} {'rises' if lower_is_better else 'drops'} from "
                           f"{base[0]:.3f} to {ch_value:.3f}")
            name = short
    luck = "how often luck alone would give a difference this big"
    if ok and config.max_p is not None and (paired_p is None or paired_p >= config.max_p):
        ok = False
        why = ("no paired test could be made" if paired_p is None
               else f"{luck} is {paired_p:.3g}, the paired test's p-value")
        reasons.append(f"{name}: the new version's gain is {gain:+.3f}, but the gain is not "
                       f"significant ({why}; [gate] max_p = {config.max_p:g})")
        name = short
    if ok:
        p = (f"; {luck}: {paired_p:.3g}, the paired test's p-value"
             if paired_p is not None else "")
        reasons.append(f"{name} {champion:.3f} → {challenger:.3f} (current model → new "
                       f"version{p}): passes the gate (gain ≥ {config.min_gain:.3f}, "
                       f"no drop over {config.max_drop:.3f} overall or on any slice)")
        if paired_p is not None and paired_p >= 0.05 and gain > 0:
            reasons.append(f"The gain is within the noise of this test split ({luck}: "
                           f"{paired_p:.2g}): the new version is promoted because it is no "
                           "worse and learned from more labels, not because it is shown to "
                           "be better. Set [gate] max_p = 0.05 to promote only gains that "
                           "are unlikely to be luck.")
    return GateDecision(ok, reasons, champion, challenger)
