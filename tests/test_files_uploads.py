"""Uploaded files stay inside their folder (glamlab.files): safe names, no traversal, ZIP
members that are links, leave the folder, lie about their size or are too many are left
out one by one while the rest is unpacked."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from glamlab.files import UploadError, extract_zip, inside, safe_filename, save_upload


def test_safe_names_and_inside(tmp_path: Path) -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\me\\Ma feuille (1).xlsx") == "Ma-feuille-1-.xlsx"
    assert safe_filename("..") == "upload" and safe_filename(".hidden") == "hidden"
    assert inside(tmp_path, "a/b.csv") == (tmp_path / "a" / "b.csv").resolve()
    with pytest.raises(UploadError, match="outside"):
        inside(tmp_path, "../x")


def test_save_upload_limits(tmp_path: Path) -> None:
    p = save_upload(io.BytesIO(b"x" * 10), tmp_path / "up", "../a.csv", max_bytes=10)
    assert p == (tmp_path / "up" / "a.csv").resolve() and p.stat().st_mode & 0o077 == 0
    with pytest.raises(UploadError, match="larger than the limit"):
        save_upload(io.BytesIO(b"x" * 11), tmp_path / "up", "b.csv", max_bytes=10)
    assert not (tmp_path / "up" / "b.csv").exists()


def test_extract_zip_leaves_out_bad_members(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("pages/p1.jpg", b"1" * 50)
        z.writestr("/abs.jpg", b"1")
        z.writestr("a/../../up.jpg", b"1")
        link = zipfile.ZipInfo("pages/link.jpg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/passwd")
        z.writestr("pages/big.jpg", b"2" * 500)
        z.writestr("notes.pdf", b"%PDF")
        for i in range(3):
            z.writestr(f"more/p{i}.png", b"3")
    archive = tmp_path / "a.zip"
    archive.write_bytes(buf.getvalue())
    written, problems = extract_zip(archive, tmp_path / "out", max_files=3, max_bytes=10_000,
                                    max_member_bytes=100, suffixes={".jpg", ".png"})
    got = sorted(str(p.relative_to((tmp_path / "out").resolve())) for p in written)
    assert got == ["more/p0.png", "more/p1.png", "pages/p1.jpg"]
    reasons = {p["item"]: p["reason"] for p in problems}
    assert "outside" in reasons["/abs.jpg"] and "outside" in reasons["a/../../up.jpg"]
    assert "link" in reasons["pages/link.jpg"] and "larger" in reasons["pages/big.jpg"]
    assert "not a file" in reasons["notes.pdf"] and "more than 3" in reasons["more/p2.png"]
    assert not (tmp_path / "up.jpg").exists() and not (tmp_path / "abs.jpg").exists()
    bad = tmp_path / "b.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(UploadError, match="not a ZIP"):
        extract_zip(bad, tmp_path / "o2", max_files=1, max_bytes=1, max_member_bytes=1)
