// The macro picker of a reply box. An element
//   <div data-macro-picker data-macro-target="<textarea id>"
//        data-macro-offered="/kb/macros/offered/?ticket=TT-…" data-macro-base="/kb/macros/"
//        data-ticket="TT-…">
// becomes a list of the macros offered to the agent and an "Insert" button:
// the chosen macro, filled in for the ticket (POST …/<id>/render/<ticket>/,
// which counts the use), goes into the textarea at the cursor. Placeholders
// the ticket has no value for are named next to the picker. A macro offered
// in the knowledge suggestions is inserted through the same path
// ("netdesk:macro-insert" event from kb-suggest.js).
(function () {
  "use strict";
  if (!window.fetch) return;
  var pickers = new Map(); // textarea id -> picker

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function csrfToken(near) {
    var form = near.closest("form");
    var input =
      (form && form.querySelector("input[name=csrfmiddlewaretoken]")) ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // At the cursor of a box the agent has been in; else after its text.
  function insertAt(textarea, text) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var value = textarea.value;
    if (typeof start !== "number" || !textarea.hasAttribute("data-macro-caret")) {
      // Not being edited: after what is there, on its own lines.
      start = end = value.length;
      if (value && !/\n$/.test(value)) text = "\n" + text;
    }
    textarea.value = value.slice(0, start) + text + value.slice(end);
    var caret = start + text.length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function Picker(root) {
    this.root = root;
    this.target = root.getAttribute("data-macro-target");
    this.offered = root.getAttribute("data-macro-offered");
    this.base = root.getAttribute("data-macro-base");
    this.ticket = root.getAttribute("data-ticket");
    this.loaded = false;
    this.build();
  }

  Picker.prototype.build = function () {
    var id = "macro-" + this.target;
    var label = el("label", null, "Macro");
    label.htmlFor = id;
    this.select = el("select");
    this.select.id = id;
    this.select.appendChild(el("option", null, "Loading macros…"));
    this.select.disabled = true;
    this.button = el("button", null, "Insert");
    this.button.type = "button";
    this.button.disabled = true;
    this.status = el("p", "muted");
    this.status.setAttribute("role", "status");
    var row = el("div", "macro-picker-row");
    row.style.display = "flex";
    row.style.gap = ".5rem";
    row.style.alignItems = "center";
    this.select.style.flex = "1";
    this.select.style.minWidth = "0";
    label.style.margin = "0";
    // A whole row of the ticket page's two-column action forms.
    this.root.style.gridColumn = "1 / -1";
    this.status.style.margin = ".2rem 0 .6rem";
    row.appendChild(label);
    row.appendChild(this.select);
    row.appendChild(this.button);
    this.root.replaceChildren(row, this.status);
    var self = this;
    this.button.addEventListener("click", function () {
      if (self.select.value) self.insert(self.select.value);
    });
  };

  Picker.prototype.load = function () {
    var self = this;
    if (this.loaded) return;
    this.loaded = true;
    fetch(this.offered, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("macros: HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        var items = Array.isArray(body.items) ? body.items : [];
        var first = el("option", null, items.length ? "Choose a macro…" : "No macros for you");
        first.value = "";
        var options = [first];
        items.forEach(function (item) {
          var option = el("option", null, item.name + " (" + item.language + ")");
          option.value = String(item.id);
          option.title = item.snippet || "";
          options.push(option);
        });
        self.select.replaceChildren.apply(self.select, options);
        self.select.disabled = !items.length;
        self.button.disabled = !items.length;
      })
      .catch(function () {
        self.loaded = false;
        self.select.replaceChildren(el("option", null, "Macros are not available just now"));
      });
  };

  // Load when the reply box is shown: at once, or when its <details> opens.
  Picker.prototype.loadWhenShown = function () {
    var self = this;
    var details = this.root.closest("details");
    if (!details || details.open) {
      this.load();
      return;
    }
    details.addEventListener("toggle", function () {
      if (details.open) self.load();
    });
  };

  Picker.prototype.insert = function (macroId) {
    var self = this;
    var textarea = document.getElementById(this.target);
    if (!textarea) return;
    var url =
      this.base + encodeURIComponent(macroId) + "/render/" + encodeURIComponent(this.ticket) + "/";
    this.button.disabled = true;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken(this.root) },
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.detail || "HTTP " + response.status);
          return body;
        });
      })
      .then(function (body) {
        insertAt(textarea, body.text);
        self.status.textContent =
          body.missing && body.missing.length
            ? "No value on this ticket for " +
              body.missing.join(", ") +
              ": replace the marked text before sending."
            : "Inserted “" + body.name + "”.";
      })
      .catch(function (error) {
        self.status.textContent = "The macro could not be inserted: " + error.message;
      })
      .then(function () {
        self.button.disabled = false;
      });
  };

  function setUp() {
    document.querySelectorAll("[data-macro-picker]").forEach(function (root) {
      var picker = new Picker(root);
      pickers.set(picker.target, picker);
      var textarea = document.getElementById(picker.target);
      if (textarea) {
        textarea.addEventListener("focus", function () {
          textarea.setAttribute("data-macro-caret", "");
        });
      }
      picker.loadWhenShown();
    });
    document.addEventListener("netdesk:macro-insert", function (event) {
      var detail = event.detail || {};
      var picker = pickers.get(detail.target);
      if (picker) picker.insert(detail.id);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
