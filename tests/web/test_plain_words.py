"""The web app speaks to curators who never open a terminal: no page shows a
``glamlab ...`` command or a ``--flag``, in a classification, an entities and a tabular
project, except where the words are deliberately for whoever runs glamlab on the server
or for people who script (:data:`FOR_ADMINS`, each with its reason). Errors the pages
show (a policy job that cannot start, a [policy] or [safety] that cannot be read,
monitoring without a reference) name the web app's pages; a tabular project's labelling
page speaks of rows."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

from glamlab.web.app import stop_background
from tests import bookings, ner_project
from tests.actions.test_act import TEST_BLANK, TEST_CONTENT, _add_calibration
from tests.actions.test_act import pages as pages  # noqa: F401  (the fixture)

from .conftest import PASSWORD, csrf_of, login
from .test_stages import lang_app as lang_app  # noqa: F401  (the fixture)

#: the pages a signed-in person reads: each stage, the queue, labelling, reports, admin
PAGES = ("/", "/stages", "/stages/project", "/stages/items", "/stages/label",
         "/stages/train", "/stages/evaluate", "/stages/run", "/stages/policy", "/stages/act",
         "/stages/trends", "/stages/export", "/stages/monitoring", "/queue", "/label",
         "/reports", "/admin", "/account/tokens", "/docs")

#: words deliberately for whoever runs glamlab on the server, or for people who script:
#: (page, words near the command, why a command is right there)
FOR_ADMINS: list[tuple[str, str, str]] = [
    ("/login", "The first admin is made on the server",
     "before the first account exists there is no admin to add people on the Admin page: "
     "only the person who runs glamlab can make one, on the server's command line"),
    *((page, "ask whoever runs glamlab on the server to run",
       "what the pages cannot do (replace a frozen test set too small for monitoring or "
       "used past its budget, import a calibration set, bring in a file too big to "
       "upload): the sentence names the one command an admin pastes on the server")
      for page in ("/", "/stages/monitoring", "/reports", "/stages/evaluate",
                   "/stages/policy", "/stages/items")),
    ("/docs", "",
     "the JSON API's page is for people who script: it says which command each call "
     "matches, and its example gets a token on the command line"),
]


def _pattern() -> re.Pattern[str]:
    from glamlab.cli import COMMANDS

    names = "|".join(sorted((re.escape(n) for n in COMMANDS), key=len, reverse=True))
    return re.compile(rf"glamlab (?:{names})\b|(?<![\w-])--[a-z][\w-]*")


def _visible(html: str) -> str:
    """The page without its scripts, styles and comments (a CSS ``--var`` is no flag),
    nor its CSRF token (random URL-safe text, which can start with ``--`` and a letter)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r'(data-csrf=|name="csrf" value=)"[^"]*"', r'\1""', html)
    return re.sub(r"<!--.*?-->", " ", html, flags=re.S)


def command_words(client: Any, pages: tuple[str, ...] = PAGES) -> list[str]:
    """Each command or flag the pages show outside :data:`FOR_ADMINS`, with its page and
    the words around it."""
    found: list[str] = []
    for path in pages:
        r = client.get(path)
        assert r.status_code < 500, (path, r.status_code, r.text[:500])
        text = _visible(r.text)
        for m in _pattern().finditer(text):
            near = text[max(0, m.start() - 400):m.end() + 400]
            if any(path == p and words in near for p, words, _why in FOR_ADMINS):
                continue
            around = " ".join(text[max(0, m.start() - 100):m.end() + 100].split())
            found.append(f"{path}: {m.group(0)!r} in ...{around}...")
    return found


class _Signed:
    """The web app on ``ws`` with an admin signed in; the background work stopped after."""

    def __init__(self, ws: Any):
        from fastapi.testclient import TestClient

        from glamlab.auth import add_user, list_users
        from glamlab.web import create_app

        if not any(u["username"] == "ada1" for u in list_users(ws)):
            add_user(ws, "ada1", PASSWORD, "admin")
        self.app = create_app(ws)
        self.client = TestClient(self.app)

    def __enter__(self) -> _Signed:
        self.client.__enter__()
        assert login(self.client, "ada1").status_code == 303
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.__exit__(None, None, None)
        stop_background(self.app)

    def settled(self, path: str) -> str:
        """The page once the reports it asked for are worked out in the background."""
        self.client.get(path)
        assert self.app.state.refresher.wait(300)
        return str(self.client.get(path).text)

    def sweep(self, pages: tuple[str, ...] = PAGES) -> list[str]:
        command_words(self.client, pages)  # the first look asks for the reports
        assert self.app.state.refresher.wait(300)
        return command_words(self.client, pages)


