// New ticket form: offer only the categories of the chosen ticket type. The
// category list is grouped by type (one <optgroup> per type label), so the
// groups that do not match the type are hidden and a stale choice cleared.
(function () {
  "use strict";
  var type = document.getElementById("id_ticket_type");
  var category = document.getElementById("id_category");
  if (!type || !category) return;

  function filter() {
    var label = type.options[type.selectedIndex].text;
    Array.prototype.forEach.call(category.querySelectorAll("optgroup"), function (group) {
      var match = group.label === label;
      group.hidden = !match;
      group.disabled = !match;
      if (!match && group.contains(category.options[category.selectedIndex])) {
        category.value = "";
      }
    });
  }

  type.addEventListener("change", filter);
  filter();
})();
