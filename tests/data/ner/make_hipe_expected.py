"""Make the HIPE-scorer fixture: a perturbed prediction file and the scorer's figures.

Run from this folder with a checkout of hipe-eval/HIPE-scorer (commit c2a5684) on the path:

    PYTHONPATH=/path/to/HIPE-scorer python make_hipe_expected.py

It writes ``newseye-fr-pred.tsv`` (the gold file with NE-COARSE-LIT perturbed by a
seeded random generator: type changes, boundary shifts, drops, spurious spans, stray
``I-`` tags, TIME predictions that the gold never uses) and ``hipe_expected.json`` (the
scorer's strict and fuzzy micro P/R/F1 and document-macro figures, overall and per type,
as ``Evaluator.evaluate(["NE-COARSE-LIT"], "nerc", merge_lines=True)`` gives them).
Nothing of the scorer's code is kept here.
"""

import csv
import json
import random

GOLD = "newseye-fr-gold.tsv"
PRED = "newseye-fr-pred.tsv"
TYPES = ["PER", "LOC", "ORG", "HumanProd", "TIME"]


def perturb(rng: random.Random) -> None:
    with open(GOLD, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    rows = [ln.split("\t") for ln in lines]
    tags = [r[1] if len(r) > 1 and not r[0].startswith("#") and r[0] != "TOKEN" else None
            for r in rows]
    new = list(tags)
    i = 0
    while i < len(tags):
        t = tags[i]
        if t and t.startswith("B-"):
            j = i + 1
            while j < len(tags) and tags[j] and tags[j].startswith("I-"):
                j += 1
            kind = t[2:]
            u = rng.random()
            if u < 0.15:                      # other type
                other = rng.choice([x for x in TYPES if x != kind])
                for k in range(i, j):
                    new[k] = ("B-" if k == i else "I-") + other
            elif u < 0.25 and j - i > 1:      # drop the last token
                new[j - 1] = "O"
            elif u < 0.35 and j < len(tags) and tags[j] == "O":  # one token more
                new[j] = "I-" + kind
            elif u < 0.45:                    # missed
                for k in range(i, j):
                    new[k] = "O"
            elif u < 0.5:                     # starts with I- (read as a start)
                new[i] = "I-" + kind
            i = j
            continue
        if t == "O" and rng.random() < 0.03:  # spurious, sometimes TIME
            new[i] = "B-" + rng.choice(TYPES)
        i += 1
    out = []
    for r, t, ln in zip(rows, new, lines, strict=True):
        if t is None:
            out.append(ln)
        else:
            out.append("\t".join([r[0], t] + r[2:]))
    with open(PRED, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out))


def score() -> dict:
    from hipe_evaluation.ner_eval import Evaluator

    ev = Evaluator(GOLD, PRED)
    overall, per_type = ev.evaluate(["NE-COARSE-LIT"], eval_type="nerc", merge_lines=True)
    keep = ("P_micro", "R_micro", "F1_micro", "P_macro_doc", "R_macro_doc", "F1_macro_doc",
            "TP", "FP", "FN")
    out = {"ALL": {s: {k: overall[s][k] for k in keep} for s in ("strict", "ent_type")}}
    for t, res in sorted(per_type.items()):
        out[t] = {s: {k: res[s][k] for k in keep} for s in ("strict", "ent_type")}
    return out


if __name__ == "__main__":
    perturb(random.Random(21))
    with open("hipe_expected.json", "w") as fh:
        json.dump(score(), fh, indent=1, sort_keys=True)
    print(csv.__name__, "done")
