// The usage page's chart and toggle. The chart is drawn by Chart.js (Debian's
// libjs-chart.js, served from this host) from the page's own table, so the
// chart and the table can never disagree. Without JavaScript the table and
// the form's Show button do the same job.
"use strict";

(function () {
  document.documentElement.classList.add("js");

  var controls = document.getElementById("usage-controls");
  if (controls) {
    controls.addEventListener("change", function (event) {
      if (event.target.name === "by" || (event.target.type === "date" && controls.checkValidity())) controls.submit();
    });
  }

  var table = document.getElementById("usage-table");
  var canvas = document.getElementById("usage-chart");
  if (!table || !canvas || typeof Chart === "undefined") return;

  var style = getComputedStyle(document.documentElement);
  var fg = style.getPropertyValue("--fg").trim() || "#1b1f24";
  var line = style.getPropertyValue("--line").trim() || "#d9dde3";
  // Nine colours told apart in light and dark, "Other" last in grey.
  var palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"];
  var other = "#8c8c8c";

  var keys = Array.prototype.map.call(table.querySelectorAll("thead th[data-key]"), function (th) { return th.getAttribute("data-key"); });
  var rows = table.querySelectorAll("tbody tr");
  var labels = [];
  var data = keys.map(function () { return []; });
  Array.prototype.forEach.call(rows, function (row) {
    labels.push(row.querySelector("th").textContent);
    var cells = row.querySelectorAll("td[data-v]:not(.total)");
    keys.forEach(function (_, index) { data[index].push(Number(cells[index].getAttribute("data-v"))); });
  });
  var datasets = keys.map(function (key, index) {
    var colour = /^Other \(/.test(key) ? other : palette[index % palette.length];
    return { label: key, data: data[index], backgroundColor: colour, borderWidth: 0, stack: "cost" };
  });

  var money = function (value) {
    var digits = value !== 0 && Math.abs(value) < 0.01 ? 4 : 2;
    return "$" + value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  };

  Chart.defaults.color = fg;
  Chart.defaults.borderColor = line;
  Chart.defaults.font.family = style.getPropertyValue("--font").trim() || "system-ui, sans-serif";
  new Chart(canvas, {
    type: "bar",
    data: { labels: labels, datasets: datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } },
        y: { stacked: true, beginAtZero: true, ticks: { callback: function (value) { return money(Number(value)); } } }
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12 } },
        tooltip: {
          callbacks: {
            label: function (item) { return item.dataset.label + ": " + money(item.parsed.y); },
            footer: function (items) {
              var sum = items.reduce(function (total, item) { return total + item.parsed.y; }, 0);
              return "Total: " + money(sum);
            }
          }
        }
      }
    }
  });
})();
