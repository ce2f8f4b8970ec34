"""Real GLAM files in, files GLAM tools accept out; printed as ONE JSON document.

    python benchmarks/interop.py            # every layout, every export, METS speed x3
    python benchmarks/interop.py --quick    # METS speed once

Keys:
  layouts   {layout: {items, text_chars, problems}}: each supported input layout in
            tests/data/interop (see its SOURCE.md) through ``glamlab ingest`` into a fresh
            SQLite workspace; remote files (a METS's OCR, a IIIF collection's manifests)
            come from a local HTTP server, never the network.
  export    {format: {valid, errors, ...}}: exports of predictions on items ingested from
            real manifests and an Annif corpus, checked by tests/interop_validate.py (the
            IIIF presentation validator's v3 schema + an iiif-prezi3 round trip;
            Presentation 2.1 structure and context terms; the W3C Web Annotation model;
            Annif's subject-file format).
  mets_speed  ingest of the real 333-page GDZ METS (tests/data/interop/mets/
            gdz-PPN595930174-full.xml.gz) whose MAX image group and an added FULLTEXT
            group are pointed at generated local files (small JPEGs, a copy of a real ALTO
            page each): pages/s, median of runs, fresh workspace each run. The images are
            generated because no real workspace of that size is small enough to ship.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.interop_validate, tests.actions.helpers

from tests import interop_validate as validate  # noqa: E402
from tests.ingest.conftest import LocalServer, write_jpeg  # noqa: E402

DATA = ROOT / "tests" / "data" / "interop"


def _ws(tmp: Path, name: str, **kw: Any) -> Any:
    from glamlab.workspace import Workspace

    kw.setdefault("task", "interop")
    kw.setdefault("modality", "image")
    kw.setdefault("labels", ["a", "b"])
    return Workspace.init(tmp / name, **kw)


def _cookbook(folder: Path, base: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("newspaper_title-collection.json", "newspaper_issue_1-manifest.json",
                 "newspaper_issue_2-manifest.json"):
        text = (DATA / "iiif" / name).read_text(encoding="utf-8")
        text = text.replace("{{ id.url }}", f"{base}/{name}").replace("{{ id.path }}", base)
        (folder / name).write_text(text, encoding="utf-8")


def _gdz(tmp: Path, server: LocalServer) -> Path:
    text = (DATA / "mets" / "gdz-PPN595930174-excerpt.xml").read_text(encoding="utf-8")
    path = tmp / "PPN595930174.xml"
    path.write_text(text.replace("http://gdz.sub.uni-goettingen.de", server.url),
                    encoding="utf-8")
    ocr = server.root / "gdzocr" / "PPN595930174"
    ocr.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "alto" / "ndnp-chronam-excerpt.xml", ocr / "00000001.xml")
    shutil.copy(DATA / "alto" / "sbb-abbyy-alto2.xml", ocr / "00000002.xml")
    return path


def layouts(tmp: Path) -> dict[str, dict[str, Any]]:
    www = tmp / "www"
    www.mkdir(parents=True)
    server = LocalServer(www)
    try:
        kant = tmp / "kant" / "kant_aufklaerung_1784"
        shutil.copytree(DATA / "ocrd" / "kant_aufklaerung_1784", kant)
        kant_no_mets = tmp / "kant-no-mets" / "kant_aufklaerung_1784"
        shutil.copytree(DATA / "ocrd" / "kant_aufklaerung_1784", kant_no_mets)
        (kant_no_mets / "mets.xml").unlink()
        _cookbook(www, server.url)
        manifests = tmp / "manifests"
        _cookbook(manifests, "https://iiif.io/api/cookbook/recipe/0068-newspaper")
        shutil.copy(DATA / "iiif" / "bodleian-v2.json", manifests / "bodleian.json")
        cases: dict[str, tuple[list[str], dict[str, Any]]] = {
            "alto_ndnp_chronicling_america": ([str(DATA / "alto" / "ndnp-chronam-excerpt.xml")],
                                              {}),
            "alto_sbb_abbyy_soft_hyphens": ([str(DATA / "alto" / "sbb-abbyy-alto2.xml")], {}),
            "alto_escriptorium_line_strings": (
                [str(DATA / "alto" / "escriptorium-testament.xml")], {}),
            "page_transkribus_table": ([str(DATA / "page" / "transkribus-table.xml")], {}),
            "page_table_reading_order": ([str(DATA / "page" / "table-region-order.xml")], {}),
            "ocrd_workspace_with_mets": ([str(kant.parent)], {}),
            "ocrd_workspace_without_mets": ([str(kant_no_mets.parent)], {}),
            "mets_gdz_remote_images_and_ocr": ([str(_gdz(tmp, server))], {}),
            "iiif_v2_manifest_bodleian": ([str(DATA / "iiif" / "bodleian-v2.json")], {}),
            "iiif_v3_newspaper_collection": (
                [f"{server.url}/newspaper_title-collection.json"], {}),
            "iiif_folder_of_manifest_files": ([str(manifests)], {}),
            "annif_short_text_corpus": ([str(DATA / "annif" / "documents.tsv")], {}),
            "annif_full_text_corpus": ([str(DATA / "annif" / "fulltext")], {}),
        }
        out = {}
        for name, (sources, kw) in cases.items():
            ws = _ws(tmp, f"ws-{name}")
            try:
                report = ws.ingest(sources, **kw)
                items = list(ws.items())
                out[name] = {"items": len(items),
                             "text_chars": sum(len(i.text or "") for i in items),
                             "problems": report.failed}
            finally:
                ws.close()
        return out
    finally:
        server.close()


def exports(tmp: Path) -> dict[str, dict[str, Any]]:
    from tests.actions.helpers import add_model, add_predictions

    from glamlab.actions import act, export

    out: dict[str, dict[str, Any]] = {}
    tmp.mkdir(parents=True, exist_ok=True)
    manifests = tmp / "export-manifests"
    _cookbook(manifests, "https://iiif.io/api/cookbook/recipe/0068-newspaper")
    ws = _ws(tmp, "ws-export", task="page-type", labels=["text", "illustration"])
    try:
        ws.ingest([DATA / "iiif" / "bodleian-v2.json",
                   manifests / "newspaper_issue_1-manifest.json"])
        ids = [i.item_id for i in ws.items()]
        mid = add_model(ws, "pages", 1)
        add_predictions(ws, mid, {i: {"text": 0.95 - 0.3 * n, "illustration": 0.05 + 0.3 * n}
                                  for n, i in enumerate(ids)})
        ws.card.raw["policy"] = {"field": "page_type", "labels": {
            "text": {"accept": 0.9, "review": 0.5},
            "illustration": {"accept": 0.9, "review": 0.5}}}
        ws.card.raw["export"] = {"base_url": "https://example.museum/annotations/"}
        ws.save_card()
        act(ws)
        res = export(ws, "iiif", tmp / "iiif")
        for page in res["pages"]:
            doc = json.loads((tmp / "iiif" / page["file"]).read_text(encoding="utf-8"))
            v = page["presentation_api"]
            errors = validate.iiif_v3(doc) if v == 3 else validate.iiif_v2(doc)
            out[f"iiif_v{v}"] = {"valid": not errors, "errors": errors[:5],
                                 "annotations": page["annotations"],
                                 "checked_by": (("IIIF presentation validator v3 schema + "
                                                 "iiif-prezi3 round trip") if validate.schema_path()
                                                else "iiif-prezi3 round trip (the validator's "
                                                "schema: set GLAMLAB_IIIF_SCHEMA)") if v == 3 else
                                 "Presentation 2.1 AnnotationList structure and context terms"}
        export(ws, "w3c", tmp / "w3c.jsonld")
        errors = validate.w3c(json.loads((tmp / "w3c.jsonld").read_text(encoding="utf-8")))
        out["w3c"] = {"valid": not errors, "errors": errors[:5],
                      "checked_by": "W3C Web Annotation data model (required keys)"}
    finally:
        ws.close()
    # Annif: subject files with URIs from a SKOS vocabulary
    labels = sorted({line.split("\t")[1] for f in (DATA / "annif" / "fulltext").glob("*.tsv")
                     for line in f.read_text(encoding="utf-8").splitlines()})
    ws = _ws(tmp, "ws-annif", task="subjects", modality="text", labels=labels,
             multi_label=True)
    try:
        shutil.copy(DATA / "annif" / "yso-archaeology.ttl", ws.root / "yso.ttl")
        ws.card.raw["labels"] = {"uris": "yso.ttl"}
        ws.card.raw["policy"] = {"field": "subject", "labels": {
            label: {"accept": 0.9, "review": 0.5} for label in labels}}
        ws.save_card()
        ws.ingest([DATA / "annif" / "fulltext"])
        from glamlab.tasks import gold_labels, import_labels

        import_labels(ws, DATA / "annif" / "fulltext")
        gold = gold_labels(ws)
        mid = add_model(ws, "gold-echo", 1)
        add_predictions(ws, mid, {i: {label: 0.95 for label in ls} for i, ls in gold.items()},
                        multi_label=True)
        act(ws)
        res = export(ws, "annif", tmp / "annif")
        errors = validate.annif_folder(tmp / "annif")
        out["annif"] = {"valid": not errors, "errors": errors[:5], "items": res["items"],
                        "subjects": res["subjects"],
                        "subjects_with_uri": res["subjects_with_uri"],
                        "checked_by": "Annif subject file format (<uri>\\tlabel)"}
    finally:
        ws.close()
    return out


def big_mets(tmp: Path) -> Path:
    """The real 333-page GDZ METS with its MAX images and a FULLTEXT group made local."""
    text = gzip.decompress((DATA / "mets" / "gdz-PPN595930174-full.xml.gz").read_bytes()
                           ).decode("utf-8")
    folder = tmp / "PPN595930174"
    (folder / "images").mkdir(parents=True)
    (folder / "alto").mkdir()
    alto = (DATA / "alto" / "sbb-abbyy-alto2.xml").read_bytes()

    def local_image(m: re.Match[str]) -> str:
        n = m.group(1)
        write_jpeg(folder / "images" / f"{n}.jpg", (200 + int(n) % 7, 300), "white")
        return f'xlink:href="images/{n}.jpg"'

    text = re.sub(r'xlink:href="http://gdz-srv1\.sub\.uni-goettingen\.de/content/'
                  r'PPN595930174/1000/0/(\d+)\.jpg"', local_image, text)
    ids = re.findall(r'FILEID="(FILE_\d+_GDZOCR)"', text)
    files = []
    for fid in ids:
        n = int(fid.split("_")[1]) + 1
        (folder / "alto" / f"{n:08d}.xml").write_bytes(alto)
        files.append(f'<mets:file ID="{fid}" MIMETYPE="text/xml"><mets:FLocat '
                     f'xmlns:xlink="http://www.w3.org/1999/xlink" LOCTYPE="URL" '
                     f'xlink:href="alto/{n:08d}.xml"/></mets:file>')
    text = text.replace("</mets:fileSec>", '<mets:fileGrp USE="FULLTEXT">' + "".join(files)
                        + "</mets:fileGrp></mets:fileSec>")
    path = folder / "PPN595930174.xml"
    path.write_text(text, encoding="utf-8")
    return path


def _floor(folder: Path) -> float:
    """Pages/s of the work no ingest can skip, in this process: parse each page's ALTO and
    read its image header and sha256 (no METS, no store)."""
    from glamlab.ingest.base import IngestOptions
    from glamlab.ingest.images import read_header
    from glamlab.ingest.xml import parse_file

    images = sorted((folder / "images").glob("*.jpg"))
    altos = sorted((folder / "alto").glob("*.xml"))
    start = time.perf_counter()
    for image, alto in zip(images, altos, strict=False):
        parse_file(alto)
        read_header(image, IngestOptions(), all_frames=False)
    return min(len(images), len(altos)) / (time.perf_counter() - start)


def mets_speed(tmp: Path, runs: int) -> dict[str, Any]:
    import os

    path = big_mets(tmp)
    rates = []
    floors = []
    pages = chars = 0
    for r in range(runs):
        floors.append(_floor(path.parent))
        ws = _ws(tmp, f"ws-speed-{r}")
        try:
            start = time.perf_counter()
            report = ws.ingest([path])
            seconds = time.perf_counter() - start
            pages = report.added
            chars = sum(len(i.text or "") for i in ws.items())
            rates.append(pages / seconds)
        finally:
            ws.close()
    floor = statistics.median(floors)
    return {"pages": pages, "text_chars": chars, "runs": runs,
            "pages_per_s_median": round(statistics.median(rates), 1),
            "pages_per_s_all": [round(x, 1) for x in rates],
            "floor_parse_and_headers_pages_per_s": round(floor, 1),
            "ingest_share_of_floor": round(statistics.median(rates) / floor, 2),
            "load_average_1m": round(os.getloadavg()[0], 1),
            "note": "real GDZ METS (333 pages); MAX images generated locally (200x300 JPEG), "
                    "one real ALTO page (SBB, 35 KB) copied per page"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="METS speed: one run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        result = {"layouts": layouts(tmp / "in"), "export": exports(tmp / "out"),
                  "mets_speed": mets_speed(tmp / "speed", 1 if args.quick else 3)}
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
