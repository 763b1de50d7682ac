/* Keyboard and screen-reader care after htmx swaps (WCAG 2.4.3 focus order, 4.1.3 status
   messages). Pages work without this file; it only keeps focus where the person was and
   reads out what changed. */
(function () {
  "use strict";
  var source = null;

  function announce(texts) {
    var region = document.getElementById("announcer");
    if (!region || !texts.length) return;
    region.textContent = "";
    // a fresh text node in a second tick is read out even when the text repeats
    window.setTimeout(function () { region.textContent = texts.join(" "); }, 50);
  }

  function markAnnounced() {
    document.querySelectorAll("[data-announce]").forEach(function (el) {
      el.setAttribute("data-announced", "");
    });
  }

  function focusable(el) {
    return el.querySelector('[aria-invalid="true"]') ||
      el.querySelector("textarea, input:not([type=hidden]), select, button");
  }

  document.addEventListener("DOMContentLoaded", markAnnounced);

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    source = form && form.id && form.contains(document.activeElement)
      ? { form: form.id, target: event.detail.target } : null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var fresh = Array.prototype.slice.call(
      document.querySelectorAll("[data-announce]:not([data-announced])"));
    announce(fresh.map(function (el) { return el.getAttribute("data-announce"); }));
    markAnnounced();
    if (!source) return;
    var lost = !document.activeElement || document.activeElement === document.body ||
      !document.activeElement.isConnected;
    var form = document.getElementById(source.form);
    var target = source.target;
    source = null;
    if (!lost) return;
    if (form) {
      var field = focusable(form);
      if (field) { field.focus(); return; }
    }
    if (target && target.isConnected && target.lastElementChild) {
      var posted = target.lastElementChild;
      if (!posted.hasAttribute("tabindex")) posted.setAttribute("tabindex", "-1");
      posted.focus();
    }
  });
})();
