// Ticket forms: the new-ticket form offers only the categories of the chosen
// type; a call report asks for the resolution only with the outcome
// "Resolved on the call"; the ticket page's main actions open their form.
(function () {
  "use strict";

  // Categories are grouped by type (one <optgroup> per type label): the
  // groups that do not match the type are hidden and a stale choice cleared.
  var type = document.getElementById("id_ticket_type");
  var category = document.getElementById("id_category");
  if (type && category) {
    var filter = function () {
      var label = type.options[type.selectedIndex].text;
      Array.prototype.forEach.call(category.querySelectorAll("optgroup"), function (group) {
        var match = group.label === label;
        group.hidden = !match;
        group.disabled = !match;
        if (!match && group.contains(category.options[category.selectedIndex])) {
          category.value = "";
        }
      });
    };
    type.addEventListener("change", filter);
    filter();
  }

  // The resolution fields of a call report show with "Resolved on the call"
  // (or when they carry an error to fix).
  Array.prototype.forEach.call(document.querySelectorAll("select[name$='outcome']"), function (outcome) {
    var form = outcome.form;
    var fields = Array.prototype.filter.call(
      form.querySelectorAll("select[name$='resolution_code'], select[name$='root_cause']"),
      function (select) { return select.closest(".field"); }
    ).map(function (select) { return select.closest(".field"); });
    var sync = function () {
      var resolved = outcome.value === "resolved";
      fields.forEach(function (field) {
        field.hidden = !resolved && !field.classList.contains("has-error");
      });
    };
    outcome.addEventListener("change", sync);
    sync();
  });

  // Main actions: open their panel (one at a time), set reply or note, focus.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-open-action]");
    if (!link) return;
    var panel = document.getElementById(link.dataset.openAction);
    if (!panel) return;
    event.preventDefault();
    Array.prototype.forEach.call(document.querySelectorAll("details[id^='action-']"), function (other) {
      if (other !== panel) other.open = false;
    });
    panel.open = true;
    var visibility = panel.querySelector("select[name$='visibility']");
    if (visibility && link.dataset.visibility) visibility.value = link.dataset.visibility;
    panel.scrollIntoView({ block: "nearest" });
    var field = panel.querySelector("textarea, select, input:not([type=hidden])");
    if (field) field.focus();
  });
})();
