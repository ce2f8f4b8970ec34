"""Folders of images: formats, multi-page TIFF, corrupt files and decompression bombs."""

from __future__ import annotations

from .conftest import write_jpeg, write_png


def _set_pixel_limit(ws, limit: int):
    from glamlab import Workspace

    ws.card.max_image_pixels = limit
    ws.save_card()
    text = (ws.root / "glamlab.toml").read_text()
    assert f"max_image_pixels = {limit}" in text
    ws.close()
    return Workspace.open(ws.root)


def test_folder_of_images_headers_only(make_ws, tmp_path):
    from PIL import Image

    root = tmp_path / "scans"
    write_jpeg(root / "a.jpg", (30, 20))
    write_png(root / "sub" / "b.png", (10, 40))
    frames = [Image.new("L", (50 + i, 60), 255) for i in range(3)]
    frames[0].save(root / "c.tif", save_all=True, append_images=frames[1:])
    (root / "readme.csv").write_text("id\nx\n")  # other files are skipped
    ws = make_ws()
    report = ws.ingest([root])
    assert (report.added, report.failed) == (5, 0)
    assert [i.item_id for i in ws.items()] == ["a", "c#p1", "c#p2", "c#p3", "sub/b"]
    assert (ws.item("sub/b").width, ws.item("sub/b").height) == (10, 40)
    pages = [ws.item(f"c#p{i}") for i in (1, 2, 3)]
    assert [(p.page, p.width) for p in pages] == [(0, 50), (1, 51), (2, 52)]
    assert len({p.content_hash for p in pages}) == 3
    assert all(len(p.content_hash) == 64 for p in pages)
    assert pages[2].open_image().size == (52, 60)
    assert ws.item("a").open_image().size == (30, 20)


def test_corrupt_and_truncated_images_are_recorded_and_the_rest_goes_on(make_ws, tmp_path):
    root = tmp_path / "scans"
    write_jpeg(root / "good.jpg")
    (root / "corrupt.jpg").write_bytes(b"\x00\x01garbage" * 10)
    full = (write_jpeg(tmp_path / "x.jpg", (200, 200))).read_bytes()
    (root / "truncated.jpg").write_bytes(full[:8])
    ws = make_ws()
    report = ws.ingest([root])
    assert (report.added, report.failed) == (1, 2)
    errors = {e["item_ref"]: e for e in ws.ingest_errors()}
    assert set(errors) == {str(root / "corrupt.jpg"), str(root / "truncated.jpg")}
    for e in errors.values():
        assert "not a readable image" in e["reason"] and e["source"] == str(root)
        assert e["hint"]
    assert "glamlab items --errors" in report.summary()
    assert "2 problems" in report.summary()


def _noise(size: tuple[int, int] = (120, 90)):
    import random

    from PIL import Image

    rnd = random.Random(0)  # noise: the image data is most of the file, not its header
    return Image.frombytes("L", size, bytes(rnd.randrange(256) for _ in range(size[0] * size[1])))


def test_a_real_scan_cut_to_half_is_a_problem_and_nothing_stored_is_lost(make_ws, tmp_path,
                                                                         shared_data):
    import hashlib
    import shutil

    from PIL import ImageFile

    scans = sorted((shared_data / "blank_pages" / "dev" / "images").glob("*.jpg"))[:3]
    root = tmp_path / "scans"
    root.mkdir()
    for scan in scans:
        shutil.copy(scan, root / scan.name)
    ws = make_ws()
    assert (ws.ingest([root]).added, ws.ingest_errors()) == (3, [])
    cut = root / scans[1].name  # a copy cut short: its header is whole, its data is not
    data = cut.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    report = ws.ingest([root])
    assert (report.added, report.updated, report.unchanged, report.failed) == (0, 0, 2, 1)
    (err,) = ws.ingest_errors()
    assert err["item_ref"] == str(cut)
    assert err["reason"].startswith("the file is truncated or corrupt")
    assert "re-export it from the source" in err["hint"]
    summary = report.summary()
    assert f"{cut}: the file is truncated or corrupt" in summary
    assert "(fix: re-export it from the source" in summary
    # the item stored before is kept as it was; the batch's other items are unchanged
    assert [i.item_id for i in ws.items()] == [s.stem for s in scans]
    assert ws.item(cut.stem).content_hash == hashlib.sha256(data).hexdigest()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # never switched on behind the check
    # into a new workspace, the cut file is left out and the rest comes in
    fresh = make_ws("fresh")
    report = fresh.ingest([root])
    assert (report.added, report.failed) == (2, 1)


