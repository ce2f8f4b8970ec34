"""Agreement between annotators on the items they both (or all) labelled.

- Cohen's kappa: two annotators, single-label.
- Krippendorff's alpha (nominal): any number of annotators, missing values allowed;
  for multi-label tasks, computed per label on the binary "has this label" value.

A verdict ("reliable", "tentative", "low") needs enough items labelled by several people:
with fewer than :func:`items_needed`, the summary says how many are shared, how many are
needed and that the figure cannot be judged yet, instead of a verdict. Alpha comes with a
95% bootstrap interval over the shared items (:func:`alpha_interval`) once there are
:data:`MIN_BOOTSTRAP_ITEMS` of them.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

from ..errors import LabelError
from ..progress import plural

if TYPE_CHECKING:
    from ..workspace import Workspace


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa between two label sequences of the same items."""
    import numpy as np

    if len(a) != len(b) or not a:
        raise LabelError("Cohen's kappa needs two equally long, non-empty label lists")
    cats = sorted(set(a) | set(b), key=str)
    idx = {c: i for i, c in enumerate(cats)}
    k = len(cats)
    m = np.zeros((k, k))
    for x, y in zip(a, b, strict=True):
        m[idx[x], idx[y]] += 1
    n = m.sum()
    po = np.trace(m) / n
    pe = float((m.sum(axis=1) * m.sum(axis=0)).sum()) / (n * n)
    if pe == 1.0:
        return 1.0 if po == 1.0 else 0.0
    return float((po - pe) / (1 - pe))


#: the smallest alpha taken as reliable (Krippendorff 2019, Content Analysis, 4th ed.,
#: §12.4.4: "rely only on variables with reliabilities above alpha = .800")
ALPHA_MIN = 0.8
#: one-sided z for a 0.05 chance that the data's alpha is below :data:`ALPHA_MIN`
Z_05 = 1.6449
#: the fewest shared items a bootstrap interval is given for: with fewer, resampling a
#: handful of items says little (one item gives "1.00 to 1.00")
MIN_BOOTSTRAP_ITEMS = 10


def items_needed(categories: int, *, alpha_min: float = ALPHA_MIN, z: float = Z_05,
                 smallest_share: float | None = None) -> int:
    """How many items two annotators must share before alpha can be judged against
    ``alpha_min`` at the 0.05 level: Krippendorff's sample-size rule (Krippendorff 2019,
    *Content Analysis*, 4th ed., §12.4.4, after Bloch & Kraemer 1989, eq. 3.7),
    ``N = 2 z² ((1 + a)(3 - a) / (4 (1 - a) p (1 - p)) - a)``, ``p`` the share of the
    least frequent value: ``smallest_share`` when given (a multi-label task's rarest
    label, :func:`rarest_label`), else ``1 / categories``, for equally frequent values:
    103 items for two labels, 139 for four (his table's figure). Rarer values need more."""
    p = smallest_share if smallest_share is not None else 1.0 / max(2, categories)
    p = min(max(p, 1e-9), 0.5)
    a = alpha_min
    return math.ceil(2 * z * z * ((1 + a) * (3 - a) / (4 * (1 - a) * p * (1 - p)) - a))


def rarest_label(label_sets: Sequence[Collection[str]],
                 labels: Sequence[str]) -> tuple[str, float] | None:
    """A multi-label task's alpha is per label, on two values (has it, has it not): the
    label whose two values are the most uneven in ``label_sets`` (the labels people gave,
    one set per item and person), and the share of the sets it is in. None when no label
    is in some sets and not in others (nothing observed yet to size the sample by)."""
    n = len(label_sets)
    best: tuple[str, float] | None = None
    for label in labels:
        k = sum(1 for s in label_sets if label in s)
        if not 0 < k < n:
            continue
        if best is None or min(k, n - k) / n < min(best[1], 1 - best[1]):
            best = (label, k / n)
    return best


def sample_size(ws: Workspace, ann: dict[str, dict[str, list[str]]] | None = None,
                annotators: Sequence[str] | None = None) -> dict[str, Any]:
    """``{"items_needed": N, "rarest_label": name or None, "rarest_share": the share of
    the items labelled it is given to, or None}``:
    the shared items :func:`items_needed` asks for in this project. A single-label task:
    for its labels equally frequent (the least). A multi-label task: for the share of its
    rarest label among the labels given so far (``ann``: :func:`annotator_labels`; only
    ``annotators``' when given), or for a label on half the items before any is given
    (the least: rarer labels need more)."""
    card = ws.card
    if not card.multi_label:
        return {"items_needed": items_needed(len(card.labels)), "rarest_label": None,
                "rarest_share": None}
    if ann is None:
        from .labels import annotator_labels

        ann = annotator_labels(ws)
    sets = [set(labels) for per in ann.values() for a, labels in per.items()
            if annotators is None or a in annotators]
    rare = rarest_label(sets, card.labels)
    if rare is None:
        return {"items_needed": items_needed(2), "rarest_label": None, "rarest_share": None}
    return {"items_needed": items_needed(2, smallest_share=min(rare[1], 1 - rare[1])),
            "rarest_label": rare[0], "rarest_share": rare[1]}


