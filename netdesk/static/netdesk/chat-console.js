// The agents' chat console (/chat/console/): take a waiting chat, write to
// the visitor, tell them the agent is typing, leave the chat to the queue or
// end it and file its transcript. The visitor's messages, typing and leaving
// arrive as the desk's live events (live.js dispatches "netdesk:live"); the
// queue is fetched again whenever it changed. Every POST carries the CSRF
// token of the page.
(function () {
  "use strict";
  var TYPING_EVERY_MS = 2000;
  var TYPING_SHOWN_MS = 4000;
  var root, chatId, visitorName, queueUrl, consoleUrl, csrf;
  var lastTyping = 0;
  var typingTimer = null;
  var queueTimer = null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function notice(text) {
    var box = document.getElementById("chat-notice");
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  }

  function post(url, fields) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrf,
      },
      body: JSON.stringify(fields || {}),
    }).then(function (response) {
      if (response.status === 204) return { ok: true, status: 204, body: {} };
      return response.json().then(
        function (body) {
          return { ok: response.ok, status: response.status, body: body };
        },
        function () {
          return { ok: response.ok, status: response.status, body: {} };
        }
      );
    });
  }

  function refused(result) {
    notice((result.body && (result.body.detail || result.body.title)) || "HTTP " + result.status);
  }

  function chatUrl(id, action) {
    return queueUrl.replace(/queue\.json$/, encodeURIComponent(id) + "/" + action);
  }

  function openChat(id) {
    window.location.assign(consoleUrl + "?chat=" + encodeURIComponent(id));
  }

  function timeOf(at) {
    var when = at ? new Date(at) : new Date();
    return isNaN(when.getTime()) ? "" : when.toTimeString().slice(0, 8);
  }

  function speaker(message) {
    if (message.sender === "visitor") return visitorName;
    if (message.sender === "agent") return message.agent_name || "Agent";
    return "Desk";
  }

  function appendMessage(message) {
    var list = document.getElementById("chat-messages");
    if (!list || message.id === undefined) return;
    if (list.querySelector('[data-message="' + String(message.id) + '"]')) return;
    var item = document.createElement("li");
    item.setAttribute("data-message", String(message.id));
    item.setAttribute("data-sender", message.sender || "");
    item.style.margin = ".3rem 0";
    var head = document.createElement("small");
    head.textContent = timeOf(message.at) + " · " + speaker(message);
    var body = document.createElement("div");
    body.style.whiteSpace = "pre-wrap";
    body.textContent = message.body || "";
    item.appendChild(head);
    item.appendChild(body);
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
    if (message.sender === "visitor") showTyping(false);
  }

  function lastMessageId() {
    var items = document.querySelectorAll("#chat-messages [data-message]");
    if (!items.length) return 0;
    return Number(items[items.length - 1].getAttribute("data-message")) || 0;
  }

  // Messages written between the page being drawn and the live events'
  // first answer are read once here.
  function catchUp() {
    if (!chatId) return;
    fetch(chatUrl(chatId, "messages") + "?after=" + lastMessageId(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (body && body.messages) body.messages.forEach(appendMessage);
      })
      .catch(function () {});
  }

  function showTyping(shown) {
    var line = document.getElementById("chat-typing");
    if (!line) return;
    line.hidden = !shown;
    if (typingTimer) clearTimeout(typingTimer);
    if (shown) {
      typingTimer = setTimeout(function () {
        line.hidden = true;
      }, TYPING_SHOWN_MS);
    }
  }

  function waitingItem(item) {
    var li = document.createElement("li");
    li.setAttribute("data-chat", item.chat);
    li.style.cssText =
      "display: flex; justify-content: space-between; align-items: center; gap: .5rem; " +
      "padding: .3rem 0; border-bottom: 1px solid var(--line);";
    var who = document.createElement("span");
    var name = document.createElement("strong");
    name.textContent = item.visitor_name || "Visitor";
    who.appendChild(name);
    if (item.customer) {
      var customer = document.createElement("small");
      customer.textContent = " " + item.customer.name + " · " + item.customer.account_number;
      who.appendChild(customer);
    }
    who.appendChild(document.createElement("br"));
    var waited = document.createElement("small");
    waited.textContent =
      "waiting " + item.waiting_seconds + " s" + (item.outage ? " · told about " + item.outage : "");
    who.appendChild(waited);
    var take = document.createElement("button");
    take.type = "button";
    take.className = "primary";
    take.setAttribute("data-take", item.chat);
    take.textContent = "Take";
    li.appendChild(who);
    li.appendChild(take);
    return li;
  }

  function mineItem(item) {
    var li = document.createElement("li");
    li.setAttribute("data-chat", item.chat);
    var link = document.createElement("a");
    link.href = item.url;
    link.textContent = item.visitor_name || "Visitor";
    if (item.chat === chatId) link.setAttribute("aria-current", "true");
    li.appendChild(link);
    if (item.customer) {
      var customer = document.createElement("small");
      customer.textContent = " " + item.customer.account_number;
      li.appendChild(customer);
    }
    if (item.to_file) {
      var badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "to file";
      li.appendChild(document.createTextNode(" "));
      li.appendChild(badge);
    }
    return li;
  }

  function drawMine(mine) {
    var list = document.getElementById("chat-mine");
    if (!list) return;
    var unread = [];
    list.querySelectorAll("li[data-chat]").forEach(function (item) {
      if (item.querySelector("[data-unread]")) unread.push(item.getAttribute("data-chat"));
    });
    list.textContent = "";
    mine.forEach(function (item) {
      list.appendChild(mineItem(item));
    });
    unread.forEach(markUnread);
    if (!mine.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = "None.";
      list.appendChild(none);
    }
  }

  // A message in another of the agent's chats: marked in "My chats".
  function markUnread(id) {
    var item = document.querySelector('#chat-mine li[data-chat="' + id + '"]');
    if (!item || item.querySelector("[data-unread]")) return;
    var badge = document.createElement("span");
    badge.className = "badge";
    badge.setAttribute("data-unread", "");
    badge.textContent = "new message";
    item.appendChild(document.createTextNode(" "));
    item.appendChild(badge);
  }

  function drawQueue(body) {
    drawMine(body.mine || []);
    var list = document.getElementById("chat-waiting");
    if (!list) return;
    list.textContent = "";
    body.waiting.forEach(function (item) {
      list.appendChild(waitingItem(item));
    });
    if (!body.waiting.length) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = "Nobody is waiting.";
      list.appendChild(empty);
    }
    var count = document.querySelector("[data-chat-waiting-count]");
    if (count) count.textContent = String(body.waiting.length);
    var others = document.getElementById("chat-others");
    if (others) {
      others.hidden = !body.others_waiting;
      var number = others.querySelector("[data-others]");
      if (number) number.textContent = String(body.others_waiting);
    }
  }

  function refreshQueue() {
    if (queueTimer) return;
    queueTimer = setTimeout(function () {
      queueTimer = null;
      fetch(queueUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (body) {
          if (body) drawQueue(body);
        })
        .catch(function () {});
    }, 200);
  }

  function take(id, button) {
    if (button) button.disabled = true;
    post(chatUrl(id, "take"), {}).then(
      function (result) {
        if (result.ok) return openChat(id);
        refused(result);
        refreshQueue();
      },
      function () {
        notice("The desk did not answer; try again.");
        if (button) button.disabled = false;
      }
    );
  }

  function send(form) {
    var area = form.querySelector("textarea");
    var text = area.value.trim();
    if (!text) return;
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    post(form.action, { text: text })
      .then(function (result) {
        if (!result.ok) return refused(result);
        notice("");
        area.value = "";
        appendMessage({
          id: result.body.id,
          at: result.body.at,
          sender: "agent",
          body: text,
          agent_name: "You",
        });
      })
      .catch(function () {
        notice("The message was not sent; try again.");
      })
      .then(function () {
        button.disabled = false;
        area.focus();
      });
  }

  function typing(form) {
    var now = Date.now();
    if (now - lastTyping < TYPING_EVERY_MS) return;
    lastTyping = now;
    post(form.getAttribute("data-typing-url"), {}).catch(function () {});
  }

  function ended(result) {
    var form = document.getElementById("chat-end");
    var compose = document.getElementById("chat-compose");
    if (compose) compose.remove();
    var done = document.createElement("p");
    done.id = "chat-filed";
    done.appendChild(document.createTextNode("Chat ended; filed on "));
    var link = document.createElement("a");
    link.href = result.body.ticket_url;
    link.textContent = result.body.ticket;
    done.appendChild(link);
    done.appendChild(document.createTextNode("."));
    form.replaceWith(done);
    var state = document.getElementById("chat-state");
    if (state) state.textContent = "Ended";
    refreshQueue();
  }

  function end(form) {
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    post(form.action, {
      ticket: form.elements.ticket.value,
      outcome: form.elements.outcome.value,
    }).then(
      function (result) {
        button.disabled = false;
        if (!result.ok) return refused(result);
        notice("");
        ended(result);
      },
      function () {
        button.disabled = false;
        notice("The desk did not answer; try again.");
      }
    );
  }

  function leave(url) {
    post(url, {}).then(function (result) {
      if (!result.ok) return refused(result);
      window.location.assign(consoleUrl);
    });
  }

  function heard(event) {
    var item = event.detail || {};
    var payload = item.payload || {};
    if (item.kind === "chat_queue") return refreshQueue();
    if (item.kind === "chat_message" && payload.chat && payload.chat !== chatId) {
      if (payload.sender === "visitor") markUnread(payload.chat);
      return;
    }
    if (!chatId || payload.chat !== chatId) return;
    if (item.kind === "chat_message") appendMessage(payload);
    else if (item.kind === "chat_typing" && payload.sender === "visitor") showTyping(true);
    else if (item.kind === "chat_state" && payload.state === "ended") {
      // The visitor left: the page offers to file the chat instead.
      if (!document.getElementById("chat-filed")) openChat(chatId);
    }
  }

  function start() {
    root = document.getElementById("chat-console");
    if (!root || !window.fetch) return;
    chatId = root.getAttribute("data-chat");
    visitorName = root.getAttribute("data-visitor-name") || "Visitor";
    queueUrl = root.getAttribute("data-queue-url");
    consoleUrl = root.getAttribute("data-console-url");
    csrf = csrfToken();
    document.addEventListener("netdesk:live", heard);
    root.addEventListener("click", function (event) {
      var target = event.target;
      if (!(target instanceof Element)) return;
      var takeButton = target.closest("[data-take]");
      if (takeButton) return take(takeButton.getAttribute("data-take"), takeButton);
      var leaveButton = target.closest("[data-leave]");
      if (leaveButton) leave(leaveButton.getAttribute("data-leave"));
    });
    var compose = document.getElementById("chat-compose");
    if (compose) {
      compose.addEventListener("submit", function (event) {
        event.preventDefault();
        send(compose);
      });
      var area = compose.querySelector("textarea");
      area.addEventListener("input", function () {
        typing(compose);
      });
      area.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          send(compose);
        }
      });
    }
    var endForm = document.getElementById("chat-end");
    if (endForm) {
      endForm.addEventListener("submit", function (event) {
        event.preventDefault();
        end(endForm);
      });
    }
    var list = document.getElementById("chat-messages");
    if (list) list.scrollTop = list.scrollHeight;
    setTimeout(catchUp, 1000);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
