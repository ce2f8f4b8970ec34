"""The decision a count serves: how many extra places to sell per slot.

A slot (a timed entry, an arrival day) is fully booked; some booked guests will not
come. The number who do not come is a sum of the bookings' own chances (a
Poisson-binomial count when the model's probabilities are calibrated), so for a chosen
``risk`` of being over capacity, selling ``k`` extra places is safe while
``P(no-shows < k) <= risk``. :func:`plan` gives ``k`` per slot; :func:`replay` says what
those decisions would have earned and cost once the outcomes are known, and how often
the slot was in fact over capacity (which should be about ``risk`` or less if the
probabilities are right).

They are not always right: a year later the same model can expect far more no-shows than
happen (on the shared hotel bookings, a model trained on 2015-2016 expected 49% of 2017's
bookings to be cancelled, 39% were; its 5%-risk plan put 58% of the days over capacity).
So by default the plan is **calibrated on outcomes**, not on the model's word
(:class:`SlotCalibration`, adaptive conformal inference: Gibbs & Candes, 2021). Each past
slot whose outcome is known gives one number, ``v = P(no-shows <= what happened)`` under
the model; selling ``k`` puts the slot over capacity exactly when ``P(no-shows <= k - 1)``
reaches ``v``. So ``k`` is chosen below the ``risk`` quantile of the recent slots' ``v``
(a ``window`` of the latest ones), which keeps the share of slots over capacity at about
``risk`` whatever the model's bias, as long as the recent past is like the next slot; and
the level itself is nudged after every slot whose outcome comes in (up when the slots
were over capacity less often than ``risk``, down when more), which brings the long-run
share back to ``risk`` after a change. The first slots are calibrated on out-of-time
predictions for the period just before (a copy of the model trained without it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import GlamlabError, PolicyError
from ..ingest.columns import TableSchema
from ..progress import plural
from ..said import in_words

if TYPE_CHECKING:
    import pandas as pd

    from ..workspace import Workspace


#: the plan's own columns, after the slot's period and groups, in this order
PLAN_COLUMNS = ("bookings", "expected_no_shows", "extra", "no_shows")


def _plan_sheet(plan: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """The plan's columns in one order: ``period``, the groups, then
    :data:`PLAN_COLUMNS` (a plan read back from a web job's result in PostgreSQL, a JSONB
    document, has its keys in another order)."""
    keys = list(plan[0]) if plan else []
    groups = [c for c in keys if c != "period" and c not in PLAN_COLUMNS]
    cols = (["period"] if "period" in keys else []) + groups + \
        [c for c in PLAN_COLUMNS if c in keys]
    return cols, [[_for_people(c, row.get(c)) for c in cols] for row in plan]


#: the plan's columns of estimated people, and the decimals a CSV for people shows
#: (the JSON keeps every digit: ``1.3`` no-shows, not ``1.2999999999999998``)
CSV_DECIMALS = {"expected_no_shows": 2}


def _for_people(column: str, value: Any) -> Any:
    """A plan's cell as the CSV shows it: an estimate of people rounded."""
    if column in CSV_DECIMALS and isinstance(value, float):
        return round(value, CSV_DECIMALS[column])
    return value


def write_plan_csv(path: str | os.PathLike[str], plan: Sequence[dict[str, Any]]) -> None:
    """The plan, a row per slot, as a CSV people open: as every glamlab CSV, UTF-8 with a
    byte-order mark (Excel shows the accents of a group name) and formula-safe (the group
    names and the column names come from the table)."""
    from ..sheets import write_csv_file

    write_csv_file(path, *_plan_sheet(plan))


def plan_csv(plan: Sequence[dict[str, Any]]) -> bytes:
    """The CSV of :func:`write_plan_csv`, as the bytes of a download."""
    from ..sheets import csv_bytes

    return csv_bytes(*_plan_sheet(plan))


