"""JSON Lines: one item a line, ``{"id", "text", "entities": [{"start", "end", "label"}]}``.

``text`` may be left out when the item is already in the workspace. Each entity may also
give ``text`` (checked against the offsets), ``authority_id``, ``score``, ``layer`` and
``attrs``; ``type`` is read as ``label``. Other keys of the object become the item's
metadata when the import creates the item (``date``, ``document_id``, ``lang``...), as
do the fields of a ``meta`` object (what the export writes; a null one is left out).
This is also what :func:`glamlab.actions.entity_export.write_spans_jsonl` writes, so an
export imports back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...errors import LabelError
from ...files import loads_json
from .model import Span, SpanDoc

FORMAT = "jsonl"
_RESERVED = {"id", "text", "entities", "provenance"}
# Keys other tools give their spans under (spaCy, doccano, Label Studio...): a line with one
# of these and no "entities" is refused, not imported with no spans and the list as metadata.
_OTHER_SPAN_KEYS = ("spans", "ents", "entity", "label", "labels", "annotations", "ner")


def _looks_like_spans(value: Any) -> bool:
    """A non-empty list whose first element is a span: ``{"start", "end"}`` or ``[start, end, label]``."""
    if not isinstance(value, list) or not value:
        return False
    first = value[0]
    if isinstance(first, dict):
        return "start" in first and "end" in first
    return (isinstance(first, list | tuple) and len(first) >= 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in first[:2]))


def sniff(head: str) -> bool:
    return head.lstrip("\ufeff").lstrip().startswith("{")


def read_jsonl(path: str | Path, *,
               problems: list[tuple[int, str]] | None = None) -> Iterator[SpanDoc]:
    p = Path(path)
    problems = problems if problems is not None else []
    try:
        fh = open(p, encoding="utf-8-sig")
    except OSError as exc:
        raise LabelError(f"cannot read {p}: {exc.strerror}", hint="check the path") from exc
    with fh:
        read = 0
        try:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                read += 1
                try:
                    obj: Any = loads_json(line)
                except json.JSONDecodeError as exc:
                    problems.append((n, f"not valid JSON ({exc.msg} at column {exc.colno})"))
                    continue
                except ValueError as exc:
                    problems.append((n, f"not valid JSON: {exc}"))
                    continue
                if not isinstance(obj, dict):
                    problems.append((n, "not a JSON object"))
                    continue
                item_id = obj.get("id")
                if not isinstance(item_id, str | int) or isinstance(item_id, bool) or \
                        not str(item_id).strip():
                    problems.append((n, "no \"id\""))
                    continue
                item_id = str(item_id).strip()
                text = obj.get("text")
                if text is not None and not isinstance(text, str):
                    problems.append((n, f"{item_id}: \"text\" must be a string"))
                    continue
                if "entities" not in obj:
                    other = next((k for k in _OTHER_SPAN_KEYS if _looks_like_spans(obj.get(k))),
                                 None)
                    if other is not None:
                        problems.append((n, f"{item_id}: the spans are under \"{other}\", and "
                                            "glamlab reads them from \"entities\": rename the "
                                            f"key \"{other}\" to \"entities\", each span "
                                            "{\"start\", \"end\", \"label\"}"))
                        continue
                entities = obj.get("entities", [])
                if not isinstance(entities, list):
                    problems.append((n, f"{item_id}: \"entities\" must be a list"))
                    continue
                spans: list[Span] = []
                bad = False
                for e in entities:
                    try:
                        spans.append(Span.from_dict(e))
                    except ValueError as exc:
                        problems.append((n, f"{item_id}: {exc}"))
                        bad = True
                if bad:
                    continue
                meta = {k: v for k, v in obj.items() if k not in _RESERVED}
                if isinstance(meta.get("meta"), dict):  # the export's "meta" object
                    given = meta.pop("meta")
                    meta = {**{str(k): v for k, v in given.items() if v is not None}, **meta}
                yield SpanDoc(item_id=item_id, text=text, spans=spans, line=n,
                              span_lines=[n] * len(spans), meta=meta)
        except UnicodeDecodeError as exc:
            raise LabelError(f"{p.name} is not UTF-8 text",
                             hint="save it as UTF-8 and import it again") from exc
        if not read:
            problems.append((0, "no items: the file is empty (JSON Lines gives one item a "
                                "line, {\"id\": ..., \"text\": ..., \"entities\": [...]}); "
                                "give the complete file"))


__all__ = ["FORMAT", "read_jsonl", "sniff"]