def _coincidences(units: Sequence[Sequence[Hashable | None]]) -> Any:
    """Each pairable unit's coincidence matrix (units x values x values): the counts of
    each value in the unit, ``(outer(counts, counts) - diag(counts)) / (m - 1)`` for a
    unit of ``m`` values, worked out for all units at once."""
    import numpy as np

    values = [[v for v in u if v is not None] for u in units]
    values = [u for u in values if len(u) >= 2]
    if not values:
        raise LabelError("no item has two or more annotations", hint="have several people "
                         "label the same items")
    cats = sorted({v for u in values for v in u}, key=str)
    idx = {c: i for i, c in enumerate(cats)}
    k = len(cats)
    sizes = np.fromiter((len(u) for u in values), dtype=np.int64, count=len(values))
    rows = np.repeat(np.arange(len(values)), sizes)
    cols = np.fromiter((idx[v] for u in values for v in u), dtype=np.int64,
                       count=int(sizes.sum()))
    counts = np.bincount(rows * k + cols, minlength=len(values) * k).reshape(
        len(values), k).astype(float)
    diag = np.zeros((len(values), k, k))
    diag[:, np.arange(k), np.arange(k)] = counts
    return ((counts[:, :, None] * counts[:, None, :] - diag)
            / (sizes - 1).astype(float)[:, None, None])


def _alpha(o: Any) -> Any:
    """Alpha from summed coincidence matrices (``o``: ... x values x values)."""
    import numpy as np

    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    observed = o.sum(axis=(-2, -1)) - np.trace(o, axis1=-2, axis2=-1)
    expected = (n ** 2 - (n_c ** 2).sum(axis=-1)) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected == 0, 1.0, 1.0 - observed / expected)


def krippendorff_alpha_nominal(units: Sequence[Sequence[Hashable | None]]) -> float:
    """Krippendorff's alpha for nominal data. ``units`` holds, per unit (item), the
    values the coders gave (None for a coder who gave none). Units with fewer than
    two values are not pairable and are left out."""
    return float(_alpha(_coincidences(units).sum(axis=0)))


#: how many resampling weights :func:`alpha_interval` holds at once (rows x items)
_BOOT_CELLS = 4_000_000


