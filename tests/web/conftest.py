"""Fixtures for the web app: a real workspace (the bundled illustrations sample, real page
images), users of each role, a saved model, predictions and a review queue."""

from __future__ import annotations

import os
import random
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from glamlab.demo import demo_data
from glamlab.web.app import stop_background

PASSWORD = "correct horse battery"
CHEAP_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
USERS = {"ada": "admin", "rey": "reviewer", "rob": "reviewer", "val": "viewer"}


def seed_queue(ws: Any, *, seed: int = 0) -> int:
    """Fit a real baseline as the champion and queue one prediction per item."""
    import sqlalchemy as sa

    from glamlab.predictors.catalogue import get
    from glamlab.registry import save_model
    from glamlab.store import now

    rng = random.Random(seed)
    items = list(ws.items())
    labels = ws.card.labels
    gold = {it.item_id: [labels[i % len(labels)]] for i, it in enumerate(items[:10])}
    pred = get("majority")()
    pred.fit([it for it in items if it.item_id in gold], [gold[i.item_id] for i in items
                                                          if i.item_id in gold],
             classes=labels, multi_label=False)
    mv = save_model(ws, pred, name="majority", aliases=["champion"])
    t = ws.store.t
    stamp = now()
    with ws.store.write() as conn:
        run_id = conn.execute(t.runs.insert().values(
            model_id=mv.id, status="done", engine="local", workers=1, query={},
            planned=len(items), done=len(items), failed=0, started_at=stamp,
            finished_at=stamp)).inserted_primary_key[0]
        for it in items:
            score = round(rng.uniform(0.5, 0.99), 4)
            label = rng.choice(labels)
            pid = conn.execute(t.predictions.insert().values(
                run_id=run_id, model_id=mv.id, item_id=it.item_id, label=label, labels=[label],
                scores={label: score}, score=score, created_at=stamp)).inserted_primary_key[0]
            conn.execute(t.review_queue.insert().values(
                item_id=it.item_id, prediction_id=pid, model_id=mv.id, label=label,
                score=score, reason="below the accept threshold", kind="prediction",
                status="open", version=1, created_at=stamp))
        n = conn.execute(sa.select(sa.func.count()).select_from(t.review_queue)).scalar()
    return int(n or 0)


