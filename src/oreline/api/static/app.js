// Oreline pages: draw plotly figures from their JSON, sort tables, follow a job.
"use strict";
function drawFigures() {
  document.querySelectorAll("div.plot[data-figure]").forEach(function (div) {
    var fig = JSON.parse(document.getElementById(div.dataset.figure).textContent);
    var layout = Object.assign({}, fig.layout || {}, {autosize: true});
    Plotly.newPlot(div, fig.data, layout, {responsive: true, displaylogo: false});
  });
}
function sortTable(th) {
  var table = th.closest("table"), body = table.tBodies[0];
  var col = Array.prototype.indexOf.call(th.parentNode.children, th);
  var asc = th.dataset.dir !== "asc"; th.dataset.dir = asc ? "asc" : "desc";
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function (a, b) {
    var x = a.cells[col], y = b.cells[col];
    var vx = x.dataset.v !== undefined ? parseFloat(x.dataset.v) : x.textContent;
    var vy = y.dataset.v !== undefined ? parseFloat(y.dataset.v) : y.textContent;
    var c = (typeof vx === "number" && typeof vy === "number") ? vx - vy : String(vx).localeCompare(String(vy));
    return asc ? c : -c;
  });
  rows.forEach(function (r) { body.appendChild(r); });
}
function followJob() {
  var box = document.getElementById("job");
  if (!box || ["done", "failed"].indexOf(box.dataset.status) >= 0) return;
  var timer = setInterval(function () {
    fetch(box.dataset.statusUrl, {headers: {Accept: "application/json"}})
      .then(function (r) { return r.json(); }).then(function (j) {
        document.getElementById("job-status").textContent = j.status;
        document.getElementById("job-phase").textContent = j.phase;
        var bar = document.getElementById("job-progress");
        bar.max = j.total || 1; bar.value = j.done;
        if (j.status === "done" || j.status === "failed") { clearInterval(timer); location.reload(); }
      });
  }, 1000);
}
document.addEventListener("DOMContentLoaded", function () {
  if (window.Plotly) drawFigures();
  document.querySelectorAll("table.sortable th").forEach(function (th) {
    th.addEventListener("click", function () { sortTable(th); });
  });
  followJob();
});
