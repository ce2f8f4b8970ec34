"""A real local HTTP server that behaves like a paid vision API (Google Vision's
``labelAnnotations`` shape): it decodes the page image it is sent and answers labels with
scores, and for the items a test scripts it answers errors, 429 with Retry-After,
malformed JSON, answers without labels, or too late. Plus a workspace on the bundled
illustrations sample (real page images) whose card has a ``[services.vision]`` block."""

from __future__ import annotations

import base64
import csv
import io
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from glamlab.demo import demo_data

SECRET = "vision-key-3b1f-DO-NOT-LEAK"
PRICE = 0.0015


class FakeVision(BaseHTTPRequestHandler):
    """POST {"id": ITEM, "image": {"content": BASE64}} -> {"responses": [{"labelAnnotations":
    [{"description": ..., "score": ...}, ...]}]}. ``script[item]``: what to answer that
    item, one entry per request (the last one repeats): "ok", "500", "404", "429",
    "garbled", "nolabels", "slow"."""

    requests: Counter[str] = Counter()
    script: dict[str, list[str]] = {}
    lock = threading.Lock()

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        item = str(body.get("id"))
        with FakeVision.lock:
            FakeVision.requests[item] += 1
            steps = FakeVision.script.get(item, ["ok"])
            step = steps.pop(0) if len(steps) > 1 else steps[0]
        if self.headers.get("Authorization") != f"Bearer {SECRET}":
            return self._send(401, b'{"error": {"message": "API key not valid"}}')
        if step in ("500", "404"):
            return self._send(int(step), b'{"error": {"message": "nope"}}')
        if step == "429":
            return self._send(429, b'{"error": {"message": "quota"}}', retry_after="0")
        if step == "garbled":
            return self._send(200, b'{"responses": [{"labelAnnotations": [')
        if step == "nolabels":
            return self._send(200, b'{"responses": [{"error": "unsupported image"}]}')
        if step == "slow":
            time.sleep(2.5)  # past the client's timeout_s
        labels = _look(base64.b64decode(body["image"]["content"]))
        self._send(200, json.dumps({"responses": [{"labelAnnotations": labels}]}).encode())

    def _send(self, status: int, payload: bytes, retry_after: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeouts)
            pass


def _look(image: bytes) -> list[dict[str, Any]]:
    """Labels from the page itself: the share of dark pixels says how much picture."""
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(image)) as im:
        im.draft("L", (160, 160))  # JPEG: decode at a small size, fast
        g = im.convert("L")
        g.thumbnail((160, 160))
        px = np.asarray(g)
    dark = float((px < 90).mean()) if px.size else 0.0
    picture = round(min(0.99, dark * 6), 3)
    return [{"description": "Illustration", "score": picture},
            {"description": "Font", "score": round(1 - picture, 3)},
            {"description": "Paper", "score": 0.91},
            {"description": "Art" if picture > 0.5 else "Handwriting", "score": 0.6}]


def serve() -> Iterator[str]:
    FakeVision.requests = Counter()
    FakeVision.script = {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeVision)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1/images:annotate"
    finally:
        httpd.shutdown()
        httpd.server_close()


def service_block(url: str, **kw: Any) -> dict[str, Any]:
    block: dict[str, Any] = {
        "url": url, "secret_env": "VISION_KEY",
        "request": {"id": "{item_id}", "image": {"content": "{image_base64}"}},
        "labels_path": "responses.0.labelAnnotations", "label_key": "description",
        "score_key": "score", "price_per_call": PRICE, "budget": 1.0, "max_retries": 1,
        "backoff_s": 0.01, "timeout_s": 2.0,
        "mapping": {"Illustration": "graphic", "Font": "no_graphic"},
    }
    block.update(kw)
    return block


def pages_workspace(make_ws: Any, tmp_path: Path, url: str, n: int = 30, **kw: Any) -> Any:
    """``n`` real pages of the illustrations sample, labelled and split, with the
    service in the card."""
    from glamlab.tasks import import_labels, split_labels

    d = demo_data("illustrations")
    with open(d / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows = rows[:: max(1, len(rows) // n)][:n]
    sheet = tmp_path / "pages.csv"
    with open(sheet, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "path", "label", "document"])
        for r in rows:
            w.writerow([r["id"], str(d / r["path"]), r["label"], r["document"]])
    ws = make_ws("pages", modality="image", labels=["graphic", "no_graphic"],
                 task="illustrations")
    ws.card.raw["services"] = {"vision": service_block(url, **kw)}
    ws.save_card()
    report = ws.ingest([sheet], id_column="id", image_column="path")
    assert report.failed == 0 and report.added == len(rows), report.problems
    import_labels(ws, sheet)
    split_labels(ws, test_size=0.3, seed=0)
    return ws
