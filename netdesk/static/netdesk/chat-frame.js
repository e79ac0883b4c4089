// The chat inside the widget's iframe (/chat/frame/): the start form, the
// outage notice, the conversation. It talks to the desk's /chat/v/ JSON
// endpoints with the chat's token in the X-Chat-Token header and listens by
// long polling /chat/v/events. The token is kept in this frame's
// sessionStorage (the desk's origin, never the host site's), so a visitor
// moving between the site's pages keeps their chat; closing the tab ends it
// (the desk times it out).
(function () {
  "use strict";
  var STORE = "netdesk-chat";
  var WAIT_SECONDS = 25;
  var TYPING_EVERY_MS = 3000;
  var TYPING_SHOWN_MS = 5000;
  var body = document.body;
  var api = body.getAttribute("data-api").replace(/start$/, "");
  var params = new URLSearchParams(location.search);
  var framed = window.parent !== window;
  var chat = null; // {chat, token, cursor, state, outage}
  var listening = false;
  var shown = {}; // message ids already in the log
  var lastTyping = 0;
  var typingTimer = null;

  function $(id) { return document.getElementById(id); }

  function load() {
    try { return JSON.parse(sessionStorage.getItem(STORE) || "null"); } catch (e) { return null; }
  }

  function save() {
    try {
      if (chat) sessionStorage.setItem(STORE, JSON.stringify(chat));
      else sessionStorage.removeItem(STORE);
    } catch (e) { /* storage refused: the chat lasts as long as the page */ }
  }

  function show(section) {
    ["chat-intro", "chat-outage", "chat-talk"].forEach(function (id) {
      $(id).hidden = id !== section;
    });
  }

  function status(text) { $("chat-status").textContent = text; }

  function error(id, text) {
    $(id).textContent = text || "";
    $(id).hidden = !text;
  }

  // One request to the desk; resolves to {status, body}.
  function call(method, path, payload) {
    var headers = { Accept: "application/json" };
    if (chat && chat.token) headers["X-Chat-Token"] = chat.token;
    var options = { method: method, headers: headers, credentials: "omit", cache: "no-store" };
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(api + path, options).then(function (response) {
      if (response.status === 204) return { status: 204, body: null };
      return response.json().then(
        function (data) { return { status: response.status, body: data, response: response }; },
        function () { return { status: response.status, body: null, response: response }; }
      );
    });
  }

  function problemText(result) {
    if (result.body && result.body.detail) return result.body.detail;
    return "The desk did not answer (HTTP " + result.status + "); please try again.";
  }

  function clock(iso) {
    var at = iso ? new Date(iso) : new Date();
    if (isNaN(at.getTime())) at = new Date();
    return at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function note(text) {
    var item = document.createElement("li");
    item.className = "note";
    item.textContent = text;
    $("chat-log").appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function addMessage(message) {
    if (message.id !== undefined && shown[message.id]) return;
    if (message.id !== undefined) shown[message.id] = true;
    var item = document.createElement("li");
    item.className = "message " + message.sender;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = message.sender === "visitor" ? "You"
      : message.sender === "desk" ? "Service desk" : (message.agent_name || "Agent");
    var time = document.createElement("time");
    time.textContent = clock(message.at);
    var text = document.createElement("p");
    text.textContent = message.body;
    item.appendChild(who);
    item.appendChild(time);
    item.appendChild(text);
    $("chat-log").appendChild(item);
    item.scrollIntoView({ block: "end" });
    if (message.sender !== "visitor" && framed) {
      window.parent.postMessage({ netdesk: "unread" }, "*");
    }
  }

  function ended(text) {
    chat.state = "ended";
    save();
    listening = false;
    status(text);
    note(text);
    $("chat-compose").hidden = true;
    $("chat-ended").hidden = false;
    $("chat-typing").textContent = "";
  }

  function onEvent(event) {
    var payload = event.payload || {};
    if (event.kind === "message") {
      $("chat-typing").textContent = "";
      addMessage(payload);
    } else if (event.kind === "typing" && payload.sender !== "visitor") {
      $("chat-typing").textContent = (payload.agent_name || "The agent") + " is typing…";
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { $("chat-typing").textContent = ""; }, TYPING_SHOWN_MS);
    } else if (event.kind === "agent_left") {
      var left = (payload.agent_name || "The agent") + " left the chat. Waiting for another agent…";
      note(left);
      status(left);
    } else if (event.kind === "state") {
      onState(payload);
    }
  }

  function onState(payload) {
    var name = payload.agent_name || "An agent";
    if (payload.state === "active") {
      chat.state = "active";
      note(name + " joined the chat.");
      status("You are chatting with " + name + ".");
    } else if (payload.state === "queued") {
      chat.state = "queued";
      status("Waiting for an agent…");
    } else if (payload.state === "unanswered") {
      ended("Nobody could take your chat now. We opened a ticket and will get back to you.");
    } else if (payload.state === "abandoned" || payload.state === "ended") {
      ended("The chat has ended. Thank you.");
    }
    save();
  }

  // Long polling: one request waits up to 25 s for the chat's next events.
  function listen(pause) {
    if (!chat || listening === false) return;
    call("GET", "events?after=" + chat.cursor + "&wait=" + WAIT_SECONDS).then(function (result) {
      if (!listening) return;
      if (result.status === 401) { forget("Your chat is no longer known to the desk."); return; }
      if (result.status !== 200) throw new Error(problemText(result));
      chat.cursor = result.body.cursor;
      result.body.events.forEach(onEvent);
      save();
      setTimeout(function () { listen(1000); }, 0);
    }).catch(function () {
      setTimeout(function () { listen(Math.min(pause * 2, 30000)); }, pause);
    });
  }

  function startListening(replay) {
    listening = true;
    if (replay) chat.cursor = 0; // rebuild the conversation after a reload
    listen(1000);
  }

  function talk() {
    show("chat-talk");
    $("chat-compose").hidden = false;
    $("chat-ended").hidden = true;
    if (chat.state !== "active") status("Waiting for an agent…");
    $("chat-text").focus();
  }

  function outage() {
    var notice = chat.outage || {};
    $("chat-outage-message").textContent = notice.message || "";
    $("chat-outage-reference").textContent = notice.incident || "";
    $("chat-outage-eta").textContent = notice.eta
      ? "We expect it to be fixed by " + new Date(notice.eta).toLocaleString() + "."
      : "";
    show("chat-outage");
    status("A known fault affects your service.");
    $("chat-continue").focus();
  }

  function forget(text) {
    listening = false;
    chat = null;
    shown = {};
    save();
    $("chat-log").textContent = "";
    show("chat-intro");
    status(text || "");
  }

  function begin(event) {
    event.preventDefault();
    error("chat-start-error", "");
    var form = $("chat-start");
    var payload = {
      name: form.elements.name.value,
      email: form.elements.email.value,
      account: form.elements.account.value,
      language: params.get("language") || navigator.language || "",
      page: params.get("page") || ""
    };
    payload.language = payload.language.slice(0, 10);
    call("POST", "start", payload).then(function (result) {
      if (result.status !== 201) { error("chat-start-error", problemText(result)); return; }
      chat = {
        chat: result.body.chat, token: result.body.token, cursor: result.body.cursor,
        state: result.body.state, outage: result.body.outage
      };
      save();
      if (chat.state === "outage_notice") { outage(); return; }
      talk();
      startListening(false);
    }).catch(function () { error("chat-start-error", "The desk cannot be reached; please try again."); });
  }

  function goOn() {
    call("POST", "queue").then(function (result) {
      if (result.status !== 200) { error("chat-outage-error", problemText(result)); return; }
      chat.state = "queued";
      save();
      talk();
      startListening(false);
    });
  }

  function send(event) {
    event.preventDefault();
    var box = $("chat-text");
    var text = box.value.trim();
    if (!text) return;
    error("chat-send-error", "");
    call("POST", "messages", { text: text }).then(function (result) {
      if (result.status !== 201) { error("chat-send-error", problemText(result)); return; }
      addMessage({ id: result.body.id, sender: "visitor", body: text, at: result.body.at });
      box.value = "";
      box.focus();
    }).catch(function () { error("chat-send-error", "Not sent: the desk cannot be reached."); });
  }

  function typing() {
    var now = Date.now();
    if (!chat || now - lastTyping < TYPING_EVERY_MS) return;
    lastTyping = now;
    call("POST", "typing").catch(function () { /* a lost "typing" does not matter */ });
  }

  function leave() {
    call("POST", "leave").then(function () { ended("You ended the chat."); });
  }

  function wire() {
    $("chat-start").addEventListener("submit", begin);
    $("chat-continue").addEventListener("click", goOn);
    $("chat-outage-done").addEventListener("click", function () {
      call("POST", "leave").then(function () { forget("Glad we could help. You can close this window."); });
    });
    $("chat-compose").addEventListener("submit", send);
    $("chat-text").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) send(event);
    });
    $("chat-text").addEventListener("input", typing);
    $("chat-leave").addEventListener("click", leave);
    $("chat-new").addEventListener("click", function () { forget(""); $("chat-name").focus(); });
    if (framed) {
      $("chat-close").hidden = false;
      $("chat-close").addEventListener("click", function () {
        window.parent.postMessage({ netdesk: "close" }, "*");
      });
    }
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && framed) window.parent.postMessage({ netdesk: "close" }, "*");
    });
  }

  wire();
  chat = load();
  if (!chat) { show("chat-intro"); return; }
  if (chat.state === "outage_notice") { outage(); return; }
  if (chat.state === "ended") { forget(""); return; }
  talk();
  startListening(true);
})();
