/* Pilotage: draws the plotly charts of the page and keeps the filter form tidy. No other host is ever contacted. */
(function () {
  "use strict";
  function config() {
    try { return JSON.parse(document.body.getAttribute("data-plotly-config") || "{}"); }
    catch (e) { return {}; }
  }
  function draw() {
    if (!window.Plotly) { return; }
    var cfg = config();
    var nodes = document.querySelectorAll("script[data-plot]");
    for (var i = 0; i < nodes.length; i++) {
      var el = document.getElementById(nodes[i].getAttribute("data-plot"));
      if (!el) { continue; }
      var fig = JSON.parse(nodes[i].textContent);
      window.Plotly.newPlot(el, fig.data || [], fig.layout || {}, cfg);
    }
  }
  function filters() {
    var form = document.getElementById("filters");
    if (!form) { return; }
    var period = form.querySelector("select[name=period]");
    var dates = form.querySelectorAll("input[type=date]");
    for (var i = 0; i < dates.length; i++) {
      dates[i].addEventListener("change", function () { if (period) { period.value = "custom"; } });
    }
    form.addEventListener("submit", function () {
      // keep the address short and bookmarkable: no empty fields, no dates with a preset
      var fields = form.querySelectorAll("select, input");
      for (var j = 0; j < fields.length; j++) {
        var f = fields[j];
        if (!f.value || (f.type === "date" && period && period.value !== "custom")) { f.disabled = true; }
      }
      window.setTimeout(function () {
        for (var k = 0; k < fields.length; k++) { fields[k].disabled = false; }
      }, 0);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { filters(); draw(); });
})();
