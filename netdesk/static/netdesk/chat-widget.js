// The NetDesk chat loader, served as /chat/widget.js. A site adds it with
//   <script src="https://desk.example.net/chat/widget.js" async></script>
// and gets a "Chat with us" button in the corner that opens the chat in an
// iframe served by the desk. No build step, no cookies: the chat lives in
// the iframe, on the desk's own origin; this script only places it.
// Optional attributes on the script tag: data-label (the button's text),
// data-language (the visitor's language, e.g. "de").
(function () {
  "use strict";
  if (window.NetDeskChat) return; // the tag was pasted twice
  var script = document.currentScript;
  if (!script || !script.src) return;
  var desk = new URL(script.src).origin;
  var label = script.getAttribute("data-label") || "Chat with us";
  var language = script.getAttribute("data-language") || "";
  var frame = null;
  var button = null;
  var open = false;

  function frameUrl() {
    var query = "?page=" + encodeURIComponent(location.href.slice(0, 500));
    if (language) query += "&language=" + encodeURIComponent(language);
    return desk + "/chat/frame/" + query;
  }

  function style(element, rules) {
    for (var name in rules) element.style[name] = rules[name];
  }

  function show(visible) {
    open = visible;
    if (visible && !frame) {
      frame = document.createElement("iframe");
      frame.src = frameUrl();
      frame.title = "Chat with our service desk";
      frame.id = "netdesk-chat-frame";
      style(frame, {
        position: "fixed", right: "16px", bottom: "76px", zIndex: "2147483646",
        width: "360px", height: "520px", maxWidth: "calc(100vw - 32px)",
        maxHeight: "calc(100vh - 96px)", border: "1px solid #c8cdd3",
        borderRadius: "8px", background: "#fff", boxShadow: "0 4px 16px rgba(0,0,0,.2)"
      });
      document.body.appendChild(frame);
    }
    if (frame) frame.style.display = visible ? "block" : "none";
    button.setAttribute("aria-expanded", visible ? "true" : "false");
    button.textContent = visible ? "Close chat" : label;
    if (visible && frame && frame.contentWindow) {
      frame.contentWindow.postMessage({ netdesk: "opened" }, desk);
    }
  }

  function place() {
    button = document.createElement("button");
    button.type = "button";
    button.id = "netdesk-chat-button";
    button.setAttribute("aria-controls", "netdesk-chat-frame");
    style(button, {
      position: "fixed", right: "16px", bottom: "16px", zIndex: "2147483647",
      padding: "12px 18px", border: "0", borderRadius: "24px", cursor: "pointer",
      background: "#0b5cad", color: "#fff", font: "600 15px/1.2 system-ui, sans-serif",
      boxShadow: "0 2px 8px rgba(0,0,0,.25)"
    });
    button.addEventListener("click", function () { show(!open); });
    document.body.appendChild(button);
    show(false);
  }

  // The chat page asks to be closed (its own close button) or says a
  // message came while it was hidden. Only the desk's frame is listened to.
  window.addEventListener("message", function (event) {
    if (event.origin !== desk || !frame || event.source !== frame.contentWindow) return;
    var what = event.data && event.data.netdesk;
    if (what === "close") {
      show(false);
      button.focus();
    } else if (what === "unread" && !open) {
      button.textContent = label + " (new message)";
    }
  });

  window.NetDeskChat = { open: function () { show(true); }, close: function () { show(false); } };
  if (document.body) place();
  else document.addEventListener("DOMContentLoaded", place);
})();
