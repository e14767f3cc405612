// The insights screen's charts: every <canvas data-chart="ID"> is drawn with Chart.js from
// the JSON in the <script type="application/json" id="ID"> beside it (Django's json_script).
// No inline script or style: the figures are data, and the look is here and in app.css.
(function () {
  "use strict";

  // Tailwind's emerald, stone, amber and sky, dark enough on white for text and lines.
  const COLOURS = ["#047857", "#b45309", "#0369a1", "#57534e", "#be123c", "#6d28d9"];

  function config(spec) {
    const twoAxes = spec.datasets.some(function (d) { return d.axis === "y2"; });
    const datasets = spec.datasets.map(function (d, i) {
      const colour = COLOURS[i % COLOURS.length];
      const line = d.kind === "line" || spec.type === "line";
      return {
        type: line ? "line" : "bar",
        label: d.label,
        data: d.data,
        yAxisID: d.axis === "y2" ? "y2" : "y",
        backgroundColor: line ? colour : colour + "cc",
        borderColor: colour,
        borderWidth: line ? 2 : 0,
        pointRadius: line && d.data.length > 40 ? 0 : 3,
        spanGaps: true,
        order: line ? 0 : 1, // lines over bars
      };
    });
    const scales = {
      x: { ticks: { autoSkip: true, maxRotation: 0 } },
      y: { beginAtZero: true, title: { display: !!spec.yTitle, text: spec.yTitle } },
    };
    if (twoAxes) {
      scales.y2 = {
        beginAtZero: true,
        position: "right",
        grid: { drawOnChartArea: false },
        title: { display: !!spec.y2Title, text: spec.y2Title },
      };
    }
    return {
      type: spec.type === "line" ? "line" : "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: scales,
      },
    };
  }

  function draw(canvas) {
    if (canvas.dataset.drawn === "true" || typeof window.Chart === "undefined") return;
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    new window.Chart(canvas, config(JSON.parse(source.textContent)));
    canvas.dataset.drawn = "true";
  }

  function drawWithin(root) {
    root.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  drawWithin(document);
  // The what-if's button brings its section back with a new chart (htmx, out of band).
  document.addEventListener("htmx:load", function (event) { drawWithin(event.detail.elt); });
})();
