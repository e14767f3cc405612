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
  var button = document.getElementById("alert-me");
  if (button) {
    var note = document.getElementById("alert-me-note");
    function refresh() {
      if (!("Notification" in window)) {
        button.hidden = true;
        if (note) note.textContent = "Keep this page open: it will beep and vibrate when it's time.";
      } else if (Notification.permission === "granted") {
        button.textContent = "Alerts are on";
        button.disabled = true;
      } else if (Notification.permission === "denied") {
        button.disabled = true;
        if (note) note.textContent = "Notifications are blocked in your browser settings; keep this page open.";
      }
    }
    button.addEventListener("click", function () {
      beep(); // unlocks sound on phones, which only play audio after a tap
      if ("Notification" in window) Notification.requestPermission().then(refresh);
    });
    refresh();
  }
})();
