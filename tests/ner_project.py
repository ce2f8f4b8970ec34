"""A small entities project shared by tests: the NewsEye sample imported as gold (every
text complete) and split by document, a gazetteer trained on it, then ``new`` texts
nobody labelled (train sentences' words, so the gazetteer finds their entities again)
ingested, every type sent to review by the card's policy, and the gazetteer run over
all of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "ner"
LABELS = ["PER", "LOC", "ORG", "PROD", "TIME"]


def gold_and_gazetteer(make_ws: Any, name: str = "ner", task: str = "ner") -> Any:
    """A workspace ``name`` for the entities task ``task``: the NewsEye sample imported as
    gold (every text complete) and split by document, and a gazetteer trained on it."""
    from glamlab.registry.training import train
    from glamlab.tasks import split_labels
    from glamlab.tasks.spans import import_spans

    ws = make_ws(name, task=task, kind="entities", modality="text", labels=LABELS,
                 metric="strict_micro_f1")
    import_spans(ws, DATA / "newseye-fr-gold.tsv")
    split_labels(ws, test_size=0.3, seed=0, group_by="document_id")
    train(ws, "gazetteer", name="gazetteer")
    return ws


def ingest_new_texts(ws: Any, tmp_path: Path, new: int, *, stem: str = "new",
                     entities: int = 3) -> set[str]:
    """``new`` texts nobody labelled, ``{stem}0``, ``{stem}1``, ... (written to the folder
    ``stem`` of ``tmp_path``), ingested: "Nouvelle lettre. " and the words of a train
    sentence with ``entities`` gold entities or more, so the gazetteer finds them again.
    Returns the ids of the gold texts."""
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of

    gold = gold_spans(ws)
    train_ids = sorted(i for i, s in split_of(ws).items() if s == "train")
    folder = tmp_path / stem
    folder.mkdir()
    for n, item_id in enumerate([i for i in train_ids if len(gold[i]) >= entities][:new]):
        (folder / f"{stem}{n}.txt").write_text("Nouvelle lettre. " + (ws.item(item_id).text or ""),
                                               encoding="utf-8")
    assert ws.ingest([folder]).added == new
    return set(gold)


def gold_and_new_texts(make_ws: Any, tmp_path: Path, new: int) -> tuple[Any, set[str]]:
    """The project above, opened again after its card was edited; returns the workspace
    and the ids of the gold texts (the new ones are ``new0``, ``new1``, ...)."""
    ws = gold_and_gazetteer(make_ws)
    gold = ingest_new_texts(ws, tmp_path, new)
    return policy_and_run(ws, "review"), gold


def policy_and_run(ws: Any, action: str) -> Any:
    """``ws`` opened again after its card's policy was set to ``action`` for every type,
    with the gazetteer run over all its texts."""
    from glamlab import Workspace
    from glamlab.inference.runner import run

    card = ws.root / "glamlab.toml"
    card.write_text(card.read_text(encoding="utf-8") + f'\n[policy]\ndefault_action = "{action}"\n'
                    + "".join(f'\n[policy.labels.{t}]\naction = "{action}"\n' for t in LABELS),
                    encoding="utf-8")
    db = ws.store.url if not ws.store.is_sqlite else None
    root = ws.root
    ws.close()
    ws = Workspace.open(root, db=db)
    run(ws, "gazetteer@1", workers=0, handle_signals=False)
    return ws


def queued_by_new_text(ws: Any, least: int) -> dict[str, list[dict[str, Any]]]:
    """The new texts' queued rows (leased by ana), by text, in the queue's order, for
    the texts with ``least`` rows or more (two texts at least)."""
    from glamlab.review import lease_queue

    by_item: dict[str, list[dict[str, Any]]] = {}
    for r in lease_queue(ws, "ana", limit=500):
        if r["item_id"].startswith("new"):
            by_item.setdefault(r["item_id"], []).append(r)
    several = {i: rows for i, rows in by_item.items() if len(rows) >= least}
    assert len(several) >= 2, by_item
    return several
