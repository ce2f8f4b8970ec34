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

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    var key = e.key;
    // Labelling: number keys choose a label; s skips; u undoes; Enter saves (multi-label).
    if (document.getElementById("label-form")) {
      if (/^[1-9]$/.test(key) || key === "s" || key === "u") {
        if (clickKey(key)) e.preventDefault();
        return;
      }
      if (key === "Enter" && document.querySelector('[data-key="Enter"]')) {
        clickKey("Enter"); e.preventDefault(); return;
      }
    }
    // Review queue.
    if (document.getElementById("queue-items")) {
      var row = currentRow();
      if (key === "j") { moveRow(1); e.preventDefault(); return; }
      if (key === "k") { moveRow(-1); e.preventDefault(); return; }
      if (key === "A") { clickKey("A"); e.preventDefault(); return; }
      if (!row) return;
      if (key === "a" || key === "r") {
        row.querySelector('[data-act="' + key + '"]').click(); e.preventDefault();
      } else if (key === "c") {
        row.querySelector('[data-act="c"]').focus(); e.preventDefault();
      } else if (key === "x") {
        var box = row.querySelector('input[name="sel"]');
        box.checked = !box.checked; e.preventDefault();
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

  function setup() {
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
  document.addEventListener("DOMContentLoaded", setup);
  document.addEventListener("htmx:afterSettle", setup);
})();
