"""A filter project (``positive_label``) in the web app: the Act page says what the
filter does (held back, sent on, money saved, wrongly held back) from the same report
figures ``glamlab act`` prints, before and after applying the policy; the Export page
offers the send-on list (``glamlab export --format filter``) as a plain-text download.
Before, the Act page showed only "accepted automatically" per label, which a manager
read as the number held back, and the Export page had no send-on list at all."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from glamlab.demo import project

from .conftest import PASSWORD, app_with_users, csrf_of, login, stop_background


@pytest.fixture
def blank_pages(make_ws: Any) -> Any:
    """The blank-pages demo's lifecycle, run (its act stage applies the policy)."""
    p = project("blank-pages")
    ws = make_ws("blank", **p.init)
    for _, stage in p.stages:
        stage(ws, p, lambda _: None)
    yield from app_with_users(ws)


def _figures(page: str, box: str) -> dict[str, str]:
    """The figures (``data-figure``) of the paragraph ``id=box`` of a page."""
    assert f'id="{box}"' in page, page
    part = page.split(f'id="{box}"', 1)[1].split("</p>", 1)[0]
    return {k: html.unescape(v) for k, v in re.findall(r'data-figure="([^"]+)">([^<]*)<', part)}


def test_the_act_page_says_what_the_filter_does(
        blank_pages: Any, tmp_path: Path) -> None:
    from glamlab.actions import export, plan

    ws, app, client = blank_pages
    ada, rey = client("ada"), client("rey")
    report = plan(ws, dry_run=True).to_dict()["filter"]
    cli = export(ws, "filter", tmp_path / "send-on.txt")
    listed = (tmp_path / "send-on.txt").read_text(encoding="utf-8")
    sent_on = len(listed.splitlines())
    assert sent_on == cli["uris"] > 0 and report["accepted_as_positive"] > 0

    # the dry run on the Act page (worked out in the background)
    rey.get("/stages/act")
    assert app.state.refresher.wait(120)
    page = rey.get("/stages/act").text
    shown = _figures(page, "act-filter")
    assert int(shown["sent-on"]) == sent_on
    assert int(shown["held-back"]) == ws.count_items() - sent_on
    assert shown["money-saved"] == f"{report['money_saved']:,.2f} {report['currency']}"
    # and on 100,000 pages like these, with its interval, as glamlab act and the demo
    # say it (the page left it out)
    p = report["projected"]
    assert p and p["ci95"][0] <= p["saved"] <= p["ci95"][1]
    assert re.match(rf"for 100,000 \w+ like these, about {p['saved']:,.0f} "
                    rf"{report['currency']} saved \(95% interval {p['ci95'][0]:,.0f} to "
                    rf"{p['ci95'][1]:,.0f}:", shown["projected"]), shown
    # an expected count of pages is said as act says it: whole pages, never "1.05263"
    from glamlab.actions.act import about_count

    assert shown["wrongly-held-back"] == about_count(report["expected_wrongly_withheld"])
    assert re.fullmatch(r"about \d+|under 1", shown["wrongly-held-back"])
    assert "sent on to OCR" in page and 'href="/stages/export"' in page

    # applying it again: the result says the same figures
    r = ada.post("/stages/act", data={"csrf": csrf_of(ada)}, follow_redirects=False)
    assert r.status_code == 303 and app.state.jobs.wait(300)
    written = _figures(ada.get(r.headers["location"]).text, "act-written-filter")
    assert (int(written["sent-on"]), written["money-saved"]) == (
        sent_on, f"{report['money_saved']:,.2f} {report['currency']}")



def test_the_export_page_offers_the_send_on_list(blank_pages: Any, tmp_path: Path) -> None:
    from glamlab.actions import export

    ws, app, client = blank_pages
    # an admin's list: the pages are files on the server, named by their paths there,
    # which a reviewer is not given (tests/web/test_export_server_paths.py)
    ada = client("ada")
    export(ws, "filter", tmp_path / "send-on.txt")
    listed = (tmp_path / "send-on.txt").read_text(encoding="utf-8")
    assert listed
    # the Export page: the send-on list, said what it is, the same as the CLI's file
    page = ada.get("/stages/export").text
    link = re.search(r'<li><a href="(/stages/export/download\?format=filter)"[^>]*>'
                     r"([^<]*)</a>([^<]*)</li>", page)
    assert link, page
    assert "not held back as 'blank': send these to OCR" in html.unescape(link.group(3))
    got = ada.get(html.unescape(link.group(1)))
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/plain")
    assert f'filename="{ws.card.name}-send-on.txt"' in got.headers["content-disposition"]
    assert got.text == listed
    # the item details ticked on the page are not added to a list of addresses
    assert ada.get("/stages/export/download?format=filter&chosen=1&meta=kind").text == listed


def test_the_send_on_list_needs_a_login_and_a_filter_project(blank_pages: Any,
                                                             make_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    ws, app, client = blank_pages
    with TestClient(app) as anon:
        r = anon.get("/stages/export/download?format=filter", follow_redirects=False)
        assert r.status_code in (303, 401) and "blank-pages" not in r.text
    # a project without a positive label offers no send-on list
    other = make_ws("plain", task="t", labels=["a", "b"])
    add_user(other, "ada", PASSWORD, "admin")
    plain = create_app(other)
    with TestClient(plain) as c:
        assert login(c, "ada").status_code == 303
        assert "format=filter" not in c.get("/stages/export").text
        assert c.get("/stages/export/download?format=filter").status_code == 404
    stop_background(plain)


def test_the_filter_figures_say_expected_mistakes_in_whole_items() -> None:
    """The Act page's 'wrongly held back' figure and its interval are expected counts of
    pages: said as act says them ('about 1', 'under 1', an interval of whole pages), not
    '1.05263 (95% interval 0.21 to 3.4)'."""
    from jinja2 import Environment, FileSystemLoader

    from glamlab.actions.act import about_count
    from glamlab.web.app import _package_dir
    from glamlab.web.words import money

    env = Environment(loader=FileSystemLoader(_package_dir("templates")), autoescape=True)
    env.filters.update(about_count=about_count, money=money)
    macro = env.from_string('{% from "filter_figures.html" import filter_figures %}'
                            '{{ filter_figures(f, "x", "pages", "page") }}')
    f = {"positive_label": "blank", "accepted_as_positive": 40, "sent_on": 60,
         "price_per_item": 0.01, "money_saved": 0.4, "currency": "EUR",
         "expected_wrongly_withheld": 1.05263, "expected_wrongly_withheld_ci95": [0.21, 3.4]}
    said = html.unescape(re.sub(r"<[^>]+>", "", macro.render(f=f)))
    assert "Wrongly held back (not 'blank' after all): about 1 (95% interval 0 to 4 pages)" \
        in said, said
    f.update(expected_wrongly_withheld=0.3, expected_wrongly_withheld_ci95=[0.0, 0.9])
    said = html.unescape(re.sub(r"<[^>]+>", "", macro.render(f=f)))
    assert "after all): under 1 (95% interval 0 to 1 page)" in said, said
