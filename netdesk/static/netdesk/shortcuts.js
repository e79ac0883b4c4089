// Keyboard shortcuts of the agent UI; "?" lists them. Keys typed into a form
// field are left alone so agents can write "a" or "r" in a note.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function toggleHelp(show) {
    var help = document.getElementById("shortcut-help");
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  function openPanel(id) {
    var panel = document.getElementById(id);
    if (!panel) return false;
    panel.open = true;
    panel.scrollIntoView({ block: "nearest" });
    var field = panel.querySelector("select, input:not([type=hidden]), textarea");
    if (field) field.focus();
    return true;
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-help-toggle]")) toggleHelp();
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") { toggleHelp(false); return; }
    if (typing(event.target)) return;
    var handled = true;
    switch (event.key) {
      case "/": {
        var search = document.getElementById("customer-q") || document.getElementById("global-search");
        if (search) { search.focus(); search.select(); } else handled = false;
        break;
      }
      case "n":
        window.location.href = document.body.dataset.newTicketUrl + "?new=1";
        break;
      case "a": {
        var assign = document.querySelector("[data-shortcut=a]");
        if (assign) assign.click(); else handled = false;
        break;
      }
      case "e":
        handled = openPanel("action-escalate");
        break;
      case "r":
        handled = openPanel("action-resolve");
        break;
      case "?":
        toggleHelp();
        break;
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  });
})();