@pytest.fixture(autouse=True)
def _no_background_work_left() -> Any:
    """The web app works out slow reports in a background thread: let it finish before
    the next test (its workspace goes away, and ``warnings.catch_warnings`` in another
    thread would race with the next test's)."""
    yield
    for thread in threading.enumerate():
        if thread.name == "glamlab-refresh":
            thread.join(120)


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id hashes, with small parameters so the tests stay fast."""
    from glamlab.auth import users

    monkeypatch.setattr(users, "HASH_PARAMS", CHEAP_ARGON2)
    monkeypatch.setattr(users, "_DUMMY", [])


def _build(ws: Any) -> Any:
    from glamlab.auth import add_user

    d = demo_data("illustrations")
    ws.ingest([str(d / "labels.csv")], id_column="id", image_column="path")
    for name, role in USERS.items():
        add_user(ws, name, PASSWORD, role)
    return ws


WEB_WS = {"task": "illustrations", "modality": "image", "labels": ["graphic", "no_graphic"],
          "need": "Find the pages with pictures."}


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path] | None:
    """Built once per session on SQLite, then copied for each test (fast); PostgreSQL runs
    build each workspace afresh."""
    if os.environ.get("GLAMLAB_TEST_PG"):
        return None
    from glamlab import Workspace
    from glamlab.auth import users

    saved = users.HASH_PARAMS
    users.HASH_PARAMS = CHEAP_ARGON2
    try:
        root = tmp_path_factory.mktemp("web-templates")
        with Workspace.init(root / "web", **WEB_WS) as ws:
            _build(ws)
        shutil.copytree(root / "web", root / "queued")
        with Workspace.open(root / "queued") as ws:
            seed_queue(ws)
    finally:
        users.HASH_PARAMS = saved
    return {"web": root / "web", "queued": root / "queued"}


def _from_template(kind: str, templates: dict[str, Path] | None, make_ws: Any,
                   tmp_path: Path) -> Any:
    from glamlab import Workspace

    if templates is None:
        ws = _build(make_ws("web", **WEB_WS))
        if kind == "queued":
            seed_queue(ws)
        return ws
    shutil.copytree(templates[kind], tmp_path / kind)
    return Workspace.open(tmp_path / kind)


@pytest.fixture
def web_ws(_templates: Any, make_ws: Any, tmp_path: Path) -> Any:
    ws = _from_template("web", _templates, make_ws, tmp_path)
    yield ws
    ws.close()


@pytest.fixture
def queued_ws(_templates: Any, make_ws: Any, tmp_path: Path) -> Any:
    ws = _from_template("queued", _templates, make_ws, tmp_path)
    yield ws
    ws.close()


def _kind_project(kind: str, make_ws: Any, tmp_path: Path) -> Any:
    """An entities project (the NewsEye gold, a gazetteer and two new texts queued) or a
    tabular one (300 bookings rows)."""
    from tests import bookings, ner_project

    if kind == "entities":
        return ner_project.gold_and_new_texts(make_ws, tmp_path, 2)[0]
    return bookings.rows_project(make_ws, tmp_path)


@pytest.fixture(scope="session")
def _kind_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {"": tmp_path_factory.mktemp("kind-templates")}


@pytest.fixture
def kind_template(_kind_store: dict[str, Path], make_ws: Any, tmp_path: Path) -> Any:
    """``kind_template("entities" | "rows")``: a project of that kind, built once per
    session on SQLite (on first use) and copied for each test; PostgreSQL runs build it
    afresh. The caller closes it."""
    from glamlab import Workspace

    def factory(kind: str) -> Any:
        if os.environ.get("GLAMLAB_TEST_PG"):
            return _kind_project(kind, make_ws, tmp_path)
        if kind not in _kind_store:
            root = _kind_store[""] / kind
            root.mkdir()

            def make(name: str = "ws", **kw: Any) -> Any:
                kw.setdefault("need", "a test project")
                return Workspace.init(root / "ws", **kw)

            (root / "files").mkdir()
            made = _kind_project(kind, make, root / "files")
            made.close()
            _kind_store[kind] = root / "ws"
        shutil.copytree(_kind_store[kind], tmp_path / kind)
        return Workspace.open(tmp_path / kind)

    return factory


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    client.get("/login")
    token = client.cookies.get("glamlab_login_csrf")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf": token, "next": "/"}, follow_redirects=False)


def browser_login(page: Any, url: str, user: str) -> None:
    """Sign ``user`` in through the login form of a real browser page."""
    page.goto(url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/")


def csrf_of(client: Any) -> str:
    """The CSRF token a page carries (from the <body data-csrf> attribute)."""
    import re

    html = client.get("/").text
    m = re.search(r'data-csrf="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


@pytest.fixture
def client_for(queued_ws: Any) -> Any:
    from fastapi.testclient import TestClient

    from glamlab.web import create_app

    app = create_app(queued_ws)
    made: list[Any] = []

    def factory(username: str | None = None) -> Any:
        c = TestClient(app)
        made.append(c)
        if username:
            r = login(c, username)
            assert r.status_code == 303, r.text
        return c

    yield factory
    for c in made:
        c.close()
    app.state.refresher.wait(120)  # no background work outlives the workspace


class LiveServer:
    """uvicorn serving the app on 127.0.0.1 in a thread, on a port it holds from the start
    (a port found free, let go and bound again later could be taken in between, by
    another process's connection)."""

    def __init__(self, app: Any):
        import uvicorn

        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = int(self.socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.socket.close()


DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


@contextmanager
def chromium_page(ws: Any, path: str, *, csp: bool = False, user: str = "rey",
                  viewport: dict[str, int] | None = None
                  ) -> Iterator[tuple[Any, Any, list[str]]]:
    """The page ``path`` of the web app on ``ws`` in Chromium, signed in as ``user``
    (rey by default): ``(sync_api, page, errors)``, ``errors`` collecting the page's
    script errors (and, with ``csp``, what its Content-Security-Policy blocks, said on
    the console). The app's background work (its jobs, the refresher's) is stopped
    afterwards, before the workspace is closed. Skipped without Debian's chromium
    outside CI; CI installs it (.ci/run), so there a missing browser fails."""
    from glamlab.web import create_app
    from glamlab.web.app import stop_background

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists() and not os.environ.get("CI"):
        pytest.skip("needs Debian's chromium: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    app = create_app(ws)
    try:
        with LiveServer(app) as server, sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True,
                                        args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(**({"viewport": viewport} if viewport else {}))
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            if csp:
                page.on("console", lambda m: errors.append(m.text)
                        if "Content Security Policy" in m.text or "Refused to" in m.text
                        else None)
            browser_login(page, server.url, user)
            page.goto(server.url + path)
            yield sync_api, page, errors
            browser.close()
    finally:
        stop_background(app)


def stage_page_worked_out(ws: Any, stage: str) -> str:
    """The page ``/stages/<stage>`` of the web app on ``ws`` as val (added, a viewer) sees
    it once what the page works out in the background is done; the app's jobs stopped."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    add_user(ws, "val", PASSWORD, "viewer")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "val").status_code == 303
        c.get(f"/stages/{stage}")
        assert app.state.refresher.wait(120)
        page = c.get(f"/stages/{stage}").text
    stop_background(app)
    return str(page)


def app_with_users(ws: Any) -> Any:
    """The web app on ``ws`` with ada (admin) and rey (reviewer), as a generator for a
    fixture: yields ``(ws, app, client)``, ``client(user)`` a logged-in test client; the
    clients are closed and the background jobs stopped afterwards."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    add_user(ws, "ada", PASSWORD, "admin")
    add_user(ws, "rey", PASSWORD, "reviewer")
    app = create_app(ws)
    clients: list[Any] = []

    def client(user: str) -> Any:
        c = TestClient(app)
        clients.append(c)
        assert login(c, user).status_code == 303
        return c

    yield ws, app, client
    for c in clients:
        c.close()
    stop_background(app)
