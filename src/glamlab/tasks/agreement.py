"""Agreement between annotators on the items they both (or all) labelled.

- Cohen's kappa: two annotators, single-label.
- Krippendorff's alpha (nominal): any number of annotators, missing values allowed;
  for multi-label tasks, computed per label on the binary "has this label" value.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
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


def krippendorff_alpha_nominal(units: Sequence[Sequence[Hashable | None]]) -> float:
    """Krippendorff's alpha for nominal data. ``units`` holds, per unit (item), the
    values the coders gave (None for a coder who gave none). Units with fewer than
    two values are not pairable and are left out."""
    import numpy as np

    values = [[v for v in u if v is not None] for u in units]
    values = [u for u in values if len(u) >= 2]
    if not values:
        raise LabelError("no item has two or more annotations", hint="have several people "
                         "label the same items")
    cats = sorted({v for u in values for v in u}, key=str)
    idx = {c: i for i, c in enumerate(cats)}
    k = len(cats)
    o = np.zeros((k, k))
    for u in values:
        m_u = len(u)
        counts = np.zeros(k)
        for v in u:
            counts[idx[v]] += 1
        o += (np.outer(counts, counts) - np.diag(counts)) / (m_u - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    observed = o.sum() - np.trace(o)
    expected = (n_c.sum() ** 2 - (n_c ** 2).sum()) / (n - 1)
    if expected == 0:
        return 1.0
    return float(1.0 - observed / expected)


def agreement(ws: Workspace, *, annotators: Sequence[str] | None = None) -> dict[str, Any]:
    """Agreement statistics over the items that several annotators labelled."""
    from .labels import annotator_labels

    ann = annotator_labels(ws)
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
        units = [[per[a][0] if a in per else None for a in chosen]
                 for per in shared.values()]
        result["krippendorff_alpha"] = krippendorff_alpha_nominal(units)
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
        for label in ws.card.labels:
            binary: list[list[Hashable | None]] = [
                [(label in per[a]) if a in per else None for a in chosen]
                for per in shared.values()]
            if not any(any(v for v in u if v) for u in binary):
                continue
            per_label.append({"label": label, "krippendorff_alpha":
                              krippendorff_alpha_nominal(binary)})
        result["per_label"] = per_label
        alphas = [float(p["krippendorff_alpha"]) for p in per_label]
        result["krippendorff_alpha"] = sum(alphas) / len(alphas) if alphas else None
    result["summary"] = _summary(result)
    return result


def _summary(r: dict[str, Any]) -> str:
    alpha = r.get("krippendorff_alpha")
    n = r["shared_items"]
    text = f"{n:,} {plural(n, 'item')} labelled by several people"
    if r.get("cohen_kappa") is not None:
        text += f"; Cohen's kappa {r['cohen_kappa']:.2f}"
    if alpha is not None:
        text += f"; Krippendorff's alpha {alpha:.2f}"
        if r["multi_label"]:
            text += " (mean over labels)"
        text += (" - reliable" if alpha >= 0.8 else
                 " - tentative, discuss the guidelines" if alpha >= 0.667 else
                 " - low: the labelling guidelines need work before the numbers mean much")
    return text
