"""IIIF exports: one annotation document per manifest, in the manifest's own version.

* Presentation 3 (items from v3 manifests): an ``AnnotationPage`` with the official
  context only; each ``classifying`` annotation targets a ``SpecificResource`` whose
  source is the canvas, ``partOf`` its manifest, with a ``FragmentSelector`` when the item
  is a region. It passes the IIIF presentation validator's v3 JSON schema and loads in
  ``iiif-prezi3``.
* Presentation 2 (items from v2 manifests): an ``sc:AnnotationList`` whose
  ``oa:Annotation``s are ``on`` an ``oa:SpecificResource`` with ``full`` = the canvas and
  ``within`` = the manifest.

glamlab's own fields ride where both validators keep them: the model is the W3C
``generator`` (v2: ``oa:annotatedBy``, a ``prov:SoftwareAgent``), the time ``created``
(v2: ``oa:annotatedAt``), the person who confirmed it the ``creator`` (v2: a second
``oa:annotatedBy``, a ``foaf:Person``), and the score, policy action, field, run and
decision a second ``TextualBody`` with purpose ``describing`` (v2: a second
``dctypes:Text``) whose value is a small JSON object. Each page's ``@context`` is the
IIIF context alone: nothing in it needs an extension context (v2's OA terms are written
with the ``oa:`` prefix that the Presentation 2 context defines). The item metadata fields asked for
(``--meta``) are the target canvas's ``metadata`` label/value pairs (v2: the ``on``
resource's, whose ``full`` stays the canvas id).

Each document is its own file ``{manifest slug}-{hash}.json`` in the output folder; its
``id`` is the configured base URL (``[export] base_url``) plus that name, so the files can
be published as they are under that URL. Files are written as the rows stream in (a
bounded number open at a time), never held whole in memory.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..files import open_private, private_dir
from ..store.jsontext import encoder

if TYPE_CHECKING:
    from ..items import Item

PRESENTATION_3 = "http://iiif.io/api/presentation/3/context.json"
PRESENTATION_2 = "http://iiif.io/api/presentation/2/context.json"
PROV_SOFTWARE_AGENT = "http://www.w3.org/ns/prov#SoftwareAgent"
MAX_OPEN = 64
_XYWH_RE = re.compile(r"^\d+,\d+,\d+,\d+$")
#: an annotation as a page writes it: strict JSON, a NaN or infinity as null
json_text = encoder(ensure_ascii=False)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._~-]+", "-", text).strip("-") or "x"


def page_name(manifest: str) -> str:
    """A file name for a manifest's annotations: readable, unique, at most ~80 chars."""
    tail = re.sub(r"(manifest)?(\.json|\.jsonld)?$", "", manifest.rstrip("/"))
    tail = "-".join(p for p in tail.split("/")[-2:] if p and ":" not in p) or "manifest"
    digest = hashlib.sha256(manifest.encode()).hexdigest()[:10]
    return f"{_slug(tail)[:60]}-{digest}.json"


def provenance_text(row: dict[str, Any]) -> str:
    return json.dumps({k: row[k] for k in ("field", "confidence", "action", "decision",
                                            "confirmed_from", "model", "model_version",
                                            "run_id")
                       if row.get(k) is not None}, ensure_ascii=False)


def _fragment(region: str | None) -> dict[str, Any] | None:
    if not region:
        return None
    return {"type": "FragmentSelector", "conformsTo": "http://www.w3.org/TR/media-frags/",
            "value": f"xywh={region}"}


Metadata = list[tuple[str, list[str]]]


def metadata_v3(pairs: Metadata) -> list[dict[str, Any]]:
    """Item metadata as IIIF Presentation 3 ``metadata``: label/value pairs, each a
    language map (``none``: the values are not in one language)."""
    return [{"label": {"none": [label]}, "value": {"none": values}} for label, values in pairs]


def metadata_v2(pairs: Metadata) -> list[dict[str, Any]]:
    """Item metadata as IIIF Presentation 2 ``metadata``: ``{"label", "value"}`` pairs
    (``value`` a list where a field has several)."""
    return [{"label": label, "value": values[0] if len(values) == 1 else values}
            for label, values in pairs]


def annotation_v3(row: dict[str, Any], canvas: str, manifest: str | None,
                  region: str | None, anno_id: str,
                  metadata: Metadata | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"id": canvas, "type": "Canvas"}
    if metadata:  # the item's description, on the canvas it is
        source["metadata"] = metadata_v3(metadata)
    if manifest:
        source["partOf"] = [{"id": manifest, "type": "Manifest"}]
    target: dict[str, Any] = {"type": "SpecificResource", "source": source}
    selector = _fragment(region)
    if selector:
        target["selector"] = selector
    anno: dict[str, Any] = {
        "id": anno_id,
        "type": "Annotation",
        "motivation": "classifying",
        "created": row["created"],
        # (none for a person's label, origin person: its creator is the person)
        **({"generator": row["generator"]} if row.get("generator") else {}),
        "body": [
            {"type": "TextualBody", "value": row["value"], "format": "text/plain",
             "purpose": "classifying"},
            {"type": "TextualBody", "value": provenance_text(row), "format": "application/json",
             "purpose": "describing"},
        ],
        "target": target,
    }
    if row.get("confirmed_by"):
        anno["creator"] = {"type": "Person", "name": row["confirmed_by"]}
    return anno


