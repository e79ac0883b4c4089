// The Due column ticks between the queue's polls: each cell with data-due
// (ISO time), data-warn and data-breached is rewritten every 20 seconds in
// the words the server uses (tickets/due.py): "in 23 min", "12 min late".
(function () {
  "use strict";
  var ICONS = { ok: "◷", warning: "⚠", breached: "✗" };
  var LABELS = { ok: "On time", warning: "Due soon", breached: "Breached" };

  function span(ms) {
    var minutes = Math.round(Math.abs(ms) / 60000);
    if (minutes < 60) return minutes + " min";
    if (minutes < 48 * 60) {
      var rest = minutes % 60;
      return Math.floor(minutes / 60) + " h " + (rest < 10 ? "0" : "") + rest + " min";
    }
    return Math.floor(minutes / (24 * 60)) + " d";
  }

  function tick() {
    var now = Date.now();
    var cells = document.querySelectorAll("td[data-due]");
    for (var i = 0; i < cells.length; i++) {
      var cell = cells[i];
      var due = Date.parse(cell.getAttribute("data-due"));
      if (isNaN(due)) continue;
      var warn = Date.parse(cell.getAttribute("data-warn") || "");
      var late = due <= now;
      var state = "ok";
      if (late || cell.getAttribute("data-breached") === "1") state = "breached";
      else if (!isNaN(warn) && warn <= now) state = "warning";
      var previous = cell.getAttribute("data-state");
      if (previous !== state) {
        cell.classList.remove("sla-" + previous);
        cell.classList.add("sla-" + state);
        cell.setAttribute("data-state", state);
        var row = cell.closest("tr");
        if (row) {
          row.classList.remove("sla-line-" + previous);
          row.classList.add("sla-line-" + state);
        }
      }
      var icon = cell.querySelector(".sla-icon");
      var label = cell.querySelector(".sla-label");
      var text = cell.querySelector(".due-text");
      if (icon) icon.textContent = ICONS[state];
      if (label) label.textContent = LABELS[state] + ":";
      if (text) text.textContent = late ? span(now - due) + " late" : "in " + span(due - now);
    }
  }

  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 20000);
})();
