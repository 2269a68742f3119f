/*
 * Ally Premier Protection chat widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" data-rasa-url="https://RASA" defer></script>
 * It loads its CSS and the socket.io client from the origin it came from and
 * talks to Rasa's socket.io channel. The server issues a signed session token;
 * kept in localStorage, it continues the same conversation after a reload.
 * localStorage keeps the bot's messages and the titles of buttons pressed, but
 * never what the customer typed (a last name, a ZIP code, a VIN), and forgets
 * everything after 30 minutes idle or at "End chat" (docs/channels.md).
 * Every message carries its own id and stays in the outbox until the server
 * acknowledges it; it is resent with the same id after a reconnection (the
 * server answers a repeated id once) and marked "Not sent" when it takes too long.
 * Every bot or user text is rendered with textContent, never as HTML.
 * AllyWidgetConfig (served in front of this file by bot/web/app.py) carries
 * the texts with this deployment's phone numbers.
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
  var config = window.AllyWidgetConfig;

  var STORAGE_KEY = "ally-assistant:v3";
  // v1 kept typed messages, v2 never expired: removed on sight.
  var OLD_STORAGE_KEYS = ["ally-assistant:v1", "ally-assistant:v2"];
  var MAX_HISTORY = 60; // messages kept for re-rendering after a reload
  var IDLE_EXPIRY_MS = 30 * 60 * 1000; // a shared device forgets the chat after this long idle
  // No acknowledgement by then: "Not sent — Retry" (a little over the server's longest answer time).
  var SEND_TIMEOUT_MS = config.sendTimeoutMs;
  var CONNECT_GRACE_MS = 4000; // not connected by then: say so and show the phone numbers
  var SCRIPT_RETRY_MAX_MS = 30000;
  var MAX_MESSAGE_CHARS = 1000;
  var PHONE_LAYOUT = "(max-width: 480px)"; // as in widget.css: the panel fills the screen
  var ID = "ally-assistant";

  var STATUS_TEXT = {
    connecting: "Connecting\u2026",
    connected: "Connected",
    lost: "Connection lost. Reconnecting\u2026",
    unreachable: "Can't reach the assistant right now. Still trying\u2026",
    offline: "You're offline. Your messages will be sent when you're back online.",
  };

  var store = loadStore();
  var ui = null; // the DOM, built once the stylesheet has loaded
  var socket = null; // null: not started; {}: loading the client; else the socket.io socket
  var connectWanted = false; // the widget was opened: keep trying until connected
  var tokenToEnd = null; // a session "End chat" could not end yet (offline)
  var ending = false; // the session being confirmed is only rejoined to be ended
  var sessionConfirmed = false;
  var outbox = []; // messages not yet acknowledged, in order
  var shownReplies = {}; // "messageId:index" of replies shown: a resent message's answer is not shown twice
  var connection = "connecting";
  var graceTimer = null;
  var scriptRetryMs = 1000;
  var unread = 0;
  var madeInert = []; // the page's elements the phone-size modal made inert
  var lastQuestion = null; // the latest user message element, to scroll answers under it
  var greetingRequested = false;

  // --- persistence -------------------------------------------------------

  function emptyStore() {
    return { sessionToken: null, history: [], lastActive: Date.now(), open: false };
  }

  function loadStore() {
    try {
      OLD_STORAGE_KEYS.forEach(function (key) { window.localStorage.removeItem(key); });
      var saved = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "null");
      var fresh = saved && typeof saved.lastActive === "number" && Date.now() - saved.lastActive < IDLE_EXPIRY_MS;
      if (fresh && Array.isArray(saved.history)) {
        return {
          sessionToken: typeof saved.sessionToken === "string" ? saved.sessionToken : null,
          history: saved.history,
          lastActive: saved.lastActive,
          open: saved.open === true,
        };
      }
      window.localStorage.removeItem(STORAGE_KEY); // idle too long: another person may hold the device now
    } catch (e) {
      // storage disabled or corrupt: start a fresh conversation
    }
    return emptyStore();
  }

  function saveStore() {
    store.history = store.history.slice(-MAX_HISTORY);
    store.lastActive = Date.now();
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(store));
    } catch (e) {
      // storage disabled or full: the conversation just won't survive a reload
    }
  }

  function forgetStore() {
    store = emptyStore();
    try {
      window.localStorage.removeItem(STORAGE_KEY);
    } catch (e) {
      // storage disabled: nothing was kept
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

  function button(className, text) {
    var node = el("button", className, text);
    node.type = "button";
    return node;
  }

  function buildLauncher() {
    var launcher = button("ally-aw-launcher");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", ID + "-panel");
    launcher.appendChild(chatIcon());
    launcher.appendChild(el("span", "ally-aw-launcher-label", "Chat with us"));
    var badge = el("span", "ally-aw-badge");
    badge.hidden = true;
    launcher.appendChild(badge);
    launcher.addEventListener("click", function () {
      if (ui.panel.hidden) open(); else close_();
    });
    return { launcher: launcher, badge: badge };
  }

  function buildHeader() {
    var header = el("div", "ally-aw-header");
    var title = el("p", "ally-aw-title", "Ally Premier Protection assistant");
    title.id = ID + "-title";
    var end = button("ally-aw-end", "End chat");
    end.addEventListener("click", endChat);
    var close = button("ally-aw-close");
    close.setAttribute("aria-label", "Close chat");
    close.appendChild(el("span", "", "\u00d7")).setAttribute("aria-hidden", "true");
    close.addEventListener("click", close_);
    header.appendChild(title);
    header.appendChild(end);
    header.appendChild(close);
    return header;
  }

  // Shown while the chat can't connect: the numbers to call instead (911 first in danger).
  function buildHelp() {
    var help = el("div", "ally-aw-help");
    help.setAttribute("role", "alert");
    help.hidden = true;
    return help;
  }

  function buildLog() {
    var log = el("div", "ally-aw-log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", "Conversation");
    log.tabIndex = 0; // scrollable: keyboard users must be able to scroll it
    log.addEventListener("scroll", function () {
      if (atBottom()) ui.newReply.hidden = true;
    });
    return log;
  }

  function buildNewReplyPill() {
    var pill = button("ally-aw-new-reply", "New reply \u2193");
    pill.hidden = true;
    pill.addEventListener("click", function () {
      ui.log.scrollTop = ui.log.scrollHeight;
      pill.hidden = true;
    });
    return pill;
  }

  function buildTyping() {
    var typing = el("p", "ally-aw-typing", "The assistant is typing");
    typing.setAttribute("role", "status"); // announced politely, once
    typing.hidden = true;
    return typing;
  }

  function buildForm() {
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
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      send_(text, text, true);
    });
    return { form: form, input: input };
  }

  function build() {
    var root = el("div", "ally-aw");
    var launcher = buildLauncher();
    var panel = el("div", "ally-aw-panel");
    panel.id = ID + "-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-labelledby", ID + "-title");
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        close_();
      }
    });

    var status = el("p", "ally-aw-status");
    status.setAttribute("role", "status");
    var form = buildForm();
    var conversation = el("div", "ally-aw-conversation");
    ui = {
      root: root,
      launcher: launcher.launcher,
      badge: launcher.badge,
      panel: panel,
      status: status,
      help: buildHelp(),
      log: buildLog(),
      newReply: buildNewReplyPill(),
      typing: buildTyping(),
      input: form.input,
    };
    conversation.appendChild(ui.log);
    conversation.appendChild(ui.newReply);
    [buildHeader(), status, ui.help, conversation, ui.typing, form.form].forEach(function (part) {
      panel.appendChild(part);
    });
    attachments.build(form.form);
    root.appendChild(panel);
    root.appendChild(ui.launcher);
    document.body.appendChild(root);

    window.matchMedia(PHONE_LAYOUT).addEventListener("change", updateModal);
    window.addEventListener("offline", onBrowserOffline);
    window.addEventListener("online", onBrowserOnline);
    renderHistory();
    updatePending();
    if (store.open) open(undefined, { restoring: true });
  }

  function renderHistory() {
    ui.log.textContent = "";
    lastQuestion = null;
    store.history.forEach(function (message) { renderMessage(message); });
    disableEarlierChoices();
  }

  function timeOf(at) {
    var node = el("time", "ally-aw-time");
    var when = new Date(typeof at === "number" ? at : Date.now());
    node.dateTime = when.toISOString();
    node.textContent = when.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
    return node;
  }

  function renderChoices(buttons) {
    var group = el("div", "ally-aw-buttons");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    buttons.forEach(function (b) {
      var choice = button("ally-aw-choice", b.title);
      choice.addEventListener("click", function () {
        send_(b.payload, b.title, false);
        ui.input.focus();
      });
      group.appendChild(choice);
    });
    return group;
  }

  function renderMessage(message) {
    var mine = message.from === "user";
    var item = el("div", "ally-aw-msg " + (mine ? "ally-aw-msg--user" : "ally-aw-msg--bot"));
    item.appendChild(el("span", "ally-aw-visually-hidden", mine ? "You said:" : "Assistant said:"));
    if (message.typed && !message.text) {
      item.classList.add("ally-aw-msg--unkept");
      item.appendChild(el("p", "ally-aw-text", "Your message (not kept on this device)"));
    }
    if (message.text) {
      item.appendChild(AllyDom.textWithLinks("p", "ally-aw-text", message.text, assetBase + "faq"));
    }
    if (message.buttons && message.buttons.length) {
      item.appendChild(renderChoices(message.buttons));
    }
    var meta = el("p", "ally-aw-meta");
    meta.appendChild(timeOf(message.at));
    item.appendChild(meta);
    ui.log.appendChild(item);
    if (mine) lastQuestion = item;
    return item;
  }

  // Only the latest turn's buttons answer the conversation as it is now.
  function disableEarlierChoices() {
    var messages = ui.log.querySelectorAll(".ally-aw-msg");
    var seenUser = false;
    for (var i = messages.length - 1; i >= 0; i -= 1) {
      if (messages[i].classList.contains("ally-aw-msg--user")) seenUser = true;
      else if (seenUser) {
        messages[i].querySelectorAll(".ally-aw-choice").forEach(function (choice) { choice.disabled = true; });
      }
    }
  }

  function atBottom() {
    return ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 24;
  }

  function addMessage(message) {
    // What the customer typed is shown, never stored: a reload shows a placeholder.
    store.history.push(message.typed ? { from: "user", typed: true, at: message.at } : message);
    saveStore();
    var item = renderMessage(message);
    disableEarlierChoices();
    if (message.from === "user") {
      ui.log.scrollTop = ui.log.scrollHeight;
      ui.newReply.hidden = true;
    } else {
      // Keep the question in view so a long answer is read from its start;
      // a pill says when the rest of the reply (its buttons) is below.
      var top = lastQuestion ? lastQuestion.offsetTop - 12 : ui.log.scrollHeight;
      ui.log.scrollTop = Math.min(top, ui.log.scrollHeight);
      ui.newReply.hidden = atBottom();
    }
    return item;
  }

  function setStatus(text) {
    ui.status.textContent = text;
  }

  function showHelp(shown) {
    if (shown && ui.help.hidden) {
      ui.help.textContent = "";
      config.unreachable.forEach(function (line) {
        ui.help.appendChild(AllyDom.textWithLinks("p", "", line));
      });
    }
    ui.help.hidden = !shown;
  }

  function setTyping(shown) {
    ui.typing.hidden = !(shown && connection === "connected");
  }

  // --- open / close --------------------------------------------------------

  function open(question, options) {
    if (Date.now() - store.lastActive >= IDLE_EXPIRY_MS) resetConversation(); // left open on a shared device
    ui.panel.hidden = false;
    ui.root.classList.add("ally-aw--open");
    ui.launcher.setAttribute("aria-expanded", "true");
    setUnread(0);
    updateModal();
    if (!(options && options.restoring)) ui.input.focus();
    ui.log.scrollTop = ui.log.scrollHeight;
    store.open = true;
    saveStore();
    connect();
    if (typeof question === "string" && question.trim()) {
      send_(question.trim(), question.trim(), true);
    } else if (store.history.length === 0 && !greetingRequested) {
      greetingRequested = true;
      // The greeting comes from the bot, buttons and all. Plain text: the server
      // takes a "/intent" only as the payload of a button it just offered.
      queue({ message: "hello" });
    }
  }

  function close_() {
    ui.panel.hidden = true;
    ui.root.classList.remove("ally-aw--open");
    ui.launcher.setAttribute("aria-expanded", "false");
    updateModal();
    store.open = false;
    saveStore();
    ui.launcher.focus();
  }

  // On a phone the panel covers the page: make it modal, so Tab and a screen
  // reader's cursor stay in it. Only what was not inert already is restored.
  function updateModal() {
    var modal = !ui.panel.hidden && window.matchMedia(PHONE_LAYOUT).matches;
    if (modal) ui.panel.setAttribute("aria-modal", "true");
    else ui.panel.removeAttribute("aria-modal");
    if (modal && !madeInert.length) {
      madeInert = Array.prototype.filter.call(document.body.children, function (child) {
        return child !== ui.root && !child.inert;
      });
      madeInert.forEach(function (child) { child.inert = true; });
    } else if (!modal) {
      madeInert.splice(0).forEach(function (child) { child.inert = false; });
    }
  }

  function setUnread(count) {
    unread = count;
    ui.badge.hidden = count === 0;
    ui.badge.textContent = count ? String(count) : "";
    var label = "Chat with us" + (count ? " (" + count + (count === 1 ? " new reply)" : " new replies)") : "");
    ui.launcher.setAttribute("aria-label", label);
  }

  // End chat: a shared device keeps nothing, and the server restarts the
  // conversation so its verification is gone too.
  function endChat() {
    resetConversation();
    // Seen when the widget opens again; the status line keeps telling the connection.
    ui.log.appendChild(el("p", "ally-aw-note", "Chat ended. Nothing from it is kept on this device."));
    close_();
  }

  function resetConversation() {
    var live = socket && socket.connected && sessionConfirmed;
    // Not connected (or not confirmed yet): the session is ended on the next connection,
    // before a new one starts. Kept in memory only: the token must not outlive End chat on the device.
    if (!live && store.sessionToken) {
      if (socket && socket.connected) ending = true; // its confirmation is on the way
      else tokenToEnd = store.sessionToken;
    }
    outbox.forEach(function (entry) { clearTimeout(entry.timer); });
    outbox = [];
    updatePending();
    shownReplies = {};
    greetingRequested = false;
    forgetStore();
    renderHistory();
    setTyping(false);
    if (live) endSessionOnServer();
  }

  function endSessionOnServer() {
    sessionConfirmed = false;
    socket.emit("session_end", {}, function () {
      // Only once the old session is ended: the server handles events concurrently.
      socket.emit("session_request", {});
    });
  }

  // --- conversation --------------------------------------------------------

  function newMessageId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    // Insecure contexts (http on a LAN address) have no randomUUID.
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function send_(message, shownAs, typed) {
    var item = addMessage({ from: "user", text: shownAs, typed: typed, at: Date.now() });
    queue({ message: message, item: item });
  }

  // An outbox entry: {id, message, item (the user's message element, none for the greeting), timer}.
  function queue(entry) {
    entry.id = newMessageId();
    outbox.push(entry);
    updatePending();
    markSending(entry);
    emitEntry(entry);
  }

  function emitEntry(entry) {
    if (!(socket && socket.connected && sessionConfirmed)) return; // sent on (re)connection
    setTyping(true);
    var payload = { message: entry.message, session_id: store.sessionToken, message_id: entry.id };
    socket.emit("user_uttered", payload, function (ack) { onAck(entry, ack); });
  }

  function flush() {
    outbox.forEach(emitEntry);
  }

  function onAck(entry, ack) {
    if (outbox.indexOf(entry) === -1) return; // acknowledged already (a resend)
    if (ack && ack.ok === false) {
      // Refused for good (its reason is in the bot's reply): no automatic resend.
      outbox.splice(outbox.indexOf(entry), 1);
      updatePending();
      clearTimeout(entry.timer);
      markNotSent(entry);
      return;
    }
    settle(entry);
  }

  function settle(entry) {
    outbox.splice(outbox.indexOf(entry), 1);
    updatePending();
    clearTimeout(entry.timer);
    markState(entry, null);
    if (!outbox.length) setTyping(false);
  }

  function updatePending() {
    ui.root.setAttribute("data-pending", String(outbox.length)); // what the tests wait on
  }

  function markSending(entry) {
    clearTimeout(entry.timer);
    markState(entry, "Sending\u2026");
    entry.timer = setTimeout(function () { markNotSent(entry); }, SEND_TIMEOUT_MS);
  }

  // Still in the outbox (it goes out on the next connection), and the customer can push it now.
  function markNotSent(entry) {
    setTyping(false);
    if (!entry.item) return;
    var retry = button("ally-aw-retry", "Retry");
    retry.addEventListener("click", function () {
      if (outbox.indexOf(entry) === -1) outbox.push(entry);
      updatePending();
      markSending(entry);
      emitEntry(entry);
      ui.input.focus();
    });
    markState(entry, "Not sent", retry);
  }

  function markState(entry, text, action) {
    if (!entry.item) return;
    var meta = entry.item.querySelector(".ally-aw-meta");
    var old = meta.querySelector(".ally-aw-state");
    if (old) meta.removeChild(old);
    entry.item.classList.toggle("ally-aw-msg--failed", text === "Not sent");
    if (!text) return;
    var state = el("span", "ally-aw-state", text);
    if (action) {
      state.appendChild(document.createTextNode(" \u2014 "));
      state.appendChild(action);
    }
    meta.appendChild(state);
  }

  function repliedEntry(data) {
    for (var i = 0; i < outbox.length; i += 1) {
      if (outbox[i].id === data.reply_to) return outbox[i];
    }
    return null;
  }

  function onBotMessage(data) {
    if (data && data.claim_documents === true) return attachments.offer(data);
    if (!data || (typeof data.text !== "string" && !data.quick_replies)) return;
    if (typeof data.reply_to === "string") {
      var key = data.reply_to + ":" + data.reply_index;
      if (shownReplies[key]) return; // the stored answer to a resent message
      shownReplies[key] = true;
      var entry = repliedEntry(data);
      if (entry) {
        clearTimeout(entry.timer); // an answer proves it arrived; the acknowledgement follows
        markState(entry, null);
      }
    }
    var buttons = (data.quick_replies || data.buttons || []).map(function (b) {
      return { title: String(b.title), payload: String(b.payload) };
    });
    addMessage({ from: "bot", text: typeof data.text === "string" ? data.text : "", buttons: buttons, at: Date.now() });
    setTyping(false); // the first reply is here; more may follow until the acknowledgement
    if (ui.panel.hidden) setUnread(unread + 1);
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
      addMessage({ from: "bot", text: text, buttons: [], at: Date.now() });
      then();
    }

    return { build: build, offer: offer };
  })();

  // --- connection ----------------------------------------------------------

  // The one place the connection's state is shown: status line, phone numbers, typing.
  function setConnection(state) {
    connection = state;
    ui.root.setAttribute("data-connection", state);
    setStatus(STATUS_TEXT[state]);
    showHelp(state === "unreachable" || state === "offline");
    if (state !== "connected") setTyping(false);
    clearTimeout(graceTimer);
    if (state === "connecting" || state === "lost") {
      graceTimer = setTimeout(function () { setConnection("unreachable"); }, CONNECT_GRACE_MS);
    }
  }

  function onBrowserOffline() {
    sessionConfirmed = false;
    setConnection("offline");
    // The socket would only notice at its next ping, tens of seconds later.
    if (socket && socket.connected) socket.disconnect();
  }

  function onBrowserOnline() {
    if (!connectWanted) return; // not opened yet: connects on open
    setConnection("connecting");
    if (!socket) connect(); // the client failed to load: now, not at the next backoff
    else if (typeof socket.connect === "function" && !socket.connected) socket.connect();
  }

  function loadSocketIo(then) {
    if (window.io) return then();
    var tag = document.createElement("script");
    tag.src = assetBase + "vendor/socket.io.min.js";
    tag.onload = then;
    tag.onerror = function () {
      // Start over later: nothing may stay "connecting" for ever.
      document.head.removeChild(tag);
      socket = null;
      setTimeout(connect, scriptRetryMs);
      scriptRetryMs = Math.min(scriptRetryMs * 2, SCRIPT_RETRY_MAX_MS);
    };
    document.head.appendChild(tag);
  }

  function connect() {
    connectWanted = true;
    if (socket) return;
    socket = {}; // loading the client: never start twice
    setConnection(navigator.onLine ? "connecting" : "offline");
    loadSocketIo(openSocket);
  }

  function openSocket() {
    // socket.io retries by itself with backoff (1 s doubling to 5 s, randomised), for ever.
    socket = window.io(rasaUrl, { transports: ["websocket", "polling"] });
    socket.on("connect", function () {
      // Every (re)connection asks for the conversation again, with its token
      // (none yet: the server starts a conversation and issues one).
      var token = tokenToEnd || store.sessionToken;
      ending = tokenToEnd !== null;
      tokenToEnd = null;
      socket.emit("session_request", token ? { session_id: token } : {});
    });
    socket.on("session_confirm", onSessionConfirm);
    socket.on("bot_uttered", onBotMessage);
    socket.on("disconnect", function () {
      sessionConfirmed = false;
      setConnection(navigator.onLine ? "lost" : "offline");
    });
    socket.on("connect_error", function () {
      if (!navigator.onLine) setConnection("offline");
      else if (connection === "connected") setConnection("lost");
    });
  }

  function onSessionConfirm(token) {
    if (ending) {
      ending = false;
      endSessionOnServer(); // then a new session is requested
      return;
    }
    if (typeof token === "string" && token !== store.sessionToken) {
      store.sessionToken = token;
      saveStore();
    }
    sessionConfirmed = true;
    setConnection("connected");
    flush(); // unacknowledged messages again, with their ids
  }

  // --- start ---------------------------------------------------------------

  var pendingActions = [];

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
