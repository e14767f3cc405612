/* The QR poster's Print button (the page itself works without it: the browser's own Print). */
(function () {
  "use strict";
  var button = document.getElementById("print-poster");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
