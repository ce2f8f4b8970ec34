"""The decision a count serves: how many extra places to sell per slot.

A slot (a timed entry, an arrival day) is fully booked; some booked guests will not
come. The number who do not come is a sum of the bookings' own chances (a
Poisson-binomial count when the model's probabilities are calibrated), so for a chosen
``risk`` of being over capacity, selling ``k`` extra places is safe while
``P(no-shows < k) <= risk``. :func:`plan` gives ``k`` per slot; :func:`replay` says what
those decisions would have earned and cost once the outcomes are known, and how often
the slot was in fact over capacity (which should be about ``risk`` or less if the
probabilities are right).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import PolicyError
from ..ingest.columns import TableSchema

if TYPE_CHECKING:
    import pandas as pd

    from ..workspace import Workspace


def no_show_distribution(p: np.ndarray) -> np.ndarray:
    """P(exactly j of the bookings do not come), j = 0..n (Poisson-binomial)."""
    pmf = np.array([1.0])
    for q in np.asarray(p, dtype=float):
        pmf = np.convolve(pmf, [1.0 - q, q])
    return pmf


def extra_places(p: np.ndarray, risk: float) -> int:
    """The most extra places to sell so that P(over capacity) = P(no-shows < k) <= risk."""
    if not 0 < risk < 1:
        raise PolicyError(f"risk must be between 0 and 1, not {risk}",
                          hint="e.g. 0.05 for a 5% chance of being over capacity")
    cdf = np.cumsum(no_show_distribution(p))  # cdf[j] = P(N <= j)
    # over capacity with k extra when N < k, i.e. N <= k - 1
    ok = np.flatnonzero(cdf <= risk)
    return int(ok[-1] + 1) if len(ok) else 0


@dataclass
class CapacityReplay:
    risk: float
    slots: int
    extra_sold: int
    no_shows: int
    over_capacity_slots: int
    people_over: int
    earned: float
    cost: float

    @property
    def net(self) -> float:
        return self.earned - self.cost

    def to_dict(self) -> dict[str, Any]:
        return {"risk": self.risk, "slots": self.slots, "extra_sold": self.extra_sold,
                "no_shows": self.no_shows, "over_capacity_slots": self.over_capacity_slots,
                "over_capacity_rate": round(self.over_capacity_slots / max(1, self.slots), 4),
                "people_over": self.people_over, "earned": round(self.earned, 2),
                "cost": round(self.cost, 2), "net": round(self.net, 2)}

    def summary(self, currency: str = "EUR") -> str:
        return (f"Selling {self.extra_sold:,} extra places over {self.slots:,} slots "
                f"(risk {self.risk:.0%}) would have earned {self.earned:,.0f} {currency}; "
                f"{self.over_capacity_slots:,} slots ({self.over_capacity_slots / max(1, self.slots):.1%})"
                f" would have been over capacity by {self.people_over:,} people in all, costing "
                f"{self.cost:,.0f} {currency}: net {self.net:,.0f} {currency}.")


def plan(frame: pd.DataFrame, schema: TableSchema, p: np.ndarray, *, risk: float,
         group_by: Sequence[str] = (), freq: str = "D") -> pd.DataFrame:
    """Extra places per slot (period × groups): columns ``period``, the groups,
    ``bookings``, ``expected_no_shows``, ``extra`` and, when known, ``no_shows``."""
    import pandas as pd

    keys = [frame[schema.time_column].dt.to_period(freq).dt.start_time.rename("period")]
    keys += [frame[c] for c in group_by]
    data = pd.DataFrame({"p": np.asarray(p, dtype=float)}, index=frame.index)
    has_y = bool(schema.label_column) and schema.label_column in frame.columns
    if has_y:
        data["y"] = frame[schema.label_column].astype(float)
    rows = []
    for key, g in data.groupby(keys, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(["period", *group_by], key, strict=True))
        row.update(bookings=len(g), expected_no_shows=float(g["p"].sum()),
                   extra=extra_places(g["p"].to_numpy(), risk))
        if has_y:
            row["no_shows"] = int(g["y"].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def replay(slots: pd.DataFrame, *, risk: float, price: float, over_cost: float
           ) -> CapacityReplay:
    """What the planned extra places would have earned (``price`` per place sold and
    used) and cost (``over_cost`` per person over capacity)."""
    if "no_shows" not in slots.columns:
        raise PolicyError("the slots have no realised no-shows yet",
                          hint="replay once the outcomes are imported")
    extra = slots["extra"].to_numpy()
    shows = slots["no_shows"].to_numpy()
    over = np.maximum(0, extra - shows)
    return CapacityReplay(risk, len(slots), int(extra.sum()), int(shows.sum()),
                          int((over > 0).sum()), int(over.sum()),
                          float(price * extra.sum()), float(over_cost * over.sum()))


def project_capacity(ws: Workspace, *, risk: float | None = None, price: float | None = None,
                     over_cost: float | None = None, freq: str | None = None,
                     since: str | None = None, until: str | None = None,
                     model: str | None = None) -> dict[str, Any]:
    """The decision of a tabular project: extra places per slot (a ``freq`` period × the
    card's group columns) for the chosen ``risk`` of being over capacity, from the
    champion's probabilities over the rows after its training period (or ``since`` ..
    ``until``), and, where the outcomes are in, what that would have earned and cost.
    Defaults come from the card's ``[decision]`` (slot, risk, price, over_cost)."""
    from ..registry.tabular import champion_predictor
    from ..tasks.tabular import project_frame, schema_of, split_frame

    card = ws.card.section("decision")
    risk = float(risk if risk is not None else card.get("risk", 0.05))
    price = float(price if price is not None else card.get("price", 0.0))
    over_cost = float(over_cost if over_cost is not None else card.get("over_cost", 0.0))
    freq = str(freq or card.get("slot", "D"))
    schema = schema_of(ws)
    frame = project_frame(ws, schema=schema)
    mv, predictor = champion_predictor(ws, model)
    cutoff = str(mv.card.get("train_until") or split_frame(ws, frame)[2])
    t = frame[schema.time_column]
    keep = t >= (since or cutoff)
    if until:
        keep &= t < until
    rows = frame[keep]
    if rows.empty:
        raise PolicyError(f"no rows from {since or cutoff}{f' to {until}' if until else ''}",
                          hint="ingest the bookings to plan for, or change --since/--until")
    slots = plan(rows, schema, predictor.predict_table(rows), risk=risk,
                 group_by=schema.group_columns, freq=freq)
    has_y = bool(schema.label_column) and schema.label_column in rows.columns
    labelled = rows[rows[schema.label_column].notna()] if has_y else rows.iloc[:0]
    known = slots if len(labelled) == len(rows) else (
        plan(labelled, schema, predictor.predict_table(labelled), risk=risk,
             group_by=schema.group_columns, freq=freq) if len(labelled) else labelled)
    out: dict[str, Any] = {
        "model": mv.spec, "risk": risk, "slot": freq, "group_by": list(schema.group_columns),
        "slots": len(slots), "extra": int(slots["extra"].sum()),
        "plan": [{**{k: (str(v.date()) if k == "period" else v) for k, v in r.items()}}
                 for r in slots.to_dict("records")],
        "replay": None}
    if len(known):
        out["replay"] = replay(known, risk=risk, price=price, over_cost=over_cost).to_dict()
        out["currency"] = ws.card.currency
    return out


__all__ = ["CapacityReplay", "project_capacity", "extra_places", "no_show_distribution", "plan", "replay"]
