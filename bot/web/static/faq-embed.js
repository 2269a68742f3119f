/*
 * Help Center FAQ embed. One tag renders the searchable FAQ right after itself
 * (or into the element named by data-target):
 *   <script src="https://HOST/faq-embed.js" data-target="#faq" defer></script>
 * Optional data-heading-level (default 2) fits the category headings into the
 * host page's outline. The questions and answers come from HOST/faq.json,
 * which the server builds from the assistant's own responses. When the chat
 * widget is on the page, each answer offers "Ask the assistant". A link to
 * #faq-<topic> opens that entry. The embed puts the FAQ's schema.org FAQPage
 * data on the host page, unless the page has it already (/faq does).
 */
(function () {
  "use strict";

  var el = AllyDom.el;

  var script = document.currentScript || document.querySelector('script[src*="faq-embed.js"]');
  var assetBase = new URL(".", script.src).href;
  var targetSelector = script.getAttribute("data-target");
  var headingLevel = Math.min(6, Math.max(2, parseInt(script.getAttribute("data-heading-level"), 10) || 2));
  var instance = (window.__allyFaqCount = (window.__allyFaqCount || 0) + 1);


  function container() {
    var target = targetSelector && document.querySelector(targetSelector);
    if (target) return target;
    var box = el("div");
    script.parentNode.insertBefore(box, script.nextSibling);
    return box;
  }

  function askButton(question) {
    var button = el("button", "ally-faq-ask", "Ask the assistant");
    button.type = "button";
    button.setAttribute("aria-label", "Ask the assistant: " + question);
    button.addEventListener("click", function () {
      window.AllyAssistant.open(question);
    });
    return button;
  }

  function renderEntry(entry) {
    var item = el("details", "ally-faq-item");
    item.id = "faq-" + entry.id;
    item.appendChild(el("summary", "ally-faq-question", entry.question));
    var body = el("div", "ally-faq-body");
    body.appendChild(AllyDom.textWithLinks("p", "ally-faq-answer", entry.answer));
    if (window.AllyAssistant) {
      body.appendChild(askButton(entry.question));
    }
    item.appendChild(body);
    // What the search looks in: the words of the entry and of the ways
    // customers phrase it (the assistant's training examples).
    item.searchIndex = AllyFaqSearch.index(entry.search_terms);
    return item;
  }

  function render(root, entries) {
    var box = el("div", "ally-faq");
    var search = el("div", "ally-faq-search");
    var inputId = "ally-faq-search-" + instance;
    var label = el("label", "", "Search the questions");
    label.htmlFor = inputId;
    var input = el("input");
    input.id = inputId;
    input.type = "search";
    input.autocomplete = "off";
    input.placeholder = "For example: rental, cancel, totaled";
    search.appendChild(label);
    search.appendChild(input);
    var count = el("p", "ally-faq-count");
    count.setAttribute("role", "status");
    box.appendChild(search);
    box.appendChild(count);

    var groups = [];
    var byCategory = {};
    entries.forEach(function (entry) {
      var group = byCategory[entry.category];
      if (!group) {
        group = { section: el("section", "ally-faq-category"), items: [] };
        group.section.appendChild(el("h" + headingLevel, "ally-faq-heading", entry.category));
        byCategory[entry.category] = group;
        groups.push(group);
        box.appendChild(group.section);
      }
      var item = renderEntry(entry);
      group.items.push(item);
      group.section.appendChild(item);
    });

    function filter() {
      var query = input.value.trim();
      var terms = AllyFaqSearch.queryWords(query);
      var shown = 0;
      groups.forEach(function (group) {
        var visible = 0;
        group.items.forEach(function (item) {
          var match = AllyFaqSearch.matches(terms, item.searchIndex);
          item.hidden = !match;
          if (match) visible += 1;
        });
        group.section.hidden = visible === 0;
        shown += visible;
      });
      count.textContent = query
        ? (shown === 0 ? "No questions match. Try other words or ask the assistant."
          : shown + (shown === 1 ? " question matches" : " questions match"))
        : entries.length + " questions";
    }

    input.addEventListener("input", filter);
    filter();
    root.appendChild(box);
  }

  // #faq-<topic>: open that entry and bring it into view.
  function openLinkedEntry() {
    var match = /^#faq-([\w-]+)$/.exec(window.location.hash);
    var item = match && document.getElementById("faq-" + match[1]);
    if (!item || item.tagName !== "DETAILS") return;
    item.hidden = false;
    item.parentNode.hidden = false;
    item.open = true;
    item.scrollIntoView();
    item.querySelector("summary").focus();
  }

  // Search engines read the FAQ's structured data on the page that shows it.
  function addStructuredData(data) {
    var present = Array.prototype.some.call(
      document.querySelectorAll('script[type="application/ld+json"]'),
      function (tag) { return /"FAQPage"/.test(tag.textContent); }
    );
    if (present || !data) return;
    var tag = el("script");
    tag.type = "application/ld+json";
    tag.textContent = JSON.stringify(data);
    document.head.appendChild(tag);
  }

  // Resolves once every deferred script (such as the widget) has run, so
  // whether to offer "Ask the assistant" is decided on the finished page.
  function pageReady() {
    return new Promise(function (resolve) {
      if (document.readyState === "complete") return resolve();
      document.addEventListener("DOMContentLoaded", resolve);
      window.addEventListener("load", resolve);
    });
  }

  function loadEntries() {
    return fetch(assetBase + "faq.json").then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function start() {
    var root = container();
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = assetBase + "faq-embed.css";
    document.head.appendChild(css);
    Promise.all([loadEntries(), pageReady()])
      .then(function (results) {
        render(root, results[0].entries);
        addStructuredData(results[0].structured_data);
        openLinkedEntry();
        window.addEventListener("hashchange", openLinkedEntry);
      })
      .catch(function () {
        root.appendChild(el("p", "ally-faq-error", "The questions could not be loaded. Please refresh the page."));
      });
  }

  start();
})();