def test_cut_png_and_tiff_page_are_problems_and_whole_files_with_extra_bytes_are_items(
        make_ws, tmp_path):
    root = tmp_path / "scans"
    root.mkdir()
    noise = _noise()
    noise.save(root / "whole.png")
    data = (root / "whole.png").read_bytes()
    (root / "cut.png").write_bytes(data[: len(data) // 2])
    noise.save(root / "tail.jpg", quality=90)  # a JPEG with bytes after its end marker
    (root / "tail.jpg").write_bytes((root / "tail.jpg").read_bytes() + b"trailer" * 50)
    noise.save(root / "cut.jpg", quality=90)
    data = (root / "cut.jpg").read_bytes()
    (root / "cut.jpg").write_bytes(data[: len(data) // 2])
    noise.save(root / "book.tif", save_all=True, append_images=[noise, noise])  # uncompressed
    data = (root / "book.tif").read_bytes()
    (root / "book.tif").write_bytes(data[: len(data) - 2000])  # into the last page's data
    ws = make_ws()
    report = ws.ingest([root])
    assert sorted(i.item_id for i in ws.items()) == ["book#p1", "book#p2", "tail", "whole"]
    errors = {e["item_ref"]: e for e in ws.ingest_errors()}
    assert set(errors) == {str(root / "cut.png"), str(root / "cut.jpg"),
                           f"{root / 'book.tif'}#p3"}
    for e in errors.values():
        assert "the file is truncated or corrupt" in e["reason"]
        assert "re-export it from the source" in e["hint"]
    assert errors[f"{root / 'book.tif'}#p3"]["reason"].startswith("page 3: ")
    assert report.failed == 3


def test_a_compressed_tiff_cut_in_a_page_header_keeps_its_pages_before_it(make_ws, tmp_path):
    root = tmp_path / "scans"
    root.mkdir()
    noise = _noise((300, 200))
    noise.save(root / "book.tif", save_all=True, append_images=[noise, noise],
               compression="tiff_deflate")
    data = (root / "book.tif").read_bytes()
    (root / "book.tif").write_bytes(data[: len(data) - 20000])  # Pillow: 'Missing dimensions'
    write_jpeg(root / "next.jpg")
    ws = make_ws()
    report = ws.ingest([root])  # was a traceback (TypeError from Pillow), the batch lost
    assert sorted(i.item_id for i in ws.items()) == ["book#p1", "book#p2", "next"]
    (err,) = ws.ingest_errors()
    assert err["item_ref"] == f"{root / 'book.tif'}#p3"
    assert err["reason"].startswith("page 3 is not readable (the file is truncated or corrupt")
    assert "re-export it from the source" in err["hint"]
    assert report.failed == 1


def test_decompression_bomb_limit_from_the_project_card(make_ws, tmp_path):
    root = tmp_path / "scans"
    write_png(root / "big.png", (2000, 1000))  # 2 MP, tiny file
    write_png(root / "small.png", (100, 100))
    ws = _set_pixel_limit(make_ws(), 1_000_000)
    try:
        report = ws.ingest([root])
        assert (report.added, report.failed) == (1, 1)
        err = ws.ingest_errors()[0]
        assert "2,000,000 pixels, over the limit of 1,000,000" in err["reason"]
        assert "decompression bomb" in err["reason"]
        assert "max_image_pixels" in err["hint"]
    finally:
        ws.close()


def test_a_real_bomb_header_is_refused_without_decoding(make_ws, tmp_path):
    import struct
    import zlib

    # A PNG header claiming 100000 x 100000 pixels with almost no data.
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))
    root = tmp_path / "scans"
    root.mkdir()
    (root / "bomb.png").write_bytes(png)
    ws = make_ws()
    report = ws.ingest([root])
    assert (report.added, report.failed) == (0, 1)
    assert "decompression bomb" in report.problems[0]["reason"]


def test_a_tiff_whose_second_page_is_a_bomb_keeps_its_good_pages(make_ws, tmp_path):
    from PIL import Image

    root = tmp_path / "scans"
    root.mkdir()
    frames = [Image.new("L", (100, 100), 255), Image.new("L", (2000, 1000), 255),
              Image.new("L", (120, 100), 255)]
    frames[0].save(root / "book.tif", save_all=True, append_images=frames[1:],
                   compression="tiff_deflate")
    ws = _set_pixel_limit(make_ws(), 1_000_000)
    try:
        report = ws.ingest([root])
        assert (report.added, report.failed) == (2, 1)
        assert [i.item_id for i in ws.items()] == ["book#p1", "book#p3"]
        (err,) = ws.ingest_errors()
        assert err["item_ref"].endswith("book.tif#p2") and "decompression bomb" in err["reason"]
    finally:
        ws.close()


def test_a_linked_folder_is_recorded_not_silently_skipped(make_ws, tmp_path):
    root = tmp_path / "scans"
    write_jpeg(root / "a.jpg")
    write_jpeg(tmp_path / "elsewhere" / "b.jpg")
    (root / "more").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    ws = make_ws()
    report = ws.ingest([root])
    assert report.added == 1 and report.failed == 1
    assert "symbolic link to a folder" in report.problems[0]["reason"]
    assert str(tmp_path / "elsewhere") in report.problems[0]["hint"]


def test_a_gif_with_bytes_after_its_end_is_decoded_in_one_pass(tmp_path, monkeypatch):
    """A GIF not ending in its trailer is decoded to tell a cut file from extra bytes: a
    page each from a fresh opening, where seeking page n decodes the n before it, was
    quadratic (200 frames: 90 s, not 1 s). Its pages are read in one opening, and all
    come in."""
    from PIL import Image, ImageDraw

    from glamlab.ingest.base import IngestOptions
    from glamlab.ingest.images import read_header

    path = tmp_path / "anim.gif"
    frames = []
    for i in range(30):  # each frame other than the one before (none is merged)
        frame = Image.new("RGB", (40, 30), (i * 8, 255 - i * 8, 0))
        ImageDraw.Draw(frame).rectangle([i, 0, i + 5, 10], fill=(255, 255, 255))
        frames.append(frame)
    frames[0].save(path, save_all=True, append_images=frames[1:])
    path.write_bytes(path.read_bytes() + b"x" * 100)  # bytes after the trailer
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    head = read_header(path, IngestOptions())
    assert len(head.frames) == 30 and not head.bad_frames
    assert len(opened) <= 2, len(opened)  # the headers, then the pages decoded
