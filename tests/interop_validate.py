"""Validators for glamlab's exports, as the communities that read them check them.

- IIIF Presentation 3: loading by ``iiif-prezi3`` (Apache-2.0, whose models are built from
  the IIIF Presentation 3 schema), and the IIIF presentation validator's own JSON schema
  (its v3 check) when a copy is given in ``GLAMLAB_IIIF_SCHEMA``: that schema file comes
  from a repository that states no licence, so it is not shipped here (get it from
  github.com/IIIF/presentation-validator, ``schema/iiif_3_0.json``).
- IIIF Presentation 2: the structure of an ``sc:AnnotationList`` (Presentation 2.1 and the
  Open Annotation model); no maintained v2 validator installs here (``iiif-prezi`` 0.3
  fails on current ``pyld``), so these are explicit checks of what the spec requires.
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


def iiif_v3(doc: dict[str, Any]) -> list[str]:
    """Errors from the validator's v3 schema and from iiif-prezi3 (empty: valid)."""
    schema = schema_path()
    errors = [f"schema: {e.message[:300]} at {'/'.join(map(str, e.absolute_path))}"
              for e in _v3_validator(schema).iter_errors(doc)] if schema else []
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
        loaded = kind(**doc)
        round_trip = json.loads(loaded.jsonld())
    except Exception as exc:  # pydantic ValidationError and friends
        return [*errors, f"iiif-prezi3: {type(exc).__name__}: {str(exc)[:300]}"]
    if len(round_trip.get("items", [])) != len(doc.get("items", [])):
        errors.append("iiif-prezi3 dropped annotations")
    return errors


def iiif_v2(doc: dict[str, Any]) -> list[str]:
    errors = []
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
