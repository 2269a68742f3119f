/*
 * Ally Premier Protection chat widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" data-rasa-url="https://RASA" defer></script>
 * It loads its CSS and the socket.io client from the origin it came from and
 * talks to Rasa's socket.io channel. The server issues a signed session token;
 * kept in localStorage, it continues the same conversation after a reload.
 * localStorage keeps the bot's messages and the titles of buttons pressed, but
 * never what the customer typed (a last name, a ZIP code, a VIN).
 * Every bot or user text is rendered with textContent, never as HTML.
 * Public API: window.AllyAssistant.open(question?) and .close().
 */
(function () {
  "use strict";

  var el = AllyDom.el;

  if (window.AllyAssistant) {
    return; // the tag was included twice
  }

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var assetBase = new URL(".", script.src).href;
  var rasaUrl = (script.getAttribute("data-rasa-url") || new URL(script.src).origin).replace(/\/+$/, "");

  var STORAGE_KEY = "ally-assistant:v2";
  var OLD_STORAGE_KEYS = ["ally-assistant:v1"]; // v1 kept typed messages: removed on sight
  var MAX_HISTORY = 60; // messages kept for re-rendering after a reload
  var REPLY_QUIET_MS = 1200; // no new bot message for this long: the reply is complete
  var REPLY_TIMEOUT_MS = 20000;
  var MAX_MESSAGE_CHARS = 1000;
  var ID = "ally-assistant";

  var store = loadStore();
  var ui = null; // the DOM, built once the stylesheet has loaded
  var socket = null;
  var sessionConfirmed = false;
  var outbox = []; // messages typed before the session is confirmed
  var quietTimer = null;
  var timeoutTimer = null;
  var pendingActions = [];
  var lastQuestion = null; // the latest user message element, to scroll answers under it
  var greetingRequested = false;

  // --- persistence -------------------------------------------------------

  function loadStore() {
    try {
      OLD_STORAGE_KEYS.forEach(function (key) { window.localStorage.removeItem(key); });
      var saved = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "null");
      if (saved && Array.isArray(saved.history)) {
        return { sessionToken: typeof saved.sessionToken === "string" ? saved.sessionToken : null, history: saved.history };
      }
    } catch (e) {
      // storage disabled or corrupt: start a fresh conversation
    }
    return { sessionToken: null, history: [] };
  }

  function saveStore() {
    store.history = store.history.slice(-MAX_HISTORY);
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(store));
    } catch (e) {
      // storage disabled or full: the conversation just won't survive a reload
    }
  }

  // --- DOM -----------------------------------------------------------------


  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    return svg;
  }

  function build() {
    var root = el("div", "ally-aw");
    var launcher = el("button", "ally-aw-launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", ID + "-panel");
    launcher.appendChild(chatIcon());
    launcher.appendChild(el("span", "", "Chat with us"));

    var panel = el("div", "ally-aw-panel");
    panel.id = ID + "-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-labelledby", ID + "-title");

    var header = el("div", "ally-aw-header");
    var title = el("p", "ally-aw-title", "Ally Premier Protection assistant");
    title.id = ID + "-title";
    var close = el("button", "ally-aw-close");
    close.type = "button";
    close.setAttribute("aria-label", "Close chat");
    close.appendChild(el("span", "", "\u00d7")).setAttribute("aria-hidden", "true");
    header.appendChild(title);
    header.appendChild(close);

    var status = el("p", "ally-aw-status");
    status.setAttribute("role", "status");

    var log = el("div", "ally-aw-log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", "Conversation");
    log.tabIndex = 0; // scrollable: keyboard users must be able to scroll it

    var typing = el("p", "ally-aw-typing", "The assistant is typing");
    typing.hidden = true;

    var form = el("form", "ally-aw-form");
    var label = el("label", "ally-aw-visually-hidden", "Your message");
    label.htmlFor = ID + "-input";
    var input = el("input", "ally-aw-input");
    input.id = ID + "-input";
    input.type = "text";
    input.autocomplete = "off";
    input.maxLength = MAX_MESSAGE_CHARS;
    input.placeholder = "Type your question";
    var send = el("button", "ally-aw-send", "Send");
    send.type = "submit";
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(send);

    panel.appendChild(header);
    panel.appendChild(status);
    panel.appendChild(log);
    panel.appendChild(typing);
    panel.appendChild(form);
    root.appendChild(panel);
    root.appendChild(launcher);
    document.body.appendChild(root);

    launcher.addEventListener("click", function () {
      if (panel.hidden) open(); else close_();
    });
    close.addEventListener("click", close_);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        close_();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      send_(text, text, true);
    });

    ui = { root: root, launcher: launcher, panel: panel, status: status, log: log, typing: typing, input: input };
    attachments.build(form);
    store.history.forEach(function (message) { renderMessage(message); });
  }

  function renderMessage(message) {
    var mine = message.from === "user";
    var item = el("div", "ally-aw-msg " + (mine ? "ally-aw-msg--user" : "ally-aw-msg--bot"));
    item.appendChild(el("span", "ally-aw-visually-hidden", mine ? "You said:" : "Assistant said:"));
    if (message.typed) {
      item.classList.add("ally-aw-msg--unkept");
      item.appendChild(el("p", "ally-aw-text", "Your message (not kept on this device)"));
    }
    if (message.text) {
      item.appendChild(AllyDom.textWithPhoneLinks("p", "ally-aw-text", message.text));
    }
    if (message.buttons && message.buttons.length) {
      var group = el("div", "ally-aw-buttons");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Suggested replies");
      message.buttons.forEach(function (b) {
        var button = el("button", "ally-aw-choice", b.title);
        button.type = "button";
        button.addEventListener("click", function () {
          send_(b.payload, b.title, false);
          ui.input.focus();
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    ui.log.appendChild(item);
    return item;
  }

  function addMessage(message, typed) {
    // What the customer typed is shown, never stored: a reload shows a placeholder.
    store.history.push(typed ? { from: "user", typed: true } : message);
    saveStore();
    var item = renderMessage(message);
    if (message.from === "user") {
      lastQuestion = item;
      ui.log.scrollTop = ui.log.scrollHeight;
    } else {
      // Keep the question in view so a long answer is read from its start.
      var top = lastQuestion ? lastQuestion.offsetTop - 12 : ui.log.scrollHeight;
      ui.log.scrollTop = Math.min(top, ui.log.scrollHeight);
    }
  }

  function setStatus(text) {
    ui.status.textContent = text;
  }

  // --- open / close --------------------------------------------------------

  function open(question) {
    ui.panel.hidden = false;
    ui.root.classList.add("ally-aw--open");
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.input.focus();
    ui.log.scrollTop = ui.log.scrollHeight;
    connect();
    if (typeof question === "string" && question.trim()) {
      send_(question.trim(), question.trim(), true);
    } else if (store.history.length === 0 && !greetingRequested) {
      greetingRequested = true;
      // The greeting comes from the bot, buttons and all. Plain text: the server
      // takes a "/intent" only as the payload of a button it just offered.
      sendHidden("hello");
    }
  }

  function close_() {
    ui.panel.hidden = true;
    ui.root.classList.remove("ally-aw--open");
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.focus();
  }

  // --- conversation --------------------------------------------------------

  function send_(message, shownAs, typed) {
    addMessage({ from: "user", text: shownAs }, typed);
    sendHidden(message);
  }

  function sendHidden(message) {
    outbox.push(message);
    waitForReply();
    flush();
  }

  function flush() {
    while (sessionConfirmed && outbox.length) {
      socket.emit("user_uttered", { message: outbox.shift(), session_id: store.sessionToken });
    }
  }

  function waitForReply() {
    ui.typing.hidden = false;
    clearTimeout(quietTimer);
    clearTimeout(timeoutTimer);
    timeoutTimer = setTimeout(function () {
      ui.typing.hidden = true;
      setStatus("No answer from the assistant yet. Please try again in a moment.");
    }, REPLY_TIMEOUT_MS);
  }

  function onBotMessage(data) {
    if (data && data.claim_documents === true) return attachments.offer(data);
    if (!data || (typeof data.text !== "string" && !data.quick_replies)) return;
    var buttons = (data.quick_replies || data.buttons || []).map(function (b) {
      return { title: String(b.title), payload: String(b.payload) };
    });
    addMessage({ from: "bot", text: typeof data.text === "string" ? data.text : "", buttons: buttons });
    clearTimeout(timeoutTimer);
    clearTimeout(quietTimer);
    if (sessionConfirmed) setStatus("Connected"); // clears a "no answer yet" notice
    // Rasa sends a reply as several messages with no end marker.
    quietTimer = setTimeout(function () {
      ui.typing.hidden = true;
    }, REPLY_QUIET_MS);
  }

  // --- claim documents: "Attach a document" (docs/claims.md, "In the channels") ---
  // Shown once the assistant says the conversation's GAP claim takes documents
  // (a bot message {claim_documents: true}); remembered for this session token
  // only. Each file is posted with the session token; the server adds it to the
  // claim the conversation verified, and its answer (the file confirmed by name,
  // or why not) is shown as the assistant's message.

  var attachments = (function () {
    var OFFERED_KEY = "ally-assistant:documents-offered"; // the offer, with the session token it was made in
    var ACCEPT = "application/pdf,image/*"; // image/*: phones offer the camera too
    var UPLOAD_URL = rasaUrl + "/webhooks/socketio/document";
    var NOT_SENT = "The document could not be sent. Please check your connection and try again.";
    var parts = null;
    var limits = { maxBytes: Infinity, tooBig: "" }; // from the server's offer

    function build(form) {
      var bar = el("div", "ally-aw-attach");
      bar.hidden = true;
      var button = el("button", "ally-aw-attach-button", "Attach a document");
      button.type = "button";
      var input = el("input", "ally-aw-visually-hidden");
      input.type = "file";
      input.accept = ACCEPT;
      input.multiple = true;
      input.tabIndex = -1; // the button is the control
      input.setAttribute("aria-hidden", "true");
      var progress = el("progress", "ally-aw-progress");
      progress.max = 100;
      progress.hidden = true;
      progress.setAttribute("aria-label", "Upload progress");
      bar.appendChild(button);
      bar.appendChild(input);
      bar.appendChild(progress);
      form.parentNode.insertBefore(bar, form);
      button.addEventListener("click", function () { input.click(); });
      input.addEventListener("change", function () {
        var files = Array.prototype.slice.call(input.files || []);
        input.value = "";
        sendEach(files);
      });
      parts = { bar: bar, button: button, progress: progress };
      var saved = remembered();
      if (saved && store.sessionToken && saved.token === store.sessionToken) show(saved);
    }

    function remembered() {
      try { return JSON.parse(window.localStorage.getItem(OFFERED_KEY) || "null"); } catch (e) { return null; }
    }

    function offer(data) {
      var saved = { token: store.sessionToken, maxBytes: data.max_file_bytes, tooBig: data.too_big };
      try { window.localStorage.setItem(OFFERED_KEY, JSON.stringify(saved)); } catch (e) { /* shown until reload */ }
      show(saved);
    }

    function show(saved) {
      if (typeof saved.maxBytes === "number") limits.maxBytes = saved.maxBytes;
      if (typeof saved.tooBig === "string") limits.tooBig = saved.tooBig;
      if (parts) parts.bar.hidden = false;
    }

    function sendEach(files) {
      if (!files.length) {
        parts.button.disabled = false;
        parts.progress.hidden = true;
        return;
      }
      upload(files[0], function () { sendEach(files.slice(1)); });
    }

    function upload(file, then) {
      if (file.size > limits.maxBytes && limits.tooBig) return finish(limits.tooBig, then); // not sent at all
      parts.button.disabled = true;
      parts.progress.value = 0;
      parts.progress.hidden = false;
      setStatus("Sending " + file.name + "\u2026");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", UPLOAD_URL);
      xhr.setRequestHeader("Authorization", "Bearer " + (store.sessionToken || ""));
      xhr.setRequestHeader("X-Document-Name", encodeURIComponent(file.name));
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) parts.progress.value = Math.round((100 * event.loaded) / event.total);
      };
      xhr.onload = function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { /* not ours: said below */ }
        finish(answer && typeof answer.text === "string" ? answer.text : NOT_SENT, then);
      };
      xhr.onerror = xhr.ontimeout = function () { finish(NOT_SENT, then); };
      xhr.send(file);
    }

    function finish(text, then) {
      parts.progress.value = 100;
      setStatus(sessionConfirmed ? "Connected" : "");
      addMessage({ from: "bot", text: text, buttons: [] });
      then();
    }

    return { build: build, offer: offer };
  })();

  // --- connection ----------------------------------------------------------

  function loadSocketIo(then) {
    if (window.io) return then();
    var tag = document.createElement("script");
    tag.src = assetBase + "vendor/socket.io.min.js";
    tag.onload = then;
    tag.onerror = function () {
      setStatus("The chat could not load. Please refresh the page.");
    };
    document.head.appendChild(tag);
  }

  function connect() {
    if (socket) return;
    socket = {}; // connecting: never start twice
    setStatus("Connecting\u2026");
    loadSocketIo(function () {
      socket = window.io(rasaUrl, { transports: ["websocket", "polling"] });
      socket.on("connect", function () {
        // Every (re)connection asks for the conversation again, with its token
        // (none yet: the server starts a conversation and issues one).
        socket.emit("session_request", store.sessionToken ? { session_id: store.sessionToken } : {});
      });
      socket.on("session_confirm", function (token) {
        if (typeof token === "string" && token !== store.sessionToken) {
          store.sessionToken = token;
          saveStore();
        }
        sessionConfirmed = true;
        setStatus("Connected");
        flush();
      });
      socket.on("bot_uttered", onBotMessage);
      socket.on("disconnect", function () {
        sessionConfirmed = false;
        setStatus("Connection lost. Reconnecting\u2026");
      });
      socket.on("connect_error", function () {
        setStatus("Can't reach the assistant. Retrying\u2026");
      });
    });
  }

  // --- start ---------------------------------------------------------------

  function whenReady(action) {
    if (ui) action(); else pendingActions.push(action);
  }

  function start() {
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = assetBase + "widget.css";
    // Build once styled, so the page never shows an unstyled widget.
    css.onload = css.onerror = function () {
      build();
      pendingActions.splice(0).forEach(function (action) { action(); });
    };
    document.head.appendChild(css);
  }

  window.AllyAssistant = {
    open: function (question) { whenReady(function () { open(question); }); },
    close: function () { whenReady(close_); },
  };

  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
