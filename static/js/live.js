/* Live screens: reconnect with backoff, and show whether the screen is live.
 *
 * The htmx WebSocket extension reconnects by itself after close codes 1006, 1011, 1012 and
 * 1013. A server that shuts down cleanly may close with 1001 instead, so those are retried
 * here too. Codes 4403 (not allowed) and 4404 (unknown) are final. On every (re)connect the
 * server sends the whole screen, so nothing stale survives a reconnect.
 */
(function () {
  "use strict";
  var RETRIED_BY_EXTENSION = [1006, 1011, 1012, 1013];
  var FINAL = { 4403: "Not allowed — log in again", 4404: "This link is no longer valid" };

  // Full jitter, capped at 30 s, never sooner than a quarter second.
  htmx.config.wsReconnectDelay = function (retryCount) {
    return 250 + Math.random() * Math.min(30000, 1000 * Math.pow(2, retryCount));
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
    if (FINAL[code]) {
      show("offline", FINAL[code]);
      return;
    }
    show("reconnecting", "Reconnecting…");
    if (RETRIED_BY_EXTENSION.indexOf(code) === -1) {
      var wrapper = evt.detail.socketWrapper;
      var delay = htmx.config.wsReconnectDelay(retries++);
      setTimeout(function () { wrapper.reconnect(); }, delay);
    }
  });
  // Coming back to a phone that slept: make sure the socket is really there.
  window.addEventListener("online", function () {
    var el = indicator();
    if (el && el.dataset.state !== "live") show("reconnecting", "Reconnecting…");
  });
})();
