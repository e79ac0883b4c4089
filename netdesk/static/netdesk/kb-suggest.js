// Knowledge suggestions while the agent types. A field with
// data-kb-suggest="<container id>" (or a container with
// data-kb-sources="<field id> <field id>") feeds the container: ~300 ms after
// the text last changed, GET /api/v1/kb/suggest?q=…&limit=5 (the previous
// request aborted) and show the ranked articles, similar resolved tickets
// with their resolution, and macros. A container with data-kb-query asks
// once with that text (the ticket's own words) when it is first shown.
// With data-kb-macro-target="<textarea id>" a macro gets an "Insert" button
// (handled by macros.js through the "netdesk:macro-insert" event).
// Server text only ever lands in textContent.
(function () {
  "use strict";
  if (!window.fetch || !window.AbortController) return;
  var DEFAULT_URL = "/api/v1/kb/suggest";
  var WAIT_MS = 300;
  var MAX_CHARS = 2000; // what the API reads; longer text is cut here
  var MIN_CHARS = 3;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function percent(score) {
    return Math.round(Math.max(0, Math.min(1, Number(score) || 0)) * 100);
  }

  function scoreBar(score) {
    var value = percent(score);
    var bar = el("span", "kb-score");
    bar.setAttribute("role", "img");
    bar.setAttribute("aria-label", "match " + value + "%");
    bar.title = "match " + value + "%";
    bar.style.display = "inline-block";
    bar.style.width = "3em";
    bar.style.height = ".5em";
    bar.style.marginLeft = ".4em";
    bar.style.background = "#e5e7eb";
    bar.style.borderRadius = ".25em";
    bar.style.verticalAlign = "middle";
    var fill = el("span");
    fill.style.display = "block";
    fill.style.height = "100%";
    fill.style.width = value + "%";
    fill.style.background = "#2563eb";
    fill.style.borderRadius = ".25em";
    bar.appendChild(fill);
    return bar;
  }

  function link(href, text) {
    var a = el("a", null, text);
    // Only the desk's own paths: a URL from elsewhere is shown as text.
    if (typeof href === "string" && href.charAt(0) === "/" && href.charAt(1) !== "/") {
      a.href = href;
      return a;
    }
    return el("span", null, text);
  }

  function section(title, items, render) {
    var box = el("div", "kb-suggest-section");
    var heading = el("h3", null, title);
    heading.style.fontSize = ".9rem";
    heading.style.margin = ".6rem 0 .2rem";
    box.appendChild(heading);
    var list = el("ol", "plain");
    list.style.margin = "0";
    items.forEach(function (item) {
      var li = el("li");
      li.style.margin = ".4rem 0";
      render(li, item);
      list.appendChild(li);
    });
    box.appendChild(list);
    return box;
  }

  function renderArticle(li, item) {
    var head = el("p");
    head.style.margin = "0";
    head.appendChild(link(item.url, item.title));
    if (item.audience) {
      var audience = el("span", "badge", item.audience);
      audience.style.marginLeft = ".4em";
      head.appendChild(audience);
    }
    head.appendChild(scoreBar(item.score));
    li.setAttribute("data-kb-article", item.id);
    li.appendChild(head);
    if (item.snippet) li.appendChild(el("small", "muted", item.snippet));
  }

  function renderTicket(li, item) {
    var head = el("p");
    head.style.margin = "0";
    head.appendChild(link(item.url, (item.reference ? item.reference + " " : "") + item.title));
    head.appendChild(scoreBar(item.score));
    li.setAttribute("data-kb-ticket", item.id);
    li.appendChild(head);
    if (item.resolution) {
      var solved = el("p", "prewrap");
      solved.style.margin = "0";
      solved.appendChild(el("strong", null, "Resolution: "));
      solved.appendChild(document.createTextNode(item.resolution));
      li.appendChild(solved);
    } else if (item.snippet) {
      li.appendChild(el("small", "muted", item.snippet));
    }
  }

  function macroRenderer(container) {
    var target = container.getAttribute("data-kb-macro-target");
    return function (li, item) {
      var head = el("p");
      head.style.margin = "0";
      head.appendChild(el("strong", null, item.name));
      head.appendChild(scoreBar(item.score));
      li.setAttribute("data-kb-macro", item.id);
      li.appendChild(head);
      if (item.snippet) li.appendChild(el("small", "muted", item.snippet));
      if (!target) return;
      var insert = el("button", null, "Insert");
      insert.type = "button";
      insert.style.marginLeft = ".5em";
      insert.style.padding = ".1rem .5rem";
      insert.setAttribute("aria-label", "Insert macro " + item.name);
      insert.addEventListener("click", function () {
        document.dispatchEvent(
          new CustomEvent("netdesk:macro-insert", { detail: { id: item.id, target: target } })
        );
      });
      li.appendChild(insert);
    };
  }

  function render(container, body) {
    var articles = Array.isArray(body.items) ? body.items : [];
    var tickets = Array.isArray(body.tickets) ? body.tickets : [];
    var macros = Array.isArray(body.macros) ? body.macros : [];
    var heading = el("h2", null, "Suggested answers");
    heading.style.fontSize = "1rem";
    heading.style.marginTop = ".8rem";
    var parts = [heading];
    if (articles.length) parts.push(section("Articles", articles, renderArticle));
    if (tickets.length) parts.push(section("Similar resolved tickets", tickets, renderTicket));
    if (macros.length) parts.push(section("Macros", macros, macroRenderer(container)));
    if (!articles.length && !tickets.length && !macros.length) {
      parts.push(el("p", "muted", "No article, resolved ticket or macro matches yet."));
    }
    container.replaceChildren.apply(container, parts);
    container.hidden = false;
  }

  function Suggester(container, fields) {
    this.container = container;
    this.fields = fields;
    this.fixed = (container.getAttribute("data-kb-query") || "").trim();
    this.url = container.getAttribute("data-kb-url") || DEFAULT_URL;
    this.last = null;
    this.timer = null;
    this.request = null;
  }

  Suggester.prototype.text = function () {
    var words = [this.fixed];
    this.fields.forEach(function (field) {
      words.push(field.value || "");
    });
    return words
      .map(function (w) {
        return w.trim();
      })
      .filter(Boolean)
      .join("\n")
      .slice(0, MAX_CHARS);
  };

  Suggester.prototype.schedule = function () {
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () {
      self.ask();
    }, WAIT_MS);
  };

  Suggester.prototype.ask = function () {
    var self = this;
    var q = this.text();
    if (q === this.last) return; // only when the text changed
    this.last = q;
    if (this.request) this.request.abort();
    this.request = null;
    if (q.length < MIN_CHARS) {
      this.container.replaceChildren();
      this.container.hidden = true;
      return;
    }
    var controller = new AbortController();
    this.request = controller;
    var target = this.url + "?q=" + encodeURIComponent(q) + "&limit=5";
    fetch(target, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: controller.signal,
    })
      .then(function (response) {
        if (!response.ok) throw new Error("suggestions: HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        if (self.request !== controller) return; // a newer question is on its way
        self.request = null;
        render(self.container, body || {});
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") return;
        if (self.request === controller) self.request = null;
        // Typing goes on without suggestions; the next change asks again.
        self.last = null;
        self.container.replaceChildren(el("p", "muted", "Suggestions are not available just now."));
        self.container.hidden = false;
      });
  };

  // Ask once the container is shown: at once, or when its <details> opens.
  Suggester.prototype.askWhenShown = function () {
    var self = this;
    var details = this.container.closest("details");
    if (!details || details.open) {
      this.ask();
      return;
    }
    details.addEventListener("toggle", function () {
      if (details.open) self.ask();
    });
  };

  function setUp() {
    var groups = new Map();
    function add(container, field) {
      if (!container) return;
      if (!groups.has(container)) groups.set(container, []);
      if (field && groups.get(container).indexOf(field) < 0) groups.get(container).push(field);
    }
    document.querySelectorAll("[data-kb-suggest]").forEach(function (field) {
      add(document.getElementById(field.getAttribute("data-kb-suggest")), field);
    });
    document.querySelectorAll("[data-kb-sources], [data-kb-query]").forEach(function (container) {
      add(container, null);
      (container.getAttribute("data-kb-sources") || "").split(/\s+/).forEach(function (id) {
        if (id) add(container, document.getElementById(id));
      });
    });
    groups.forEach(function (fields, container) {
      if (!container.hasAttribute("aria-live")) container.setAttribute("aria-live", "polite");
      var suggester = new Suggester(container, fields);
      fields.forEach(function (field) {
        field.addEventListener("input", function () {
          suggester.schedule();
        });
      });
      if (suggester.fixed || suggester.text()) suggester.askWhenShown();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
