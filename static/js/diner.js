/* The diner's tracking page: when the party is told to head over, make sure they notice —
 * title, a short sound, a vibration, and a system notification if they allowed it. */
(function () {
  "use strict";
  var HEADING_OVER = ["AWAITING_ARRIVAL", "RECEIVED", "PREPARING"];
  var audio = null;

  function statusEl() {
    return document.getElementById("order-status");
  }

  function isHeadingOver(status) {
    return HEADING_OVER.indexOf(status) !== -1;
  }

  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
      [0, 0.35, 0.7].forEach(function (at) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.2, audio.currentTime + at);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.25);
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + at);
        osc.stop(audio.currentTime + at + 0.25);
      });
    } catch (e) { /* no sound on this device */ }
  }

  function alertDiner(el) {
    document.body.dataset.alerted = "true";
    beep();
    if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
    if ("Notification" in window && Notification.permission === "granted") {
      try {
        new Notification("Head over now", { body: el.dataset.notice || "Your table is almost ready.", tag: "readytable-head-over" });
      } catch (e) { /* some mobile browsers only notify from a service worker */ }
    }
  }

  var initial = statusEl();
  var last = initial ? initial.dataset.status : null;

  function onUpdate() {
    var el = statusEl();
    if (!el) return;
    if (el.dataset.title) document.title = el.dataset.title;
    var now = el.dataset.status;
    if (last === "REQUESTED" && now !== "REQUESTED") {
      // The host answered: the page of a party in the queue has more on it (its place, its
      // wait, how far away it is), so load it whole.
      window.location.reload();
      return;
    }
    if (isHeadingOver(now) && !isHeadingOver(last)) alertDiner(el);
    last = now;
  }
  document.addEventListener("htmx:wsAfterMessage", onUpdate);

  // "Alert me": the only thing that asks for permission, and only when the diner taps it.
  // With web push set up (the button carries the server's VAPID key), allowing
  // notifications also subscribes this browser, so the outbox worker can reach it with the
  // page closed; the sound and vibration on the page stay.
  var button = document.getElementById("alert-me");
  if (button) {
    var note = document.getElementById("alert-me-note");
    var vapidKey = button.dataset.vapidKey;
    var subscribeUrl = button.dataset.subscribeUrl;
    var canPush = !!(vapidKey && "serviceWorker" in navigator && "PushManager" in window);

    function say(text) {
      if (note) note.textContent = text;
    }

    function csrfToken() {
      try {
        return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
      } catch (e) {
        return "";
      }
    }

    function keyBytes(base64url) {
      var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
      var raw = window.atob(padded);
      var bytes = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      return bytes;
    }

    function subscribe() {
      document.body.dataset.push = "subscribing";
      return navigator.serviceWorker.register("/sw.js", { scope: "/" })
        .then(function () { return navigator.serviceWorker.ready; })
        .then(function (registration) {
          return registration.pushManager.getSubscription().then(function (existing) {
            return existing || registration.pushManager.subscribe({
              userVisibleOnly: true,
              applicationServerKey: keyBytes(vapidKey),
            });
          });
        })
        .then(function (subscription) {
          return fetch(subscribeUrl, {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
            body: JSON.stringify(subscription.toJSON ? subscription.toJSON() : subscription),
          });
        })
        .then(function (response) {
          if (!response.ok) throw new Error("the server said " + response.status);
          document.body.dataset.push = "subscribed";
          say("We'll notify this browser when it's time, even with this page closed.");
        })
        .catch(function (error) {
          document.body.dataset.push = "failed";
          say("Notifications could not be set up here (" + error.message + "); keep this page open, or choose texts below.");
        });
    }

    function refresh() {
      if (!("Notification" in window)) {
        button.hidden = true;
        say("Keep this page open: it will beep and vibrate when it's time.");
      } else if (Notification.permission === "granted") {
        button.textContent = "Alerts are on";
        button.disabled = true;
      } else if (Notification.permission === "denied") {
        button.disabled = true;
        say("Notifications are blocked in your browser settings; keep this page open.");
      }
    }
    button.addEventListener("click", function () {
      beep(); // unlocks sound on phones, which only play audio after a tap
      if (!("Notification" in window)) return;
      Notification.requestPermission().then(function (permission) {
        refresh();
        if (permission === "granted" && canPush) subscribe();
      });
    });
    refresh();
    // Allowed before (another visit, or the home-screen app): make sure the server has this
    // browser's subscription.
    if (canPush && "Notification" in window && Notification.permission === "granted") subscribe();
  }
})();
