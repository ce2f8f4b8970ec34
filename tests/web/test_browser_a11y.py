"""Accessibility in a real headless Chromium, as a curator who uses only the keyboard, or
a screen reader, meets the pages they use: login, overview, labelling, the review queue,
an item, the stages, reports and admin, for a classification and an entities project.

On every page: the document has a language and a title, one h1 and no skipped heading
level, each field, button and link a name, each image an alt text, no timed
<meta http-equiv=refresh> (a page being worked out reloads by script, and waits while
someone works in it: checked on one), and the focus ring (Tab through the page) stands out at 3:1 or
more against the page. Labelling with the keyboard keeps the focus on the pressed label
button of the next item, and says the new status again; the single-key shortcuts can be
turned off (WCAG 2.1.4: speech input types letters); the entity text's keys do not
hold the focus (Tab leaves it)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PASSWORD, LiveServer, browser_login
from .test_browser import ARGS, CHROMIUM, pytestmark  # noqa: F401  (browser marks, skip)

# what each page breaks of the rules above, in words ([] when nothing)
RULES = r"""() => {
  const out = [];
  const shown = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const text = e => (e.innerText || e.textContent || '').replace(/\s+/g, ' ').trim();
  const byIds = ids => ids.split(/\s+/).map(i => document.getElementById(i))
    .filter(Boolean).map(text).join(' ').trim();
  const name = e => (e.getAttribute('aria-label') || '').trim()
    || (e.getAttribute('aria-labelledby') ? byIds(e.getAttribute('aria-labelledby')) : '')
    || (e.labels ? [...e.labels].map(text).join(' ').trim() : '')
    || (e.getAttribute('title') || '').trim();
  const what = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (e.getAttribute('name') ? '[name=' + e.getAttribute('name') + ']' : '');
  if (!document.documentElement.lang) out.push('html has no lang');
  if (!document.title.trim()) out.push('no title');
  const hs = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].filter(shown);
  const h1 = hs.filter(h => h.tagName === 'H1').length;
  if (h1 !== 1) out.push(h1 + ' h1 headings');
  let level = 0;
  for (const h of hs) { const l = +h.tagName[1];
    if (l > level + 1) out.push('heading ' + h.tagName + ' "' + text(h).slice(0, 40)
                                + '" after h' + level);
    level = l; }
  for (const e of document.querySelectorAll('input, select, textarea')) {
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(e.type) || !shown(e)) continue;
    if (!name(e)) out.push(what(e) + ' has no label'); }
  for (const e of document.querySelectorAll('button, a[href], summary, [role=button]')) {
    if (!shown(e)) continue;
    const imgs = [...e.querySelectorAll('img[alt]')].map(i => i.alt.trim()).join('');
    if (!text(e) && !name(e) && !imgs) out.push(what(e) + ' has no name'); }
  for (const e of document.querySelectorAll('img')) if (!e.hasAttribute('alt'))
    out.push('img ' + e.getAttribute('src') + ' has no alt');
  if (document.querySelector('head meta[http-equiv="refresh" i]'))
    out.push('a timed meta refresh');
  return out; }"""

# the focused element's ring: '' when it shows at 3:1 or more against white, else why not
RING = r"""() => {
  const e = document.activeElement;
  if (!e || e === document.body) return '';
  const s = getComputedStyle(e);
  const where = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' "'
    + (e.textContent || '').trim().slice(0, 30) + '"';
  if (s.outlineStyle === 'none' || parseFloat(s.outlineWidth) < 2)
    return where + ': no focus ring';
  const c = s.outlineColor.match(/[\d.]+/g).slice(0, 3).map(Number).map(v => v / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
  const lum = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  const ratio = 1.05 / (lum + 0.05);
  return ratio >= 3 ? '' : where + ': focus ring ' + s.outlineColor + ' only '
    + ratio.toFixed(2) + ':1 against white'; }"""


# counts the forms sent from now on (window.submits): a form is sent in the handler of
# the key or click that sends it, by htmx or the browser
COUNT_SUBMITS = """() => { window.submits = 0;
  document.addEventListener('submit', () => { window.submits += 1; }, true); }"""


def _check_pages(ws: Any, paths: list[str], *, label_keys: bool, entities: bool) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab.web import create_app
    from glamlab.web.app import stop_background

    app = create_app(ws)
    problems: dict[str, list[str]] = {}
    try:
        with LiveServer(app) as server, sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            def check(path: str) -> None:
                found = list(page.evaluate(RULES))
                for _ in range(14):  # the header, then into the page
                    page.keyboard.press("Tab")
                    ring = page.evaluate(RING)
                    if ring and ring not in found:
                        found.append(ring)
                if found:
                    problems[path] = found

            page.goto(server.url + "/login")
            check("/login")
            browser_login(page, server.url, "ada")
            for path in paths:
                page.goto(server.url + path)
                page.wait_for_load_state("networkidle")
                check(path)
            expect = sync_api.expect
            page.goto(server.url + "/label?strategy=random&split=test")
            if label_keys:
                # Enter on a label button: the next item comes, the focus stays on that
                # button (not thrown back to the top of the page), the status is said
                first = page.locator('input[name="item_id"]').first.get_attribute("value")
                page.focus('[data-key="2"]')
                page.keyboard.press("Enter")
                expect(page.locator("#labelled-count")).to_have_text("1")
                assert page.locator('input[name="item_id"]').first.get_attribute(
                    "value") != first
                expect(page.locator(":focus")).to_have_attribute("data-key", "2")
                expect(page.locator("#announce")).to_contain_text("Labelled so far: 1")
                # the single-key shortcuts can be turned off (speech input types letters),
                # and stay off in this browser; the buttons still work
                page.uncheck("#keys-on")
                page.keyboard.press("Escape")
                page.evaluate("document.activeElement.blur()")
                # a key acts at once (a form sent in its keydown): none sent is the proof,
                # read when the key is handled, not after a second's wait
                page.evaluate(COUNT_SUBMITS)
                page.keyboard.press("1")
                assert page.evaluate("window.submits") == 0, "a label key with the keys off"
                expect(page.locator("#labelled-count")).to_have_text("1")
                page.goto(server.url + "/queue")
                expect(page.locator("#keys-on")).not_to_be_checked()
                page.evaluate(COUNT_SUBMITS)
                page.keyboard.press("a")
                assert page.evaluate("window.submits") == 0, "a queue key with the keys off"
                expect(page.locator("#decision-count")).to_have_text("0")
                page.check("#keys-on")
                page.locator(".qitem").first.focus()
                page.keyboard.press("a")
                expect(page.locator("#decision-count")).to_have_text("1")
            else:
                # a page being worked out reloads itself (here every second), but not
                # while a keyboard user is in it: then once they leave it
                page.goto(server.url + "/stages/project")
                # the keyboard user is in the page before its first reload is due: with
                # the Tabs pressed after, a slow machine let the first one (a second on)
                # come before them, and the page rightly reloaded under nobody
                for _ in range(12):
                    page.keyboard.press("Tab")
                page.evaluate("""() => { window.stayed = true;
                  const later = window.setTimeout;  // counts the reload's checks
                  let checks = 0;  // body[data-checked-twice] once two were made
                  window.setTimeout = (f, ms, ...a) => later(ms !== 1000 ? f : () => {
                    f(); if (++checks >= 2) document.body.dataset.checkedTwice = '1';
                  }, ms, ...a);
                  const d = document.createElement('div');
                  d.dataset.refreshS = '1'; d.hidden = true;
                  document.getElementById('main').appendChild(d);
                  document.dispatchEvent(new Event('htmx:afterSettle')); }""")
                # two checks made (not a wait of so many seconds), each leaving it be
                expect(page.locator("body[data-checked-twice]")).to_have_count(1)
                assert page.evaluate("window.stayed === true"), \
                    "the page reloaded under a keyboard user"
                with page.expect_navigation(timeout=10_000):
                    page.evaluate("document.activeElement.blur()")
            if entities:
                # the keys of the entity text (arrows, numbers, Enter) leave Tab alone
                page.goto(server.url + "/label")
                page.focus("#span-text")
                page.keyboard.press("ArrowRight")
                page.keyboard.press("Tab")
                assert page.evaluate("document.activeElement.id") != "span-text", \
                    "Tab does not leave the entity text"
            assert not errors, errors
            browser.close()
    finally:
        stop_background(app)
    assert not problems, "\n".join(f"{k}: {'; '.join(v)}" for k, v in problems.items())


def test_classification_pages_keyboard_and_screen_reader(queued_ws: Any) -> None:
    item = next(iter(queued_ws.items())).item_id
    _check_pages(queued_ws, ["/", "/label", "/queue", f"/items/{item}", "/stages/project",
                             "/stages/label", "/stages/policy", "/stages/act",
                             "/stages/trends", "/stages/export", "/stages/monitoring",
                             "/reports", "/admin", "/account/tokens"],
                 label_keys=True, entities=False)


def test_entities_pages_keyboard_and_screen_reader(kind_template: Any) -> None:
    from glamlab.auth import add_user

    ws = kind_template("entities")
    add_user(ws, "ada", PASSWORD, "admin")
    item = next(iter(ws.items())).item_id
    try:
        _check_pages(ws, ["/", "/label", "/queue", f"/items/{item}", "/stages/export"],
                     label_keys=False, entities=True)
    finally:
        ws.close()
