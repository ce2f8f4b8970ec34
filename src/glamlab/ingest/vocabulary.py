"""Label vocabularies: the card's labels mapped to concept URIs (``[labels] uris``).

``[labels] uris`` in ``glamlab.toml`` names a CSV file with ``label`` (or ``label_*``) and
``uri`` columns (Annif's own ``subjects.csv`` works as is), a TSV subject file
(``<uri>\tlabel``), or a SKOS vocabulary in Turtle or RDF/XML (read with rdflib, the
``interop`` extra): each ``skos:prefLabel`` and ``skos:altLabel`` maps to its concept's URI.
A relative path is relative to the workspace. Exports use it to write URIs
(``glamlab export --format annif``), and ``glamlab labels import`` of an Annif corpus
uses it to turn subject URIs back into the card's labels.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config import ProjectCard

RDF_SUFFIXES = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".nt": "nt", ".jsonld": "json-ld",
                ".n3": "n3"}


def load_vocabulary(path: Path) -> dict[str, str]:
    """label -> concept URI, from a CSV/TSV subject file or a SKOS vocabulary."""
    if not path.is_file():
        raise ConfigError(f"the label vocabulary {path} does not exist",
                          hint="fix [labels] uris in glamlab.toml (paths are relative to the "
                               "workspace)")
    suffix = path.suffix.lower()
    if suffix in RDF_SUFFIXES:
        return _skos(path, RDF_SUFFIXES[suffix])
    out: dict[str, str] = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        if suffix == ".tsv":
            for line in fh:
                uri, _, label = line.strip().partition("\t")
                if uri.startswith("<") and uri.endswith(">") and label.strip():
                    out.setdefault(label.strip(), uri[1:-1])
            return out
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        if "uri" not in cols or not any(c == "label" or c.startswith("label_") for c in cols):
            raise ConfigError(f"{path.name} needs a 'uri' column and a 'label' (or label_xx) "
                              f"column; its columns are: {', '.join(cols) or '(none)'}",
                              hint="see docs/formats.md, label vocabularies")
        for row in reader:
            uri = (row.get("uri") or "").strip().strip("<>")
            for col in cols:
                if (col == "label" or col.startswith("label_")) and (row.get(col) or "").strip():
                    out.setdefault(row[col].strip(), uri)
    return out


def _skos(path: Path, fmt: str) -> dict[str, str]:
    try:
        import rdflib
        from rdflib.namespace import SKOS
    except ImportError as exc:  # pragma: no cover - the extra is installed in CI
        raise ConfigError("reading a SKOS vocabulary needs rdflib",
                          hint="pip install 'glamlab[interop]'") from exc
    if fmt == "xml":  # RDF/XML: no entity declarations, as every XML glamlab reads
        _refuse_entities(path)
    elif fmt == "json-ld":  # rdflib fetches a @context named by its address: never
        _refuse_remote_context(path)
    graph = rdflib.Graph()
    try:
        graph.parse(str(path), format=fmt)
    except Exception as exc:  # rdflib raises many parser-specific errors
        raise ConfigError(f"cannot read the vocabulary {path.name}: {exc}",
                          hint="give a SKOS vocabulary in Turtle or RDF/XML") from exc
    out: dict[str, str] = {}
    for prop in (SKOS.prefLabel, SKOS.altLabel):
        for concept, _, label in sorted(graph.triples((None, prop, None))):
            out.setdefault(str(label), str(concept))
    return out


def _refuse_remote_context(path: Path) -> None:
    """A :class:`ConfigError` naming the file when its JSON-LD names a ``@context`` (or an
    ``@import``) by address: rdflib's parser downloads it, and glamlab never reaches the
    network while it works (a closed reading room's machine waits, then fails; a
    hostile file makes the server fetch an address of its choosing)."""
    import json

    # read as rdflib reads it (the standard json module, or orjson, which takes less):
    # glamlab's own loads_json refuses some JSON they take (a lone surrogate escape), so
    # a file refused by it went unchecked to rdflib, which fetched its context
    try:
        doc = json.loads(path.read_bytes())
    except ValueError:
        return  # not JSON: rdflib says so, with its reason
    except RecursionError:
        raise ConfigError(f"cannot read the vocabulary {path.name}: its arrays or objects "
                          "are nested too deeply to read", item=path.name,
                          hint="save the vocabulary as Turtle (.ttl)") from None

    def remote(root: object) -> str | None:
        stack = [root]  # not recursive: a deeply nested file is walked all the same
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in ("@context", "@import"):
                        for ctx in value if isinstance(value, list) else [value]:
                            if isinstance(ctx, str):
                                return ctx
                    stack.append(value)
            elif isinstance(node, list):
                stack.extend(node)
        return None

    address = remote(doc)
    if address is not None:
        raise ConfigError(f"cannot read the vocabulary {path.name}: its JSON-LD @context is "
                          f"named by an address ({address}), which glamlab would have to "
                          "download; it never reaches the network", item=path.name,
                          hint="put the context itself in the file (the object the address "
                               "gives), or save the vocabulary as Turtle (.ttl)")


class _Prolog(Exception):
    """The prolog of an XML file is read (its first element starts)."""


def _refuse_entities(path: Path) -> None:
    """A :class:`ConfigError` naming the file when its DOCTYPE declares entities, read
    before rdflib parses it: its XML parser expanded them (a "billion laughs" file of a
    few hundred bytes held it for minutes, growing in memory). Only the prolog is read
    (entities are declared before the first element), however large the vocabulary."""
    import xml.parsers.expat

    def declared(name: str, *_rest: object) -> None:
        raise ConfigError(f"cannot read the vocabulary {path.name}: it declares the XML "
                          f"entity {name!r}; entity expansion and external entities are "
                          "never processed", item=path.name,
                          hint="remove its <!DOCTYPE>/<!ENTITY> declarations (SKOS needs "
                               "none), or save it as Turtle (.ttl)")

    def first_element(*_args: object) -> None:
        raise _Prolog

    parser = xml.parsers.expat.ParserCreate()
    parser.EntityDeclHandler = declared
    parser.StartElementHandler = first_element
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 16):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except (_Prolog, xml.parsers.expat.ExpatError):
        return  # a file that is not well-formed is said by rdflib, with its line


def label_uris(card: ProjectCard, root: Path) -> dict[str, str]:
    """label -> URI for the card's labels, from ``[labels] uris`` (empty when unset); a
    relative path is read from the workspace folder ``root``."""
    spec = card.section("labels").get("uris")
    if not spec:
        return {}
    path = Path(spec)
    if not path.is_absolute():
        path = root / path
    return load_vocabulary(path)


def uri_labels(card: ProjectCard, root: Path) -> dict[str, str]:
    """concept URI -> the card's label for it (for importing Annif subjects as labels)."""
    labels = set(card.labels)
    return {uri: label for label, uri in label_uris(card, root).items() if label in labels}
