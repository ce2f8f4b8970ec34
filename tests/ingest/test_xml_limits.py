"""XML ingest has size limits ([ingest] max_xml_bytes, max_text_chars in glamlab.toml): an
oversized file is refused before it is read and an oversized page text is not stored, each
with one problem naming the file and the fix; the rest of the batch comes in. The limits
are lowered here so that the files stay small."""

from __future__ import annotations

import pytest

from glamlab.errors import ConfigError

from .conftest import write_jpeg
from .samples import ALTO_TEXT, alto, mets


def _limits(ws, **limits):
    ws.card.raw.setdefault("ingest", {}).update(limits)
    ws.save_card()
    return ws


def _runaway(n: int) -> str:
    """ALTO whose one word is ``n`` characters long: text run wild in one attribute."""
    return alto(4, image=None).replace('CONTENT="LE"', f'CONTENT="{"x" * n}"')


def test_a_text_over_max_text_chars_is_refused_the_rest_comes_in(make_ws, tmp_path):
    ws = _limits(make_ws(modality="text"), max_text_chars=1_000)
    (tmp_path / "good.xml").write_text(alto(4, image=None))
    (tmp_path / "wild.xml").write_text(_runaway(5_000))
    report = ws.ingest([tmp_path])
    assert (report.added, report.failed) == (1, 1), report.problems
    assert ws.item("good").text == ALTO_TEXT
    assert [i.item_id for i in ws.items()] == ["good"]
    err = ws.ingest_errors()[0]
    assert err["item_ref"] == str(tmp_path / "wild.xml")
    assert "over the limit of 1,000 characters for one item" in err["reason"], err
    assert "[ingest] max_text_chars in glamlab.toml (now 1,000)" in err["hint"]
    # the default is generous: the same file comes in
    assert _limits(ws, max_text_chars=5_000_000).ingest([tmp_path / "wild.xml"]).added == 1


def test_a_file_over_max_xml_bytes_is_not_read(make_ws, tmp_path, monkeypatch):
    ws = _limits(make_ws(modality="text"), max_xml_bytes=2_000)
    (tmp_path / "good.xml").write_text(alto(4, image=None))
    big = tmp_path / "big.xml"
    big.write_text(_runaway(3_000))
    size = big.stat().st_size
    read = []
    real = type(big).read_bytes

    def spy(self):
        read.append(self.name)
        return real(self)

    monkeypatch.setattr(type(big), "read_bytes", spy)
    report = ws.ingest([tmp_path])
    assert (report.added, report.failed) == (1, 1), report.problems
    assert "big.xml" not in read  # refused before it is read
    err = ws.ingest_errors()[0]
    assert err["item_ref"] == str(big)
    assert f"the file is {size:,} bytes, over the limit of 2,000 bytes" in err["reason"]
    assert "raise [ingest] max_xml_bytes in glamlab.toml (now 2,000)" in err["hint"]


def test_mets_limits_its_own_file_and_each_pages_ocr(make_ws, tmp_path):
    root = tmp_path / "issue"
    (root / "alto").mkdir(parents=True)
    for i in (1, 2):
        write_jpeg(root / "images" / f"{i:04d}.jpg", (70 + i, 100))
    (root / "alto" / "0001.xml").write_text(alto(4, image=None))
    (root / "alto" / "0002.xml").write_text(_runaway(5_000))
    (root / "mets.xml").write_text(mets(pages=2))
    ws = _limits(make_ws(), max_text_chars=1_000)
    report = ws.ingest([root / "mets.xml"])
    # both pages come in; the one whose OCR is over the limit without its text
    assert report.added == 2 and report.failed == 1, report.problems
    assert ws.item("book1/images/0001").text == ALTO_TEXT
    assert ws.item("book1/images/0002").text is None
    err = ws.ingest_errors()[0]
    assert err["item_ref"] == str(root / "alto" / "0002.xml")
    assert "over the limit of 1,000 characters" in err["reason"]
    assert "the page was stored without text" in err["reason"]
    # the METS file itself
    other = _limits(make_ws("other"), max_xml_bytes=500)
    report = other.ingest([root / "mets.xml"])
    assert (report.added, report.failed) == (0, 1)
    err = other.ingest_errors()[0]
    assert err["item_ref"] == str(root / "mets.xml") and "over the limit of 500 bytes" \
        in err["reason"]


@pytest.mark.parametrize("value", [0, -5, "50MB", 1.5, True])
def test_a_limit_that_is_not_a_whole_number_above_0_is_refused(make_ws, tmp_path, value):
    ws = _limits(make_ws(modality="text"), max_xml_bytes=value)
    (tmp_path / "good.xml").write_text(alto(4, image=None))
    with pytest.raises(ConfigError, match=r"\[ingest\] max_xml_bytes .* whole number") as exc:
        ws.ingest([tmp_path / "good.xml"])
    assert "max_xml_bytes = 52428800" in (exc.value.hint or "")
    assert ws.count_items() == 0
