/* The join page's running total: the sum of the dishes picked so far, as they are picked.
 * Without JavaScript the total stays hidden; the diner's page shows it once they join. */
(function () {
  "use strict";
  var box = document.getElementById("order-total-box");
  var output = document.getElementById("order-total");
  if (!box || !output) return;
  var inputs = document.querySelectorAll("input[data-price]");

  function cents(text) {
    var parts = String(text).split(".");
    return parseInt(parts[0], 10) * 100 + parseInt((parts[1] || "0").padEnd(2, "0").slice(0, 2), 10);
  }

  function update() {
    var total = 0;
    inputs.forEach(function (input) {
      var quantity = parseInt(input.value, 10);
      if (quantity > 0 && quantity <= 50) total += quantity * cents(input.dataset.price);
    });
    output.textContent = "$" + Math.floor(total / 100) + "." + String(total % 100).padStart(2, "0");
  }

  inputs.forEach(function (input) { input.addEventListener("input", update); });
  box.hidden = false;
  update();
})();
