// The queue's bulk change: count the ticked tickets, tick a whole page,
// show the chosen action's fields, and keep the ticks when htmx polling
// replaces the queue table (outerHTML swap every few seconds).
(function () {
  "use strict";

  var form = document.getElementById("bulk-form");
  if (!form || form.hidden) { return; }
  var selected = new Set();
  var count = document.getElementById("bulk-count");
  var selectPage = document.getElementById("bulk-select-page");
  var actionSelect = document.getElementById("bulk-action");
  var seenAt = document.getElementById("bulk-seen-at");

  function boxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll('input[type=checkbox][name=ref][form="bulk-form"]'));
  }

  function refresh() {
    var all = boxes();
    var ticked = all.filter(function (box) { return box.checked; });
    count.textContent = ticked.length + " selected";
    selectPage.checked = all.length > 0 && ticked.length === all.length;
    selectPage.indeterminate = ticked.length > 0 && ticked.length < all.length;
  }

  // After a swap the new table's boxes are ticked again from what was
  // selected; tickets no longer on the page drop out of the selection.
  function retick() {
    var onPage = new Set();
    boxes().forEach(function (box) {
      onPage.add(box.value);
      box.checked = selected.has(box.value);
    });
    selected.forEach(function (ref) { if (!onPage.has(ref)) { selected.delete(ref); } });
    refresh();
  }

  function showAction() {
    form.querySelectorAll("fieldset[data-bulk-action]").forEach(function (set) {
      var shown = set.getAttribute("data-bulk-action") === actionSelect.value;
      set.hidden = !shown;
      set.disabled = !shown;
    });
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box === selectPage) {
      boxes().forEach(function (each) {
        each.checked = selectPage.checked;
        if (each.checked) { selected.add(each.value); } else { selected.delete(each.value); }
      });
      refresh();
    } else if (box.matches && box.matches('input[type=checkbox][name=ref][form="bulk-form"]')) {
      if (box.checked) { selected.add(box.value); } else { selected.delete(box.value); }
      refresh();
    }
  });

  document.body.addEventListener("htmx:afterSwap", retick);
  // The list on screen is as new as the poll's answer: tickets changed
  // after it are refused as stale rather than changed unseen.
  // Date has whole seconds: the rest of that second counts as seen.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail || {};
    var xhr = detail.xhr;
    var date = xhr && xhr.getResponseHeader("Date");
    // The table's own poll, or a reload aimed at it (a ticket changed live).
    var table = [detail.elt, detail.target].some(function (el) { return el && el.id === "queue-table"; });
    if (!table || !detail.successful || !date) { return; }
    var at = Date.parse(date);
    if (!isNaN(at)) { seenAt.value = new Date(at + 999).toISOString(); }
  });
  form.addEventListener("submit", function (event) {
    if (boxes().every(function (box) { return !box.checked; })) {
      event.preventDefault();
      count.textContent = "Select at least one ticket first";
    }
  });
  actionSelect.addEventListener("change", showAction);
  showAction();
  // Ticks a browser kept from before a reload count as selected.
  boxes().forEach(function (box) { if (box.checked) { selected.add(box.value); } });
  refresh();
}());
