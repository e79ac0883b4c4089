// The agent's live events (GET /live/, long polling). Each event is
// re-dispatched on document as a "netdesk:live" CustomEvent whose detail is
// {id, stream, kind, payload, at}; pages and widgets listen for the kinds
// they show (screen pop, chat queue). One poll per tab; after an error it
// waits a little longer each time, up to 30 s. Elements with
// data-live-stream="..." (the queue, a ticket page) add their stream to the
// agent's own; the server hears only those the agent may see.
(function () {
  "use strict";
  var base = document.body && document.body.getAttribute("data-live-url");
  if (!base || !window.fetch) return;
  var cursor = null;
  var pause = 1000;
  var streamsQuery = "";

  function pageStreams() {
    var streams = [];
    document.querySelectorAll("[data-live-stream]").forEach(function (element) {
      var stream = element.getAttribute("data-live-stream");
      if (stream && streams.indexOf(stream) < 0) streams.push(stream);
    });
    return streams.length ? "&streams=" + encodeURIComponent(streams.join(",")) : "";
  }

  function dispatch(item) {
    document.dispatchEvent(new CustomEvent("netdesk:live", { detail: item }));
  }

  function poll() {
    var target = cursor === null ? base : base + "?after=" + encodeURIComponent(cursor) + streamsQuery;
    fetch(target, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) return null; // signed out: stop listening
        if (!response.ok) throw new Error("live events: HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        if (body === null) return;
        pause = 1000;
        cursor = body.cursor;
        body.events.forEach(dispatch);
        setTimeout(poll, 0);
      })
      .catch(function () {
        setTimeout(poll, pause);
        pause = Math.min(pause * 2, 30000);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    streamsQuery = pageStreams();
    poll();
  });
})();
