"""Test helpers: put items straight into a workspace's store (independent of the
ingest readers), from rows or from a CSV file such as the shared datasets."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from glamlab.store import now


def add_items(ws: Any, rows: Iterable[dict[str, Any]]) -> int:
    """rows: {"id", "text"?, "uri"?, "modality"?, "source_kind"?, "meta"?}."""
    stamp = now()
    values = []
    for r in rows:
        content = (r.get("text") or "") + (r.get("uri") or "") + r["id"]
        values.append({
            "item_id": r["id"], "version": 1, "is_current": True,
            "modality": r.get("modality", ws.card.modality),
            "source_kind": r.get("source_kind", "test"),
            "source": r.get("source", "tests"), "uri": r.get("uri"), "page": None,
            "content_hash": hashlib.sha256(content.encode()).hexdigest(),
            "text": r.get("text"), "width": r.get("width"), "height": r.get("height"),
            "meta": r.get("meta", {}), "ingest_id": None, "created_at": stamp,
        })
    with ws.store.write() as conn:
        conn.execute(ws.store.t.items.insert(), values)
    return len(values)


def add_csv_items(ws: Any, path: Path, *, id_column: str = "id", text_column: str | None = None,
                  image_column: str | None = None, meta_columns: Iterable[str] = (),
                  limit: int | None = None) -> list[dict[str, str]]:
    """Items from a CSV file; returns the rows read."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if limit is not None:
        rows = rows[:limit]
    meta_columns = list(meta_columns)
    items = []
    for r in rows:
        item: dict[str, Any] = {"id": r[id_column],
                                "meta": {c: r[c] for c in meta_columns if c in r}}
        if text_column:
            item["text"] = r[text_column]
        if image_column:
            item["uri"] = str((path.parent / r[image_column]).resolve())
        items.append(item)
    add_items(ws, items)
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def label_twice(ws: Any, folder: Path, n: int = 110) -> tuple[list[str], list[str]]:
    """``n`` text items ``i0``... labelled "yes"/"no" by two people, ann and bob, who
    disagree on one item in twenty (a labelled-twice sample the agreement judges);
    their labels, in item order."""
    from glamlab.tasks import import_labels

    add_items(ws, [{"id": f"i{k}", "text": f"text {k}"} for k in range(n)])
    a = ["yes" if k % 2 else "no" for k in range(n)]
    b = [v if k % 20 else ("no" if v == "yes" else "yes") for k, v in enumerate(a)]
    for who, labels in (("ann", a), ("bob", b)):
        import_labels(ws, write_csv(folder / f"{who}.csv", ["id", "label"],
                                    [[f"i{k}", v] for k, v in enumerate(labels)]),
                      annotator=who)
    return a, b


def language_project(make_ws: Any, name: str = "lang") -> Any:
    """A workspace of the bundled language demo's texts (``kind`` kept as metadata), its
    labels imported and split 70/30 (seed 0)."""
    from glamlab.demo import demo_data
    from glamlab.tasks import import_labels, split_labels

    texts = demo_data("language") / "texts.csv"
    with open(texts, newline="", encoding="utf-8") as fh:
        labels = sorted({r["label"] for r in csv.DictReader(fh)})
    ws = make_ws(name, modality="text", labels=labels)
    add_csv_items(ws, texts, text_column="text", meta_columns=["kind"])
    import_labels(ws, texts)
    split_labels(ws, test_size=0.3, seed=0)
    return ws


def count_encoded(monkeypatch: Any, name: str = "minilm") -> list[str]:
    """The texts the encoder ``name`` embeds from now on, in a list that grows as it
    does: what this process remembered is forgotten first, so only the workspace's
    feature cache can spare a text from being embedded."""
    from glamlab.predictors.text.embed import encoder

    memo = encoder(name)
    memo._memo.clear()
    embedded: list[str] = []
    real = memo._encode

    def counting(texts: list[str], *, query: bool = False) -> Any:
        embedded.extend(texts)
        return real(texts, query=query)

    monkeypatch.setattr(memo, "_encode", counting)
    return embedded
