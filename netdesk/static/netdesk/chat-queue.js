// The number of chats waiting that the signed-in agent may take, beside
// "Chats" in the menu (only agents who take chats have that link). Read
// from /chat/queue.json when the page opens and whenever the desk says the
// queue changed (a "chat_queue" live event, see live.js).
(function () {
  "use strict";
  // Many agents hear one change at once: each asks a moment apart.
  var SPREAD_MS = 600;
  var badge = null;
  var url = "";
  var pending = null;

  function refresh() {
    pending = null;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (!body || !body.waiting) return;
        var count = body.waiting.length;
        badge.textContent = String(count);
        badge.title = count === 1 ? "1 chat waiting" : count + " chats waiting";
        badge.hidden = count === 0;
      })
      .catch(function () {});
  }

  function soon() {
    if (pending) return;
    pending = setTimeout(refresh, 100 + Math.floor(Math.random() * SPREAD_MS));
  }

  document.addEventListener("DOMContentLoaded", function () {
    badge = document.querySelector("[data-chat-waiting]");
    var link = badge && badge.closest("a[href]");
    if (!link || !window.fetch) return;
    // The console is /chat/console/; the queue is beside it.
    url = new URL("../queue.json", link.href).toString();
    document.addEventListener("netdesk:live", function (event) {
      if (event.detail && event.detail.kind === "chat_queue") soon();
    });
    refresh();
  });
})();