def people(count: int) -> str:
    """A count of people in words: "1 person", "3 people", "1,200 people"."""
    return f"{count:,} {plural(count, 'person', 'people')}"


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
class SlotCalibration:
    """The recent slots' ``v = P(no-shows <= realised)`` and the adaptive level.

    ``threshold()`` is the conformal ``level`` quantile of the latest ``window`` values
    (the ``floor(level (n + 1))``-th smallest, 0 when there are too few: sell nothing);
    :meth:`extra` sells the most places whose ``P(no-shows <= k - 1)`` stays below it;
    :meth:`observe` adds a slot whose outcome is known and moves the level by ``step``
    towards the target (``risk - over``)."""

    risk: float
    window: int = 60
    step: float = 0.01
    lead: int = 1  # periods between a slot and the first plan that may use its outcome
    values: list[float] = field(default_factory=list)
    level: float = -1.0  # set to risk on first use
    source: str = ""
    observed: int = 0
    over: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.risk < 1:
            raise PolicyError(f"risk must be between 0 and 1, not {self.risk}",
                              hint="e.g. 0.05 for a 5% chance of being over capacity")
        if self.lead < 1:
            raise PolicyError(f"a lead of {self.lead} periods would plan a slot from its own "
                              "outcome", hint="use 1 (sold on the day, yesterday's outcomes "
                                              "known) or more (sold days ahead)")
        if self.window < 2:
            raise PolicyError(f"a calibration window of {self.window} slots is too short",
                              hint="use 20 slots or more (window=60 by default)")
        if self.level < 0:
            self.level = self.risk

    def threshold(self) -> float:
        recent = np.sort(np.asarray(self.values[-self.window:], dtype=float))
        j = int(np.floor(min(max(self.level, 0.0), 1.0) * (len(recent) + 1)))
        return float(recent[min(j, len(recent)) - 1]) if j >= 1 and len(recent) else 0.0

    def extra(self, p: np.ndarray) -> int:
        a = self.threshold()
        cdf = np.cumsum(no_show_distribution(p))
        ok = np.flatnonzero(cdf < a)
        return int(ok[-1] + 1) if len(ok) else 0

    def observe(self, p: np.ndarray, no_shows: int, extra: int | None = None) -> None:
        """A slot's outcome came in (``extra``: what was sold for it, if it was planned)."""
        cdf = np.cumsum(no_show_distribution(p))
        self.values.append(float(cdf[min(int(no_shows), len(cdf) - 1)]))
        if extra is not None:
            over = extra > no_shows
            self.observed += 1
            self.over += int(over)
            self.level += self.step * (self.risk - float(over))

    def to_dict(self) -> dict[str, Any]:
        return {"method": "adaptive conformal (Gibbs & Candes 2021) on P(no-shows <= realised)",
                "window": self.window, "step": self.step, "lead": self.lead,
                "level": round(self.level, 4),
                "calibration_slots": len(self.values) - self.observed, "source": self.source}


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
        low, high = chance_range(self.slots, self.risk)
        return {"risk": self.risk, "slots": self.slots, "extra_sold": self.extra_sold,
                "no_shows": self.no_shows, "over_capacity_slots": self.over_capacity_slots,
                "over_capacity_rate": round(self.over_capacity_slots / max(1, self.slots), 4),
                "people_over": self.people_over, "earned": round(self.earned, 2),
                "cost": round(self.cost, 2), "net": round(self.net, 2),
                "chance_low": low, "chance_high": high,
                "chance": ("above" if self.over_capacity_slots > high else
                           "below" if self.over_capacity_slots < low else "within")}

    def summary(self, currency: str = "EUR") -> str:
        over = self.over_capacity_slots
        return (f"Selling {self.extra_sold:,} extra {plural(self.extra_sold, 'place')} over "
                f"{self.slots:,} {plural(self.slots, 'slot')} (risk {self.risk:.0%}) would have "
                f"earned {self.earned:,.0f} {currency}; {over:,} {plural(over, 'slot')} "
                f"({over / max(1, self.slots):.1%}) would have been over capacity by "
                f"{people(self.people_over)} in "
                f"all, costing {self.cost:,.0f} {currency}: net {self.net:,.0f} {currency}.")


def chance_range(slots: int, risk: float) -> tuple[int, int]:
    """How many of ``slots`` slots a plan that keeps each slot's chance of going over
    capacity at ``risk`` puts over capacity by chance alone (95% of the time: the
    binomial's 2.5% and 97.5% quantiles). On 51 slots at 5%, 0 to 6: a month of slots
    is too few to tell a 5% plan from a 10% one; on 378, 11 to 28."""
    from scipy.stats import binom

    if slots <= 0:
        return 0, 0
    return (int(binom.ppf(0.025, slots, risk)), int(binom.ppf(0.975, slots, risk)))


