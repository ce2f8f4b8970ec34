"""A table of labels ("id,label") for images already in the workspace, from the command
line: `glamlab labels import` saves them and says so; `glamlab ingest` of the same table
stores nothing and points to `glamlab labels import` (not to --allow-source-change, which
would make each image a new version without its image)."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.demo import demo_data


def test_a_table_of_labels_for_images_already_here(make_ws, tmp_path):
    from glamlab.tasks.labels import gold_labels

    ws = make_ws("scans", modality="image", labels=["graphic", "no_graphic"])
    scans = tmp_path / "images"
    scans.mkdir()
    for p in sorted((demo_data("illustrations") / "images").glob("*.jpg"))[:4]:
        shutil.copy(p, scans / p.name)
    runner = CliRunner()
    res = runner.invoke(cli, ["-w", str(ws.root), "ingest", str(scans)])
    assert res.exit_code == 0, res.output
    ids = sorted(i.item_id for i in ws.items())
    sheet = tmp_path / "labels.csv"
    wanted = {i: "graphic" if n % 2 else "no_graphic" for n, i in enumerate(ids)}
    sheet.write_text("id,label\n" + "".join(f"{i},{g}\n" for i, g in wanted.items()))

    res = runner.invoke(cli, ["-w", str(ws.root), "ingest", str(sheet)])
    assert res.exit_code != 0 and "0 new items" in res.output  # every row a problem
    assert {i.modality for i in ws.items()} == {"image"}  # no image became a record
    assert res.output.count("glamlab labels import labels.csv") == len(ids)

    res = runner.invoke(cli, ["-w", str(ws.root), "labels", "import", str(sheet)])
    assert res.exit_code == 0, res.output
    assert f"{len(ids)} items labelled" in res.output
    assert gold_labels(ws) == {i: [g] for i, g in wanted.items()}


def test_a_table_with_no_images_and_no_text_makes_no_item_in_an_image_project(make_ws,
                                                                              tmp_path):
    """Ids that match no item (typos, the wrong spreadsheet): each row is refused in words
    (its line, the fix), no item with nothing to read is created, and the other sources
    of the same command come in. A table with an image column, or a text column, still
    brings its items in."""
    ws = make_ws("scans", modality="image", labels=["graphic", "no_graphic"])
    scans = tmp_path / "images"
    scans.mkdir()
    jpgs = sorted((demo_data("illustrations") / "images").glob("*.jpg"))[:3]
    for p in jpgs:
        shutil.copy(p, scans / p.name)
    sheet = tmp_path / "labels.csv"
    sheet.write_text("id,label\nscan-001,graphic\nscan-002,no_graphic\nscan-003,graphic\n")
    runner = CliRunner()
    res = runner.invoke(cli, ["-w", str(ws.root), "ingest", str(sheet), str(scans)])
    assert res.exit_code != 0, res.output
    assert ws.count_items() == 3  # the images; no item per row of the table
    assert {i.modality for i in ws.items()} == {"image"}
    assert "scan-001" not in {i.item_id for i in ws.items()}
    for line, item_id in ((2, "scan-001"), (3, "scan-002"), (4, "scan-003")):
        assert f"line {line}: item {item_id!r} has no image and no text" in res.output
    assert res.output.count("--image-column NAME") == 3
    assert res.output.count("bring the images in first") == 3

    # a table of images (paths beside it) and a table of texts still come in as before
    table = tmp_path / "pages.csv"
    table.write_text("id,path,label\n" + "".join(
        f"page-{n},images/{p.name},graphic\n" for n, p in enumerate(jpgs)))
    res = runner.invoke(cli, ["-w", str(ws.root), "ingest", str(table), "--image-column",
                              "path"])
    assert res.exit_code == 0, res.output
    pages = list(ws.items(ids=[f"page-{n}" for n in range(3)]))
    assert len(pages) == 3 and {i.modality for i in pages} == {"image"}
    assert all(i.uri and i.width for i in pages)
    texts = tmp_path / "captions.csv"
    texts.write_text("id,text\ncap-1,A woodcut of a ship\ncap-2,A map of the coast\n")
    res = runner.invoke(cli, ["-w", str(ws.root), "ingest", str(texts)])
    assert res.exit_code == 0, res.output
    assert {i.item_id: i.text for i in ws.items(ids=["cap-1", "cap-2"])} == {
        "cap-1": "A woodcut of a ship", "cap-2": "A map of the coast"}


def test_an_image_project_finds_the_column_of_image_paths_itself(make_ws, tmp_path):
    """A table such as ../shared/data's labels.csv (id, path_or_text, label) ingested into
    an image project without --image-column: every row used to be refused ("no image and
    no text"), and ingesting the folder instead named the items by their paths, so that
    `glamlab labels import` of the same table then knew none of its ids. The column of
    image paths is found from its values (and said); the ids are the table's."""
    from glamlab.tasks.labels import gold_labels

    ws = make_ws("scans", modality="image", labels=["graphic", "no_graphic"])
    (tmp_path / "images").mkdir()
    jpgs = sorted((demo_data("illustrations") / "images").glob("*.jpg"))[:3]
    for p in jpgs:
        shutil.copy(p, tmp_path / "images" / p.name)
    table = tmp_path / "labels.csv"
    table.write_text("id,path_or_text,label,note\n" + "".join(
        f"page-{n},images/{p.name},{'graphic' if n else 'no_graphic'},a note\n"
        for n, p in enumerate(jpgs)))
    runner = CliRunner()
    res = runner.invoke(cli, ["-w", str(ws.root), "ingest", str(table)])
    assert res.exit_code == 0, res.output
    assert "images are taken from the column 'path_or_text'" in res.output
    pages = list(ws.items())
    assert sorted(i.item_id for i in pages) == ["page-0", "page-1", "page-2"]
    assert {i.modality for i in pages} == {"image"} and all(i.uri and i.width for i in pages)
    res = runner.invoke(cli, ["-w", str(ws.root), "labels", "import", str(table)])
    assert res.exit_code == 0, res.output
    assert gold_labels(ws) == {"page-0": ["no_graphic"], "page-1": ["graphic"],
                               "page-2": ["graphic"]}

    # two columns of images: which one is meant cannot be known, so none is taken
    two = tmp_path / "two.csv"
    two.write_text("id,front,back\n" + "".join(
        f"leaf-{n},images/{p.name},images/{p.name}\n" for n, p in enumerate(jpgs)))
    res = runner.invoke(cli, ["-w", str(ws.root), "ingest", str(two)])
    assert res.exit_code != 0
    assert res.output.count("--image-column NAME") == 3
    assert not [i for i in ws.items() if i.item_id.startswith("leaf-")]
    # image names that are not beside the table are not taken for a column of images
    gone = tmp_path / "gone.csv"
    gone.write_text("id,file\nx-1,nowhere/a.jpg\nx-2,nowhere/b.jpg\n")
    res = runner.invoke(cli, ["-w", str(ws.root), "ingest", str(gone)])
    assert res.exit_code != 0 and "has no image and no text" in res.output


def test_labels_for_a_folder_s_images_say_that_the_items_are_named_by_path(make_ws, tmp_path):
    """The folder ingested, its table's labels then refused row by row as 'no such
    item' with nothing to say why: the items are named by their paths. The fix says so."""
    ws = make_ws("scans", modality="image", labels=["graphic", "no_graphic"])
    (tmp_path / "images").mkdir()
    jpgs = sorted((demo_data("illustrations") / "images").glob("*.jpg"))[:2]
    for p in jpgs:
        shutil.copy(p, tmp_path / "images" / p.name)
    runner = CliRunner()
    assert runner.invoke(cli, ["-w", str(ws.root), "ingest", str(tmp_path)]
                         ).exit_code == 0
    named = sorted(i.item_id for i in ws.items())
    assert all("/" in i for i in named)
    table = tmp_path / "labels.csv"
    table.write_text("id,label\n" + "".join(f"{p.stem},graphic\n" for p in jpgs))
    res = runner.invoke(cli, ["-w", str(ws.root), "labels", "import", str(table)])
    said = res.output + str(res.exception) + str(getattr(res.exception, "hint", ""))
    assert res.exit_code != 0
    assert "no such item in the workspace" in said
    assert "named by their paths" in said and repr(named[0]) in said
    # ids that are simply wrong get the plain fix
    (tmp_path / "typo.csv").write_text("id,label\nnope_1%,graphic\n")
    res = runner.invoke(cli, ["-w", str(ws.root), "labels", "import", str(tmp_path / "typo.csv")])
    said = res.output + str(res.exception) + str(getattr(res.exception, "hint", ""))
    assert res.exit_code != 0 and "no such item" in said and "named by their paths" not in said
