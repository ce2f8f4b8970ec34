"""Subject indexing of catalogue records: glamlab's text predictors against Annif.

    python benchmarks/subjects_vs_annif.py                  # ../shared/data/subject_indexing/dev
    python benchmarks/subjects_vs_annif.py --train DIR --test DIR
    python benchmarks/subjects_vs_annif.py --splits 5     # medians over 5 artist splits

With one folder, records are split by artist (``--test-size`` of the artists to test,
seed ``--seed``), so no artist is on both sides. Everything is trained on the training
part only; Annif's ``limit``/``threshold`` are chosen by ``annif optimize`` on a held-out
fold of the training part (by artist), then each backend is retrained on the whole training
part and scored with ``annif eval`` on the test part. glamlab's per-label thresholds are
tuned by cross-validation inside the training part.

Both get the same text per record: the title, plus the ``--fields`` (default medium,
classification, date_text); glamlab reads the fields as metadata features, Annif as text
appended to the title. glamlab's text models also read WordNet concepts of the title's
nouns when WordNet is installed (``make wordnet``; ``GLAMLAB_WORDNET=off`` to compare without); the JSON says
which (``setup.wordnet_concepts``). Metric: samples-averaged F1, i.e. Annif's "F1 score (doc avg)",
computed the same way for every system from its predicted label sets.

Annif runs in its own virtual environment, ``.bench/annif-venv`` (created here with
``pip install annif[omikuji,fasttext]`` unless ``--annif-venv`` points at one, or
``--no-annif``); it is never a glamlab dependency. Annif's word tokeniser needs NLTK's
``punkt_tab`` data, which cannot be downloaded here: the script writes an *empty* Punkt
parameter set (no abbreviation list) into the benchmark's NLTK data folder. Words are still
split by NLTK's Treebank tokeniser; only sentence splitting loses its abbreviation list,
which matters little for titles. This is reported in the JSON.

Prints one JSON document: ``glamlab`` (the best glamlab configuration, chosen on the
training part's cross-validation, not on test), every glamlab configuration, each Annif
backend (``annif_tfidf``...) with its optimised limit/threshold, its ``annif eval`` figures
and our recomputed ``samples_f1``, ``annif_best`` (the backend with the best F1 on the
held-out training fold ``annif optimize`` used: chosen without the test records, like
glamlab's entry; ``annif_best_in_hindsight`` is the best on test, for reference), embedding throughput (texts/s, median of
``--repeats``) and peak memory (max RSS of this process, and of each Annif command,
per command name, measured in the Annif process itself).

One 70/30 split moves glamlab by about a point and Annif's best by up to five from seed to
seed, so ``--splits N`` runs N artist splits (seeds ``--seed`` to ``--seed``+N-1) and
reports each system's median samples F1, the median margin, and every split's figures.

Annif's fastText backend can stop with "Encountered NaN" on a small corpus (seen here at
learning rates 0.25 down to 0.05, on some runs and not others); it is then retrained at the
next lower rate (0.1, 0.05, 0.025, 0.01), and the rate used is reported.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import dev_flag, shared_data  # noqa: E402

from glamlab.items import Item  # noqa: E402
from glamlab.predictors.text.ensemble import EnsembleClassifier  # noqa: E402
from glamlab.predictors.text.heads import TextClassifier  # noqa: E402

DEFAULT = shared_data() / "subject_indexing" / "dev"
BENCH = ROOT / ".bench"
BACKENDS = ("tfidf", "omikuji", "fasttext", "ensemble")
CONFIGS = {  # name -> TextClassifier parameters
    "tfidf": {"encoder": None, "tfidf": True},
    "minilm": {"encoder": "minilm", "tfidf": False},
    "e5": {"encoder": "e5", "tfidf": False},
    "tfidf+e5": {"encoder": "e5", "tfidf": True},
    # text-ensemble: heads + kNN label propagation, per-record cut tuned on out-of-fold
    # scores with records of one artist kept in one fold
    "ensemble": {"predictor": "text-ensemble", "heads": ("minilm", "e5"),
                 "knn": ("minilm", "e5"), "group_field": "artist"},
    "ensemble+tfidf": {"predictor": "text-ensemble", "heads": ("tfidf", "minilm", "e5"),
                       "knn": ("minilm", "e5"), "group_field": "artist"},
}


def make(params: dict[str, object], fields: tuple[str, ...], seed: int) -> TextClassifier | EnsembleClassifier:
    p = {k: v for k, v in params.items() if k != "predictor"}
    if params.get("predictor") == "text-ensemble":
        return EnsembleClassifier(fields=fields, seed=seed, **p)  # type: ignore[arg-type]
    return TextClassifier(fields=fields, seed=seed, **p)  # type: ignore[arg-type]


def load(folder: Path) -> list[dict[str, str]]:
    with open(folder / "labels.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def split_by_artist(rows: list[dict[str, str]], test_size: float, seed: int
                    ) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    artists = sorted({r["artist"] for r in rows})
    rng = np.random.default_rng(seed)
    rng.shuffle(artists)
    test_artists = set(artists[: int(round(test_size * len(artists)))])
    return ([r for r in rows if r["artist"] not in test_artists],
            [r for r in rows if r["artist"] in test_artists])


def labels_of(r: dict[str, str]) -> list[str]:
    return [x for x in r["label"].split("|") if x]


# Columns that hold the answer (the labels, and the finer subject levels they are cut
# from): never metadata, so that no ``--fields`` choice can leak them into the features.
ANSWER_COLUMNS = ("label", "path_or_text")  # plus every subjects_* column


def items_of(rows: list[dict[str, str]]) -> list[Item]:
    return [Item(item_id=r["id"], modality="text", text=r["path_or_text"],
                 meta={k: v for k, v in r.items()
                       if k not in ANSWER_COLUMNS and not k.startswith("subjects")})
            for r in rows]


def samples_f1(gold: list[list[str]], pred: list[list[str]]) -> float:
    scores = []
    for g, p in zip(gold, pred, strict=True):
        gs, ps = set(g), set(p)
        denom = len(gs) + len(ps)
        scores.append(2 * len(gs & ps) / denom if denom else 1.0)
    return round(float(np.mean(scores)), 4)


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


# -- glamlab -------------------------------------------------------------------------------


def run_glamlab(train: list[dict[str, str]], test: list[dict[str, str]], classes: list[str],
                fields: tuple[str, ...], seed: int) -> dict[str, object]:
    out: dict[str, object] = {}
    tr_items, te_items = items_of(train), items_of(test)
    ytr = [labels_of(r) for r in train]
    gold = [labels_of(r) for r in test]
    # choose the configuration on the training part only (artist-grouped inner split)
    inner_tr, inner_va = split_by_artist(train, 0.25, seed + 1)
    for name, params in CONFIGS.items():
        t0 = time.perf_counter()
        inner = make(params, fields, seed).fit(
            items_of(inner_tr), [labels_of(r) for r in inner_tr], classes=classes,
            multi_label=True)
        inner_f1 = samples_f1([labels_of(r) for r in inner_va], inner.predict(items_of(inner_va)))
        model = make(params, fields, seed).fit(
            tr_items, ytr, classes=classes, multi_label=True)
        pred = model.predict(te_items)
        out[f"glamlab_{name}"] = {"samples_f1": samples_f1(gold, pred),
                                  "inner_validation_f1": inner_f1,
                                  "seconds": round(time.perf_counter() - t0, 1),
                                  "params": {**params, "fields": list(fields)}}
    best = max(CONFIGS, key=lambda n: out[f"glamlab_{n}"]["inner_validation_f1"])  # type: ignore[index]
    out["glamlab"] = {**out[f"glamlab_{best}"], "config": best,  # type: ignore[dict-item]
                      "chosen_by": "inner validation F1 on the training part"}
    return out


def embedding_throughput(texts: list[str], repeats: int) -> dict[str, object]:
    from glamlab.predictors.text.embed import E5Encoder, MiniLMEncoder

    res: dict[str, object] = {}
    for name, cls in (("minilm", MiniLMEncoder), ("e5", E5Encoder)):
        enc = cls()  # not the memoised one: every pass really encodes
        enc.encode(texts[:16])
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            enc.encode(texts)
            times.append(time.perf_counter() - t0)
        res[name] = {"texts_per_s": round(len(texts) / statistics.median(times), 1),
                     "n_texts": len(texts), "mean_chars": round(float(np.mean([len(t) for t in texts])), 1)}
    res["peak_rss_mb_process"] = peak_rss_mb()
    return res


# -- Annif -----------------------------------------------------------------------------------


def annif_env(venv: Path, work: Path) -> dict[str, str]:
    nltk_dir = work / "nltk_data"
    punkt = nltk_dir / "tokenizers" / "punkt_tab" / "english"
    punkt.mkdir(parents=True, exist_ok=True)
    for f in ("collocations.tab", "sent_starters.txt", "abbrev_types.txt", "ortho_context.tab"):
        (punkt / f).touch()
    env = dict(os.environ, NLTK_DATA=str(nltk_dir), ANNIF_PROJECTS=str(work / "projects.cfg"),
               PATH=f"{venv / 'bin'}:{os.environ.get('PATH', '')}", TF_CPP_MIN_LOG_LEVEL="3",
               ANNIF_WORK=str(work))
    env.pop("PYTHONPATH", None)
    return env


def ensure_annif(venv: Path) -> str | None:
    if (venv / "bin" / "annif").exists():
        return None
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "annif[omikuji,fasttext]"],
                       check=True, capture_output=True, timeout=1800)
    except (subprocess.SubprocessError, OSError) as exc:
        return f"Annif could not be installed: {exc}"
    return None


def annif_text(r: dict[str, str], fields: tuple[str, ...]) -> str:
    parts = [r["path_or_text"]] + [r.get(f, "") for f in fields if r.get(f)]
    return re.sub(r"\s+", " ", " ; ".join(parts)).strip()


def write_corpus(path: Path, rows: list[dict[str, str]], uri: dict[str, str],
                 fields: tuple[str, ...]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(annif_text(r, fields) + "\t" + " ".join(f"<{uri[x]}>" for x in labels_of(r)) + "\n")


# Peak memory of the Annif commands. RUSAGE_CHILDREN of this process would be wrong: a child
# forked from this process counts this process's resident pages until it execs, so it reports
# glamlab's own peak. Each command therefore runs under a tiny Python wrapper that reports
# its own child's max RSS (the wrapper's pre-exec pages are a few MB).
_WRAP = ("import resource, subprocess, sys\n"
         "r = subprocess.run(sys.argv[1:])\n"
         "sys.stderr.write('\\nGLAMLAB_MAXRSS_KB %d\\n' % "
         "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
         "sys.exit(r.returncode)\n")
ANNIF_PEAK_KB: dict[str, int] = {}


def sh(cmd: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    """Run an Annif command in the work folder (Annif keeps its models under ./data)."""
    p = subprocess.run([sys.executable, "-c", _WRAP, *cmd], env=env, capture_output=True,
                       text=True, input=stdin, timeout=3600, cwd=env["ANNIF_WORK"])
    m = re.search(r"GLAMLAB_MAXRSS_KB (\d+)", p.stderr)
    if m and len(cmd) > 1:
        ANNIF_PEAK_KB[cmd[1]] = max(ANNIF_PEAK_KB.get(cmd[1], 0), int(m.group(1)))
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}: {p.stderr.strip()[-800:]}")
    return p.stdout


def parse_metrics(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(.+?):\s+([-+0-9.eE]+)\s*$", line.strip())
        if m:
            out[m.group(1).strip()] = float(m.group(2))
    return out


# fastText's learning rate: 0.25 first (as in Annif's examples). On this small corpus
# fastText stops with "Encountered NaN" on some runs and not others at one rate (its
# training threads race); fastText is then retrained at the next lower rate (fastText's
# own default is 0.1), so that Annif keeps a working fastText and ensemble instead of
# losing them. The rate each backend ran with, and every rate that failed, are reported.
FASTTEXT_LRS = (0.25, 0.1, 0.05, 0.025, 0.01)


def write_projects(work: Path, fasttext_lr: float) -> None:
    common = "language=en\nvocab=tate\nanalyzer=snowball(english)\n"
    cfg = [f"[tfidf]\nname=tfidf\nbackend=tfidf\nlimit=100\n{common}",
           f"[omikuji]\nname=omikuji\nbackend=omikuji\n{common}",
           f"[fasttext]\nname=fasttext\nbackend=fasttext\ndim=100\nlr={fasttext_lr}\nepoch=20\n"
           f"loss=hs\nlimit=100\nchunksize=24\nminCount=1\n{common}",
           f"[ensemble]\nname=ensemble\nbackend=ensemble\nsources=tfidf,omikuji,fasttext\n"
           f"limit=100\n{common}"]
    (work / "projects.cfg").write_text("\n".join(cfg), encoding="utf-8")


def run_annif(venv: Path, train: list[dict[str, str]], test: list[dict[str, str]],
              classes: list[str], fields: tuple[str, ...], seed: int) -> dict[str, object]:
    work = BENCH / "annif-work"
    work.mkdir(parents=True, exist_ok=True)
    env = annif_env(venv, work)
    annif = str(venv / "bin" / "annif")
    uri = {c: f"http://example.org/tate/{i}" for i, c in enumerate(classes)}
    by_uri = {v: k for k, v in uri.items()}
    (work / "vocab.tsv").write_text("".join(f"<{uri[c]}>\t{c}\n" for c in classes), encoding="utf-8")
    fit_rows, val_rows = split_by_artist(train, 0.25, seed + 1)
    write_corpus(work / "train_all.tsv", train, uri, fields)
    write_corpus(work / "train_fit.tsv", fit_rows, uri, fields)
    write_corpus(work / "train_val.tsv", val_rows, uri, fields)
    write_corpus(work / "test.tsv", test, uri, fields)
    lrs = list(FASTTEXT_LRS)
    write_projects(work, lrs[0])
    version = sh([annif, "--version"], env).strip()
    sh([annif, "load-vocab", "--language", "en", "tate", str(work / "vocab.tsv")], env)
    results: dict[str, object] = {"annif_version": version}
    for backend in BACKENDS:
        while True:
            try:
                results[f"annif_{backend}"] = {
                    **_annif_backend(annif, env, work, backend, test, fields, by_uri),
                    **({"fasttext_lr": lrs[0]} if backend in ("fasttext", "ensemble") else {})}
                break
            except (RuntimeError, subprocess.SubprocessError, StopIteration) as exc:
                lines = str(exc).strip().splitlines() or ["?"]
                last = next((ln for ln in reversed(lines) if "Error" in ln), lines[-1])
                if "NaN" in str(exc) and backend in ("fasttext", "ensemble") and len(lrs) > 1:
                    results.setdefault("fasttext_nan_at_lr", []).append(lrs.pop(0))  # type: ignore[attr-defined]
                    write_projects(work, lrs[0])
                    continue
                # one backend failing does not stop the others; it is reported, and
                # annif_best is chosen among those that ran
                results[f"annif_{backend}"] = {"status": f"failed: {last[:300]}"}
                break
    results["peak_rss_mb_annif"] = {k: round(v / 1024, 1) for k, v in ANNIF_PEAK_KB.items()}
    return results


def _annif_backend(annif: str, env: dict[str, str], work: Path, backend: str,
                   test: list[dict[str, str]], fields: tuple[str, ...],
                   by_uri: dict[str, str]) -> dict[str, object]:
    """Train one backend on the fitting fold, ``annif optimize`` its limit/threshold on the
    held-out training fold, retrain on the whole training part, and score the test part."""
    members = BACKENDS[:3] if backend == "ensemble" else (backend,)
    for b in members:
        sh([annif, "train", b, str(work / "train_fit.tsv")], env)
    opt = sh([annif, "optimize", backend, str(work / "train_val.tsv")], env)
    best = {}
    for line in opt.splitlines():
        m = re.match(r"Best\s+(.+?):\s+([0-9.]+)\s+Limit:\s+(\d+)\s+Threshold:\s+([0-9.]+)",
                     line.strip())
        if m:
            best[m.group(1).strip()] = (float(m.group(2)), int(m.group(3)), float(m.group(4)))
    key = next(k for k in best if "doc avg" in k and k.startswith("F1"))
    _, limit, threshold = best[key]
    for b in members:
        sh([annif, "train", b, str(work / "train_all.tsv")], env)
    ev = parse_metrics(sh([annif, "eval", backend, "--limit", str(limit), "--threshold",
                           str(threshold), str(work / "test.tsv")], env))
    # our own samples-F1 from Annif's suggestions (the metric glamlab is scored with):
    # `annif index` writes DOC.annif beside each DOC.txt
    docs = work / f"test_docs_{backend}"
    docs.mkdir(exist_ok=True)
    for i, r in enumerate(test):
        (docs / f"{i:06d}.txt").write_text(annif_text(r, fields), encoding="utf-8")
        (docs / f"{i:06d}.annif").unlink(missing_ok=True)
    sh([annif, "index", backend, "--limit", str(limit), "--threshold", str(threshold),
        str(docs)], env)
    pred = [_read_index(docs / f"{i:06d}.annif", by_uri) for i in range(len(test))]
    gold = [labels_of(r) for r in test]
    return {"limit": limit, "threshold": threshold,
            "optimize_f1_doc_avg_on_training_fold": best[key][0],
            "annif_eval": ev, "samples_f1": samples_f1(gold, pred)}


def _read_index(path: Path, by_uri: dict[str, str]) -> list[str]:
    """Labels from one ``annif index`` output file (``<uri>\tlabel\tscore`` lines)."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"<([^>]+)>", line.strip())
        if m and m.group(1) in by_uri:
            found.append(by_uri[m.group(1)])
    return found


