/* Live screens: reconnect with backoff, show whether the screen is live, and keep what the
 * person was doing (a half-typed input, the focus, a scrolled list) across a pushed update.
 *
 * The htmx WebSocket extension (static/vendor/htmx-ext-ws-2.0.4.js) reconnects by itself only
 * after close codes 1006, 1011, 1012 and 1013. A server that stops cleanly, or daphne closing
 * a socket at its --websocket_timeout, closes with 1000/1001 instead, so every other code is
 * retried here, except ours that are final: 4403 (not allowed) and 4404 (unknown). On every
 * (re)connect the server sends the whole screen, so nothing stale survives a reconnect.
 */
(function () {
  "use strict";
  var RETRIED_BY_EXTENSION = [1006, 1011, 1012, 1013];
  var FINAL = { 4403: "Not allowed — log in again", 4404: "This link is no longer valid" };

  // Full jitter, capped at 15 s (a host stand must not stay dark for a minute after a
  // deploy), never sooner than a quarter second.
  htmx.config.wsReconnectDelay = function (retryCount) {
    return 250 + Math.random() * Math.min(15000, 1000 * Math.pow(2, retryCount));
  };

  function indicator() {
    return document.getElementById("live-indicator");
  }

  function show(state, text) {
    var el = indicator();
    if (!el) return;
    el.dataset.state = state;
    el.querySelector("[data-label]").textContent = text;
  }

  var retries = 0;

  document.addEventListener("htmx:wsConnecting", function () {
    if (indicator() && indicator().dataset.state !== "reconnecting") show("connecting", "Connecting…");
  });
  document.addEventListener("htmx:wsOpen", function () {
    retries = 0;
    show("live", "Live");
  });
  document.addEventListener("htmx:wsClose", function (evt) {
    var code = evt.detail.event.code;
    var socketElt = evt.target;
    // The element that owns the socket left the page (or the page is going): stay closed.
    if (!document.body.contains(socketElt)) return;
    if (FINAL[code]) {
      show("offline", FINAL[code]);
      return;
    }
    show("reconnecting", "Reconnecting…");
    if (RETRIED_BY_EXTENSION.indexOf(code) === -1) {
      var wrapper = evt.detail.socketWrapper;
      var delay = htmx.config.wsReconnectDelay(retries++);
      setTimeout(function () {
        if (document.body.contains(socketElt)) wrapper.reconnect();
      }, delay);
    }
  });
  // Coming back to a phone that slept: make sure the socket is really there.
  window.addEventListener("online", function () {
    var el = indicator();
    if (el && el.dataset.state !== "live") show("reconnecting", "Reconnecting…");
  });

  /* ---- Keep the person's place across a push ------------------------------------------
   * A push replaces whole fragments (outerHTML, by id). Whatever the person was in the middle
   * of lives in those elements: typed-but-unsent values, the focused field and its caret, the
   * scroll offset of a scrolled list. Note them before the swap, put them back after. */
  var FIELDS = "input:not([type=hidden]), textarea, select";
  var SCROLLERS = "[data-keep-scroll], .overflow-auto, .overflow-x-auto, .overflow-y-auto";

  function fieldKey(el) {
    if (el.id) return "#" + el.id;
    var form = el.form;
    var owner = el.closest("[id]");
    if (!el.name) return null;
    return (owner ? owner.id : "") + "|" + (form ? form.getAttribute("action") || "" : "") + "|" + el.name;
  }

  function isDirty(el) {
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.tagName === "SELECT") {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return el.value !== el.defaultValue;
  }

  function scrollKey(el) {
    if (el.id) return "#" + el.id;
    var owner = el.closest("[id]");
    if (!owner) return null;
    var index = Array.prototype.indexOf.call(owner.querySelectorAll(SCROLLERS), el);
    return owner.id + "@" + index;
  }

  function find(root, key, selector) {
    if (key.charAt(0) === "#") return document.getElementById(key.slice(1));
    var found = null;
    root.querySelectorAll(selector).forEach(function (el) {
      if (!found && (selector === FIELDS ? fieldKey(el) : scrollKey(el)) === key) found = el;
    });
    return found;
  }

  var kept = null;

  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var root = evt.target;
    var fields = [];
    root.querySelectorAll(FIELDS).forEach(function (el) {
      var key = fieldKey(el);
      if (key && isDirty(el)) {
        fields.push({ key: key, value: el.value, checked: el.checked });
      }
    });
    var scrolls = [];
    root.querySelectorAll(SCROLLERS).forEach(function (el) {
      var key = scrollKey(el);
      if (key && (el.scrollTop || el.scrollLeft)) scrolls.push({ key: key, top: el.scrollTop, left: el.scrollLeft });
    });
    var active = document.activeElement;
    var focus = null;
    if (active && active !== document.body && root.contains(active)) {
      var key = active.matches(FIELDS) ? fieldKey(active) : null;
      focus = {
        key: key,
        id: active.id || null,
        start: key && typeof active.selectionStart === "number" ? active.selectionStart : null,
        end: key && typeof active.selectionEnd === "number" ? active.selectionEnd : null
      };
    }
    // The page's own scroll needs no help: htmx inserts a fragment's new version before it
    // removes the old one, and the browser's scroll anchoring keeps the reader's place.
    kept = { root: root, fields: fields, scrolls: scrolls, focus: focus };
  });

  document.addEventListener("htmx:wsAfterMessage", function () {
    if (!kept) return;
    var k = kept;
    kept = null;
    k.fields.forEach(function (f) {
      var el = find(k.root, f.key, FIELDS);
      if (!el || el.disabled) return;
      if (el.type === "checkbox" || el.type === "radio") el.checked = f.checked;
      else el.value = f.value;
    });
    k.scrolls.forEach(function (s) {
      var el = find(k.root, s.key, SCROLLERS);
      if (el) { el.scrollTop = s.top; el.scrollLeft = s.left; }
    });
    if (k.focus && document.activeElement !== null && (document.activeElement === document.body || !document.body.contains(document.activeElement))) {
      var target = k.focus.key ? find(k.root, k.focus.key, FIELDS) : (k.focus.id ? document.getElementById(k.focus.id) : null);
      if (target) {
        target.focus({ preventScroll: true });
        if (k.focus.start !== null && typeof target.setSelectionRange === "function") {
          try { target.setSelectionRange(k.focus.start, k.focus.end); } catch (e) { /* not a text field */ }
        }
      }
    }
  });
})();