def _policy_job(s: _Signed) -> str:
    """Work out the thresholds on the Choose the policy page; the page after."""
    r = s.client.post("/stages/policy", data={"csrf": csrf_of(s.client),
                                              "target_precision": "0.95"},
                      follow_redirects=False)
    assert r.status_code == 303, r.text
    assert s.app.state.jobs.wait(300)
    return str(s.client.get("/stages/policy").text)


def _failed_policy_job(s: _Signed) -> str:
    """Work out the thresholds on the Choose the policy page; the job's failure."""
    page = _policy_job(s)
    m = re.search(r'<p class="problem">Choosing the thresholds failed: (.*?)</p>', page, re.S)
    assert m, page
    return m.group(1)


def test_a_classification_project_shows_no_commands(queued_ws: Any) -> None:
    from fastapi.testclient import TestClient

    with _Signed(queued_ws) as s:
        item = next(queued_ws.items()).item_id
        _failed_policy_job(s)  # its error stays in the job box on the policy page
        assert s.sweep((*PAGES, f"/items/{item}")) == []
        with TestClient(s.app) as anonymous:  # the login page, before signing in
            assert command_words(anonymous, ("/login",)) == []


def test_an_entities_project_shows_no_commands(make_ws: Any, tmp_path: Path) -> None:
    ws, _gold = ner_project.gold_and_new_texts(make_ws, tmp_path, 2)
    try:
        with _Signed(ws) as s:
            _policy_job(s)
            assert s.sweep() == []
    finally:
        ws.close()


def test_a_tabular_project_shows_no_commands_and_labels_rows(make_ws: Any,
                                                              tmp_path: Path) -> None:
    ws = bookings.rows_project(make_ws, tmp_path)
    with _Signed(ws) as s:
        assert s.sweep() == []
        assert config_words(s.client) == []  # the capacity page said "the card's [decision]"
        page = s.client.get("/label?split=train").text
        m = re.search(r'<h2 id="item-h">(\w+) <a href="/items/([^"]+)"', page)
        assert m, page
        assert m.group(1) == "Row"
        assert ws.item(m.group(2)).meta.get("is_canceled") in (None, "")  # no outcome yet
        assert "Which rows" in page and "Which items" not in page
        assert "random unlabelled rows" in page and "unlabelled items" not in page


def test_the_policy_job_says_its_fix_in_the_web_apps_words(queued_ws: Any) -> None:
    """No test split yet: the job box names the Label page, not `glamlab labels split`."""
    with _Signed(queued_ws) as s:
        error = _failed_policy_job(s)
    assert "no labelled test split" in error
    assert "on the Label page" in error and "glamlab" not in error, error


def test_a_policy_or_safety_rule_that_cannot_be_read_is_said_for_the_web(
        queued_ws: Any) -> None:
    """The act section and the Choose the policy page say who corrects the card, not
    "edit [policy] in glamlab.toml ... glamlab act --help"."""
    ws = queued_ws
    ws.card.raw["policy"] = {"labels": {"graphic": {"accept": 2}}}
    ws.save_card()
    with _Signed(ws) as s:
        act = s.settled("/stages/act")
        assert "must be between 0 and 1" in act, act
        assert "ask whoever runs glamlab on the server to correct the policy" in act
        policy = s.client.get("/stages/policy").text
        assert "must be between 0 and 1" in policy
        assert "ask whoever runs glamlab on the server to correct the policy" in policy
        assert command_words(s.client, ("/stages/act", "/stages/policy", "/stages/export",
                                        "/reports")) == []
    del ws.card.raw["policy"]
    ws.card.raw["safety"] = {"rules": "no photographs of people"}
    ws.save_card()
    with _Signed(ws) as s:
        act = s.settled("/stages/act")
        assert "[[safety.rules]]" in act, act
        assert "ask whoever runs glamlab on the server to correct the safety rules" in act
        assert command_words(s.client, ("/stages/act", "/stages/export", "/reports")) == []