def one_split(train: list[dict[str, str]], test: list[dict[str, str]], setup: dict[str, object],
              args: argparse.Namespace, throughput: bool = True) -> dict[str, object]:
    """Every system on one train/test pair: the JSON document for that pair."""
    fields = tuple(f for f in args.fields.split(",") if f)
    classes = sorted({x for r in train + test for x in labels_of(r)})
    from glamlab.predictors.text import wordnet as _wordnet

    wn = _wordnet.resolve(None)  # glamlab's text models use it when installed (not Annif)
    result: dict[str, object] = {"setup": {**setup, "n_train": len(train), "n_test": len(test),
                                           "labels": len(classes), "fields": list(fields),
                                           "wordnet_concepts": wn.version if wn else None,
                                           "metric": "samples-averaged F1 (Annif: F1 score (doc avg))"}}
    seed = int(setup.get("seed", args.seed))  # type: ignore[call-overload]
    result.update(run_glamlab(train, test, classes, fields, seed))
    if throughput:
        result["embedding_throughput"] = embedding_throughput([r["path_or_text"] for r in test],
                                                              args.repeats)
    if args.no_annif:
        result["annif_best"] = {"status": "skipped (--no-annif)"}
        return result
    problem = ensure_annif(args.annif_venv)
    if problem:
        result["annif_best"] = {"status": problem}
        return result
    try:
        annif = run_annif(args.annif_venv, train, test, classes, fields, seed)
    except (RuntimeError, subprocess.SubprocessError, StopIteration) as exc:
        annif = {"error": str(exc)}
    result.update(annif)
    scored = [b for b in BACKENDS if isinstance(annif.get(f"annif_{b}"), dict)
              and "annif_eval" in annif[f"annif_{b}"]]  # type: ignore[operator]
    if scored:
        def f1(b: str) -> float:
            return float(annif[f"annif_{b}"]["annif_eval"].get("F1 score (doc avg)", 0.0))  # type: ignore[index]

        def on_fold(b: str) -> float:  # what annif optimize saw: the held-out training fold
            return float(annif[f"annif_{b}"].get("optimize_f1_doc_avg_on_training_fold", 0.0))  # type: ignore[union-attr]
        # Annif's best backend is chosen like glamlab's entry: on the training part (the
        # held-out training fold), never on the test records
        b = max(scored, key=on_fold)
        result["annif_best"] = {"backend": b, "samples_f1": f1(b),
                                "chosen_on": "held-out fold of the training part"}
        hind = max(scored, key=f1)
        result["annif_best_in_hindsight"] = {
            "backend": hind, "samples_f1": f1(hind),
            "chosen_on": "the test records (in-sample, for reference only)"}
        g = result["glamlab"]["samples_f1"]  # type: ignore[index]
        result["summary"] = {"glamlab_minus_annif_best_points": round(100 * (g - f1(b)), 2)}
    return result


