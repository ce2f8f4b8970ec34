"""Fault and bad-input probes, run for real through the command line. Prints one JSON
document ``{"probes": {name: "pass" | "fail" | "skipped: why"}, "details": {...},
"kill9": {store: {kills, items, duplicates, missing}}}``; exit status 1 if any probe fails.

Each probe is what an unlucky operator or an attacker would do:

* ``kill9_sqlite`` / ``kill9_postgresql``: ``kill -9`` a ``glamlab run`` (and its workers)
  at random moments, ``--kills`` times, then ``--resume``: every item predicted exactly
  once (the table gives kills, items, duplicates, missing);
* ``disk_full``: a workspace on a 3 MiB file system (a tmpfs when this process may mount
  one, else SQLite's page limit, which returns the same SQLITE_FULL): ingest of a larger
  table is one line on stderr, exit 2, and what was stored before is intact;
* ``read_only_workspace``: the same file system remounted read-only: one line, exit 2;
* ``damaged_database``: ``glamlab.db`` overwritten with other bytes: one line, exit 2;
* ``nul_newline_ids_sqlite`` / ``_postgresql``: a table with a NUL and a newline in ids:
  the valid rows are stored, each bad row is a problem, exit 1;
* ``filter_injection``: an item whose URI holds a newline (stored by another tool) never
  adds a line to the filter list sent to a paid service;
* ``hanging_item_inline`` / ``hanging_item_workers``: one item whose rule backtracks for
  ever, ``--timeout 2`` with ``--workers 0`` and ``--workers 1``: recorded as failed, the
  rest predicted, the run ends;
* ``sigterm_inline``: SIGTERM to a ``--workers 0`` run stuck on that item: it stops within
  seconds, exit 130, the run is ``stopped`` (never left ``running``);
* ``hostile_manifest_local_file``: a remote IIIF manifest naming a local file as its image:
  refused, nothing read; ``xml_entity_bomb``: an ALTO file declaring entities: refused;
  ``decompression_bomb``: a PNG header claiming 10^10 pixels: refused without decoding;
* ``export_to_a_folder``: ``export --out`` a folder: one line, exit 2.

    python benchmarks/faults.py [--kills 10] [--pg postgresql://...]

PostgreSQL probes use ``--pg`` or ``GLAMLAB_TEST_PG``; without either, the script runs
itself under ``scripts/pg-test-server`` when that can start a server, else they are skipped.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

BOOT = ("import sys; from tests.inference.predictors import register; register(); "
        "from glamlab.cli import main; sys.argv[0] = 'glamlab'; main()")


def glamlab(ws: Path, *args: str, timeout: float = 300, **kw: Any) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    return subprocess.run([sys.executable, "-c", BOOT, "-w", str(ws), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout, **kw)


def spawn(ws: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    return subprocess.Popen([sys.executable, "-c", BOOT, "-w", str(ws), *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def one_line(proc: subprocess.CompletedProcess, code: int, needle: str) -> bool:
    """Exit ``code``, no traceback, and the error as one ``error:`` line (with its
    ``fix:`` line) at the end of stderr; progress lines may come before it."""
    lines = proc.stderr.strip().splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith("error: ")]
    return (proc.returncode == code and "Traceback" not in proc.stderr and len(errors) == 1
            and errors[0] >= len(lines) - 2 and needle in lines[errors[0]])


def new_ws(path: Path, db: str | None = None, labels: str = "a,b") -> Path:
    args = ["init", str(path), "--task", "probe", "--modality", "text", "--labels", labels]
    env_db = ["--db", db] if db else []
    out = subprocess.run([sys.executable, "-m", "glamlab", *env_db, *args], cwd=ROOT,
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return path


def write_table(path: Path, n: int, prefix: str = "doc", width: int = 3) -> list[str]:
    ids = [f"{prefix}-{i:05d}" for i in range(n)]
    path.write_text("id,text\n" + "".join(f"{i},{'text ' * width}{i}\n" for i in ids))
    return ids


def save_model(ws: Path, **params: Any) -> None:
    """A deterministic test model (tests/inference/predictors.py), saved as ``hash``."""
    from tests.inference.predictors import HashPredictor

    from glamlab import Workspace

    with Workspace.open(ws) as w:
        from glamlab.registry import save_model as save

        items = list(w.items(limit=4))
        pred = HashPredictor(**params).fit(items, ["a", "b", "a", "b"][:len(items)],
                                           classes=["a", "b"])
        save(w, pred, name="hash")


def predictions(ws: Path) -> list[str]:
    import sqlalchemy as sa

    from glamlab import Workspace

    with Workspace.open(ws) as w, w.store.read() as conn:
        return [r[0] for r in conn.execute(sa.select(w.store.t.predictions.c.item_id))]


# -- probes ------------------------------------------------------------------------
def kill9(tmp: Path, db: str | None, kills: int, seed: int) -> dict[str, Any]:
    ws = new_ws(tmp / "kill9", db)
    ids = write_table(tmp / "kill9.csv", 600)
    glamlab(ws, "ingest", str(tmp / "kill9.csv"))
    save_model(ws, sleep_each=0.01)
    rng = random.Random(seed)
    landed = 0
    for attempt in range(kills):
        before = len(predictions(ws))
        proc = spawn(ws, "run", "--model", "hash", "--workers", "2", "--batch-size", "10",
                     *(["--resume"] if attempt else []))
        deadline = time.monotonic() + 60
        while proc.poll() is None and len(predictions(ws)) == before \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            landed += 1
        proc.communicate(timeout=60)
    final = glamlab(ws, "run", "--model", "hash", "--workers", "2", "--json")
    got = predictions(ws)
    dup = len(got) - len(set(got))
    missing = len(set(ids) - set(got))
    return {"kills": landed, "items": len(ids), "predictions": len(got), "duplicates": dup,
            "missing": missing, "final_exit": final.returncode,
            "pass": final.returncode == 0 and dup == 0 and missing == 0 and landed > 0}


class SmallDisk:
    """A 3 MiB tmpfs (needs the right to mount), else None."""

    def __init__(self, where: Path):
        self.where = where
        self.mounted = False

    def __enter__(self) -> SmallDisk:
        self.where.mkdir(parents=True, exist_ok=True)
        if shutil.which("mount") and os.geteuid() == 0:
            r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs",
                                str(self.where)], capture_output=True)
            self.mounted = r.returncode == 0
        return self

    def readonly(self) -> bool:
        r = subprocess.run(["mount", "-o", "remount,ro", str(self.where)], capture_output=True)
        return r.returncode == 0

    def __exit__(self, *exc: object) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.where)], capture_output=True)


def disk_full_and_read_only(tmp: Path, details: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    with SmallDisk(tmp / "small") as disk:
        if not disk.mounted:
            return {"disk_full": "skipped: cannot mount a small file system here (the test "
                                 "suite covers it with SQLite's page limit)",
                    "read_only_workspace": "skipped: cannot mount a file system here"}
        ws = new_ws(disk.where / "ws")
        write_table(tmp / "small.csv", 20)
        first = glamlab(ws, "ingest", str(tmp / "small.csv"))
        write_table(tmp / "big.csv", 6000, prefix="big", width=200)
        full = glamlab(ws, "ingest", str(tmp / "big.csv"))
        kept = glamlab(ws, "items", "count", "--json")
        ok = (first.returncode == 0 and one_line(full, 2, "disk") and kept.returncode == 0
              and json.loads(kept.stdout)["count"] >= 20)
        details["disk_full"] = {"exit": full.returncode, "stderr": full.stderr.strip()[:300]}
        out["disk_full"] = "pass" if ok else "fail"
        if disk.readonly():
            ro = glamlab(ws, "ingest", str(tmp / "small.csv"))
            details["read_only_workspace"] = {"exit": ro.returncode,
                                              "stderr": ro.stderr.strip()[:300]}
            out["read_only_workspace"] = "pass" if (
                ro.returncode == 2 and "Traceback" not in ro.stderr
                and ro.stderr.startswith("error: ")) else "fail"
        else:
            out["read_only_workspace"] = "skipped: cannot remount read-only"
    return out


def damaged_database(tmp: Path, details: dict[str, Any]) -> str:
    ws = new_ws(tmp / "damaged")
    for f in ws.glob("glamlab.db*"):
        f.unlink()
    (ws / "glamlab.db").write_bytes(b"not a database, a spreadsheet perhaps" * 200)
    r = glamlab(ws, "status")
    details["damaged_database"] = r.stderr.strip()[:300]
    return "pass" if one_line(r, 2, "not a SQLite database") else "fail"


def bad_ids(tmp: Path, db: str | None, name: str, details: dict[str, Any]) -> str:
    ws = new_ws(tmp / name, db)
    src = tmp / f"{name}.csv"
    src.write_text('id,text\nok1,one\nbad\x00id,two\n"new\nline",three\nok2,four\n')
    r = glamlab(ws, "ingest", str(src), "--json")
    data = json.loads(r.stdout) if r.stdout.strip() else {}
    details[name] = {"exit": r.returncode, "added": data.get("added"),
                     "failed": data.get("failed")}
    return "pass" if (r.returncode == 1 and data.get("added") == 2
                      and data.get("failed") == 2 and "Traceback" not in r.stderr) else "fail"


def filter_injection(tmp: Path, details: dict[str, Any]) -> str:
    from glamlab import Workspace
    from glamlab.store import now

    ws = new_ws(tmp / "filter", labels="blank,content")
    with Workspace.open(ws) as w:
        w.card.positive_label = "blank"
        w.save_card()
        t = w.store.t
        with w.store.write() as conn:  # as another tool might have stored them
            for i, uri in enumerate(["/scans/p1.jpg", "/scans/x\nhttps://evil.example/pay.jpg"]):
                conn.execute(t.items.insert().values(
                    item_id=f"p{i}", version=1, is_current=True, modality="image",
                    source_kind="folder", source="probe", uri=uri, content_hash=f"h{i}",
                    meta={}, created_at=now()))
    with Workspace.open(ws) as w:
        from glamlab.predictors.catalogue import get
        from glamlab.registry import save_model as save

        pred = get("majority")().fit(list(w.items()), ["content", "content"],
                                     classes=["blank", "content"])
        save(w, pred, name="maj")
    glamlab(ws, "run", "--model", "maj", "--workers", "0")
    out = tmp / "filter.txt"
    r = glamlab(ws, "export", "--format", "filter", "--out", str(out))
    lines = out.read_text().splitlines() if out.exists() else []
    details["filter_injection"] = {"exit": r.returncode, "lines": lines}
    return "pass" if (r.returncode == 1 and "https://evil.example/pay.jpg" not in lines
                      and "/scans/p1.jpg" in lines) else "fail"


def hanging(tmp: Path, workers: int, details: dict[str, Any]) -> str:
    name = f"hang{workers}"
    ws = new_ws(tmp / name)
    ids = write_table(tmp / f"{name}.csv", 30)
    glamlab(ws, "ingest", str(tmp / f"{name}.csv"))
    save_model(ws, backtrack_on=(ids[11],))
    start = time.monotonic()
    r = glamlab(ws, "run", "--model", "hash", "--workers", str(workers), "--timeout", "2",
                "--batch-size", "8", "--json", timeout=240)
    took = time.monotonic() - start
    data = json.loads(r.stdout) if r.stdout.strip() else {}
    details[f"hanging_item_{'inline' if workers == 0 else 'workers'}"] = {
        "exit": r.returncode, "seconds": round(took, 1), "done": data.get("done"),
        "failed": data.get("failed"), "status": data.get("status")}
    return "pass" if (r.returncode == 1 and data.get("done") == 29 and data.get("failed") == 1
                      and data.get("status") == "done") else "fail"


def sigterm_inline(tmp: Path, details: dict[str, Any]) -> str:
    import sqlalchemy as sa

    from glamlab import Workspace

    ws = new_ws(tmp / "term")
    ids = write_table(tmp / "term.csv", 30)
    glamlab(ws, "ingest", str(tmp / "term.csv"))
    save_model(ws, backtrack_on=(ids[20],))
    proc = spawn(ws, "run", "--model", "hash", "--workers", "0", "--batch-size", "5",
                 "--timeout", "600")
    deadline = time.monotonic() + 60
    while len(predictions(ws)) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        details["sigterm_inline"] = {"stopped_within_s": None}
        return "fail"
    took = time.monotonic() - start
    with Workspace.open(ws) as w, w.store.read() as conn:
        status = conn.execute(sa.select(w.store.t.runs.c.status)).scalar()
    details["sigterm_inline"] = {"exit": proc.returncode, "stopped_within_s": round(took, 1),
                                 "status": status}
    return "pass" if proc.returncode == 130 and status == "stopped" and took < 20 else "fail"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def hostile_inputs(tmp: Path, details: dict[str, Any]) -> dict[str, str]:
    import functools
    import struct
    import zlib

    www = tmp / "www"
    www.mkdir()
    secret = tmp / "secret.png"
    secret.write_bytes(b"\x89PNG")  # never read
    manifest = {"@context": "http://iiif.io/api/presentation/3/context.json",
                "id": "http://x/m", "type": "Manifest", "items": [{
                    "id": "http://x/c1", "type": "Canvas", "width": 10, "height": 10,
                    "items": [{"id": "http://x/p1", "type": "AnnotationPage", "items": [{
                        "id": "http://x/a1", "type": "Annotation", "motivation": "painting",
                        "target": "http://x/c1",
                        "body": {"id": str(secret), "type": "Image"}}]}]}]}
    (www / "m.json").write_text(json.dumps(manifest))
    handler = functools.partial(_Quiet, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out: dict[str, str] = {}
    try:
        ws = new_ws(tmp / "hostile")
        r = glamlab(ws, "ingest", f"http://127.0.0.1:{server.server_port}/m.json", "--json")
        data = json.loads(r.stdout) if r.stdout.strip() else {}
        out["hostile_manifest_local_file"] = "pass" if (
            data.get("added") == 0 and data.get("failed") == 1) else "fail"
        details["hostile_manifest_local_file"] = (data.get("problems") or [{}])[0].get("reason")
    finally:
        server.shutdown()
    bomb = tmp / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                    '<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page>'
                    '<PrintSpace><TextBlock><TextLine><String CONTENT="&b;"/></TextLine>'
                    '</TextBlock></PrintSpace></Page></Layout></alto>')
    r = glamlab(ws, "ingest", str(bomb), "--json")
    data = json.loads(r.stdout) if r.stdout.strip() else {}
    out["xml_entity_bomb"] = "pass" if data.get("added") == 0 and data.get("failed") == 1 \
        else "fail"

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000,
                                                           8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))
    (tmp / "pngs").mkdir()
    (tmp / "pngs" / "bomb.png").write_bytes(png)
    img_ws = tmp / "imgs"
    subprocess.run([sys.executable, "-m", "glamlab", "init", str(img_ws), "--task", "p",
                    "--modality", "image", "--labels", "a,b"], cwd=ROOT, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    r = glamlab(img_ws, "ingest", str(tmp / "pngs"), "--json")
    data = json.loads(r.stdout) if r.stdout.strip() else {}
    out["decompression_bomb"] = "pass" if (
        data.get("failed") == 1 and "bomb" in (data.get("problems") or [{}])[0].get("reason", "")
    ) else "fail"
    return out


def export_to_a_folder(tmp: Path, details: dict[str, Any]) -> str:
    ws = new_ws(tmp / "exp")
    write_table(tmp / "exp.csv", 5)
    glamlab(ws, "ingest", str(tmp / "exp.csv"))
    save_model(ws)
    glamlab(ws, "run", "--model", "hash", "--workers", "0")
    r = glamlab(ws, "export", "--format", "csv", "--out", str(tmp))
    details["export_to_a_folder"] = r.stderr.strip()[:200]
    return "pass" if one_line(r, 2, "is a folder") else "fail"


def run_probe(name: str, fn: Callable[[], Any], probes: dict[str, str],
              details: dict[str, Any]) -> None:
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 - a probe that crashes is a failed probe
        probes[name] = "fail"
        details[name] = f"the probe crashed: {type(exc).__name__}: {exc}"
        return
    if isinstance(result, dict):
        probes.update(result)
    else:
        probes[name] = result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--pg", default=os.environ.get("GLAMLAB_TEST_PG"))
    args = ap.parse_args()
    if not args.pg and os.environ.get("GLAMLAB_FAULTS_NO_PG") is None \
            and (ROOT / "scripts" / "pg-test-server").exists() \
            and Path("/usr/lib/postgresql/15/bin/pg_ctl").exists():
        env = {**os.environ, "GLAMLAB_FAULTS_NO_PG": "1"}
        return subprocess.call([str(ROOT / "scripts" / "pg-test-server"), sys.executable,
                                __file__, *sys.argv[1:]], env=env)
    probes: dict[str, str] = {}
    details: dict[str, Any] = {}
    kill_table: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp(prefix="glamlab-faults-"))
    try:
        def kill_probe(store: str, db: str | None) -> str:
            kill_table[store] = kill9(tmp / store, db, args.kills, args.seed)
            return "pass" if kill_table[store].pop("pass") else "fail"

        (tmp / "sqlite").mkdir()
        run_probe("kill9_sqlite", lambda: kill_probe("sqlite", None), probes, details)
        if args.pg:
            from tests.pg import fresh_database

            (tmp / "postgresql").mkdir()
            run_probe("kill9_postgresql", lambda: kill_probe(
                "postgresql", fresh_database(args.pg, "faults_kill9")), probes, details)
            run_probe("nul_newline_ids_postgresql", lambda: bad_ids(
                tmp, fresh_database(args.pg, "faults_ids"), "nul_newline_ids_postgresql",
                details), probes, details)
        else:
            probes["kill9_postgresql"] = "skipped: no PostgreSQL server (--pg)"
            probes["nul_newline_ids_postgresql"] = "skipped: no PostgreSQL server (--pg)"
        run_probe("nul_newline_ids_sqlite",
                  lambda: bad_ids(tmp, None, "nul_newline_ids_sqlite", details), probes, details)
        run_probe("disk_full", lambda: disk_full_and_read_only(tmp, details), probes, details)
        run_probe("damaged_database", lambda: damaged_database(tmp, details), probes, details)
        run_probe("filter_injection", lambda: filter_injection(tmp, details), probes, details)
        run_probe("hanging_item_inline", lambda: hanging(tmp, 0, details), probes, details)
        run_probe("hanging_item_workers", lambda: hanging(tmp, 1, details), probes, details)
        run_probe("sigterm_inline", lambda: sigterm_inline(tmp, details), probes, details)
        run_probe("hostile_inputs", lambda: hostile_inputs(tmp, details), probes, details)
        run_probe("export_to_a_folder", lambda: export_to_a_folder(tmp, details), probes,
                  details)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps({"probes": probes, "kill9": kill_table, "details": details}, indent=2,
                     default=str))
    return 1 if any(v == "fail" for v in probes.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