def test_the_login_page_says_who_makes_the_first_account(web_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import list_users, remove_user
    from glamlab.web import create_app

    app = create_app(web_ws)
    with TestClient(app) as c:
        page = c.get("/login").text
        assert "admins add people on the Admin page" in page and "first-admin" not in page
        for u in list_users(web_ws):
            remove_user(web_ws, u["username"])
        page = c.get("/login").text
        assert 'id="first-admin"' in page
        assert "whoever runs glamlab" in page and "glamlab users add" in page
    stop_background(app)


def test_fresh_projects_show_no_commands(web_ws: Any, make_ws: Any) -> None:
    """Before anything is labelled or run (a classification project with its images in,
    a tabular project without its table)."""
    with _Signed(web_ws) as s:
        assert s.sweep() == []
    rows = make_ws("empty-rows", task="no-shows", modality="tabular", labels=["0", "1"])
    with _Signed(rows) as s:
        assert s.sweep() == []


def test_a_tuned_policy_shows_no_commands(pages: Any) -> None:  # noqa: F811
    """Thresholds worked out on the policy page and saved, past the test set's budget (its
    warning names no command), then what the policy would do and the export."""
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    pages.card.raw["gate"] = {"test_budget": 0}
    pages.save_card()
    with _Signed(pages) as s:
        page = _policy_job(s)
        assert "past its budget of 0" in page, page
        r = s.client.post("/stages/policy/save", data={
            "csrf": csrf_of(s.client), "job": re.search(r'name="job" value="(\d+)"',
                                                       page).group(1)},  # type: ignore[union-attr]
            follow_redirects=False)
        assert r.status_code == 303, r.text
        assert s.sweep() == []


#: the project card's settings named on a page (``[policy.labels."ORG"]``, ``action =
#: "review"``, "the card's [policy]"), and a page's own address shown as a count
CONFIG_WORDS = re.compile(r"\[(?:policy|export|decision|leakage|labels|gate|safety)\b"
                          r"|\baction = &#34;|\baction = \"|\bcard's\b|\bpage: /")


def config_words(client: Any, pages: tuple[str, ...] = PAGES) -> list[str]:
    """Each setting of the card, or raw page address, the pages show, with the words
    around it."""
    found = []
    for path in pages:
        r = client.get(path)
        assert r.status_code < 500, (path, r.status_code, r.text[:500])
        text = re.sub(r"<[^>]+>", "", _visible(r.text))
        for m in CONFIG_WORDS.finditer(text):
            around = " ".join(text[max(0, m.start() - 100):m.end() + 100].split())
            found.append(f"{path}: {m.group(0)!r} in ...{around}...")
    return found


def test_pages_name_no_card_settings_nor_raw_addresses(pages: Any) -> None:  # noqa: F811
    """The reports said what to do about a label far below its precision target as
    ``([policy.labels."content"] action = "review")``; the act page said "thresholds per
    label in the card's [policy]"; the overview's counts showed "page: /stages/items".
    Now they say it in the web app's words (the Choose the policy page)."""
    from tests.actions.test_act import KNOWN_POLICY, _set_policy

    _set_policy(pages, {**KNOWN_POLICY, "target_precision": 0.95,
                        "labels": {"blank": {"accept": 0.95, "review": 0.5},
                                   "content": {"accept": 0.9, "review": 0.75}}})
    with _Signed(pages) as s:
        s.sweep()  # the reports worked out in the background
        assert config_words(s.client) == []
        reports = s.settled("/reports")
        assert "content: only 1 of 2 test accepts right" in reports
        assert "raise its accept threshold on the Choose the policy page" in reports
        overview = s.client.get("/").text
        assert 'data-count="items-page"' not in overview and "/stages/items</b>" not in overview


def test_an_upload_too_big_says_who_brings_it_in_not_which_command(tmp_path: Path) -> None:
    """The items page's error for an upload over the limit said "(glamlab ingest)", as if
    the curator were to run it. It says who brings the file in, and the command is only
    what to ask that person to run."""
    import io

    import pytest

    from glamlab.errors import GlamlabError
    from glamlab.files import save_upload

    with pytest.raises(GlamlabError) as caught:
        save_upload(io.BytesIO(b"x" * 100), tmp_path / "uploads", "big.csv",
                    max_bytes=10)
    words = f"{caught.value.message} {caught.value.hint}"
    assert "larger than the limit" in words and "whoever runs glamlab on the server" in words
    mine, _, asked = words.partition("ask whoever runs glamlab on the server to run ")
    assert not _pattern().search(mine)
    assert asked.startswith('"glamlab ingest big.csv" there'), words


def _upload(s: _Signed, name: str, body: bytes) -> Any:
    return s.client.post("/stages/items", data={"csrf": csrf_of(s.client)},
                         files={"file": (name, body, "text/csv")}, follow_redirects=False)


def _posted(s: _Signed, path: str, data: dict[str, Any]) -> Any:
    return s.client.post(path, data={"csrf": csrf_of(s.client), **data},
                         follow_redirects=False)


def form_errors(s: _Signed) -> list[str]:
    """Post the main forms of a classification project with what makes them fail (a file
    that cannot be read, a table's columns wrong, labels not of the project, a label for no
    item, too few labels for a test set, training, evaluating and running with nothing to
    learn from), and each command or flag on the page each shows after, with its form."""
    found: list[str] = []

    def look(what: str, r: Any, follow: str | None = None) -> None:
        assert r.status_code < 500, (what, r.status_code, r.text[:500])
        if follow:  # a job: its error shows in the job box of its page
            assert r.status_code == 303, (what, r.text[:500])
            assert s.app.state.jobs.wait(300)
            r = s.client.get(follow)
        elif r.status_code == 303:  # taken: the page it goes to
            r = s.client.get(r.headers["location"])
        text = _visible(r.text)
        for m in _pattern().finditer(text):
            around = " ".join(text[max(0, m.start() - 150):m.end() + 150].split())
            found.append(f"{what}: {m.group(0)!r} in ...{around}...")

    look("an empty table", _upload(s, "empty.csv", b""))
    look("a file of no known kind", _upload(s, "notes.docx", b"PK not really"))
    look("a broken manifest", _upload(s, "manifest.json", b"{not json"))
    r = _upload(s, "labels.csv", b"id,text,label\na,hello,graphic\nb,world,nonsense\n")
    assert r.status_code == 303, r.text[:500]
    page = s.client.get(r.headers["location"])
    m = re.search(r'name="upload" value="([^"]+)"', page.text)
    assert m, page.text[:2000]
    table = {"upload": m.group(1), "file": "labels.csv"}
    look("a table mapped to a column it lacks",
         _posted(s, "/stages/items/table", {**table, "id_column": "nope"}))
    look("labels not of the project",
         _posted(s, "/stages/items/table", {**table, "id_column": "id", "text_column": "text",
                                            "label_column": "label"}), "/stages/items")
    look("a label for no item", _posted(s, "/label", {"item_id": "no-such-item",
                                                      "label": "graphic"}))
    look("a label not of the project",
         _posted(s, "/label", {"item_id": next(s.app.state.ws.items()).item_id,
                               "label": "nonsense"}))
    look("a test set with too few labels", _posted(s, "/label/test-set", {"share": "30"}))
    look("a test set of no share", _posted(s, "/label/test-set", {"share": "lots"}))
    look("training with no predictor", _posted(s, "/stages/train", {}))
    from glamlab.predictors.catalogue import for_project

    names = [r["name"] for r in for_project(s.app.state.ws.card)
             if "baseline" not in r["good_for"] and "entities" not in r["good_for"]]
    look("training with too few labels",
         _posted(s, "/stages/train", {"predictor": names[:1]}), "/stages/train")
    look("evaluating with nothing", _posted(s, "/stages/evaluate", {}), "/stages/evaluate")
    look("running with no model", _posted(s, "/stages/run", {}), "/stages/run")
    look("thresholds with no model", _posted(s, "/stages/policy",
                                             {"target_precision": "0.95"}), "/stages/policy")
    return found


def test_the_forms_errors_show_no_commands(make_ws: Any) -> None:
    """What a form says when it cannot do what was asked (an upload, a table's columns,
    labels, a test set, training, evaluating, running) names no command nor flag: the
    library's hints said e.g. ``glamlab labels split`` or ``--predictor``."""
    ws = make_ws("forms", task="illustrations", modality="image",
                 labels=["graphic", "no_graphic"])
    with _Signed(ws) as s:
        assert form_errors(s) == []


def test_the_web_knows_the_command_lines_commands() -> None:
    """The web layer's list of commands (it does not import the CLI) is the CLI's."""
    from glamlab.cli import COMMANDS
    from glamlab.web.words import COMMAND_NAMES

    assert sorted(COMMAND_NAMES) == sorted(COMMANDS)


def test_a_fix_that_asks_for_a_run_points_to_the_run_page() -> None:
    """"Run the champion first: glamlab run; or --model X" (act, export and trends when the
    champion has no predictions yet) said "train a model on the Train models page" on the
    pages, because --model was matched before glamlab run."""
    from glamlab.web.words import web_hint

    for hint in ("run it first: glamlab run; or choose prior@1's predictions yourself: "
                 "--model prior@1",
                 "run it over the collection first: glamlab run; or, to use prior@1's "
                 "predictions meanwhile, give --model prior@1",
                 "run one over the collection first: glamlab run --model NAME"):
        assert web_hint(hint) == "run the model in use on the Run page", hint
    assert web_hint("pass --model NAME, or compare models with glamlab evaluate") == (
        "train a model on the Train models page, then compare the models on the Evaluate "
        "page")


def _agreement_verdict(page: str) -> str:
    m = re.search(r'<p id="agreement-verdict">(.*?)</p>', page, re.S)
    assert m, page
    return " ".join(re.sub(r"<[^>]+>", "", m.group(1)).split())


def test_the_agreement_of_an_empty_project_says_nothing_is_labelled(make_ws: Any) -> None:
    """A project with no items said "...(it reads every prediction once)...ready..": a
    double full stop, and no prediction is read to compare labels. Now it says nothing is
    labelled yet; while labels are compared in the background, it says so, with one
    full stop."""
    ws = make_ws("empty", task="illustrations", modality="image",
                 labels=["graphic", "no_graphic"])
    with _Signed(ws) as s:
        verdict = _agreement_verdict(s.client.get("/overview/agreement").text)
        assert "nothing is labelled yet" in verdict, verdict
        assert ".." not in verdict and "prediction" not in verdict, verdict


def test_the_agreement_being_worked_out_names_labels_not_predictions(web_ws: Any) -> None:
    from glamlab.review.labelling import save_label

    save_label(web_ws, "ada", next(web_ws.items()).item_id, ["graphic"])
    with _Signed(web_ws) as s:
        verdict = _agreement_verdict(s.client.get("/overview/agreement").text)
        assert "worked out in the background" in verdict, verdict  # the first look asks
        assert ".." not in verdict and "prediction" not in verdict, verdict
        assert "compares the labels people gave" in verdict, verdict
        assert s.app.state.refresher.wait(300)


#: words a curator met on the pages and could not read: a Python package's "extra", a
#: metric's stored name, a bare p-value, a test's name as a column's header, a card
#: field, "0.0 hours", label-kind and averaging jargon
JARGON = re.compile(r"\bthe images extra\b|\bf1[_ ]macro\b|\bf1[_ ]micro\b|\bp [=<] 0?\.\d"
                    r"|\bbootstrap p\b|\bMcNemar p\b|\bp_value\b"
                    r"|\bwriting field\b|\babout 0\.0 hours\b|\bsingle-label\b"
                    r"|\bmulti-label\b|\bstrict micro\b")


def jargon_in(html: str, where: str) -> list[str]:
    """Each of :data:`JARGON` in ``html`` as it reads (tooltips left out; "p &lt; 0.005"
    reads "p < 0.005"), with the words around."""
    text = unescape(re.sub(r"<[^>]+>", " ", _visible(html)))
    return [f"{where}: {m.group(0)!r} in ..."
            + " ".join(text[max(0, m.start() - 100):m.end() + 100].split()) + "..."
            for m in JARGON.finditer(text)]


def jargon_words(client: Any, pages: tuple[str, ...] = PAGES) -> list[str]:
    """Each of :data:`JARGON` the pages show (tooltips left out), with the words around."""
    found = []
    for path in pages:
        r = client.get(path)
        assert r.status_code < 500, (path, r.status_code, r.text[:500])
        found += jargon_in(r.text, path)
    return found


def test_the_pages_of_a_tuned_project_speak_plainly(pages: Any) -> None:  # noqa: F811
    """The Train page said "the images extra"; what the policy would do said "writing
    field blank-pages"; the project page said "single-label" and "f1_macro"; Choose the
    policy said "about 0.0 hours of review" for a few items."""
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    with _Signed(pages) as s:
        policy = _policy_job(s)
        m = re.search(r"sent to a person \(([^)]*) of review\)", policy)
        assert m and re.fullmatch(r"under a minute|about \d+ minutes?", m.group(1)), policy
        s.sweep()
        found = jargon_words(s.client, (*PAGES, "/stages/policy"))
        assert found == [], "\n".join(found)
        act = s.client.get("/stages/act").text
        assert "writing the result to each item's <b>blank-pages</b> field" in act


def test_the_pages_of_an_evaluated_project_speak_plainly(lang_app: Any) -> None:
    """Evaluate and Reports said "f1_macro" and "p = 0.011": now "F1 (macro average)"
    (its stored name in a tooltip) and how often luck alone gives a gap this big, its number
    kept."""
    from glamlab.registry import list_models

    ws, app, c = lang_app
    posted = {"csrf": csrf_of(c)}
    assert c.post("/stages/evaluate", data=posted, follow_redirects=False).status_code == 303
    assert app.state.jobs.wait(300)
    spec = next(f"{m.name}@{m.version}" for m in list_models(ws) if m.name == "majority")
    assert c.post("/admin/alias", data={**posted, "model": spec, "alias": "champion",
                                        "confirmed": "yes"},
                  follow_redirects=False).status_code == 303
    assert c.post("/stages/run", data=posted, follow_redirects=False).status_code == 303
    assert app.state.jobs.wait(300)
    assert c.post("/stages/policy", data={**posted, "target_precision": "0.9"},
                  follow_redirects=False).status_code == 303
    assert app.state.jobs.wait(300)
    command_words(c)  # the first look asks for the reports
    assert app.state.refresher.wait(300)
    found = jargon_words(c, (*PAGES, "/stages/policy"))
    assert found == [], "\n".join(found)
    reports = c.get("/reports").text
    assert re.search(r"how often luck alone gives a gap this big: (under )?\d+(\.\d)?% \(p-value "
                     r"(under )?0?\.\d+\)", reports), reports
    assert ('<abbr title="f1_macro: a macro average works the figure out for each label on '
            "its own") in c.get("/stages/evaluate").text


def test_the_command_line_s_html_report_speaks_as_the_pages_do(lang_app: Any,
                                                                tmp_path: Path) -> None:
    """The report ``glamlab evaluate --html`` (and ``glamlab baseline --html``) writes
    said "f1_macro" in its tables and heading, "p < 0.00498" in its verdict and
    comparisons, and "bootstrap p", "McNemar p" and "p_value" as column headers, as the
    Reports page's headers did. Both say them in words now; each measure's and test's
    exact name stays in a tooltip, for the data scientist."""
    from click.testing import CliRunner

    from glamlab.cli import cli

    ws, _app, c = lang_app
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    runner = CliRunner()
    for args in (["baseline", "--html", str(tmp_path / "baseline.html")],
                 ["train", "text-tfidf"],
                 ["evaluate", "--n-boot", "200", "--html", str(tmp_path / "evaluate.html")]):
        r = runner.invoke(cli, [*base, *args])
        assert r.exit_code == 0, r.output
    for name in ("baseline.html", "evaluate.html"):
        report = (tmp_path / name).read_text(encoding="utf-8")
        assert jargon_in(report, name) == [], "\n".join(jargon_in(report, name))
        assert ('<abbr title="f1_macro: a macro average works the figure out for each label '
                "on its own") in report, name
    report = (tmp_path / "evaluate.html").read_text(encoding="utf-8")
    assert ('<abbr title="paired bootstrap p-value">how often luck alone gives a gap this big'
            in report)
    assert '<abbr title="McNemar p-value">how often luck alone gives a gap this big' in report
    assert re.search(r"how often luck alone gives a gap this big: (under )?\d+(\.\d)?% \(p-value "
                     r"(under )?0?\.\d+\)", unescape(report)), report
    # the Reports page's table of the same comparisons says them the same way
    c.get("/reports")
    assert c.app.state.refresher.wait(300)
    page = c.get("/reports").text
    assert jargon_in(page, "/reports") == [], "\n".join(jargon_in(page, "/reports"))
    assert '<abbr title="McNemar p-value">how often luck alone gives a gap this big' in page


def test_review_time_is_said_as_a_person_says_it() -> None:
    """A few items to review read "about 0.0 hours of review"."""
    from glamlab.progress import review_time

    assert [review_time(h) for h in (0.0, 0.004, 1 / 60, 0.2, 0.999, 3.46)] == [
        "under a minute", "under a minute", "about 1 minute", "about 12 minutes",
        "about 1.0 hours", "about 3.5 hours"]


def test_a_csrf_token_that_starts_like_a_flag_is_not_a_command() -> None:
    """The CSRF token is random URL-safe text: one that began with ``--s`` failed the
    sweep of fresh projects once (CI-like run), as if the page named a flag."""
    page = ('<body data-csrf="--sAz9n9o6"><form><input type="hidden" name="csrf" '
            'value="--sAz9n9o6"></form><p>Run it with --model x</p></body>')
    assert _pattern().findall(_visible(page)) == ["--model"]
