/* The dashboard's filters and chart: the communes' status shares per classified period, stacked,
   with the plan's goal for the healthy share (Chart.js 4, vendored). Reads the JSON block
   #healthy-data written by templates/dashboard.html; the table below the chart carries the same
   figures for readers without a canvas. */
(function () {
  "use strict";
  /* District codes belong to one vintage: choosing another vintage clears the district. */
  var vintage = document.getElementById("vintage");
  var district = document.getElementById("district");
  if (vintage && district) {
    vintage.addEventListener("change", function () { district.value = ""; });
  }
  var block = document.getElementById("healthy-data");
  var canvas = document.getElementById("healthy-chart");
  if (!block || !canvas || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(block.textContent);
  var colours = {healthy: "#2ca02c", reduced: "#f2b701", not_healthy: "#d62728", not_assessed: "#b8b8b8"};
  var datasets = Object.keys(colours).map(function (status) {
    return {type: "bar", label: data.labels_status[status], data: data.shares[status],
            backgroundColor: colours[status], stack: "status", order: 1};
  });
  if (data.goal !== null) {
    datasets.push({
      type: "line",
      order: 0,  /* drawn over the bars */
      label: data.goal_label + " (" + data.goal + " %)",
      data: data.labels.map(function () { return data.goal; }),
      borderColor: "#1f2d3d",
      borderDash: [6, 4],
      pointRadius: 0,
      fill: false
    });
  }
  window.healthyChart = new Chart(canvas, {
    data: {labels: data.labels, datasets: datasets},
    options: {
      animation: false,
      responsive: true,
      scales: {
        x: {stacked: true},
        y: {stacked: true, min: 0, max: 100, ticks: {callback: function (v) { return v + " %"; }}}
      },
      plugins: {
        tooltip: {callbacks: {label: function (c) { return c.dataset.label + ": " + c.parsed.y + " %"; }}}
      }
    }
  });
}());
