// Screen pop: when the agent answers a call at their phone, the desk says
// who is calling, in #screen-pop (base.html, aria-live polite). It listens to
// the "netdesk:live" events of live.js: "call_answered" shows the caller's
// customer (or the several a number matches, or a search for an unknown
// number) with links to the customer 360 and a new ticket from the call;
// "call_ended" adds the duration and a link to log the call. Only the
// answering agent's stream carries these events. Built with DOM methods
// (no HTML strings): names and numbers are shown as text, never markup.
(function () {
  "use strict";

  var panels = {}; // call pk -> {panel, callUrl}

  function area() {
    return document.getElementById("screen-pop");
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function link(href, text, className) {
    var anchor = element("a", className, text);
    anchor.href = href;
    return anchor;
  }

  function safePath(value, fallback) {
    // Only the desk's own pages: a path on this site, never a scheme.
    return typeof value === "string" && value.charAt(0) === "/" && value.charAt(1) !== "/"
      ? value
      : fallback;
  }

  function dismiss(key) {
    var entry = panels[key];
    if (!entry) return;
    var hadFocus = entry.panel.contains(document.activeElement);
    entry.panel.remove();
    delete panels[key];
    if (hadFocus) {
      var rest = area() && area().querySelector(".screen-pop-close");
      if (rest) rest.focus();
    }
  }

  function panelFor(key, title, callUrl) {
    var entry = panels[key];
    if (entry) return entry;
    var panel = element("section", "screen-pop-panel");
    panel.setAttribute("role", "region");
    panel.setAttribute("aria-label", title);
    panel.setAttribute("data-call", key);
    var head = element("div", "screen-pop-head");
    head.appendChild(element("h2", "screen-pop-title", title));
    var close = element("button", "screen-pop-close link", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss: " + title);
    close.addEventListener("click", function () {
      dismiss(key);
    });
    head.appendChild(close);
    panel.appendChild(head);
    panel.appendChild(element("div", "screen-pop-body"));
    panel.appendChild(element("div", "screen-pop-end"));
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") dismiss(key);
    });
    area().appendChild(panel);
    entry = { panel: panel, callUrl: callUrl };
    panels[key] = entry;
    return entry;
  }

  function newTicketUrl(callUrl, customerId) {
    // The new-ticket page prefilled from the call (calls_ticket_new).
    return callUrl + "ticket/?customer=" + encodeURIComponent(customerId);
  }

  function customerItem(customer, callUrl) {
    var item = element("li", "screen-pop-customer");
    var name = element("strong", null, customer.name);
    item.appendChild(name);
    if (customer.account_number) {
      item.appendChild(element("span", "muted", " " + customer.account_number));
    }
    var actions = element("span", "screen-pop-actions");
    actions.appendChild(link(safePath(customer.url, "/customers/" + customer.id + "/"), "Customer 360"));
    actions.appendChild(link(newTicketUrl(callUrl, customer.id), "New ticket from this call"));
    item.appendChild(actions);
    return item;
  }

  function answered(payload) {
    var key = String(payload.call);
    var number = payload.number || "an unknown number";
    var callUrl = safePath(payload.call_url, "/calls/" + key + "/");
    var title = (payload.direction === "out" ? "Call to " : "Call from ") + number;
    var entry = panelFor(key, title, callUrl);
    entry.callUrl = callUrl;
    var body = entry.panel.querySelector(".screen-pop-body");
    body.textContent = "";
    var customers = Array.isArray(payload.customers) ? payload.customers : [];
    if (customers.length === 0) {
      body.appendChild(element("p", null, "No customer has this number."));
      var search = safePath(payload.search_url, "/customers/?q=" + encodeURIComponent(payload.number || ""));
      body.appendChild(link(search, "Search for " + number, "screen-pop-search"));
    } else {
      if (customers.length > 1) {
        body.appendChild(element("p", null, customers.length + " customers have this number; choose the caller's:"));
      }
      var list = element("ul", "screen-pop-customers");
      customers.forEach(function (customer) {
        list.appendChild(customerItem(customer, callUrl));
      });
      body.appendChild(list);
    }
    body.appendChild(link(callUrl, "Call details", "screen-pop-call"));
  }

  function formatDuration(seconds) {
    if (typeof seconds !== "number" || seconds < 0) return "—";
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes > 0 ? minutes + " min " + rest + " s" : rest + " s";
  }

  function ended(payload) {
    var key = String(payload.call);
    var entry = panels[key] || panelFor(key, "Call ended", "/calls/" + key + "/");
    var end = entry.panel.querySelector(".screen-pop-end");
    end.textContent = "";
    end.appendChild(element("p", "screen-pop-duration", "Call ended after " + formatDuration(payload.duration_seconds) + "."));
    end.appendChild(link(entry.callUrl, "Log this call", "button screen-pop-log"));
  }

  document.addEventListener("netdesk:live", function (event) {
    var item = event.detail || {};
    var payload = item.payload || {};
    if (!area() || payload.call === undefined || payload.call === null) return;
    if (item.kind === "call_answered") answered(payload);
    else if (item.kind === "call_ended") ended(payload);
  });
})();
