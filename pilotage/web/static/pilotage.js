/* Pilotage: draws the plotly charts of the page, keeps the filter form tidy, sorts and searches tables.
   No framework, no other host ever contacted. */
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
    var toggle = document.querySelector(".filters-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var open = form.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
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
  // a thin bar at the top while the next page is computed by the server
  function busy() {
    var on = function () { document.body.classList.add("is-busy"); };
    window.addEventListener("beforeunload", on);
    window.addEventListener("pageshow", function () { document.body.classList.remove("is-busy"); });
  }
  // tables: click a column head to sort (again to reverse); a search box above long tables
  function key(cell) {
    if (!cell) { return ""; }
    var s = cell.getAttribute("data-sort");
    if (s !== null && s !== "") { return parseFloat(s); }
    return cell.textContent.trim().toLowerCase();
  }
  function sortable(table) {
    var heads = table.querySelectorAll("thead th");
    var body = table.tBodies[0];
    if (!body || body.rows.length < 2) { return; }
    Array.prototype.forEach.call(heads, function (th, col) {
      th.classList.add("sortable");
      th.setAttribute("aria-sort", "none");
      th.tabIndex = 0;
      var go = function (ev) {
        if (ev.target.tagName === "A") { return; }
        var dir = th.getAttribute("aria-sort") === "descending" ? 1 : -1;
        Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          var xe = x === "" || (typeof x === "number" && isNaN(x)), ye = y === "" || (typeof y === "number" && isNaN(y));
          if (xe || ye) { return xe === ye ? 0 : xe ? 1 : -1; }  // empty cells last, whatever the direction
          if (typeof x === "number" && typeof y === "number") { return dir * (x - y); }
          return dir * String(x).localeCompare(String(y), document.documentElement.lang);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      };
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); go(ev); } });
    });
    if (body.rows.length >= 8) {
      var input = document.createElement("input");
      input.type = "search";
      input.className = "table-search";
      input.placeholder = document.body.getAttribute("data-search") || "";
      input.setAttribute("aria-label", input.placeholder);
      input.addEventListener("input", function () {
        var q = input.value.trim().toLowerCase();
        Array.prototype.forEach.call(body.rows, function (r) {
          r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0;
        });
      });
      var wrap = table.closest(".table-wrap") || table;
      wrap.parentNode.insertBefore(input, wrap);
    }
  }
  function tables() {
    var all = document.querySelectorAll("table[data-sortable]");
    for (var i = 0; i < all.length; i++) { sortable(all[i]); }
  }
  // a table wider than its box says so (a shadow on the side that scrolls)
  function scrollCues() {
    var wraps = document.querySelectorAll(".table-wrap");
    var update = function (w) {
      w.classList.toggle("more-right", w.scrollLeft + w.clientWidth < w.scrollWidth - 2);
    };
    for (var i = 0; i < wraps.length; i++) {
      (function (w) {
        update(w);
        w.addEventListener("scroll", function () { update(w); }, {passive: true});
      })(wraps[i]);
    }
  }
  busy();
  document.addEventListener("DOMContentLoaded", function () { filters(); tables(); scrollCues(); draw(); });
})();
