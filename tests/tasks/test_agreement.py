"""Agreement statistics against scikit-learn and Krippendorff's published example."""

from __future__ import annotations

import math

import pytest
from sklearn.metrics import cohen_kappa_score

from glamlab.errors import LabelError
from glamlab.tasks import agreement, cohen_kappa, import_labels, krippendorff_alpha_nominal
from tests.tasks.helpers import add_items, label_twice, write_csv


def test_cohen_kappa_matches_sklearn() -> None:
    a = ["x", "x", "y", "z", "y", "x", "z", "z", "y", "x"]
    b = ["x", "y", "y", "z", "y", "x", "x", "z", "z", "x"]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_krippendorff_alpha_nominal_on_krippendorffs_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders,
    # 12 units, missing values; nominal alpha = 0.743.
    A = [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None]
    B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3]
    C = [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None]
    D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]
    units = list(zip(A, B, C, D, strict=True))
    assert krippendorff_alpha_nominal(units) == pytest.approx(0.743, abs=0.001)


def test_perfect_agreement_is_one() -> None:
    assert krippendorff_alpha_nominal([["a", "a"], ["b", "b"], ["a", "a"]]) == 1.0
    assert cohen_kappa(["a", "b"], ["a", "b"]) == 1.0


def test_agreement_between_two_annotators_in_a_workspace(make_ws, tmp_path) -> None:
    ws = make_ws(labels=["yes", "no"], modality="text")
    add_items(ws, [{"id": f"i{k}", "text": "x"} for k in range(8)])
    a = ["yes", "yes", "no", "no", "yes", "no", "yes", "no"]
    b = ["yes", "no", "no", "no", "yes", "no", "yes", "yes"]
    import_labels(ws, write_csv(tmp_path / "a.csv", ["id", "label"],
                                [[f"i{k}", v] for k, v in enumerate(a)]), annotator="ann")
    with pytest.raises(LabelError, match="two or more"):
        agreement(ws)
    import_labels(ws, write_csv(tmp_path / "b.csv", ["id", "label"],
                                [[f"i{k}", v] for k, v in enumerate(b)]), annotator="bob")
    r = agreement(ws)
    assert r["shared_items"] == 8
    assert r["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, b))
    assert "Cohen's kappa" in r["summary"]


def test_multi_label_agreement_is_per_label_alpha(make_ws, tmp_path) -> None:
    ws = make_ws(labels=["maps", "ships"], modality="text", multi_label=True)
    add_items(ws, [{"id": f"i{k}", "text": "x"} for k in range(4)])
    import_labels(ws, write_csv(tmp_path / "a.csv", ["id", "label"],
                                [["i0", "maps"], ["i1", "maps|ships"], ["i2", "ships"],
                                 ["i3", "maps"]]), annotator="a")
    import_labels(ws, write_csv(tmp_path / "b.csv", ["id", "label"],
                                [["i0", "maps"], ["i1", "maps"], ["i2", "ships"],
                                 ["i3", "maps"]]), annotator="b")
    r = agreement(ws)
    per = {p["label"]: p["krippendorff_alpha"] for p in r["per_label"]}
    assert per["maps"] == 1.0
    assert per["ships"] < 1.0
    assert per["ships"] == pytest.approx(
        krippendorff_alpha_nominal([[False, False], [True, False], [True, True], [False, False]]))


def test_one_shared_item_is_said_as_one(make_ws, tmp_path) -> None:
    """Two annotators who share a single item: "1 item labelled by several people", not
    "1 items"."""
    ws = make_ws(labels=["yes", "no"], modality="text")
    add_items(ws, [{"id": "i0", "text": "x"}, {"id": "i1", "text": "y"}])
    import_labels(ws, write_csv(tmp_path / "a.csv", ["id", "label"],
                                [["i0", "yes"], ["i1", "no"]]), annotator="ann")
    import_labels(ws, write_csv(tmp_path / "b.csv", ["id", "label"], [["i0", "yes"]]),
                  annotator="bob")
    r = agreement(ws)
    assert r["shared_items"] == 1
    assert r["summary"].startswith("1 item labelled by several people")


def test_one_shared_item_gets_no_verdict(make_ws, tmp_path) -> None:
    """One item both people labelled alike gave "Krippendorff's alpha 1.00 - reliable".
    A verdict needs the shared items Krippendorff's sample-size rule asks for (103 for two
    labels); with fewer, the summary says how many are shared and how many are needed,
    and the command line prints the same sentence."""
    from click.testing import CliRunner

    from glamlab.cli import cli

    ws = make_ws(labels=["yes", "no"], modality="text")
    add_items(ws, [{"id": "i0", "text": "x"}, {"id": "i1", "text": "y"}])
    import_labels(ws, write_csv(tmp_path / "a.csv", ["id", "label"],
                                [["i0", "yes"], ["i1", "no"]]), annotator="ann")
    import_labels(ws, write_csv(tmp_path / "b.csv", ["id", "label"], [["i0", "yes"]]),
                  annotator="bob")
    r = agreement(ws)
    assert r["krippendorff_alpha"] == 1.0 and "reliable" not in r["summary"], r["summary"]
    from glamlab.tasks.agreement import items_needed

    assert r["items_needed"] == items_needed(2) == 103 and not r["enough_items"]
    assert "too few shared items to judge: 1 of the 103 needed" in r["summary"]
    assert r["alpha_interval"] is None  # one item resampled says nothing
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "labels", "agreement"])
    assert res.exit_code == 0, res.output
    assert r["summary"] in " ".join(res.output.split())


