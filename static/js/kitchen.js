/* Kitchen display: keep each ticket's "fire in N min" counting down between pushes, and
 * mark it late once its fire time passes. The server's clock is the reference (the page says
 * what time it was when rendered), so a kitchen tablet with a wrong clock still counts right. */
(function () {
  "use strict";
  var offset = 0; // server time minus this device's time, in ms

  function syncClock() {
    var section = document.getElementById("kitchen-status");
    if (section && section.dataset.serverNow) {
      offset = Date.parse(section.dataset.serverNow) - Date.now();
    }
  }

  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("[data-fire-at]").forEach(function (ticket) {
      var label = ticket.querySelector("[data-countdown]");
      if (!label) return;
      // As on the server: rounded up while ahead, whole minutes late once passed.
      var ms = Date.parse(ticket.dataset.fireAt) - now;
      var late = ms <= 0;
      var minutesLate = Math.floor(-ms / 60000);
      ticket.dataset.late = late ? "true" : "false";
      label.classList.toggle("bg-red-700", late);
      label.classList.toggle("text-white", late);
      label.classList.toggle("bg-stone-200", !late);
      label.textContent = !late ? "in " + Math.ceil(ms / 60000) + " min"
        : minutesLate > 0 ? "Fire now · late " + minutesLate + " min" : "Fire now";
    });
  }

  function refresh() {
    syncClock();
    tick();
  }
  document.addEventListener("htmx:wsAfterMessage", refresh);
  document.addEventListener("htmx:afterSwap", refresh);
  refresh();
  setInterval(tick, 15000);
})();