def alpha_interval(unit_sets: Sequence[Sequence[Sequence[Hashable | None]]], *,
                   n_boot: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of alpha, resampling the shared items with
    replacement (the same resample for every variable in ``unit_sets``, whose alphas are
    averaged: one variable for a single-label task, one per label for a multi-label
    one). Each set holds the same items in the same order.

    Each resample is the items' counts drawn from one multinomial (``seed``'s stream,
    row after row). Items come in few kinds (the same coincidence matrix: two people
    giving "a" and "b", say), so a resample's summed matrix is its counts summed per kind
    times that kind's matrix: a few numbers per resample instead of one product per item
    and cell, and the weights are drawn a block of resamples at a time instead of all
    at once."""
    import numpy as np

    kinds = []
    for units in unit_sets:
        m = _coincidences(units)
        shapes = m.shape[1:]
        distinct, kind = np.unique(m.reshape(len(m), -1), axis=0, return_inverse=True)
        kinds.append((distinct, kind.reshape(-1), shapes))
    n = len(kinds[0][1])
    rng = np.random.default_rng(seed)
    p = np.full(n, 1.0 / n)
    # per variable, the items of each kind (one column per kind)
    members = []
    for distinct, kind, _shape in kinds:
        one_hot = np.zeros((n, len(distinct)))
        one_hot[np.arange(n), kind] = 1.0
        members.append(one_hot)
    draws = np.empty((len(kinds), n_boot))
    block = max(1, _BOOT_CELLS // n)
    for start in range(0, n_boot, block):
        rows = min(block, n_boot - start)
        weights = rng.multinomial(n, p, size=rows).astype(float)
        for v, ((distinct, _kind, shape), one_hot) in enumerate(
                zip(kinds, members, strict=True)):
            per_kind = weights @ one_hot  # whole counts: exact in floating point
            draws[v, start:start + rows] = _alpha((per_kind @ distinct).reshape(rows, *shape))
    low, high = np.percentile(draws.mean(axis=0), [2.5, 97.5])
    return float(low), float(high)


#: why agreement is not measured in a project whose items nobody has labelled yet
NOTHING_LABELLED = "nothing is labelled yet"


def agreement(ws: Workspace, *, annotators: Sequence[str] | None = None) -> dict[str, Any]:
    """Agreement statistics over the items that several annotators labelled."""
    from .labels import annotator_labels

    ann = annotator_labels(ws)
    if not ann:  # not "no item labelled by two people": no item is labelled by anyone
        raise LabelError(NOTHING_LABELLED, hint="label items first (`glamlab serve`, or "
                         "`glamlab labels import FILE`); once a second person has labelled "
                         "some of them again, the agreement is measured")
    everyone = sorted({a for per in ann.values() for a in per})
    chosen = list(annotators) if annotators else everyone
    unknown = [a for a in chosen if a not in everyone]
    if unknown:
        raise LabelError(f"no labels by {', '.join(unknown)}",
                         hint=f"annotators in this workspace: {', '.join(everyone) or 'none'}")
    shared = {i: {a: per[a] for a in chosen if a in per} for i, per in ann.items()}
    shared = {i: per for i, per in shared.items() if len(per) >= 2}
    result: dict[str, Any] = {"annotators": chosen, "shared_items": len(shared),
                              "multi_label": ws.card.multi_label}
    if not shared:
        raise LabelError(
            f"no item was labelled by two or more of: {', '.join(chosen) or 'nobody'}",
            hint="import a second person's labels with `glamlab labels import FILE "
                 "--annotator NAME`")
    if not ws.card.multi_label:
        units: list[list[Hashable | None]] = [
            [per[a][0] if a in per else None for a in chosen] for per in shared.values()]
        result["krippendorff_alpha"] = krippendorff_alpha_nominal(units)
        variables: list[list[list[Hashable | None]]] = [units]
        pairs = []
        for a, b in combinations(chosen, 2):
            both = [per for per in shared.values() if a in per and b in per]
            if not both:
                continue
            xa = [per[a][0] for per in both]
            xb = [per[b][0] for per in both]
            pairs.append({"a": a, "b": b, "items": len(both),
                          "percent_agreement": sum(1 for x, y in zip(xa, xb, strict=True)
                                                   if x == y) / len(both),
                          "cohen_kappa": cohen_kappa(xa, xb)})
        result["pairs"] = pairs
        if len(chosen) == 2 and pairs:
            result["cohen_kappa"] = pairs[0]["cohen_kappa"]
    else:
        per_label: list[dict[str, Any]] = []
        variables = []
        for label in ws.card.labels:
            binary: list[list[Hashable | None]] = [
                [(label in per[a]) if a in per else None for a in chosen]
                for per in shared.values()]
            if not any(any(v for v in u if v) for u in binary):
                continue
            per_label.append({"label": label, "krippendorff_alpha":
                              krippendorff_alpha_nominal(binary)})
            variables.append(binary)
        result["per_label"] = per_label
        alphas = [float(p["krippendorff_alpha"]) for p in per_label]
        result["krippendorff_alpha"] = sum(alphas) / len(alphas) if alphas else None
    # a multi-label task's alpha is per label, on two values (has it, has it not): sized
    # by the rarest label's share
    result.update(sample_size(ws, ann, chosen))
    result["enough_items"] = len(shared) >= result["items_needed"]
    result["alpha_interval"] = (
        list(alpha_interval(variables)) if variables and len(shared) >= MIN_BOOTSTRAP_ITEMS
        else None)
    result["summary"] = _summary(result)
    return result


def _summary(r: dict[str, Any]) -> str:
    """One sentence for the command line, the same words wherever agreement is shown: a
    verdict only with :func:`items_needed` shared items; with fewer, how many there are,
    how many are needed and that the figure cannot be judged yet."""
    alpha = r.get("krippendorff_alpha")
    n = r["shared_items"]
    text = f"{n:,} {plural(n, 'item')} labelled by several people"
    if r.get("cohen_kappa") is not None:
        text += f"; Cohen's kappa {r['cohen_kappa']:.2f}"
    if alpha is not None:
        text += f"; Krippendorff's alpha {alpha:.2f}"
        if r["multi_label"]:
            text += " (mean over labels)"
        if r.get("alpha_interval"):
            low, high = r["alpha_interval"]
            text += f" (95% interval {low:.2f} to {high:.2f})"
        needed = r["items_needed"]
        if n < needed:
            text += (f" - too few shared items to judge: {n:,} of the {needed:,} needed "
                     f"before alpha can be trusted (Krippendorff's rule for alpha "
                     f"{ALPHA_MIN:.2f}{_rarest_words(r)}); have more items labelled by two "
                     "people")
        else:
            text += (" - reliable" if alpha >= ALPHA_MIN else
                     " - tentative, discuss the guidelines" if alpha >= 0.667 else
                     " - low: the labelling guidelines need work before the numbers mean "
                     "much")
    return text


def _rarest_words(r: dict[str, Any]) -> str:
    """Which label sized a multi-label task's sample (its rarer value's share)."""
    if not r.get("rarest_label"):
        return (", the least: labels given to far fewer or far more than half the items "
                "need more" if r.get("multi_label") else "")
    share = r["rarest_share"]
    said = ("under 1%" if share < 0.01 else "over 99%" if share > 0.99 else f"{share:.0%}")
    return (f", for the most uneven label, {r['rarest_label']}, given to {said} of the "
            "items labelled")