def test_enough_shared_items_get_a_verdict_and_an_interval(make_ws, tmp_path) -> None:
    from glamlab.tasks.agreement import alpha_interval

    ws = make_ws(labels=["yes", "no"], modality="text")
    a, b = label_twice(ws, tmp_path, 110)
    r = agreement(ws)
    alpha = r["krippendorff_alpha"]
    assert r["enough_items"] and alpha == pytest.approx(
        krippendorff_alpha_nominal(list(zip(a, b, strict=True))))
    low, high = r["alpha_interval"]
    assert low < alpha < high and (low, high) == alpha_interval([list(zip(a, b, strict=True))])
    assert r["summary"].endswith(" - reliable") and f"{low:.2f} to {high:.2f}" in r["summary"]


def test_multi_label_sample_size_follows_the_rarest_label(make_ws, tmp_path) -> None:
    """A multi-label task's alpha is per label, on two values (has it, has it not); the
    sample-size rule asked for 103 shared items, as if each label were on half the items.
    A label on 10% of them needs more: the rule with p = 0.1, and the summary names it."""
    ws = make_ws(labels=["maps", "ships", "text"], modality="text", multi_label=True)
    n = 40
    add_items(ws, [{"id": f"i{k}", "text": "x"} for k in range(n)])
    # maps on half the items, text on the other half, ships on one in ten
    rows = [[f"i{k}", ("maps" if k % 2 == 0 else "text") + ("|ships" if k % 10 == 0 else "")]
            for k in range(n)]
    for who in ("a", "b"):
        import_labels(ws, write_csv(tmp_path / f"{who}.csv", ["id", "label"], rows),
                      annotator=who)
    ships = sum(1 for r in rows if "ships" in r[1]) / n
    assert ships == 0.1
    a, z = 0.8, 1.6449
    expected = math.ceil(2 * z * z * ((1 + a) * (3 - a) / (4 * (1 - a) * ships * (1 - ships))
                                      - a))
    r = agreement(ws)
    assert r["items_needed"] == expected > 103
    assert (r["rarest_label"], r["rarest_share"]) == ("ships", ships)
    assert (f"too few shared items to judge: {n} of the {expected} needed before alpha can "
            "be trusted (Krippendorff's rule for alpha 0.80, for the most uneven label, "
            "ships, given to 10% of the items labelled)") in r["summary"]


def _resampled_alpha_by_definition(unit_sets, n_boot, seed):
    """The bootstrap interval straight from its definition: one multinomial draw of
    counts per resample (the seed's stream), each item's coincidence matrix weighted by
    its count and summed, alpha of the sum, averaged over the variables."""
    import numpy as np

    mats = []
    for units in unit_sets:
        values = [[v for v in u if v is not None] for u in units]
        values = [u for u in values if len(u) >= 2]
        cats = sorted({v for u in values for v in u}, key=str)
        m = np.zeros((len(values), len(cats), len(cats)))
        for j, u in enumerate(values):
            counts = np.array([float(u.count(c)) for c in cats])
            m[j] = (np.outer(counts, counts) - np.diag(counts)) / (len(u) - 1)
        mats.append(m)
    n = len(mats[0])
    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=n_boot)
    alphas = []
    for m in mats:
        o = np.einsum("bn,nij->bij", weights.astype(float), m)
        n_c = o.sum(axis=-1)
        total = n_c.sum(axis=-1)
        observed = o.sum(axis=(-2, -1)) - np.trace(o, axis1=-2, axis2=-1)
        expected = (total ** 2 - (n_c ** 2).sum(axis=-1)) / (total - 1)
        alphas.append(np.where(expected == 0, 1.0, 1.0 - observed / expected))
    low, high = np.percentile(np.mean(alphas, axis=0), [2.5, 97.5])
    return float(low), float(high)


@pytest.mark.parametrize("coders", [2, 3, 4])
def test_the_bootstrap_interval_keeps_its_figures(coders: int, monkeypatch) -> None:
    """The interval is the same for a given seed however the resamples are summed (per
    kind of item, a block of resamples at a time): two or three labels per item give the
    very same figures, four (sums of thirds) the same to rounding; a multi-label task's
    variables share the resamples."""
    import random
    import sys

    from glamlab.tasks.agreement import alpha_interval

    # blocks of 7 resamples (an older glamlab drew them all at once); the module, as
    # glamlab.tasks exports a function of its name
    monkeypatch.setattr(sys.modules["glamlab.tasks.agreement"], "_BOOT_CELLS", 7 * 301,
                        raising=False)
    rng = random.Random(coders)
    names = ["a", "b", "c"]
    units = []
    for k in range(301):
        first = names[k % 3]
        given = [first] + [first if rng.random() < 0.7 else rng.choice(names)
                           for _ in range(coders - 1)]
        if k % 5 == 0:  # someone did not label this one
            given[rng.randrange(1, coders)] = None
        units.append(given)
    per_label = [[[None if v is None else v == name for v in u] for u in units]
                 for name in names]
    for sets in ([units], per_label):
        for seed in (0, 7):
            got = alpha_interval(sets, n_boot=200, seed=seed)
            want = _resampled_alpha_by_definition(sets, 200, seed)
            if coders <= 3:
                assert got == want
            else:
                assert got == pytest.approx(want, abs=1e-12)
    assert alpha_interval([units], n_boot=200, seed=0) != alpha_interval([units], n_boot=200,
                                                                         seed=1)
