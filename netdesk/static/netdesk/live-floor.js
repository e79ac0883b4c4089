// The desk floor live (events from live.js, "netdesk:live"):
// - the bell fetches its count again when a notification is heard;
// - the queue table reloads when a ticket changes (the 15 s poll stays as
//   the fallback);
// - a ticket page shows "Updated by X — reload" when someone else changes
//   the ticket (nothing the agent typed is touched), who else has it open
//   or is replying (presence, sent every 20 s), and warns once before a
//   reply is sent when another reply came in after the page loaded.
(function () {
  "use strict";

  var BEAT_MS = 20000;
  var PRESENCE_MS = 45000;
  var QUEUE_PAUSE_MS = 1000;
  var REPLY_KINDS = ["reply_added", "interaction_logged"];
  var WORDS = {
    reply_added: "replied to the customer",
    note_added: "added a note",
    interaction_logged: "logged a contact",
    assigned: "assigned it",
    status_changed: "changed its status",
    resolved: "resolved it",
    closed: "closed it",
    reopened: "reopened it",
    escalated_functional: "escalated it",
    field_changed: "changed it",
  };

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // --- the bell -------------------------------------------------------------
  var bellTimer = null;
  document.addEventListener("netdesk:live", function (event) {
    if (event.detail.kind !== "notification" || bellTimer !== null) return;
    // Several at once (a bulk assignment) fetch the count once.
    bellTimer = setTimeout(function () {
      bellTimer = null;
      document.body.dispatchEvent(new CustomEvent("netdesk-bell"));
    }, 300);
  });

  // --- the queue --------------------------------------------------------------
  var queue = document.getElementById("queue-table");
  if (queue) {
    queue.setAttribute("data-live-stream", "tickets");
    var queueTimer = null;
    document.addEventListener("netdesk:live", function (event) {
      if (event.detail.stream !== "tickets" || queueTimer !== null) return;
      // A burst of changes (a bulk action) is one reload.
      queueTimer = setTimeout(function () {
        queueTimer = null;
        var table = document.getElementById("queue-table");
        if (!table || !window.htmx) return;
        // The same swap as the poll's: queue-bulk.js keeps the ticks across it.
        window.htmx.ajax("GET", table.getAttribute("hx-get"), { target: table, swap: "outerHTML" });
      }, QUEUE_PAUSE_MS);
    });
  }

  // --- a ticket page ----------------------------------------------------------
  var live = document.getElementById("ticket-live");
  if (!live) return;
  var stream = live.getAttribute("data-live-stream");
  var me = live.getAttribute("data-me");
  var presenceUrl = live.getAttribute("data-presence-url");
  var banner = document.getElementById("ticket-changed");
  var bannerText = document.getElementById("ticket-changed-text");
  var presenceLine = document.getElementById("ticket-presence");
  var others = {}; // user id -> {name, state, since, seen}
  var repliesSinceLoad = []; // {actor, at}
  var state = "viewing";
  var since = "";

  function minutesSince(iso) {
    var minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
    return minutes < 1 ? "just now" : "since " + minutes + " min";
  }

  function renderPresence() {
    var now = Date.now();
    var lines = [];
    Object.keys(others).forEach(function (id) {
      var other = others[id];
      if (now - other.seen > PRESENCE_MS || other.state === "left") {
        delete others[id];
        return;
      }
      var doing = other.state === "replying" ? "is also replying to this ticket" : "is also viewing this ticket";
      lines.push(other.name + " " + doing + " (" + minutesSince(other.since) + ")");
    });
    presenceLine.textContent = lines.join(" · ");
    presenceLine.hidden = lines.length === 0;
    presenceLine.classList.toggle("replying", Object.keys(others).some(function (id) {
      return others[id].state === "replying";
    }));
  }

  function heardPresence(payload) {
    if (String(payload.user_id) === me) return;
    others[payload.user_id] = {
      name: payload.name,
      state: payload.state,
      since: payload.since,
      seen: Date.now(),
    };
    renderPresence();
  }

  function heardChange(payload) {
    if (payload.actor_id !== null && String(payload.actor_id) === me) return;
    var who = payload.actor || "Someone";
    var what = WORDS[payload.kind] || "changed it";
    bannerText.textContent = "Updated by " + who + " (" + what + ").";
    banner.hidden = false;
    var kinds = payload.kinds || [payload.kind];
    if (kinds.some(function (kind) { return REPLY_KINDS.indexOf(kind) >= 0; })) {
      repliesSinceLoad.push({ actor: who, at: new Date() });
    }
  }

  document.addEventListener("netdesk:live", function (event) {
    var item = event.detail;
    if (item.stream !== stream) return;
    if (item.kind === "presence") heardPresence(item.payload);
    else if (item.kind === "changed") heardChange(item.payload);
  });

  // --- presence: this agent's beat ----------------------------------------------
  function replyForms() {
    return Array.prototype.filter.call(document.querySelectorAll("main form[method=post]"), function (form) {
      return /\/(comment|reply)\/$/.test(form.getAttribute("action") || "");
    });
  }

  function currentState() {
    var active = document.activeElement;
    var replying = replyForms().some(function (form) {
      if (form.contains(active)) return true;
      // Typed into, not just pre-filled (the mail composer starts with a signature).
      var text = form.querySelector("textarea");
      return text !== null && text.value !== text.defaultValue;
    });
    return replying ? "replying" : "viewing";
  }

  function beat() {
    var body = new FormData();
    body.append("state", state);
    body.append("since", since);
    fetch(presenceUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer === null) return;
        since = answer.since;
        answer.others.forEach(heardPresence);
      })
      .catch(function () { /* the next beat tries again */ });
  }

  function stateCheck() {
    var now = currentState();
    if (now !== state) {
      state = now;
      since = "";
      beat();
    }
  }

  document.addEventListener("focusin", stateCheck);
  document.addEventListener("focusout", function () { setTimeout(stateCheck, 0); });
  document.addEventListener("input", stateCheck);
  setInterval(beat, BEAT_MS);
  setInterval(renderPresence, 10000);
  window.addEventListener("pagehide", function () {
    if (!navigator.sendBeacon) return;
    var body = new FormData();
    body.append("state", "left");
    body.append("csrfmiddlewaretoken", csrfToken());
    navigator.sendBeacon(presenceUrl, body);
  });
  beat();

  // --- warn before sending a reply that crossed another -------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (replyForms().indexOf(form) < 0 || repliesSinceLoad.length === 0) return;
    if (form.getAttribute("data-crossed-ok") === "1") return;
    event.preventDefault();
    var last = repliesSinceLoad[repliesSinceLoad.length - 1];
    var warning = form.querySelector(".reply-crossed");
    if (!warning) {
      warning = document.createElement("p");
      warning.className = "reply-crossed warning";
      warning.setAttribute("role", "alert");
      form.insertBefore(warning, form.firstChild);
    }
    warning.textContent =
      last.actor + " added a reply at " + last.at.toLocaleTimeString() +
      ", after you opened this ticket. Reload to read it (copy your text first), or send again to send anyway.";
    form.setAttribute("data-crossed-ok", "1");
  }, true);
})();