def annotation_v2(row: dict[str, Any], canvas: str, manifest: str | None,
                  region: str | None, anno_id: str,
                  metadata: Metadata | None = None) -> dict[str, Any]:
    on: dict[str, Any] = {"@type": "oa:SpecificResource", "full": canvas}
    if manifest:
        on["within"] = {"@id": manifest, "@type": "sc:Manifest"}
    if region:
        on["selector"] = {"@type": "oa:FragmentSelector", "value": f"xywh={region}"}
    if metadata:  # the item's description, on the part of the canvas it is (``full``
        # stays the canvas's id, which viewers match annotations on)
        on["metadata"] = metadata_v2(metadata)
    gen = row.get("generator")  # (none for a person's label, origin person)
    # who made it: the model (and the person who confirmed it) as OA's ``annotatedBy``,
    # when as ``annotatedAt``; written as ``oa:`` terms, since the Presentation 2 context
    # defines the ``oa`` prefix but not these terms (nor a ``prov`` prefix)
    agents: list[dict[str, Any]] = ([{"@id": gen["id"], "@type": PROV_SOFTWARE_AGENT,
                                      "label": gen["name"]}] if gen else [])
    if row.get("confirmed_by"):
        agents.append({"@type": "foaf:Person", "label": row["confirmed_by"]})
    anno: dict[str, Any] = {
        "@id": anno_id,
        "@type": "oa:Annotation",
        "motivation": "oa:classifying",
        "resource": [
            {"@type": "dctypes:Text", "chars": row["value"], "format": "text/plain"},
            {"@type": "dctypes:Text", "chars": provenance_text(row),
             "format": "application/json"},
        ],
        "on": on,
        "oa:annotatedBy": agents[0] if len(agents) == 1 else agents,
        "oa:annotatedAt": row["created"],
    }
    return anno


class PageWriter:
    """One annotation document per manifest, written as annotations arrive, with at most
    ``MAX_OPEN`` files open (the others are closed and reopened to append)."""

    def __init__(self, folder: Path, base: str, label: str):
        self.folder = folder
        self.base = base
        self.label = label
        self.pages: dict[str, dict[str, Any]] = {}  # manifest -> {name, version, n}
        self.open: OrderedDict[str, IO[str]] = OrderedDict()

    def _handle(self, key: str) -> IO[str]:
        fh = self.open.get(key)
        if fh is not None:
            self.open.move_to_end(key)
            return fh
        if len(self.open) >= MAX_OPEN:
            _, old = self.open.popitem(last=False)
            old.close()
        fh = open_private(self.folder / self.pages[key]["name"], "a", encoding="utf-8")
        self.open[key] = fh
        return fh

    def add(self, manifest: str | None, version: int, make: Any) -> None:
        key = manifest or ""
        page = self.pages.get(key)
        if page is None:
            name = page_name(manifest) if manifest else "canvases-without-manifest.json"
            page = {"name": name, "version": version, "n": 0, "manifest": manifest}
            self.pages[key] = page
            with open_private(self.folder / name, "w", encoding="utf-8") as out:
                out.write(self._head(page))
        fh = self._handle(key)
        fh.write(("," if page["n"] else "") + "\n" + json_text(make(page["version"])))
        page["n"] += 1

    def _head(self, page: dict[str, Any]) -> str:
        pid = self.base + page["name"]
        if page["version"] == 2:
            head: dict[str, Any] = {"@context": PRESENTATION_2, "@id": pid,
                                    "@type": "sc:AnnotationList", "label": self.label}
            if page["manifest"]:
                head["within"] = {"@id": page["manifest"], "@type": "sc:Manifest"}
            key = "resources"
        else:
            head = {"@context": PRESENTATION_3, "id": pid, "type": "AnnotationPage",
                    "label": {"en": [self.label]}}
            key = "items"
        text = json.dumps(head, ensure_ascii=False)
        return text[:-1] + f', "{key}": ['

    def close(self) -> list[dict[str, Any]]:
        for fh in self.open.values():
            fh.close()
        self.open.clear()
        out = []
        for page in self.pages.values():
            with open_private(self.folder / page["name"], "a", encoding="utf-8") as fh:
                fh.write("\n]}\n")
            out.append({"file": page["name"], "manifest": page["manifest"],
                        "presentation_api": page["version"], "annotations": page["n"]})
        return out


def write_iiif(rows: Iterator[tuple[dict[str, Any], Item]], folder: Path, *, base: str,
               label: str, canvas_of: Any, region_of: Any, annotation_row: Any,
               annotation_id: Any, metadata_of: Any = None
               ) -> tuple[list[dict[str, Any]], int]:
    """Write one annotation document per manifest into ``folder``. Returns (pages written,
    items left out because they come from no IIIF canvas). ``metadata_of(item)``: the
    item's metadata label/value pairs each annotation's target carries (none: none)."""
    private_dir(folder)
    writer = PageWriter(folder, base, label)
    skipped = 0
    try:
        for row, item in rows:
            canvas = canvas_of(item)
            if canvas is None:
                skipped += 1
                continue
            manifest = item.meta.get("manifest") if isinstance(
                item.meta.get("manifest"), str) else None
            version = 2 if item.meta.get("presentation_api") == 2 else 3
            region = region_of(item)
            full = annotation_row(row)
            anno_id = annotation_id(row)
            pairs = metadata_of(item) if metadata_of is not None else []

            def make(v: int, full: dict[str, Any] = full, canvas: str = canvas,
                     manifest: str | None = manifest, region: str | None = region,
                     anno_id: str = anno_id, pairs: Metadata = pairs) -> dict[str, Any]:
                build = annotation_v2 if v == 2 else annotation_v3
                return build(full, canvas, manifest, region, anno_id, pairs)

            writer.add(manifest, version, make)
    finally:
        pages = writer.close()
    return pages, skipped
