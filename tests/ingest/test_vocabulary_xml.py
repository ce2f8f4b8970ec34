"""A SKOS vocabulary in RDF/XML ([labels] uris) is read as every XML glamlab reads: a file
that declares entities is refused with one error naming it and the fix, before rdflib's
parser expands anything (a "billion laughs" file of a few hundred bytes held it for more
than a minute, growing in memory); a plain RDF/XML vocabulary reads as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from glamlab.errors import ConfigError
from glamlab.ingest.vocabulary import load_vocabulary

pytest.importorskip("rdflib")

HEAD = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:skos="http://www.w3.org/2004/02/skos/core#">')


def _rdf(path: Path, label: str, doctype: str = "") -> Path:
    path.write_text(f'<?xml version="1.0"?>{doctype}{HEAD}<skos:Concept '
                    f'rdf:about="http://example.org/c1"><skos:prefLabel>{label}'
                    "</skos:prefLabel></skos:Concept></rdf:RDF>", encoding="utf-8")
    return path


def test_a_plain_rdf_xml_vocabulary_is_read(tmp_path: Path) -> None:
    assert load_vocabulary(_rdf(tmp_path / "v.rdf", "maps")) == {
        "maps": "http://example.org/c1"}


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE rdf:RDF [<!ENTITY a "maps">]>',
    '<!DOCTYPE rdf:RDF [<!ENTITY a SYSTEM "file:///etc/hostname">]>',
    '<!DOCTYPE rdf:RDF [<!ENTITY % p "x"><!ENTITY a "maps">]>',
])
def test_a_vocabulary_declaring_entities_is_refused_naming_it(tmp_path: Path,
                                                              doctype: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_vocabulary(_rdf(tmp_path / "evil.rdf", "&a;", doctype))
    assert "evil.rdf" in err.value.message and "entit" in err.value.message
    assert err.value.item == "evil.rdf" and "Turtle" in (err.value.hint or "")


def test_a_billion_laughs_vocabulary_is_refused_at_once(tmp_path: Path) -> None:
    ents = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    with pytest.raises(ConfigError, match="declares the XML entity"):
        load_vocabulary(_rdf(tmp_path / "laughs.xml", "&l9;", f"<!DOCTYPE rdf:RDF [{ents}]>"))


def _jsonld(path: Path, context: object) -> Path:
    import json

    path.write_text(json.dumps({"@context": context, "@graph": [{
        "@id": "http://example.org/c1", "@type": "skos:Concept",
        "skos:prefLabel": "maps"}]}), encoding="utf-8")
    return path


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_a_json_ld_vocabulary_with_its_context_inline_is_read(tmp_path: Path) -> None:
    """(rdflib's JSON-LD parser warns about its own use of ConjunctiveGraph.)"""
    got = load_vocabulary(_jsonld(tmp_path / "v.jsonld", {
        "skos": "http://www.w3.org/2004/02/skos/core#"}))
    assert got == {"maps": "http://example.org/c1"}


@pytest.mark.parametrize("context", [
    "http://127.0.0.1:9/context.jsonld",
    ["http://127.0.0.1:9/context.jsonld", {"skos": "http://www.w3.org/2004/02/skos/core#"}],
    {"@import": "http://127.0.0.1:9/context.jsonld",
     "skos": "http://www.w3.org/2004/02/skos/core#"},
])
def test_a_json_ld_vocabulary_naming_its_context_by_address_is_refused(
        tmp_path: Path, context: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """rdflib downloads a @context named by its address: a vocabulary file made glamlab
    reach the network (here a closed port, so the old code failed only after trying).
    Now one error names the file, the address and the fix, and nothing is fetched."""
    import socket

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"glamlab reached the network: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(ConfigError) as err:
        load_vocabulary(_jsonld(tmp_path / "remote.jsonld", context))
    assert "remote.jsonld" in err.value.message and "127.0.0.1:9" in err.value.message
    assert "never reaches the network" in err.value.message
    assert "Turtle" in (err.value.hint or "") and err.value.item == "remote.jsonld"


def test_a_lone_surrogate_does_not_let_a_remote_context_through(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check read the file with glamlab's loads_json, which refuses a lone surrogate
    escape (``\\ud800``) that rdflib's JSON reader takes: such a file skipped the check,
    and rdflib fetched the @context it names. Now it is refused like any other."""
    import socket

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"glamlab reached the network: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    path = tmp_path / "remote.jsonld"
    path.write_text('{"@context": "http://127.0.0.1:9/context.jsonld", "@graph": [{'
                    '"@id": "http://example.org/c1", "@type": "skos:Concept", '
                    '"skos:prefLabel": "maps", "skos:note": "\\ud800"}]}', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_vocabulary(path)
    assert "never reaches the network" in err.value.message
    assert "127.0.0.1:9" in err.value.message and err.value.item == "remote.jsonld"


def test_a_deeply_nested_json_ld_vocabulary_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonld"
    path.write_text('{"@graph": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_vocabulary(path)
    assert "deep.jsonld" in err.value.message and err.value.item == "deep.jsonld"
