"""Validators for glamlab's exports, as the communities that read them check them.

- IIIF Presentation 3: loading by ``iiif-prezi3`` (Apache-2.0, whose models are built from
  the IIIF Presentation 3 schema), and the IIIF presentation validator's own JSON schema
  (its v3 check) when a copy is given in ``GLAMLAB_IIIF_SCHEMA``: that schema file comes
  from a repository that states no licence, so it is not shipped here (get it from
  github.com/IIIF/presentation-validator, ``schema/iiif_3_0.json``).
- IIIF Presentation 2: the structure of an ``sc:AnnotationList`` (Presentation 2.1 and the
  Open Annotation model), every key and type a term or prefix of the Presentation 2
  context; no maintained v2 validator installs here (``iiif-prezi`` 0.3 fails on current
  ``pyld``; iiif-prezi3 reads v3 only), so these are explicit checks of what the spec
  requires.
- W3C Web Annotation: the required keys of the data model (collection, page,
  annotations with id, type, body, target as a URI).
- Annif: subject files that Annif's ``SubjectFileTSV`` reads (``<uri>\\tlabel`` or a label).

Used by tests/actions/test_export_interop.py and benchmarks/interop.py.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_ENV = "GLAMLAB_IIIF_SCHEMA"


def schema_path() -> Path | None:
    """The IIIF validator's v3 schema, when a copy is given in ``GLAMLAB_IIIF_SCHEMA``."""
    value = os.environ.get(SCHEMA_ENV)
    return Path(value) if value and Path(value).is_file() else None
_URI = re.compile(r"^[a-z][a-z0-9+.-]*:\S+$", re.I)


@lru_cache(maxsize=2)
def _v3_validator(path: Path) -> Any:
    import jsonschema

    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


#: where a target's ``source`` is a Canvas, what iiif-prezi3's annotation models have no
#: field for (they read it as an ``AnnotationBody``): IIIF allows both on any resource;
#: :func:`iiif_v3` loads that canvas reference as a ``Canvas`` to check them instead
_CANVAS_ONLY = ("metadata", "partOf")
PRESENTATION_3 = "http://iiif.io/api/presentation/3/context.json"


def _differences(before: Any, after: Any, where: str = "") -> list[str]:
    """Where ``after`` (the document iiif-prezi3 writes back) differs from ``before``."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after)):
            at = f"{where}/{key}"
            if key not in after:
                out.append(f"{at} dropped")
            elif key not in before:
                out.append(f"{at} added")
            else:
                out.extend(_differences(before[key], after[key], at))
        return out
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{where or '/'}: {len(before)} entries became {len(after)}"]
        return [d for i, (b, a) in enumerate(zip(before, after, strict=True))
                for d in _differences(b, a, f"{where}/{i}")]
    return [] if before == after else [f"{where or '/'}: {before!r} became {after!r}"]


def _canvas_sources(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(where, target source) of every target whose source is a Canvas reference."""
    out = []
    for i, anno in enumerate(doc.get("items") or []):
        targets = anno.get("target")
        for j, target in enumerate(targets if isinstance(targets, list) else [targets]):
            source = target.get("source") if isinstance(target, dict) else None
            if isinstance(source, dict) and source.get("type") == "Canvas":
                out.append((f"/items/{i}/target/{j}/source", source))
    return out


#: the motivations (and body purposes) IIIF Presentation 3 knows: its own two and the
#: W3C Web Annotation ones
MOTIVATIONS = frozenset({
    "painting", "supplementing", "assessing", "bookmarking", "classifying", "commenting",
    "describing", "editing", "highlighting", "identifying", "linking", "moderating",
    "questioning", "replying", "tagging"})


