/* Help articles suggested while a customer writes a new ticket.

   A container <div aria-live="polite" data-kb-suggest-url="..."
   data-kb-suggest-from="id1 id2"> (holding a hidden [data-kb-box] with a
   [data-kb-items] list) lists public help articles for the words typed into
   the named fields:
   asked for 400 ms after the typing stops, only when the words changed, an
   earlier unanswered request aborted. Built with textContent only (never
   HTML from the server). Loaded as a file: the policy allows no inline script. */
(function () {
  "use strict";

  var WAIT_MS = 400;
  var SHORTEST = 8; // characters before anything is asked

  function words(fields) {
    return fields
      .map(function (field) { return field.value.trim(); })
      .filter(function (text) { return text; })
      .join("\n")
      .slice(0, 2000);
  }

  function show(panel, list, items) {
    list.replaceChildren();
    items.forEach(function (item) {
      var entry = document.createElement("li");
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.title;
      link.target = "_blank"; // the ticket being written stays as it is
      link.rel = "noopener";
      if (item.language) { link.lang = item.language; }
      entry.appendChild(link);
      if (item.snippet) {
        var snippet = document.createElement("p");
        snippet.className = "muted";
        snippet.textContent = item.snippet;
        entry.appendChild(snippet);
      }
      list.appendChild(entry);
    });
    panel.hidden = items.length === 0;
  }

  function watch(box) {
    var url = box.dataset.kbSuggestUrl;
    var panel = box.querySelector("[data-kb-box]");
    var list = box.querySelector("[data-kb-items]");
    var fields = (box.dataset.kbSuggestFrom || "")
      .split(/\s+/)
      .map(function (id) { return document.getElementById(id); })
      .filter(function (field) { return field; });
    if (!url || !panel || !list || !fields.length) { return; }
    var timer = null;
    var asked = "";
    var running = null;

    function ask() {
      var text = words(fields);
      if (text === asked) { return; }
      asked = text;
      if (running) { running.abort(); running = null; }
      if (text.length < SHORTEST) { show(panel, list, []); return; }
      running = new AbortController();
      var query = new URLSearchParams({ q: text });
      // The form's key: what is suggested while writing it is counted together.
      if (box.dataset.kbWriting) { query.set("writing", box.dataset.kbWriting); }
      fetch(url + "?" + query.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: running.signal,
      })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (data) {
          // Refused (too many searches) or odd: the form works without it.
          if (data && Array.isArray(data.items)) { show(panel, list, data.items); }
        })
        .catch(function () { /* aborted or offline: nothing to show */ });
    }

    fields.forEach(function (field) {
      field.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(ask, WAIT_MS);
      });
    });
    ask();
  }

  function start() {
    document.querySelectorAll("[data-kb-suggest-url]").forEach(watch);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