def chance_words(r: dict[str, Any]) -> str:
    """Whether a replay (:meth:`CapacityReplay.to_dict`) kept to its risk, in words:
    its slots over capacity against what the risk gives by chance on that many slots."""
    low, high, n = r["chance_low"], r["chance_high"], r["slots"]
    said = (f"at a {r['risk']:.0%} risk, chance alone puts {low:,} to {high:,} of "
            f"{n:,} {plural(n, 'slot')} over capacity")
    if r["chance"] == "above":
        return (f"more than the risk allows: {said}; the recent slots the plan was "
                "checked against were not like the ones that followed")
    if r["chance"] == "below":
        return f"fewer than the risk allows: {said}; the plan was more careful than needed"
    return f"on target: {said}"


def slot_unit(slot: str, group_by: Sequence[str]) -> str:
    """What one slot of a plan is, in words: "a day for one hotel"."""
    from ..config import SLOT_WORDS

    period = SLOT_WORDS.get(slot, f"{slot} period")
    return f"a {period}" + (f" for one {' and '.join(group_by)}" if group_by else "")


def _slots(frame: pd.DataFrame, schema: TableSchema, p: np.ndarray,
           group_by: Sequence[str], freq: str) -> list[tuple[dict[str, Any], np.ndarray, int | None]]:
    """(the slot's key, its bookings' probabilities, its no-shows or None), in time order."""
    import pandas as pd

    keys = [frame[schema.time_column].dt.to_period(freq).dt.start_time.rename("period")]
    keys += [frame[c] for c in group_by]
    data = pd.DataFrame({"p": np.asarray(p, dtype=float)}, index=frame.index)
    has_y = bool(schema.label_column) and schema.label_column in frame.columns
    if has_y:
        data["y"] = frame[schema.label_column].astype(float)
    out = []
    for key, g in data.groupby(keys, observed=True, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        known = has_y and bool(g["y"].notna().all())
        out.append((dict(zip(["period", *group_by], key, strict=True)), g["p"].to_numpy(),
                    int(g["y"].sum()) if known else None))
    return out


def calibration_from(frame: pd.DataFrame, schema: TableSchema, p: np.ndarray, *, risk: float,
                     group_by: Sequence[str] = (), freq: str = "D", window: int = 60,
                     step: float = 0.01, lead: int = 1, source: str = "") -> SlotCalibration:
    """A :class:`SlotCalibration` started on the slots of ``frame`` (outcomes known,
    ``p`` out-of-time predictions: from a model that did not train on these rows)."""
    cal = SlotCalibration(risk, window, step, lead, source=source)
    for _key, q, y in _slots(frame, schema, p, group_by, freq):
        if y is not None:
            cal.observe(q, y)
    return cal


def plan(frame: pd.DataFrame, schema: TableSchema, p: np.ndarray, *, risk: float,
         group_by: Sequence[str] = (), freq: str = "D",
         calibration: SlotCalibration | None = None) -> pd.DataFrame:
    """Extra places per slot (period × groups): columns ``period``, the groups,
    ``bookings``, ``expected_no_shows``, ``extra`` and, when known, ``no_shows``.

    Without ``calibration`` the model's probabilities are taken at their word (a
    Poisson-binomial count). With it, slots are planned in time order, each from the
    outcomes of slots whose period ended at least ``calibration.lead`` periods before
    (1: yesterday's outcomes are known when today's extra places are sold at the door;
    more when places are sold days ahead), and ``calibration`` is updated in place."""
    import pandas as pd

    slots = _slots(frame, schema, p, group_by, freq)
    has_y = bool(schema.label_column) and schema.label_column in frame.columns
    rows: list[dict[str, Any]] = []
    pending: list[tuple[Any, np.ndarray, int | None, int]] = []  # (period, q, y, extra)
    step = pd.tseries.frequencies.to_offset(freq)
    lead = calibration.lead if calibration is not None else 1
    period = None
    for key, q, y in slots:
        if calibration is not None and key["period"] != period:
            period = key["period"]
            # the outcomes of a period come in ``lead`` periods after it
            ready = [e for e in pending if e[0] + lead * step <= period]
            pending = [e for e in pending if e[0] + lead * step > period]
            for _p0, q0, y0, k0 in ready:
                if y0 is not None:
                    calibration.observe(q0, y0, k0)
        k = calibration.extra(q) if calibration is not None else extra_places(q, risk)
        pending.append((key["period"], q, y, k))
        row = {**key, "bookings": len(q), "expected_no_shows": float(q.sum()), "extra": k}
        if has_y:
            row["no_shows"] = y
        rows.append(row)
    if calibration is not None:
        for _p0, q0, y0, k0 in pending:
            if y0 is not None:
                calibration.observe(q0, y0, k0)
    return pd.DataFrame(rows)


def replay(slots: pd.DataFrame, *, risk: float, price: float, over_cost: float
           ) -> CapacityReplay:
    """What the planned extra places would have earned (``price`` per place sold and
    used) and cost (``over_cost`` per person over capacity)."""
    if "no_shows" in slots.columns:
        slots = slots[slots["no_shows"].notna()]
    if "no_shows" not in slots.columns or slots.empty:
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
                     model: str | None = None, calibrate: bool | None = None,
                     window: int | None = None, lead: int | None = None) -> dict[str, Any]:
    """The decision of a tabular project: extra places per slot (a ``freq`` period × the
    card's group columns) for the chosen ``risk`` of being over capacity, from the
    champion's probabilities over the rows after its training period (or ``since`` ..
    ``until``), and, where the outcomes are in, what that would have earned and cost.

    ``calibrate`` (default: yes) plans from the outcomes of recent slots
    (:class:`SlotCalibration`, ``window`` slots) instead of the model's word; the result
    then also replays the uncalibrated plan beside it; ``lead``: how many slots after a
    slot its outcome is known (1: the day after). Defaults come from the card's
    ``[decision]`` (slot, risk, price, over_cost, calibrate, window, lead)."""
    from ..registry.tabular import champion_predictor
    from ..tasks.tabular import project_frame, schema_of, split_frame

    card = ws.card.section("decision")
    risk = float(risk if risk is not None else card.get("risk", 0.05))
    price = float(price if price is not None else card.get("price", 0.0))
    over_cost = float(over_cost if over_cost is not None else card.get("over_cost", 0.0))
    freq = str(freq or card.get("slot", "D"))
    calibrate = bool(card.get("calibrate", True) if calibrate is None else calibrate)
    window = int(window if window is not None else card.get("window", 60))
    lead = int(lead if lead is not None else card.get("lead", 1))
    _check_inputs(freq, since, until, price, over_cost)
    schema = schema_of(ws)
    frame = project_frame(ws, schema=schema)
    mv, predictor = champion_predictor(ws, model)
    cutoff = str(mv.card.get("train_until") or split_frame(ws, frame)[2])
    start = since or cutoff
    t = frame[schema.time_column]
    keep = t >= start
    if until:
        keep &= t < until
    rows = frame[keep]
    if rows.empty:
        raise PolicyError(f"no rows from {start}{f' to {until}' if until else ''}",
                          hint=in_words("ingest the bookings to plan for, or change since= "
                                        "or until=",
                                        "ingest the bookings to plan for, or change "
                                        "--since/--until",
                                        "bring the bookings to plan for in on the Bring rows "
                                        "in page"))
    p = predictor.predict_table(rows)
    group_by = list(schema.group_columns)
    cal = (calibration_before(frame, schema, predictor, mv.spec, start=start, cutoff=cutoff,
                        risk=risk, group_by=group_by, freq=freq, window=window,
                        step=float(card.get("step", 0.01)), lead=lead) if calibrate else None)
    slots = plan(rows, schema, p, risk=risk, group_by=group_by, freq=freq, calibration=cal)
    known = slots["no_shows"].notna() if "no_shows" in slots.columns else None
    out: dict[str, Any] = {
        "model": mv.spec, "risk": risk, "slot": freq, "group_by": group_by,
        "slot_unit": slot_unit(freq, group_by),
        "slots": len(slots), "extra": int(slots["extra"].sum()),
        "first": str(slots["period"].min().date()), "last": str(slots["period"].max().date()),
        # every slot's outcome is in: a replay of the past, nothing left to sell
        "past_only": bool(known is not None and known.all()),
        "calibration": cal.to_dict() if cal else None,
        "plan": [{k: (str(v.date()) if k == "period" else
                      None if k == "no_shows" and v != v else v) for k, v in r.items()}
                 for r in slots.to_dict("records")],
        "replay": None, "replay_uncalibrated": None}
    if "no_shows" in slots.columns and slots["no_shows"].notna().any():
        done = replay(slots, risk=risk, price=price, over_cost=over_cost).to_dict()
        out["replay"] = {**done, "chance_words": chance_words(done)}
        if cal:
            raw = plan(rows, schema, p, risk=risk, group_by=group_by, freq=freq)
            out["replay_uncalibrated"] = replay(raw, risk=risk, price=price,
                                                over_cost=over_cost).to_dict()
        out["currency"] = ws.card.currency
    return out


