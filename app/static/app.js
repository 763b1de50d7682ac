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
    window.setTimeout(function () { region.textContent = texts.slice(0, 3).join(" "); }, 50);
  }

  // what was last read out for each element id: a region swapped in again with the same
  // figures (the tally after every comment) is not read out again
  var heard = {};

  function unheard() {
    var texts = [];
    document.querySelectorAll("[data-announce]").forEach(function (el) {
      var text = el.getAttribute("data-announce");
      var key = el.id || text;
      if (heard[key] !== text) {
        heard[key] = text;
        texts.push(text);
      }
    });
    return texts;
  }

  function focusable(el) {
    return el.querySelector('[aria-invalid="true"]') ||
      el.querySelector("textarea, input:not([type=hidden]), select, button");
  }

  document.addEventListener("DOMContentLoaded", unheard);

  // every action answers (app/confirmations.py): under htmx its sentence comes as the
  // "confirmed" event and is shown where a redirect would have shown it, then read out
  document.addEventListener("confirmed", function (event) {
    var flash = document.getElementById("flash");
    var text = event.detail && event.detail.value;
    if (!flash || typeof text !== "string") return;
    var message = document.createElement("p");
    message.className = "message success";
    message.textContent = text;
    flash.replaceChildren(message);
  });

  // A link that opens a form (comment on a position, reply, flag, edit) puts the cursor in it,
  // where it opened: the form is swapped in next to what it answers.
  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    var link = detail.elt;
    var root = event.target;
    if (!link || link.tagName !== "A" || !root || !root.isConnected || !root.querySelector) return;
    var form = root.matches("form") ? root : root.querySelector("form");
    var field = form ? focusable(form) : null;
    if (field) field.focus();
  });

  // The same for a form folded in a <details> (propose an amendment, comment on a paragraph):
  // opening it puts the cursor in its first field.
  document.addEventListener("click", function (event) {
    var summary = event.target.closest ? event.target.closest("details.draft-action > summary") : null;
    if (!summary) return;
    var details = summary.parentElement;
    window.setTimeout(function () {
      if (!details.open) return;
      var form = details.querySelector("form");
      var field = form ? focusable(form) : null;
      if (field) field.focus();
    }, 0);
  });


  // Live updates (templates/rounds/_poller.html): while the round's stream of server-sent
  // events is open, the version poll holds back; when the stream fails (a proxy that drops it,
  // a browser without EventSource) the poll carries on every 4 s, as before.
  var streaming = false;
  document.addEventListener("htmx:sseOpen", function () { streaming = true; });
  document.addEventListener("htmx:sseError", function () { streaming = false; });
  document.addEventListener("htmx:sseClose", function () { streaming = false; });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (streaming && elt && elt.id === "poller") event.preventDefault();
  }, true);
  // Each update leaves the poller with where the page now stands; a stream opened again
  // (after a failure) starts from there too, and a comment already shown is never added twice.
  document.addEventListener("htmx:sseMessage", function () {
    var channel = document.getElementById("live-channel");
    var poller = document.getElementById("poller");
    var poll = poller && poller.getAttribute("hx-get");
    if (channel && poll && poll.indexOf("/live?") > 0) {
      channel.setAttribute("sse-connect", poll.replace("/live?", "/stream?"));
    }
  });
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var detail = event.detail || {};
    var first = detail.fragment && detail.fragment.firstElementChild;
    if (first && /^comment-\d+$/.test(first.id || "") && document.getElementById(first.id)) {
      detail.shouldSwap = false;
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    source = form && form.id && form.contains(document.activeElement)
      ? { form: form.id, target: event.detail.target } : null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    announce(unheard());
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