def _http(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _v3_terms(doc: dict[str, Any]) -> list[str]:
    """HTTP(S) ids for the page, its annotations and the canvases and manifests they
    target (the spec's rule for its own resources); known motivations and purposes."""
    errors = [] if _http(doc.get("id")) else [f"/id {doc.get('id')!r} is not an HTTP(S) URI"]
    for i, anno in enumerate(doc.get("items") or []):
        at = f"/items/{i}"
        if not _http(anno.get("id")):
            errors.append(f"{at}/id {anno.get('id')!r} is not an HTTP(S) URI")
        motivations = anno.get("motivation")
        for m in motivations if isinstance(motivations, list) else [motivations]:
            if m not in MOTIVATIONS:
                errors.append(f"{at}/motivation {m!r} is not a IIIF or W3C motivation")
        bodies = anno.get("body") or []
        for j, body in enumerate(bodies if isinstance(bodies, list) else [bodies]):
            purposes = body.get("purpose") if isinstance(body, dict) else None
            for p in purposes if isinstance(purposes, list) else [purposes]:
                if p is not None and p not in MOTIVATIONS:
                    errors.append(f"{at}/body/{j}/purpose {p!r} is not a W3C motivation")
        targets = anno.get("target")
        for j, target in enumerate(targets if isinstance(targets, list) else [targets]):
            source = target.get("source") if isinstance(target, dict) else target
            ids = [source.get("id"), *(p.get("id") for p in source.get("partOf") or [])] \
                if isinstance(source, dict) else [source]
            errors.extend(f"{at}/target/{j}: {v!r} is not an HTTP(S) URI"
                          for v in ids if not _http(v))
    return errors


def iiif_v3(doc: dict[str, Any]) -> list[str]:
    """Errors from the validator's v3 schema and from iiif-prezi3 (empty: valid).

    The document must load in iiif-prezi3 and come back unchanged: every annotation,
    body, target, selector, label and ``@context`` as it was (a key its models do not
    know is dropped on loading, so a lost key is a key IIIF has no place for). A target
    canvas's ``metadata`` and ``partOf``, which its annotation models have no field for,
    must load unchanged in its ``Canvas`` model. The ``@context`` must be the IIIF
    Presentation 3 context, or a list of context URIs with it last; the page, its
    annotations and the canvases and manifests they target have HTTP(S) ids; the
    motivations and body purposes are IIIF's or the W3C's."""
    schema = schema_path()
    errors = [f"schema: {e.message[:300]} at {'/'.join(map(str, e.absolute_path))}"
              for e in _v3_validator(schema).iter_errors(doc)] if schema else []
    context = doc.get("@context")
    if not (context == PRESENTATION_3 or isinstance(context, list) and context
            and context[-1] == PRESENTATION_3 and all(isinstance(c, str) for c in context)):
        errors.append(f"@context {context!r} is not the IIIF Presentation 3 context (or a "
                      "list of context URIs with it last)")
    errors.extend(_v3_terms(doc))
    try:
        import iiif_prezi3
    except ImportError:
        if os.environ.get("CI"):
            raise
        errors.append("iiif-prezi3 is not installed (make install-all installs it)")
        return errors
    kind = getattr(iiif_prezi3, str(doc.get("type")), None)
    if kind is None:
        return [*errors, f"iiif-prezi3: no class for type {doc.get('type')!r}"]
    try:
        round_trip = json.loads(kind(**doc).jsonld())
    except Exception as exc:  # pydantic ValidationError and friends
        return [*errors, f"iiif-prezi3: {type(exc).__name__}: {str(exc)[:300]}"]
    expected = json.loads(json.dumps(doc))
    for where, source in _canvas_sources(expected):
        canvas = {k: v for k, v in source.items() if k in ("id", "type", *_CANVAS_ONLY)}
        try:
            back = json.loads(iiif_prezi3.Canvas(**canvas).json(exclude_context=True))
            back = {k: v for k, v in back.items() if k in canvas}  # not its default items
        except Exception as exc:
            errors.append(f"iiif-prezi3: {where}: {type(exc).__name__}: {str(exc)[:300]}")
        else:
            errors.extend(f"iiif-prezi3 canvas: {where}{d}"
                          for d in _differences(canvas, back))
        for key in _CANVAS_ONLY:
            source.pop(key, None)
    errors.extend(f"iiif-prezi3: {d}" for d in _differences(expected, round_trip))
    return errors


#: the prefixes and terms the IIIF Presentation 2 context
#: (http://iiif.io/api/presentation/2/context.json) defines: a key outside them (and not
#: a compact IRI on one of the prefixes) means nothing to a JSON-LD reader
V2_PREFIXES = frozenset({"sc", "iiif", "exif", "oa", "cnt", "dc", "dcterms", "dctypes",
                         "doap", "foaf", "rdf", "rdfs", "xsd", "svcs", "as"})
V2_TERMS = frozenset({
    "license", "service", "seeAlso", "within", "profile", "related", "logo", "thumbnail",
    "startCanvas", "contentLayer", "members", "collections", "manifests", "sequences",
    "canvases", "resources", "images", "otherContent", "structures", "ranges", "metadata",
    "description", "navDate", "rendering", "height", "width", "attribution",
    "viewingDirection", "viewingHint", "motivation", "resource", "on", "full", "selector",
    "stylesheet", "style", "default", "item", "chars", "encoding", "bytes", "format",
    "language", "value", "label", "prefix", "suffix", "exact", "first", "last", "next",
    "prev", "total", "startIndex"})
_KEYWORDS = frozenset({"@context", "@id", "@type", "@value", "@language"})


def _v2_name(name: str) -> bool:
    """A key or type the Presentation 2 context gives a meaning: one of its terms, a
    compact IRI on one of its prefixes, or an absolute http(s) IRI."""
    if name in V2_TERMS or name in _KEYWORDS or name.startswith(("http://", "https://")):
        return True
    prefix, sep, _ = name.partition(":")
    return bool(sep) and prefix in V2_PREFIXES


def _v2_unknown(node: Any, where: str = "") -> list[str]:
    if isinstance(node, list):
        return [e for i, v in enumerate(node) for e in _v2_unknown(v, f"{where}/{i}")]
    if not isinstance(node, dict):
        return []
    out = []
    for key, value in node.items():
        at = f"{where}/{key}"
        if key == "@context":
            continue
        if not _v2_name(key):
            out.append(f"{at}: not a term of the Presentation 2 context")
        if key in ("@type", "motivation"):
            for name in value if isinstance(value, list) else [value]:
                if not isinstance(name, str) or not _v2_name(name):
                    out.append(f"{at}: {name!r} is not on a prefix the context defines")
        else:
            out.extend(_v2_unknown(value, at))
    return out


def iiif_v2(doc: dict[str, Any]) -> list[str]:
    errors = _v2_unknown(doc)
    if doc.get("@context") != "http://iiif.io/api/presentation/2/context.json":
        errors.append("@context is not the Presentation 2 context")
    if doc.get("@type") != "sc:AnnotationList":
        errors.append("@type is not sc:AnnotationList")
    if not str(doc.get("@id", "")).startswith(("http://", "https://")):
        errors.append("@id is not an http(s) URI")
    resources = doc.get("resources")
    if not isinstance(resources, list) or not resources:
        return [*errors, "no resources"]
    for i, a in enumerate(resources):
        where = f"resources[{i}]"
        if a.get("@type") != "oa:Annotation":
            errors.append(f"{where}: @type is not oa:Annotation")
        if not str(a.get("@id", "")).startswith(("http://", "https://")):
            errors.append(f"{where}: @id is not an http(s) URI")
        if not str(a.get("motivation", "")).startswith(("oa:", "sc:")):
            errors.append(f"{where}: motivation is not an oa:/sc: term")
        body = a.get("resource")
        bodies = body if isinstance(body, list) else [body]
        if not bodies or not all(isinstance(b, dict) and b.get("@type") and
                                 ("chars" in b or "@id" in b) for b in bodies):
            errors.append(f"{where}: resource without @type and chars/@id")
        on = a.get("on")
        if isinstance(on, dict):
            if on.get("@type") != "oa:SpecificResource" or not str(on.get("full", "")).startswith(
                    ("http://", "https://")):
                errors.append(f"{where}: on is not an oa:SpecificResource with full = canvas")
            within = on.get("within")
            if within is not None and within.get("@type") != "sc:Manifest":
                errors.append(f"{where}: on.within is not a sc:Manifest")
        elif not str(on or "").startswith(("http://", "https://")):
            errors.append(f"{where}: on is not a canvas URI")
    return errors


def w3c(doc: dict[str, Any]) -> list[str]:
    errors = []
    ctx = doc.get("@context")
    ctx = ctx if isinstance(ctx, list) else [ctx]
    if "http://www.w3.org/ns/anno.jsonld" not in ctx:
        errors.append("@context lacks http://www.w3.org/ns/anno.jsonld")
    if doc.get("type") != "AnnotationCollection":
        errors.append("type is not AnnotationCollection")
    page = doc.get("first") or {}
    if page.get("type") != "AnnotationPage":
        errors.append("first is not an AnnotationPage")
    items = page.get("items") or []
    if doc.get("total") != len(items):
        errors.append("total does not count the annotations")
    for i, a in enumerate(items):
        where = f"items[{i}]"
        if a.get("type") != "Annotation" or not _URI.match(str(a.get("id", ""))):
            errors.append(f"{where}: no Annotation type or id URI")
        body = a.get("body") or {}
        if body.get("type") != "TextualBody" or "value" not in body:
            errors.append(f"{where}: body is not a TextualBody with a value")
        target = a.get("target")
        source = target.get("source") if isinstance(target, dict) else target
        if not _URI.match(str(source or "")):
            errors.append(f"{where}: target is not a URI")
    return errors


def annif_folder(folder: Path) -> list[str]:
    errors = []
    files = sorted(folder.glob("*.tsv"))
    subject_files = [f for f in files if f.name != "index.tsv"]
    if not subject_files:
        return ["no subject files"]
    for f in subject_files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            if line.startswith("<"):
                if not re.match(r"^<[^<>\s]+>(\t.+)?$", line):
                    errors.append(f"{f.name}:{n}: not <uri>\\tlabel")
            elif "\t" in line:
                errors.append(f"{f.name}:{n}: a label with a tab")
    return errors