def _check_inputs(freq: str, since: str | None, until: str | None, price: float,
                  over_cost: float) -> None:
    """One clear error for a slot, a date or an amount that cannot be."""
    import pandas as pd

    from ..errors import ConfigError
    from ..tasks.count import check_slot

    try:
        check_slot(freq)
    except ConfigError as exc:
        raise PolicyError(exc.message, hint=exc.hint) from None
    for name, value in (("since", since), ("until", until)):
        if value is None:
            continue
        try:
            pd.Timestamp(value)
        except (ValueError, TypeError):
            said_as = in_words(f"{name}={value!r}", f"--{name} {value!r}",
                               f"the {'first' if name == 'since' else 'last'} date {value!r}")
            raise PolicyError(f"{said_as} is not a date",
                              hint="give it as YYYY-MM-DD") from None
    for name, amount in (("price", price), ("over_cost", over_cost)):
        if amount < 0 or amount != amount:
            raise PolicyError(f"{name} must be zero or more, not {amount:g}",
                              hint="what an extra place earns (price) and what a person over "
                                   "capacity costs (over_cost), in the card's currency")


def calibration_before(frame: pd.DataFrame, schema: TableSchema, predictor: Any, spec: str, *,
                 start: str, cutoff: str, risk: float, group_by: list[str], freq: str,
                 window: int, step: float, lead: int = 1) -> SlotCalibration:
    """Start the calibration on the ``window`` slots just before ``start`` whose outcomes
    are known, with out-of-time predictions: the model's own where those slots come after
    its training period, else those of a copy trained on the rows before them."""
    import pandas as pd

    label, time = schema.label_column, schema.time_column
    cal = SlotCalibration(risk, window, step, lead)
    if not label or label not in frame.columns:
        cal.source = "no outcomes yet: nothing is sold until slots' outcomes come in"
        return cal
    labelled = frame[frame[label].notna() & (frame[time] < start)]
    if labelled.empty:
        cal.source = "no earlier outcomes: nothing is sold until slots' outcomes come in"
        return cal
    periods = labelled[time].dt.to_period(freq).dt.start_time
    groups = max(1, len(labelled.groupby(group_by, observed=True, dropna=False)) if group_by else 1)
    distinct = np.sort(periods.unique())
    first = pd.Timestamp(distinct[max(0, len(distinct) - int(np.ceil(window / groups)))])
    recent = labelled[periods >= first]
    if first >= pd.Timestamp(cutoff):
        p = predictor.predict_table(recent)
        how = f"{spec}'s predictions after its training period"
    else:
        older = labelled[periods < first]
        if older[label].nunique() < 2:
            cal.source = (f"too few outcomes before {first.date()} to calibrate on: nothing is "
                          "sold until slots' outcomes come in")
            return cal
        try:
            twin = type(predictor)(**predictor.get_params()).fit_table(older)
            p = twin.predict_table(recent)
        except (GlamlabError, ValueError) as exc:  # too few rows for the copy's own steps
            cal.source = (f"a copy of {spec} could not be trained on the rows before "
                          f"{first.date()} ({exc}): nothing is sold until slots' outcomes "
                          "come in")
            return cal
        how = (f"a copy of {spec} trained on the rows before {first.date()} (the model "
               "itself trained on these rows, so its own predictions would flatter it)")
    cal = calibration_from(recent, schema, p, risk=risk, group_by=group_by, freq=freq,
                           window=window, step=step, lead=lead,
                           source=f"{len(recent):,} rows from {first.date()} to "
                                  f"{pd.Timestamp(start).date()}, predicted by {how}")
    return cal


__all__ = ["CapacityReplay", "SlotCalibration", "calibration_before", "calibration_from",
           "chance_range", "chance_words", "extra_places", "slot_unit",
           "no_show_distribution", "people", "plan", "project_capacity", "replay"]

