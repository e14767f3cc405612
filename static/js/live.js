/* Live screens: reconnect with backoff, and show whether the screen is live.
 *
 * The htmx WebSocket extension (static/vendor/htmx-ext-ws-2.0.4.js) reconnects by itself only
 * after close codes 1006, 1011, 1012 and 1013. A server that stops cleanly, or daphne closing
 * a socket at its --websocket_timeout, closes with 1000/1001 instead, so every other code is
 * retried here, except ours that are final: 4403 (not allowed), 4404 (unknown) and 4429 (too
 * many sockets for this link or address). On every
 * (re)connect the server sends the whole screen, so nothing stale survives a reconnect.
 *
 * A push replaces pieces and rows by id, so anything a person types lives outside them (the
 * host stand's forms do); the page's scroll needs no help, since a push replaces only the
 * rows that changed and the browser's scroll anchoring keeps the place.
 *
 * What a screen shows of itself (how many queue rows the host asked for) is in elements with
 * data-ws-param / data-ws-value: each (re)connect asks for the same, so the whole screen a
 * reconnect sends is the one the person was looking at.
 */
(function () {
  "use strict";
  var RETRIED_BY_EXTENSION = [1006, 1011, 1012, 1013];
  var FINAL = {
    4403: "Not allowed — log in again",
    4404: "This link is no longer valid",
    4429: "Open in too many places — close one and reload",
  };

  // Full jitter, capped at 15 s (a host stand must not stay dark for a minute after a
  // deploy), never sooner than a quarter second.
  htmx.config.wsReconnectDelay = function (retryCount) {
    return 250 + Math.random() * Math.min(15000, 1000 * Math.pow(2, retryCount));
  };

  // A socket whose opening handshake has not finished within HANDSHAKE_MS is given up and
  // retried. Some servers take the connection but never answer (a load balancer in front of
  // a server still starting, a network that lost the reply), and the browser would wait out
  // its own handshake timeout, minutes, with the screen dark. Giving up a socket that is still
  // connecting fails it with 1006, which the extension retries with the backoff above.
  var HANDSHAKE_MS = 10000;
  var openSocket = htmx.createWebSocket || function (url) { return new WebSocket(url); };
  function withScreenParams(url) {
    var params = [];
    document.querySelectorAll("[data-ws-param]").forEach(function (el) {
      params.push(encodeURIComponent(el.dataset.wsParam) + "=" + encodeURIComponent(el.dataset.wsValue || ""));
    });
    if (!params.length) return url;
    return url.split("?")[0] + "?" + params.join("&");
  }
  htmx.createWebSocket = function (url) {
    var socket = openSocket(withScreenParams(url));
    var giveUp = setTimeout(function () {
      if (socket.readyState === WebSocket.CONNECTING) socket.close();
    }, HANDSHAKE_MS);
    socket.addEventListener("open", function () { clearTimeout(giveUp); });
    socket.addEventListener("close", function () { clearTimeout(giveUp); });
    return socket;
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
  // "Live" only once the screen shows the server's snapshot, which the server sends first on
  // every (re)connect: until then the page may still show what it had before.
  var awaitingSnapshot = false;
  document.addEventListener("htmx:wsOpen", function () {
    retries = 0;
    awaitingSnapshot = true;
  });
  document.addEventListener("htmx:wsAfterMessage", function () {
    if (!awaitingSnapshot) return;
    awaitingSnapshot = false;
    show("live", "Live");
  });
  document.addEventListener("htmx:wsClose", function (evt) {
    var code = evt.detail.event.code;
    var socketElt = evt.target;
    awaitingSnapshot = false;
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
    heartbeat.askNow();
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") heartbeat.askNow();
  });
  // A button the server refused because the screen was behind (409, "already heading
  // over"): the server says so (HX-Trigger: screen-behind) and the page takes a new socket,
  // whose first message is the whole screen as it is now.
  document.addEventListener("screen-behind", function () {
    heartbeat.renew();
  });

  /* Heartbeat. A socket can die without a close event: a phone that slept, a network that
   * changed under it, a server that froze. The page would say "Live" and hear nothing. So
   * every data-heartbeat-ms the page sends "ping" and the server answers "pong"; anything
   * heard from the server counts as an answer. Nothing heard by the next ask: the socket
   * is dropped and a new one opened, whose first message is the whole screen again. A page
   * coming back into view (or online) asks at once and waits only WAKE_ANSWER_MS for the
   * answer, and drops at once a socket whose last ask, from before it slept, is still
   * unanswered: a diner looking at their phone must not read a dead "Live" for 20 s. */
  var WAKE_ANSWER_MS = 4000;
  var heartbeat = (function () {
    var socketElt = null;
    var wrapper = null;
    var timer = null;
    var unanswered = false;
    var askedAt = 0;

    function every() {
      var el = indicator();
      var ms = el ? parseInt(el.dataset.heartbeatMs, 10) : NaN;
      return ms > 0 ? ms : 20000;
    }

    function tick(answerWithinMs) {
      if (!wrapper) return;
      if (unanswered) {
        dropDeadSocket();
        return;
      }
      unanswered = true;
      askedAt = Date.now();
      try {
        wrapper.send("ping");
      } catch (e) {
        // Not open after all: the next tick finds it unanswered and starts over.
      }
      timer = setTimeout(tick, answerWithinMs || every());
    }

    function stop() {
      clearTimeout(timer);
      timer = null;
      unanswered = false;
    }

    function dropDeadSocket() {
      var elt = socketElt;
      var again = wrapper;
      var data = elt && elt["htmx-internal-data"];
      var socket = data && data.webSocket && data.webSocket.socket;
      stop();
      wrapper = null;
      awaitingSnapshot = false;
      show("reconnecting", "Reconnecting…");
      if (socket) {
        // Its close event may come much later, or never: nobody listens for it any more.
        socket.onclose = null;
        socket.onerror = null;
        try {
          socket.close(4000, "no heartbeat");
        } catch (e) {
          // Already closing.
        }
      }
      if (elt && again && document.body.contains(elt)) again.reconnect();
    }

    document.addEventListener("htmx:wsOpen", function (evt) {
      stop();
      socketElt = evt.target;
      wrapper = evt.detail.socketWrapper;
      timer = setTimeout(tick, every());
    });
    document.addEventListener("htmx:wsClose", function () {
      stop();
      wrapper = null;
    });
    document.addEventListener("htmx:wsBeforeMessage", function (evt) {
      unanswered = false;
      // The answer itself is not part of the screen.
      if (evt.detail.message === "pong") evt.preventDefault();
    });

    return {
      renew: function () {
        if (wrapper) dropDeadSocket();
      },
      askNow: function () {
        if (!wrapper) return;
        var wait = Math.min(WAKE_ANSWER_MS, every());
        if (unanswered) {
          // Asked before the page slept and never answered: the socket is gone. (Asked a
          // moment ago: the answer may still be on its way, so give it until its deadline.)
          if (Date.now() - askedAt >= wait) dropDeadSocket();
          return;
        }
        clearTimeout(timer);
        tick(wait);
      },
    };
  })();
})();