def several_splits(rows: list[dict[str, str]], args: argparse.Namespace) -> dict[str, object]:
    """``--splits N``: N artist splits (seeds ``--seed`` .. ``--seed``+N-1), each run as one
    split would be; the top-level figures are medians over the splits, and ``per_split``
    keeps each split's own (so one lucky or unlucky split cannot decide the verdict)."""
    runs = []
    for i in range(args.splits):
        seed = args.seed + i
        train, test = split_by_artist(rows, args.test_size, seed)
        setup = {"data": str(args.data), "split": "by artist", "test_size": args.test_size,
                 "seed": seed}
        runs.append(one_split(train, test, setup, args, throughput=i == 0))
        print(json.dumps({"split_seed": seed, "glamlab": runs[-1]["glamlab"]["samples_f1"],  # type: ignore[index]
                          "annif_best": runs[-1].get("annif_best"),
                          "summary": runs[-1].get("summary")}), file=sys.stderr, flush=True)

    def med(values: list[float]) -> float:
        return round(float(statistics.median(values)), 4)

    out: dict[str, object] = {"setup": {**runs[0]["setup"], "seed": None,  # type: ignore[dict-item]
                                        "split_seeds": [args.seed + i for i in range(args.splits)],
                                        "aggregate": "median over the splits"}}
    systems = [k for k in runs[0] if k.startswith("glamlab") or k.startswith("annif_")]
    for key in systems:
        vals = [r[key]["samples_f1"] for r in runs  # type: ignore[index]
                if isinstance(r.get(key), dict) and "samples_f1" in r[key]]  # type: ignore[operator]
        if vals:
            out[key] = {"samples_f1": med(vals), "per_split": vals}
    best = [r["annif_best"] for r in runs if "samples_f1" in r.get("annif_best", {})]  # type: ignore[operator]
    if best:
        out["annif_best"] = {"samples_f1": med([b["samples_f1"] for b in best]),  # type: ignore[index]
                             "backend": [b["backend"] for b in best],  # type: ignore[index]
                             "per_split": [b["samples_f1"] for b in best]}  # type: ignore[index]
    margins = [r["summary"]["glamlab_minus_annif_best_points"] for r in runs if "summary" in r]  # type: ignore[index]
    if margins:
        out["summary"] = {"glamlab_minus_annif_best_points": med(margins),
                          "per_split": margins, "min": min(margins), "max": max(margins),
                          "splits_at_or_above_5_points": sum(m >= 5 for m in margins)}
    out["embedding_throughput"] = runs[0].get("embedding_throughput")
    out["per_split"] = runs
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", type=Path)
    ap.add_argument("--test", type=Path)
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--test-size", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--splits", type=int, default=1,
                    help="with one folder: run this many artist splits and report medians")
    ap.add_argument("--fields", default="medium,classification,date_text")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--annif-venv", type=Path, default=BENCH / "annif-venv")
    ap.add_argument("--no-annif", action="store_true")
    args = ap.parse_args()
    args.annif_venv = args.annif_venv.resolve()  # Annif runs in its own working folder

    if args.train and args.test:
        result = one_split(load(args.train), load(args.test),
                           {"train": str(args.train), "test": str(args.test)}, args)
    elif args.splits > 1:
        result = several_splits(load(args.data), args)
    else:
        train, test = split_by_artist(load(args.data), args.test_size, args.seed)
        result = one_split(train, test, {"data": str(args.data), "split": "by artist",
                                         "test_size": args.test_size, "seed": args.seed}, args)
    result = {**dev_flag(args.test), **result}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
