// glamlab: keyboard shortcuts, CSRF header for htmx, and a small image zoom. No dependencies.
(function () {
  "use strict";

  function csrf() { return document.body ? document.body.dataset.csrf || "" : ""; }

  // htmx requests carry the session's CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrf();
  });

  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" && t.type !== "checkbox" || t.tagName === "TEXTAREA" ||
                 t.tagName === "SELECT" || t.isContentEditable);
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll(".qitem")); }

  function currentRow() {
    var el = document.activeElement;
    return el && el.closest ? el.closest(".qitem") : null;
  }

  function moveRow(step) {
    var all = rows();
    if (!all.length) return;
    var i = all.indexOf(currentRow());
    var next = all[Math.max(0, Math.min(all.length - 1, i < 0 ? 0 : i + step))];
    next.focus();
    next.scrollIntoView({block: "nearest"});
  }

  function clickKey(key) {
    var b = document.querySelector('[data-key="' + key + '"]');
    if (!b) return false;
    if (b.type === "checkbox") { b.checked = !b.checked; } else { b.click(); }
    return true;
  }

  // The single-key shortcuts can be turned off (input[data-keys-switch] on the labelling
  // and queue pages): speech input and some screen readers type letters into the page.
  // The choice is kept in this browser. The keys of a focused entity text stay on (they
  // act only while it has the focus).
  function keysOff() {
    try { return window.localStorage.getItem("glamlab-keys") === "off"; } catch (err) { return false; }
  }
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box || !box.matches || !box.matches("input[data-keys-switch]")) return;
    try { window.localStorage.setItem("glamlab-keys", box.checked ? "on" : "off"); } catch (err) { /* kept for this page only */ }
  });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    var key = e.key;
    // Entity review: the keys of a card's text, while it has the focus (adding a span)
    var here = document.activeElement;
    if (here && here.hasAttribute && here.hasAttribute("data-add-text")) {
      if (addKey(here, e)) e.preventDefault();
      return;
    }
    if (keysOff()) return;  // the single-key shortcuts are turned off (the page's switch)
    // Labelling: number keys choose a label; s skips; u undoes; Enter saves (multi-label).
    if (document.getElementById("label-form")) {
      if (/^[1-9]$/.test(key) || key === "s" || key === "u") {
        if (clickKey(key)) e.preventDefault();
        return;
      }
      if (key === "e" && document.querySelector("#label-form [data-add-text]")) {
        document.querySelector("#label-form [data-add-text]").focus(); e.preventDefault(); return;
      }
      // Enter on a focused button or link presses that one, not Save
      if (key === "Enter" && here && /^(BUTTON|A|SUMMARY)$/.test(here.tagName)) return;
      if (key === "Enter" && document.querySelector('[data-key="Enter"]')) {
        clickKey("Enter"); e.preventDefault(); return;
      }
    }
    // Review queue: u undoes the decision just made (its Undo button, while shown).
    if (key === "u" && document.getElementById("undo-form")) {
      if (clickKey("u")) e.preventDefault();
      return;
    }
    // Review queue.
    if (document.getElementById("queue-items")) {
      var row = currentRow();
      if (key === "j") { moveRow(1); e.preventDefault(); return; }
      if (key === "k") { moveRow(-1); e.preventDefault(); return; }
      if (key === "A") { clickKey("A"); e.preventDefault(); return; }
      if (!row || !row.querySelector("[data-act]")) return;  // a viewer: nothing to press
      if (key === "a" || key === "r" || (key === "d" && row.querySelector('[data-act="d"]'))) {
        row.querySelector('[data-act="' + key + '"]').click(); e.preventDefault();
      } else if (/^[1-9]$/.test(key)) {
        // the right label, by its number: the same label as predicted accepts it
        var select = row.querySelector('select[data-act="c"]');
        var n = parseInt(key, 10) - 1;
        if (select && n < select.options.length) {
          select.selectedIndex = n;
          row.querySelector('[data-act="correct"]').click();
          e.preventDefault();
        }
      } else if (key === "c") {
        row.querySelector('[data-act="c"]').focus(); e.preventDefault();
      } else if (key === "t" && row.querySelector('[data-act="t"]')) {
        // (multi-label) the list of terms to add one the model did not suggest
        row.querySelector('[data-act="t"]').focus(); e.preventDefault();
      } else if (key === "e" && row.querySelector("[data-add-text]")) {
        row.querySelector("[data-add-text]").focus(); e.preventDefault();
      } else if (key === "x") {
        var box = row.querySelector('input[name="sel"]');
        if (box) { box.checked = !box.checked; e.preventDefault(); }
      }
    }
    // Item page zoom.
    if (document.querySelector(".zoom")) {
      if (key === "+" || key === "=") { zoom(1.25); e.preventDefault(); }
      else if (key === "-") { zoom(0.8); e.preventDefault(); }
      else if (key === "0") { zoom(0); e.preventDefault(); }
      else if (document.activeElement && document.activeElement.classList.contains("zoom") &&
               key.indexOf("Arrow") === 0) {
        var d = 60;
        pan(key === "ArrowLeft" ? d : key === "ArrowRight" ? -d : 0,
            key === "ArrowUp" ? d : key === "ArrowDown" ? -d : 0);
        e.preventDefault();
      }
    }
  });

  // Zoom: CSS transform on the image; drag or arrow keys to move.
  var z = {scale: 1, x: 0, y: 0};
  function apply() {
    var img = document.querySelector(".zoom img");
    if (img) img.style.transform = "translate(" + z.x + "px," + z.y + "px) scale(" + z.scale + ")";
  }
  function zoom(f) {
    if (f === 0) { z = {scale: 1, x: 0, y: 0}; } else { z.scale = Math.max(1, Math.min(12, z.scale * f)); }
    apply();
  }
  function pan(dx, dy) { z.x += dx; z.y += dy; apply(); }

  // A page whose content is being worked out (a job, a report) reloads itself now and
  // then (without scripts, a <noscript><meta http-equiv=refresh> does it). A reload puts
  // the keyboard focus and a screen reader back at the top of the page: while someone
  // works in the page (a link, a field or a button has the focus, or words are
  // selected), it waits for them. Only a keyboard focus counts (:focus-visible): a button
  // clicked with the mouse keeps the focus, and would hold the page still for good.
  var refreshTimer = null;
  function busy() {
    var el = document.activeElement;
    if (el && el !== document.body && el !== document.documentElement && el.id !== "main" &&
        el.matches && el.matches(":focus-visible")) {
      return true;
    }
    var sel = window.getSelection && window.getSelection();
    return !!(sel && !sel.isCollapsed);
  }
  function scheduleRefresh() {
    if (refreshTimer) { clearTimeout(refreshTimer); refreshTimer = null; }
    var el = document.querySelector("[data-refresh-s]");
    if (!el) return;
    var url = window.location.href;
    var every = parseInt(el.dataset.refreshS, 10) * 1000;
    function tick() {
      if (window.location.href !== url) return;
      if (busy()) { refreshTimer = setTimeout(tick, every); return; }
      window.location.reload();
    }
    refreshTimer = setTimeout(tick, every);
  }

  // A form sent by htmx (hx-boost) swaps the whole page in: the control that had the focus
  // is gone, and the focus falls back to the top of the page. The same control on the
  // new page (the same data-key or id: the label button pressed, Save) gets it back, so
  // a keyboard user goes on where they were. The status line of the new page (a live
  // region, inserted with its words) is said again, as screen readers announce a
  // change to a live region, not one that arrives already written.
  // Only the request that noted the focus gives it back: a part of the page loading itself
  // meanwhile (the labellers' agreement line, slow to work out) settles on its own and
  // must not forget it.
  var lastFocus = null, lastFrom = null;
  document.addEventListener("htmx:beforeRequest", function (e) {
    var from = e.detail && e.detail.elt, el = document.activeElement;
    if (!from || !/^(FORM|A)$/.test(from.tagName)) return;  // not a part loading itself
    lastFocus = null;
    lastFrom = from;
    if (!el || !el.closest || !el.closest("main")) return;
    if (el.dataset && el.dataset.key) lastFocus = '[data-key="' + el.dataset.key + '"]';
    else if (el.id) lastFocus = "#" + CSS.escape(el.id);
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    var cfg = e.detail && e.detail.requestConfig;
    if (cfg && cfg.elt && cfg.elt === lastFrom) {
      var el = document.activeElement;
      var lost = !el || el === document.body || el === document.documentElement;
      if (lost && lastFocus) {
        var again = document.querySelector("main " + lastFocus);
        if (again && !again.disabled) again.focus({preventScroll: false});
      }
      lastFocus = null;
      lastFrom = null;
    }
    if (!cfg || String(cfg.verb).toLowerCase() !== "post") return;
    var main = document.getElementById("main");
    if (!main) return;
    var said = [];
    main.querySelectorAll("[aria-live], [role=status], [role=alert]").forEach(function (live) {
      var words = live.hidden ? "" : live.textContent.replace(/\s+/g, " ").trim();
      if (words) said.push(words);
    });
    if (!said.length) return;
    announce(said.join(" "));
  });
  function announce(words) {
    var main = document.getElementById("main");
    if (!main) return;
    var say = document.getElementById("announce");
    if (say) say.remove();
    say = document.createElement("p");  // empty when inserted, written a moment later
    say.className = "vh";
    say.id = "announce";
    say.setAttribute("role", "status");
    main.appendChild(say);
    setTimeout(function () { say.textContent = words; }, 100);
  }
  // A job's status line (#job, a live region) arrives already written after the page
  // reloads itself: screen readers say a live region's changes, not what a new page
  // holds. Its words are said again when they differ from what this tab last heard on
  // this page (the job went on: "model 3 of 7 ...", or finished), not at every reload.
  // ``say`` false: only remember the words (a form's answer said them already).
  function announceJob(say) {
    var boxes = document.querySelectorAll("main .job[role=status]");
    if (!boxes.length) return;
    var words = [], active = false;
    boxes.forEach(function (b) {
      words.push(b.textContent.replace(/\s+/g, " ").trim());
      if (b.dataset.jobActive) active = true;
    });
    var text = words.join(" ").trim();
    var key = "glamlab-job-said:" + window.location.pathname;
    var before = null;
    try { before = window.sessionStorage.getItem(key); } catch (e) { before = null; }
    if (!text || text === before) return;
    try { window.sessionStorage.setItem(key, text); } catch (e) { /* private mode */ }
    if (!say || (before === null && !active)) return;  // an old result, first seen: quiet
    announce(text);
  }

  function setup() {
    scheduleRefresh();
    document.querySelectorAll("input[data-keys-switch]").forEach(function (b) { b.checked = !keysOff(); });
    z = {scale: 1, x: 0, y: 0};
    document.querySelectorAll("[data-zoom]").forEach(function (b) {
      b.addEventListener("click", function () {
        var how = b.dataset.zoom;
        zoom(how === "in" ? 1.25 : how === "out" ? 0.8 : 0);
      });
    });
    var box = document.querySelector(".zoom");
    if (box) {
      box.addEventListener("wheel", function (e) { e.preventDefault(); zoom(e.deltaY < 0 ? 1.15 : 0.87); });
      var drag = null;
      box.addEventListener("pointerdown", function (e) { drag = {x: e.clientX, y: e.clientY}; box.setPointerCapture(e.pointerId); });
      box.addEventListener("pointermove", function (e) {
        if (!drag) return;
        pan(e.clientX - drag.x, e.clientY - drag.y); drag = {x: e.clientX, y: e.clientY};
      });
      box.addEventListener("pointerup", function () { drag = null; });
    }
    var all = document.getElementById("select-all");
    if (all) all.addEventListener("click", function () {
      document.querySelectorAll('input[name="sel"]').forEach(function (b) { b.checked = true; });
    });
    var first = document.querySelector(".qitem");
    if (first && !document.activeElement.closest(".qitem")) first.focus({preventScroll: true});
  }
  // Leases: the queue page holds only the items it shows; it renews them while it is open
  // and gives them back when the reviewer leaves (another page, or the tab closes).
  var lease = {timer: null, ids: []};
  function shownIds() {
    return rows().map(function (r) { return parseInt(r.dataset.queueId, 10); });
  }
  function leasePost(what, ids, keepalive) {
    if (!ids.length) return null;
    return fetch("/api/leases/" + what, {
      method: "POST", keepalive: !!keepalive, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf()},
      body: JSON.stringify({ids: ids})
    }).catch(function () { return null; });
  }
  // rows this page no longer holds (decided elsewhere, or taken): shown as such, not decidable
  function markGone(answer) {
    if (!answer || !answer.held) return;
    rows().forEach(function (r) {
      var id = parseInt(r.dataset.queueId, 10);
      if (answer.held.indexOf(id) >= 0 || r.classList.contains("gone")) return;
      r.classList.add("gone");
      r.querySelectorAll("button, select, input").forEach(function (b) { b.disabled = true; });
      var note = document.createElement("p");
      note.className = "problem";
      note.textContent = "Decided or taken by someone else meanwhile: reload the queue.";
      r.appendChild(note);
    });
  }
  function stopLeases(release) {
    if (lease.timer) { clearInterval(lease.timer); lease.timer = null; }
    if (release) leasePost("release", lease.ids, true);
    lease.ids = [];
  }
  function startLeases() {
    var before = lease.ids;
    stopLeases(false);
    var form = document.getElementById("queue-form");
    var now = form && form.dataset.heartbeatS ? shownIds() : [];
    // another view of the queue: what the old one showed and this one does not goes back
    var gone = before.filter(function (id) { return now.indexOf(id) < 0; });
    if (gone.length) leasePost("release", gone, false);
    if (!form || !form.dataset.heartbeatS) return;
    lease.ids = now;
    var every = parseInt(form.dataset.heartbeatS, 10) * 1000;
    function renew() {
      lease.ids = shownIds();
      var sent = leasePost("renew", lease.ids, false);
      if (sent) sent.then(function (r) { return r && r.ok ? r.json() : null; }).then(markGone);
    }
    // once at once: a reload's own "give back" may reach the server after the reload
    // leased the rows again; renewing takes them back unless someone else has them now
    setTimeout(renew, 1500);
    lease.timer = setInterval(function () {
      if (document.visibilityState === "hidden") return;  // a hidden tab lets them lapse
      renew();
    }, every);
  }
  // leaving for another page (htmx-boosted links and forms): give the items back, unless
  // the request is a decision or another view of the queue (which keeps what it shows)
  document.addEventListener("htmx:beforeRequest", function (e) {
    var path = (e.detail.requestConfig && e.detail.requestConfig.path) || "";
    if (lease.ids.length && path.indexOf("/queue") !== 0 && path.indexOf("/api/") !== 0) {
      stopLeases(true);
    }
  });
  window.addEventListener("pagehide", function () {
    if (lease.ids.length) stopLeases(true);
  });

  // entity review: move a span's start or end a word at a time, and show the words it
  // covers (the number fields still work without this)
  // A word: letters, digits and marks, with a hyphen or apostrophe between two of them
  // (a compound, "Neu-Läßig"; "l'eau"), and no punctuation around it ("gewonnen," ends
  // before its comma)
  var joinRe = /^[-\u2010\u2011'\u2019]$/;
  // the character (code point) the UTF-16 unit i is part of: a letter beyond U+FFFF
  // (mathematical bold, CJK extension B) is two units, neither a letter alone
  function charAt(text, i) {
    if (i < 0 || i >= text.length) return undefined;
    var u = text.charCodeAt(i);
    if (u >= 0xdc00 && u <= 0xdfff && i > 0) {  // the second half of a pair
      var h = text.charCodeAt(i - 1);
      if (h >= 0xd800 && h <= 0xdbff) return text.slice(i - 1, i + 1);
    }
    return String.fromCodePoint(text.codePointAt(i));
  }
  function inWord(text, i) {
    var c = charAt(text, i);
    if (c === undefined) return false;
    if (letter(c)) return true;
    return joinRe.test(c) && letter(charAt(text, i - 1)) && letter(charAt(text, i + 1));
  }
  function wordStep(text, at, dir, side) {
    var i = at;
    if (side === "start") {
      if (dir < 0) {  // back over spaces and punctuation, then over the previous word
        while (i > 0 && !inWord(text, i - 1)) i--;
        while (i > 0 && inWord(text, i - 1)) i--;
      } else {  // past this word and the spaces and punctuation after it
        while (i < text.length && inWord(text, i)) i++;
        while (i < text.length && !inWord(text, i)) i++;
      }
    } else {
      if (dir > 0) {  // over spaces and punctuation, then to the end of the next word
        while (i < text.length && !inWord(text, i)) i++;
        while (i < text.length && inWord(text, i)) i++;
      } else {  // back before this word and the spaces and punctuation before it
        while (i > 0 && inWord(text, i - 1)) i--;
        while (i > 0 && !inWord(text, i - 1)) i--;
      }
    }
    return i;
  }
  // the fields hold offsets as the server counts them (code points, in its text: the
  // card's data-text, which keeps each CR); the steps and the preview work in the text's
  // UTF-16 units
  function setupSpanBounds(root) {
    root.querySelectorAll("[data-span-bounds]").forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      var text = box.dataset.text || "", id = box.dataset.for;
      var start = box.querySelector("#start_" + id), end = box.querySelector("#end_" + id);
      var out = box.querySelector(".span-preview");
      var count = toPoints(text, text.length);
      function show() {
        var a = parseInt(start.value, 10), b = parseInt(end.value, 10);
        out.textContent = (a >= 0 && b > a && b <= count)
          ? text.slice(fromPoints(text, a), fromPoints(text, b)) : "(empty: check start and end)";
      }
      box.querySelectorAll("[data-step]").forEach(function (btn) {
        btn.addEventListener("click", function () {
          var parts = btn.dataset.step.split(":"), side = parts[0], dir = parseInt(parts[1], 10);
          var field = side === "start" ? start : end;
          var at = fromPoints(text, parseInt(field.value, 10) || 0);
          var next = toPoints(text, wordStep(text, at, dir, side));
          if (side === "start" && next >= parseInt(end.value, 10)) return;
          if (side === "end" && next <= parseInt(start.value, 10)) return;
          field.value = next;
          show();
        });
      });
      start.addEventListener("input", show);
      end.addEventListener("input", show);
    });
  }

  // entity review: add an entity the model missed. The words selected in a card's text
  // (p[data-add-text], the text as the server has it) fill the card's "add" start and end
  // (fieldset[data-span-add]), snapped to whole words: a selection that cuts a word
  // takes in all of it, and the spaces at its ends are left out; punctuation is kept
  // only where it was selected. With the keyboard (the text has the focus: a click,
  // Tab, or e on the row): arrows pick a word, Shift+arrows take in more words, a number
  // the type, Enter adds it. The fields hold offsets in characters as the server counts
  // them (code points); the browser counts UTF-16 units. The words are found in the text
  // as the server has it (the box's data-text, each CR kept as &#13;); the text shown is
  // the browser's, where each CR LF or lone CR reads as one LF (domAt and realAt map
  // between them).
  var letterRe = /[\p{L}\p{N}\p{M}]/u;
  function letter(c) { return c !== undefined && letterRe.test(c); }
  function toPoints(text, i) { return Array.from(text.slice(0, i)).length; }
  function fromPoints(text, n) {
    var i = 0;
    for (var k = 0; k < n && i < text.length; k++) i += text.codePointAt(i) > 0xffff ? 2 : 1;
    return i;
  }
  function domMap(text) {  // where in text each character the browser shows starts, and the end
    var m = [], i = 0;
    while (i < text.length) {
      m.push(i);
      i += text[i] === "\r" && text[i + 1] === "\n" ? 2 : 1;
    }
    m.push(text.length);
    return m;
  }
  function realAt(text, k) {  // the browser's offset k: the offset in text
    if (text.indexOf("\r") < 0) return k;
    var m = domMap(text);
    return m[Math.max(0, Math.min(k, m.length - 1))];
  }
  function domAt(text, i) {  // the offset i in text: the browser's
    if (text.indexOf("\r") < 0) return i;
    var m = domMap(text), k = 0;
    while (k < m.length - 1 && m[k] < i) k++;
    return k;
  }
  function snapWords(text, a, b) {
    while (a < b && /\s/.test(text[a])) a++;
    while (b > a && /\s/.test(text[b - 1])) b--;
    if (a >= b) return null;
    while (a > 0 && inWord(text, a - 1) && inWord(text, a)) a--;
    while (b < text.length && inWord(text, b - 1) && inWord(text, b)) b++;
    return [a, b];
  }
  function addBox(el) {
    var row = el.closest(".qitem, [data-span-scope]");
    return row ? row.querySelector('[data-span-add][data-for="' + el.dataset.for + '"]') : null;
  }
  function offsetIn(el, node, off) {
    var r = document.createRange();
    r.selectNodeContents(el);
    r.setEnd(node, off);
    return r.toString().length;
  }
  function pointAt(el, at) {
    var walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT), n, last = null;
    while ((n = walk.nextNode())) {
      if (at <= n.length) return [n, at];
      at -= n.length;
      last = n;
    }
    return last ? [last, last.length] : [el, 0];
  }
  function selectedIn(el) {  // [a, b] of the page's selection within el, or null
    var sel = window.getSelection();
    if (!sel || !sel.rangeCount || sel.isCollapsed) return null;
    var r = sel.getRangeAt(0), all = document.createRange();
    all.selectNodeContents(el);
    if (!r.intersectsNode(el)) return null;
    var len = all.toString().length;
    var a = r.compareBoundaryPoints(Range.START_TO_START, all) < 0 ? 0
      : offsetIn(el, r.startContainer, r.startOffset);
    var b = r.compareBoundaryPoints(Range.END_TO_END, all) > 0 ? len
      : offsetIn(el, r.endContainer, r.endOffset);
    return a < b ? [a, b] : null;
  }
  function choose(el, a, b) {  // the words a-b become the entity to add, and the selection
    var box = addBox(el);
    if (!box) return;
    var text = box.dataset.text || "", id = box.dataset.for;
    box.querySelector("#add_start_" + id).value = toPoints(text, a);
    box.querySelector("#add_end_" + id).value = toPoints(text, b);
    box.querySelector(".span-add-preview").textContent = text.slice(a, b);
    el.dataset.sel = a + ":" + b;
    var p = pointAt(el, domAt(text, a)), q = pointAt(el, domAt(text, b));
    var r = document.createRange();
    r.setStart(p[0], p[1]);
    r.setEnd(q[0], q[1]);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(r);
  }
  function nextWord(text, from) {  // the first word starting at or after from
    var a = from;
    while (a < text.length && !inWord(text, a)) a++;
    if (a >= text.length) return null;
    return [a, wordStep(text, a, 1, "end")];
  }
  function addKey(el, e) {  // a key pressed in a card's text; true when it did something
    var box = addBox(el);
    if (!box) return false;
    var text = box.dataset.text || "", key = e.key;
    var cur = (el.dataset.sel || "").split(":").map(function (x) { return parseInt(x, 10); });
    var has = cur.length === 2 && cur[0] < cur[1];
    var w = null;
    if (key === "ArrowRight" && e.shiftKey && has) {
      var end = wordStep(text, cur[1], 1, "end");
      if (end > cur[1]) w = [cur[0], end];
    } else if (key === "ArrowLeft" && e.shiftKey && has) {
      var back = wordStep(text, cur[1], -1, "end");
      if (back > cur[0]) w = [cur[0], back];
    } else if (key === "ArrowRight") {
      w = nextWord(text, has ? wordStep(text, cur[0], 1, "start") : 0);
    } else if (key === "ArrowLeft") {
      var at = has ? cur[0] : text.length;
      while (at > 0 && !inWord(text, at - 1)) at--;  // back over what is not a word
      if (at > 0) {
        var start = wordStep(text, at, -1, "start");
        w = [start, wordStep(text, start, 1, "end")];
      }
    } else if (/^[1-9]$/.test(key)) {
      var select = box.querySelector("select");
      var n = parseInt(key, 10) - 1;
      if (n < select.options.length) select.selectedIndex = n;
      return true;
    } else if (key === "Enter") {  // nothing selected yet: nothing to add
      if (box.querySelector("#add_end_" + box.dataset.for).value !== "") {
        box.querySelector('button[name="add_span"]').click();
      }
      return true;
    } else if (key === "Escape") {
      var row = el.closest(".qitem");
      if (row) { row.focus(); } else { el.blur(); }
      return true;
    } else {
      return key.indexOf("Arrow") === 0;  // the page does not scroll under the words
    }
    if (w) choose(el, w[0], w[1]);
    return true;
  }
  // the predicted span of a card's text box (p.span-pred) in view within the box: a
  // third of the way down, unless it is in view already (or ``force``)
  function showPred(el, force) {
    var m = el.querySelector("mark[data-pred]") || el.querySelector("mark:not(.saved):not(.accepted)");
    if (!m || el.scrollHeight <= el.clientHeight) return;
    var box = el.getBoundingClientRect(), at = m.getBoundingClientRect();
    var top = at.top - box.top - el.clientTop;  // from the box's visible top
    if (!force && top >= 0 && top + Math.min(at.height, el.clientHeight / 2) <= el.clientHeight) return;
    el.scrollTop = Math.max(0, el.scrollTop + top - el.clientHeight / 3);
  }
  // a row reached with the keyboard (j/k, Tab) shows its span, wherever its text was scrolled
  document.addEventListener("focusin", function (e) {
    var row = e.target && e.target.closest ? e.target.closest(".qitem") : null;
    var el = row && e.target === row ? row.querySelector(".span-pred") : null;
    if (el) showPred(el);
  });
  // the page's images in: the cards' text boxes may have reflowed, their spans moved
  window.addEventListener("load", function () {
    document.querySelectorAll(".span-pred").forEach(function (el) { showPred(el); });
  });
  function setupSpanAdd(root) {
    // a long text scrolls within its card: to the span the row asks about (its mark is
    // data-pred; the text's saved spans and those the policy accepted come before it)
    root.querySelectorAll(".span-pred").forEach(function (el) {
      if (!el.dataset.scrolled) showPred(el);
      el.dataset.scrolled = "1";
    });
    root.querySelectorAll("[data-add-text]").forEach(function (el) {
      if (el.dataset.ready) return;
      el.dataset.ready = "1";
      el.addEventListener("mouseup", function () {
        var box = addBox(el), got = selectedIn(el);
        if (!box || !got) return;
        var text = box.dataset.text || "";
        var w = snapWords(text, realAt(text, got[0]), realAt(text, got[1]));
        if (w) choose(el, w[0], w[1]);
      });
    });
    root.querySelectorAll("[data-span-add]").forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      var text = box.dataset.text || "", id = box.dataset.for;
      var start = box.querySelector("#add_start_" + id), end = box.querySelector("#add_end_" + id);
      var out = box.querySelector(".span-add-preview");
      function show() {  // typed offsets: the words they cover
        var a = fromPoints(text, parseInt(start.value, 10)), b = fromPoints(text, parseInt(end.value, 10));
        out.textContent = (start.value !== "" && end.value !== "" && b > a) ? text.slice(a, b)
          : "(no words selected)";
      }
      start.addEventListener("input", show);
      end.addEventListener("input", show);
    });
  }

  // Labelling an entities text: "Add as entity" puts the chosen words and type in the
  // list of the text's entities (the form's JSON, [data-span-list] names its textarea), an
  // entity over the same words replacing the one there; each can be removed; the text
  // shows them marked.
  function spansOf(area) {
    try {
      var v = JSON.parse(area.value || "[]");
      return Array.isArray(v) ? v : [];
    } catch (err) { return null; }
  }
  // a span's type, and its layer beside it where it is not the main one ("LOC, nested")
  function named(s) {
    return s.label + (s.layer && s.layer !== "entity" ? ", " + s.layer : "");
  }
  function showSpans(box, area) {
    var text = box.dataset.text || "", spans = spansOf(area);
    var list = document.getElementById("span-list");
    var el = document.querySelector('[data-add-text][data-for="' + box.dataset.for + '"]');
    if (!list || spans === null) return;
    spans = spans.filter(function (s) { return s && s.end > s.start; });
    spans.sort(function (x, y) { return x.start - y.start; });
    list.textContent = "";
    spans.forEach(function (s, i) {
      var words = text.slice(fromPoints(text, s.start), fromPoints(text, s.end));
      var item = document.createElement("span");
      item.className = "span-item";
      var b = document.createElement("b");
      b.textContent = words;
      item.appendChild(b);
      item.appendChild(document.createTextNode(" (" + named(s) + ") "));
      var rm = document.createElement("button");
      rm.type = "button";
      rm.textContent = "Remove";
      rm.setAttribute("aria-label", "Remove " + words + " (" + named(s) + ")");
      rm.addEventListener("click", function () {
        var now = spansOf(area) || [];
        area.value = JSON.stringify(now.filter(function (x) {
          return !(x.start === s.start && x.end === s.end && x.label === s.label
                   && (x.layer || "entity") === (s.layer || "entity"));
        }));
        showSpans(box, area);
      });
      item.appendChild(rm);
      list.appendChild(item);
      if (i < spans.length - 1) list.appendChild(document.createTextNode(" "));
    });
    if (!spans.length) list.textContent = "none";
    if (!el) return;
    var shown = function (a, b) { return text.slice(a, b).replace(/\r\n?/g, "\n"); };
    el.textContent = "";
    var at = 0;
    spans.forEach(function (s) {
      var a = fromPoints(text, s.start), b = fromPoints(text, s.end);
      if (a < at) return;
      el.appendChild(document.createTextNode(shown(at, a)));
      var m = document.createElement("mark");
      m.className = "ent saved ent-" + s.label;
      m.title = named(s);
      m.textContent = shown(a, b);
      el.appendChild(m);
      at = b;
    });
    el.appendChild(document.createTextNode(shown(at, text.length)));
    delete el.dataset.sel;
  }
  function setupSpanList(root) {
    root.querySelectorAll("[data-span-list]").forEach(function (box) {
      if (box.dataset.listReady) return;
      box.dataset.listReady = "1";
      var area = document.getElementById(box.dataset.spanList), id = box.dataset.for;
      if (!area) return;
      var start = box.querySelector("#add_start_" + id), end = box.querySelector("#add_end_" + id);
      box.querySelector('button[name="add_span"]').addEventListener("click", function () {
        if (start.value === "" || end.value === "") {
          box.querySelector(".span-add-preview").textContent =
            "(select the entity's words in the text first)";
          return;
        }
        var a = parseInt(start.value, 10), b = parseInt(end.value, 10);
        var label = box.querySelector("#add_label_" + id).value;
        // an added entity (the main layer) replaces the ones of that layer over its words;
        // a pre-filled span of another layer (a nested entity) inside them stays
        var now = (spansOf(area) || []).filter(function (x) {
          return x.end <= a || x.start >= b || (x.layer && x.layer !== "entity");
        });
        now.push({start: a, end: b, label: label});
        now.sort(function (x, y) { return x.start - y.start; });
        area.value = JSON.stringify(now);
        start.value = ""; end.value = "";
        box.querySelector(".span-add-preview").textContent = "(no words selected)";
        window.getSelection().removeAllRanges();
        showSpans(box, area);
      });
      area.addEventListener("input", function () { showSpans(box, area); });
      showSpans(box, area);
    });
  }

  // Entity review: "Find another record" of a linked span. As the reviewer types, the
  // project's authority records that name finds (GET /api/authority) are listed under
  // the field; Down/Up move through them, Enter (or a click) picks one: it becomes the
  // chosen record of the card's list (added under "Found" when the linker had not
  // offered it) and the focus goes to "Save type, link and boundaries". Enter never
  // submits the page from the field (it would press the form's first button). Without
  // the script, "Search records" posts the search and the page lists what it found.
  // The same finder on "Add an entity the model missed" (data-record-find-add, shown by
  // the script only): the record picked is written into the entity's record field, and
  // the focus goes to "Add as entity".
  function setupRecordFind(root) {
    root.querySelectorAll("[data-record-find], [data-record-find-add]").forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      box.hidden = false;
      var id = box.dataset.for;
      var input = box.querySelector("#find_" + id);
      var select = document.getElementById("authority_" + id);
      var status = document.getElementById("found_status_" + id);
      if (!input || !select) return;
      var list = document.createElement("ul");
      list.id = "found_list_" + id;
      list.className = "found-records";
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", "Records found");
      list.hidden = true;
      input.insertAdjacentElement("afterend", list);
      input.setAttribute("role", "combobox");
      input.setAttribute("aria-autocomplete", "list");
      input.setAttribute("aria-controls", list.id);
      input.setAttribute("aria-expanded", "false");
      var found = [], active = -1, timer = null, asked = 0;
      function say(text) { if (status) status.textContent = text; }
      function close() {
        list.hidden = true; active = -1;
        input.setAttribute("aria-expanded", "false");
        input.removeAttribute("aria-activedescendant");
      }
      function mark(i) {
        active = i;
        Array.prototype.forEach.call(list.children, function (li, j) {
          li.setAttribute("aria-selected", j === i ? "true" : "false");
        });
        if (i >= 0 && list.children[i]) {
          input.setAttribute("aria-activedescendant", list.children[i].id);
          list.children[i].scrollIntoView({block: "nearest"});
        } else {
          input.removeAttribute("aria-activedescendant");
        }
      }
      function words(rec) {
        var w = rec.label + " (" + rec.id + ")";
        if (rec.type) w += ", " + rec.type;
        if (rec.start_date || rec.end_date) w += ", " + (rec.start_date || "") + "\u2013" + (rec.end_date || "");
        if (rec.description) w += ": " + rec.description.slice(0, 80);
        return w;
      }
      function show(q, recs) {
        found = recs; list.textContent = "";
        recs.forEach(function (rec, i) {
          var li = document.createElement("li");
          li.id = "found_" + id + "_" + i;
          li.setAttribute("role", "option");
          li.setAttribute("aria-selected", "false");
          li.dataset.id = rec.id;
          li.textContent = words(rec);
          li.addEventListener("mousedown", function (e) { e.preventDefault(); });
          li.addEventListener("click", function () { pick(i); });
          list.appendChild(li);
        });
        list.hidden = !recs.length;
        input.setAttribute("aria-expanded", recs.length ? "true" : "false");
        active = -1;
        say(recs.length ? recs.length + (recs.length === 1 ? " record" : " records") +
            " found for \u201c" + q + "\u201d: Down and Up to go through them, Enter to choose one."
            : "No record of the authority file is named \u201c" + q +
              "\u201d: try another spelling or a part of the name, or choose NIL.");
      }
      function search() {
        var q = input.value.trim();
        if (!q) { close(); found = []; list.textContent = ""; say(""); return; }
        var n = ++asked;
        var type = box.dataset.labelFrom ? document.getElementById(box.dataset.labelFrom) : null;
        var url = "/api/authority?limit=10&q=" + encodeURIComponent(q) +
                  "&label=" + encodeURIComponent((type ? type.value : box.dataset.label) || "");
        fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
          .then(function (recs) { if (n === asked) show(q, recs); })
          .catch(function () {
            if (n === asked) say("The search did not answer: press \u201cSearch records\u201d.");
          });
      }
      function pick(i) {
        var rec = found[i];
        if (!rec) return;
        if (select.tagName !== "SELECT") {  // the record field of an entity to add
          select.value = rec.id;
          select.dispatchEvent(new Event("change", {bubbles: true}));
          close();
          say("Chosen: " + rec.label + " (" + rec.id + "). Press \u201cAdd as entity\u201d to add it with this record.");
          var adding = box.closest("[data-span-add]");
          var add = adding && adding.querySelector('[formaction="/queue/add-span"]');
          if (add) add.focus();
          return;
        }
        var opt = Array.prototype.find.call(select.options, function (o) { return o.value === rec.id; });
        if (!opt) {
          var group = select.querySelector("optgroup[data-found]");
          if (!group) {
            group = document.createElement("optgroup");
            group.setAttribute("data-found", "");
            group.label = "Found";
            select.appendChild(group);
          }
          opt = document.createElement("option");
          opt.value = rec.id;
          opt.textContent = words(rec);
          group.appendChild(opt);
        }
        select.value = rec.id;
        select.dispatchEvent(new Event("change", {bubbles: true}));
        close();
        say("Chosen: " + rec.label + " (" + rec.id + "). Press \u201cSave type, link and boundaries\u201d to save it.");
        var row = box.closest(".qitem");
        var save = row && row.querySelector('[data-act="correct"]');
        if (save) save.focus();
      }
      input.addEventListener("input", function () {
        if (timer) clearTimeout(timer);
        timer = setTimeout(search, 200);
      });
      input.addEventListener("keydown", function (e) {
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          if (!found.length) return;
          e.preventDefault();
          if (list.hidden) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
          var step = e.key === "ArrowDown" ? 1 : -1;
          mark(active < 0 ? (step > 0 ? 0 : found.length - 1)
                          : (active + step + found.length) % found.length);
        } else if (e.key === "Enter") {
          e.preventDefault();  // never the form's first button
          if (!list.hidden && active >= 0) { pick(active); return; }
          if (timer) clearTimeout(timer);
          search();
        } else if (e.key === "Escape" && !list.hidden) {
          e.preventDefault(); close();
        }
      });
      input.addEventListener("blur", function () { setTimeout(close, 150); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupSpanBounds(document); setupSpanAdd(document); setupSpanList(document);
    setupRecordFind(document);
  });
  // a boosted form (Save on the labelling page) swaps the next text in without a full
  // load: its list of entities needs its "Add as entity" too, or the words added to it
  // are lost and the text is saved as naming no entity
  document.addEventListener("htmx:afterSettle", function () {
    setupSpanBounds(document); setupSpanAdd(document); setupSpanList(document);
    setupRecordFind(document);
  });
  // Review queue: a decision (a card's Accept, Reject, Save, a key) sends the whole queue
  // form and the page that comes back replaces every card. What a reviewer had changed on
  // the other cards and not saved yet (boundaries moved a word, another type or record
  // chosen, a name typed to search, the words of an entity to add, a card ticked for
  // "Accept all selected") came back as the server drew it: their work was lost. Each such
  // control is put back as it was, on the card still shown, where the server drew it
  // as before (a refused correction's card shows what was asked, the server's answer).
  // And the focus goes to the card after the one decided (else the one before), not
  // to the top of the list: a keyboard reviewer's next key acts on the card they were
  // going to, not on one they had passed over.
  var unsaved = null;
  function changed(el) {
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.tagName === "SELECT") {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return el.value !== el.defaultValue;
  }
  function drawn(el) {  // how the server drew the control
    if (el.type === "checkbox" || el.type === "radio") return String(el.defaultChecked);
    if (el.tagName === "SELECT") {
      var d = Array.prototype.find.call(el.options, function (o) { return o.defaultSelected; });
      return d ? d.value : (el.options.length ? el.options[0].value : "");
    }
    return el.defaultValue;
  }
  function controlKey(row, el) {
    return row.dataset.queueId + "|" + (el.id || (el.name + "=" + el.value));
  }
  document.addEventListener("htmx:beforeRequest", function (e) {
    unsaved = null;
    var path = (e.detail.requestConfig && e.detail.requestConfig.path) || "";
    var from = e.detail && e.detail.elt;
    if (!from || from.tagName !== "FORM" || path.indexOf("/queue") !== 0) return;
    var here = document.activeElement, at = here && here.closest ? here.closest(".qitem") : null;
    var after = [], before = [], seen = false;
    rows().forEach(function (r) {
      if (r === at) { seen = true; return; }
      (seen ? after : before).push(r.dataset.queueId);
    });
    unsaved = {controls: {}, at: at ? at.dataset.queueId : null, order: after.concat(before.reverse())};
    rows().forEach(function (r) {
      r.querySelectorAll("input, select, textarea").forEach(function (el) {
        if (el.type === "hidden" || !changed(el)) return;
        var opt = el.tagName === "SELECT" ? el.options[el.selectedIndex] : null;
        unsaved.controls[controlKey(r, el)] = {
          drawn: drawn(el), value: el.value, checked: el.checked,
          words: opt ? opt.textContent : ""};
      });
    });
  });
  document.addEventListener("htmx:afterSettle", function () {
    var was = unsaved;
    unsaved = null;
    if (!was) return;
    rows().forEach(function (r) {
      if (r.classList.contains("gone")) return;
      r.querySelectorAll("input, select, textarea").forEach(function (el) {
        var kept = was.controls[controlKey(r, el)];
        if (!kept || el.type === "hidden" || drawn(el) !== kept.drawn) return;
        if (el.type === "checkbox" || el.type === "radio") {
          el.checked = kept.checked;
          return;
        }
        if (el.tagName === "SELECT" && !Array.prototype.some.call(el.options, function (o) { return o.value === kept.value; })) {
          var opt = document.createElement("option");  // a record found by name
          opt.value = kept.value;
          opt.textContent = kept.words;
          el.appendChild(opt);
        }
        el.value = kept.value;
        el.dispatchEvent(new Event("input", {bubbles: true}));  // its words shown again
      });
    });
    var focus = document.activeElement;
    if (was.at && (!focus || focus === document.body || focus === document.documentElement)) {
      var ids = [was.at].concat(was.order);
      for (var i = 0; i < ids.length; i++) {
        var row = document.querySelector('.qitem[data-queue-id="' + ids[i] + '"]');
        if (row) { row.focus({preventScroll: false}); break; }
      }
    }
  });
  // Trends: checkboxes that show or hide a series in every chart of the page (the same
  // markup as the offline chart page: input[data-toggle=KEY] and svg g.series.KEY)
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box || !box.matches || !box.matches("input[data-toggle]")) return;
    var key = box.getAttribute("data-toggle");
    document.querySelectorAll("svg g.series." + key).forEach(function (el) {
      el.style.display = box.checked ? "" : "none";
    });
  });
  document.addEventListener("DOMContentLoaded", function () {
    setup(); startLeases(); announceJob(true);
  });
  document.addEventListener("htmx:afterSettle", function () {
    setup(); startLeases(); announceJob(false);
  });
})();
