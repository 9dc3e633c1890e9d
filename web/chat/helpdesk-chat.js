/*!
 * Candidate help desk: the careers-site chat widget. Embed with one tag:
 *   <script src="https://helpdesk.example.com/chat/helpdesk-chat.js" data-server="https://helpdesk.example.com"
 *           data-lang="nl" data-token="..." data-idle-minutes="30" defer></script>
 * It talks to the help desk's Rasa socketio channel (session persistence on) and loads its stylesheet
 * and the vendored socket.io client from that server; nothing else is fetched.
 * Shared computers (a library, a job centre): the conversation is kept in localStorage only until
 * it has been idle for data-idle-minutes (default 30), and "End chat" ends it on the server and
 * forgets it in the browser at once; either way the next person starts afresh.
 * While a recruiter is on the chat, their name is on each of their messages and in the header;
 * while the bot waits for the one-time code, the input is a numeric one-time-code field.
 * Public API: window.HelpdeskChat.open(), .close(), .send(text), .end().
 */
(function () {
  "use strict";

  if (window.HelpdeskChat) return; // embedded twice: the first copy stays in charge

  // ---- Configuration (document.currentScript only exists while this file first runs) ----------

  const script = document.currentScript || document.querySelector('script[src*="helpdesk-chat.js"]');
  const attr = (name) => (script && script.getAttribute(name)) || "";

  function pickLanguage(...candidates) {
    for (const value of candidates) {
      const prefix = String(value || "").trim().toLowerCase().split("-")[0];
      if (prefix === "en" || prefix === "nl") return prefix;
    }
    return "en";
  }

  const ownOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  const server = (attr("data-server") || ownOrigin).replace(/\/+$/, "");
  const lang = pickLanguage(attr("data-lang"), document.documentElement.lang);
  const token = attr("data-token").trim(); // sent with every message, never shown

  // Minutes without a message (either way) after which this browser forgets the conversation.
  function idleMinutes(raw) {
    const minutes = Number(raw);
    return String(raw).trim() && Number.isFinite(minutes) && minutes > 0 ? minutes : 30;
  }
  const IDLE_MS = idleMinutes(attr("data-idle-minutes")) * 60000;

  // Every visible string and aria-label: [English, Dutch].
  const TEXTS = {
    launcher: ["Chat with us", "Chat met ons"],
    title: ["Application help desk", "Sollicitatie-helpdesk"],
    subtitle: ["Automated assistant", "Digitale assistent"],
    input: ["Type your message", "Typ je bericht"],
    send: ["Send", "Verstuur"],
    close: ["Close chat", "Chat sluiten"],
    end: ["End chat", "Chat beëindigen"],
    endHint: ["End this chat and forget it in this browser", "Deze chat beëindigen en wissen uit deze browser"],
    ended: ["Chat ended and cleared from this browser.", "Chat beëindigd en gewist uit deze browser."],
    messages: ["Conversation", "Gesprek"],
    replies: ["Suggested replies", "Antwoordsuggesties"],
    typing: ["The assistant is typing…", "De assistent typt…"],
    offline: ["Can't reach the help desk right now. Trying again…", "De helpdesk is nu niet bereikbaar. We proberen het opnieuw…"],
    recruiter: ["recruiter", "recruiter"], // "Eva Jansen (recruiter)"
    aRecruiter: ["Recruiter", "Recruiter"], // a recruiter whose name the desk did not give
    code: ["6-digit code", "Code van 6 cijfers"],
    codeLabel: ["The 6-digit code from the email", "De code van 6 cijfers uit de e-mail"],
    textInstead: ["Type text instead", "Tekst typen"],
    whatsapp: ["Prefer WhatsApp? Chat with us there", "Liever WhatsApp? Chat daar met ons"],
  };
  const t = {};
  Object.keys(TEXTS).forEach((key) => (t[key] = TEXTS[key][lang === "nl" ? 1 : 0]));

  const MAX_ENTRIES = 100; // transcript entries kept in localStorage
  const MAX_LENGTH = 2000; // the server cuts longer messages
  const TYPING_TIMEOUT = 20000;
  const BANNER_DELAY = 1000; // a short network blip should not flash the banner
  const ASSET_RETRY = 5000;
  const END_WAIT = 8000; // how long "End chat" waits for the server to confirm before going on
  const IDLE_CHECK = 15000;
  const KEY = "helpdesk-chat:";
  const SESSION_KEY = KEY + "session:" + server;
  const ACTIVE_KEY = KEY + "active:" + server; // when a message last went either way (ms)
  const OPEN_KEY = KEY + "open:" + server;

  // ---- Storage: blocked or full storage (private mode, sandboxed frames) must not break the chat

  function load(area, key) {
    try {
      return window[area].getItem(key);
    } catch (e) {
      return null;
    }
  }

  function save(area, key, value) {
    try {
      if (value === null) window[area].removeItem(key);
      else window[area].setItem(key, value);
    } catch (e) {
      /* the chat still works; it just forgets on reload */
    }
  }

  const transcriptKey = (id) => KEY + "transcript:" + server + ":" + id;

  function touch() {
    save("localStorage", ACTIVE_KEY, String(Date.now()));
  }

  // No record of activity (a conversation stored by an older widget) counts as idle.
  function idle() {
    const last = Number(load("localStorage", ACTIVE_KEY));
    return !(Number.isFinite(last) && last > 0 && Date.now() - last < IDLE_MS);
  }

  // The session id is a bearer secret: whoever has it continues the conversation, verified
  // applications included. Forgetting it, its transcript and any stray older transcript leaves
  // nothing of the conversation in this browser.
  function forgetStored() {
    save("localStorage", SESSION_KEY, null);
    save("localStorage", ACTIVE_KEY, null);
    try {
      const prefix = transcriptKey("");
      for (let i = window.localStorage.length - 1; i >= 0; i--) {
        const key = window.localStorage.key(i);
        if (key && key.startsWith(prefix)) window.localStorage.removeItem(key);
      }
    } catch (e) {
      /* storage blocked: there is nothing stored to forget */
    }
  }

  // Entries are {from: "bot"|"user", text, replies?: [{title, payload}], by?: a recruiter's name
  // (their own message), handover?: "joined"|"left" (with the recruiter's name in `who`),
  // expects?: "code", waiting?: what the header says while a recruiter is awaited}. Stored data is checked because anything on the page could have written it.
  function loadTranscript(id) {
    let raw;
    try {
      raw = id ? JSON.parse(load("localStorage", transcriptKey(id)) || "[]") : [];
    } catch (e) {
      raw = [];
    }
    if (!Array.isArray(raw)) return [];
    return raw
      .filter((e) => e && (e.from === "bot" || e.from === "user") && typeof e.text === "string")
      .map((e) => {
        const replies = cleanReplies(e.replies);
        return withExtras(replies.length ? { from: e.from, text: e.text, replies } : { from: e.from, text: e.text }, e);
      })
      .filter((e) => e.text || e.replies)
      .slice(-MAX_ENTRIES);
  }

  function saveTranscript() {
    if (sessionId) save("localStorage", transcriptKey(sessionId), JSON.stringify(entries.slice(-MAX_ENTRIES)));
  }

  const cleanName = (name) => (typeof name === "string" ? name.trim().slice(0, 200) : "");

  // What a bot message says beside its text (channels/webchat.py): a recruiter wrote it, a
  // recruiter joined or left, the bot waits for the code. Only from bot messages.
  function withExtras(entry, source) {
    if (entry.from !== "bot" || !source) return entry;
    const name = cleanName(source.recruiter !== undefined ? source.recruiter : source.by || source.who);
    if (source.handover === "joined" || source.handover === "left") {
      entry.handover = source.handover;
      if (name) entry.who = name;
    } else if (source.recruiter !== undefined || source.by !== undefined) {
      entry.by = name || t.aRecruiter;
    }
    if (source.expects === "code") entry.expects = "code";
    const waiting = cleanName(source.waiting);
    if (waiting && !entry.by && !entry.handover) entry.waiting = waiting;
    return entry;
  }

  // Rasa sends quick_replies [{content_type, title, payload}]; other bots send buttons [{title, payload}].
  function cleanReplies(list) {
    if (!Array.isArray(list)) return [];
    return list
      .filter((r) => r && typeof r.title === "string" && r.title.trim() && (!r.content_type || r.content_type === "text"))
      .map((r) => ({ title: r.title, payload: typeof r.payload === "string" && r.payload ? r.payload : r.title }));
  }

  // ---- State ----------------------------------------------------------------------------------

  let sessionId = load("localStorage", SESSION_KEY);
  if (!sessionId || idle()) {
    // The last person's conversation (or nothing): the next person at a shared computer starts afresh.
    forgetStored();
    sessionId = null;
  }
  let entries = loadTranscript(sessionId);
  let clientIo = null; // the socket.io client's io()
  let socket = null;
  let ready = false; // connected and the session confirmed on this connection
  let everConnected = false;
  let isOpen = false;
  let greetedFor = null; // the session a hidden /greet was sent for (once per page view)
  let bannerTimer = 0;
  let typingTimer = 0;
  let ending = false; // "End chat" sent /forget_chat and waits for the server's answer
  let endTimer = 0;
  let codeDeclined = false; // "Type text instead" pressed for the code asked last
  const outbox = []; // HelpdeskChat.send() calls made before the session was ready
  const ui = {};

  // ---- DOM helpers (message content only ever goes through textContent / text nodes) ----------

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([name, value]) => {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    });
    (children || []).forEach((child) => node.appendChild(child));
    return node;
  }

  // An inline SVG icon (decorative): a filled shape, or with `stroke` a line drawing.
  function icon(d, stroke) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    const path = document.createElementNS(ns, "path");
    const attrs = stroke ? { fill: "none", stroke: "currentColor", "stroke-width": "2.4", "stroke-linecap": "round" } : { fill: "currentColor" };
    Object.entries({ viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false", class: "hdc-icon" }).forEach(([k, v]) => svg.setAttribute(k, v));
    Object.entries(Object.assign({ d }, attrs)).forEach(([k, v]) => path.setAttribute(k, v));
    svg.appendChild(path);
    return svg;
  }

  const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/gi;

  function appendLine(parent, line, linkify) {
    let last = 0;
    let match;
    URL_PATTERN.lastIndex = 0;
    while (linkify && (match = URL_PATTERN.exec(line))) {
      // Punctuation that ends a sentence is not part of the link.
      const url = match[0].replace(/[.,;:!?'")\]]+$/, "");
      URL_PATTERN.lastIndex = match.index + url.length;
      if (match.index > last) parent.appendChild(document.createTextNode(line.slice(last, match.index)));
      parent.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: url }));
      last = match.index + url.length;
    }
    if (last < line.length) parent.appendChild(document.createTextNode(line.slice(last)));
  }

  // Each newline stays in the text (so the bubble's textContent is the message itself) and gets a
  // <br> after it; with `white-space: normal` the "\n" collapses away and the <br> does the break.
  function appendText(parent, text, linkify) {
    text.split("\n").forEach((line, i) => {
      if (i > 0) {
        parent.appendChild(document.createTextNode("\n"));
        parent.appendChild(document.createElement("br"));
      }
      appendLine(parent, line, linkify);
    });
  }

  // ---- Rendering --------------------------------------------------------------------------------

  function renderEntry(entry) {
    if (entry.text) {
      const bubble = el("div", { class: "hdc-msg hdc-" + entry.from + (entry.by ? " hdc-recruiter" : "") });
      if (entry.by) bubble.appendChild(el("div", { class: "hdc-author", text: entry.by + " (" + t.recruiter + ")" }));
      appendText(bubble, entry.text, entry.from === "bot");
      ui.log.appendChild(bubble);
    }
    if (entry.replies) {
      const group = el("div", { class: "hdc-replies", role: "group", "aria-label": t.replies });
      entry.replies.forEach((reply) => {
        const button = el("button", { type: "button", class: "hdc-reply", text: reply.title });
        button.disabled = !ready;
        button.addEventListener("click", () => {
          if (sendMessage(reply.payload, reply.title)) ui.input.focus();
        });
        group.appendChild(button);
      });
      ui.log.appendChild(group);
    }
  }

  function renderAll() {
    ui.log.textContent = "";
    entries.forEach(renderEntry);
    scrollToEnd();
    showWhoIsHere();
    setInputMode();
  }

  // The recruiter on the chat now: the last one who joined, unless they left since.
  function recruiterHere() {
    for (let i = entries.length - 1; i >= 0; i--) {
      if (entries[i].handover === "left") return null;
      if (entries[i].handover === "joined") return entries[i].who || t.aRecruiter;
    }
    return null;
  }

  // Awaited, not here yet: the bot's latest own message says how soon a recruiter replies
  // (the server marks every answer while the escalation is open; a later one without the
  // mark means the wait is over).
  function recruiterAwaited() {
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (entry.from !== "bot" || entry.by) continue;
      return entry.handover ? null : entry.waiting || null;
    }
    return null;
  }

  function showWhoIsHere() {
    const name = recruiterHere();
    const awaited = name ? null : recruiterAwaited();
    ui.subtitle.textContent = name ? name + " (" + t.recruiter + ")" : awaited || t.subtitle;
    ui.root.classList.toggle("hdc-with-recruiter", Boolean(name));
    ui.root.classList.toggle("hdc-awaiting-recruiter", Boolean(awaited));
  }

  // The code field while the bot's last word asks for the code (until the applicant answers, or
  // chooses to type text: a numeric keypad cannot say "no code arrived").
  function setInputMode() {
    const last = entries[entries.length - 1];
    const code = Boolean(last && last.expects === "code") && !codeDeclined;
    if (code) {
      ui.input.setAttribute("inputmode", "numeric");
      ui.input.setAttribute("autocomplete", "one-time-code");
      ui.input.setAttribute("placeholder", t.code);
      ui.input.setAttribute("aria-label", t.codeLabel);
    } else {
      ui.input.removeAttribute("inputmode");
      ui.input.setAttribute("autocomplete", "off");
      ui.input.setAttribute("placeholder", t.input);
      ui.input.removeAttribute("aria-label"); // the <label> names it again
    }
    ui.textInstead.hidden = !code;
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function addEntry(entry) {
    entries.push(entry);
    if (entries.length > MAX_ENTRIES) entries = entries.slice(-MAX_ENTRIES);
    saveTranscript();
    renderEntry(entry);
    scrollToEnd();
    if (entry.expects === "code") codeDeclined = false; // asked (again): the code field again
    if (entry.from === "bot") showWhoIsHere(); // joined, left, awaited, or the wait is over
    setInputMode();
  }

  // Once the applicant answers (by button or by typing), earlier suggestions are stale.
  function clearReplies() {
    entries.forEach((entry) => delete entry.replies);
    entries = entries.filter((entry) => entry.text);
    ui.log.querySelectorAll(".hdc-replies").forEach((group) => group.remove());
  }

  function showTyping() {
    clearTimeout(typingTimer);
    ui.typingText.textContent = t.typing; // set on show, so screen readers announce it
    ui.typing.hidden = false;
    typingTimer = setTimeout(hideTyping, TYPING_TIMEOUT);
  }

  function hideTyping() {
    clearTimeout(typingTimer);
    ui.typing.hidden = true;
    ui.typingText.textContent = "";
  }

  function showBanner() {
    clearTimeout(bannerTimer);
    bannerTimer = 0;
    ui.status.textContent = t.offline; // set on show, so screen readers announce it
    ui.status.hidden = false;
    scrollToEnd(); // the banner takes room from the log
  }

  function showBannerSoon() {
    if (!bannerTimer && ui.status.hidden) bannerTimer = setTimeout(showBanner, BANNER_DELAY);
  }

  function hideBanner() {
    clearTimeout(bannerTimer);
    bannerTimer = 0;
    ui.status.hidden = true;
    ui.status.textContent = "";
  }

  function setReady(value) {
    ready = value;
    ui.send.disabled = !value; // the input itself stays usable, so nothing typed is lost
    ui.log.querySelectorAll(".hdc-replies button").forEach((button) => (button.disabled = !value));
  }

  // ---- Conversation -----------------------------------------------------------------------------

  // `shown` is the user bubble's text (a button's title); null sends without a bubble (/greet).
  function sendMessage(message, shown) {
    if (!ready) return false;
    clearReplies();
    if (shown) {
      hideNotice(); // the applicant has moved on (the hidden /greet of a new chat has not)
      addEntry({ from: "user", text: shown });
    }
    emitMessage(message);
    return true;
  }

  function emitMessage(message) {
    const metadata = { language: lang };
    if (token) metadata.token = token;
    socket.emit("user_uttered", { message, session_id: sessionId, metadata });
    touch();
    // while a recruiter has the chat the bot is silent: no "assistant is typing"
    if (!recruiterHere() || message === "/forget_chat") showTyping();
  }

  // "End chat": the server forgets who the applicant is in this conversation (/forget_chat ends
  // its verification and voids pending codes), then this browser forgets the conversation and
  // a new one starts. Offline, the browser half is done at once: without the session id,
  // nobody can continue the old conversation, and the server ends it after its idle time.
  function endChat() {
    if (ending) return;
    if (ready && sessionId) {
      ending = true;
      clearReplies();
      setReady(false); // nothing more goes into the conversation being ended
      emitMessage("/forget_chat");
      endTimer = setTimeout(() => startAfresh(t.ended), END_WAIT);
    } else {
      startAfresh(t.ended);
    }
  }

  // Forget the conversation here (screen, storage, memory) and ask the server for a new one.
  function startAfresh(notice) {
    ending = false;
    codeDeclined = false;
    clearTimeout(endTimer);
    forgetStored();
    sessionId = null;
    entries = [];
    outbox.length = 0;
    greetedFor = null;
    hideTyping();
    renderAll();
    if (notice) showNotice(notice);
    else hideNotice();
    if (socket && socket.connected) {
      setReady(false);
      socket.emit("session_request", { session_id: null });
    }
  }

  function checkIdle() {
    if (sessionId && !ending && idle()) startAfresh(null);
  }

  function showNotice(text) {
    ui.notice.textContent = text; // set on show, so screen readers announce it
    ui.notice.hidden = false;
  }

  function hideNotice() {
    ui.notice.hidden = true;
    ui.notice.textContent = "";
  }

  function submitInput() {
    const text = ui.input.value.trim();
    if (text && sendMessage(text, text)) {
      ui.input.value = "";
      autosize();
    }
    ui.input.focus();
  }

  function maybeGreet() {
    if (isOpen && ready && entries.length === 0 && greetedFor !== sessionId) {
      greetedFor = sessionId;
      sendMessage("/greet", null);
    }
  }

  // The help desk's other channels (WhatsApp's wa.me link when it is on), under the input.
  function onLinks(data) {
    const link = data && typeof data.whatsapp === "string" ? data.whatsapp : "";
    if (!/^https:\/\/wa\.me\/[0-9]{5,20}(\?[^\s]*)?$/.test(link)) return;
    ui.whatsapp.href = link;
    ui.elsewhere.hidden = false;
  }

  function onSessionConfirm(data) {
    const id = typeof data === "string" ? data : data && typeof data.session_id === "string" ? data.session_id : "";
    if (!id) return;
    if (id !== sessionId) {
      // A new conversation (first visit, or the server did not keep ours): the old transcript
      // belongs to a conversation that no longer exists.
      if (sessionId) save("localStorage", transcriptKey(sessionId), null);
      sessionId = id;
      save("localStorage", SESSION_KEY, id);
      touch(); // a fresh start, not an idle one
      entries = loadTranscript(id);
      renderAll();
    }
    hideBanner();
    setReady(true);
    maybeGreet();
    while (outbox.length && ready) {
      const text = outbox.shift();
      sendMessage(text, text);
    }
  }

  function onBotUttered(data) {
    if (!data || typeof data !== "object") return;
    const text = typeof data.text === "string" ? data.text : "";
    const replies = cleanReplies(Array.isArray(data.quick_replies) ? data.quick_replies : data.buttons);
    if (!text.trim() && !replies.length) return; // images, custom payloads: not shown
    if (ending) {
      // the server's answer to /forget_chat (or a late one of the old conversation): done
      startAfresh(t.ended);
      return;
    }
    touch();
    hideTyping();
    addEntry(withExtras(replies.length ? { from: "bot", text, replies } : { from: "bot", text }, data));
  }

  function connect() {
    if (typeof clientIo !== "function") {
      showBanner(); // the client script loaded but defined nothing usable (e.g. an AMD loader took it)
      return;
    }
    socket = clientIo(server, { path: "/socket.io", reconnection: true, reconnectionDelay: 1000, reconnectionDelayMax: 5000 });
    socket.on("connect", () => {
      everConnected = true;
      hideBanner();
      socket.emit("session_request", { session_id: sessionId || null });
    });
    socket.on("session_confirm", onSessionConfirm);
    socket.on("bot_uttered", onBotUttered);
    socket.on("helpdesk_links", onLinks);
    socket.on("connect_error", () => {
      setReady(false);
      if (everConnected) showBannerSoon();
      else showBanner(); // the very first attempt failed: say so at once
    });
    socket.on("disconnect", (reason) => {
      setReady(false);
      hideTyping();
      showBannerSoon();
      // After a server-side disconnect socket.io does not reconnect by itself.
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1000);
    });
  }

  // ---- Panel ----------------------------------------------------------------------------------

  function open(focus) {
    if (!isOpen) {
      isOpen = true;
      ui.panel.hidden = false;
      ui.root.classList.add("hdc-open");
      ui.launcher.setAttribute("aria-expanded", "true");
      save("sessionStorage", OPEN_KEY, "1");
      autosize();
      scrollToEnd();
      maybeGreet();
    }
    if (focus) ui.input.focus();
  }

  function close(returnFocus) {
    if (!isOpen) return;
    const focusInside = ui.panel.contains(document.activeElement);
    isOpen = false;
    ui.panel.hidden = true;
    ui.root.classList.remove("hdc-open");
    ui.launcher.setAttribute("aria-expanded", "false");
    save("sessionStorage", OPEN_KEY, null);
    if (returnFocus || focusInside) ui.launcher.focus();
  }

  // The textarea grows with its content up to the CSS max-height, then scrolls.
  function autosize() {
    const input = ui.input;
    input.style.height = "auto";
    if (!input.scrollHeight) return; // not rendered yet (panel or stylesheet not there)
    input.style.height = input.scrollHeight + (input.offsetHeight - input.clientHeight) + "px";
  }

  function buildUi() {
    ui.root = el("div", { id: "helpdesk-chat", lang });
    ui.root.hidden = true; // shown once the stylesheet is in, so the page never sees it unstyled

    ui.launcher = el("button", { type: "button", class: "hdc-launcher", "aria-expanded": "false", "aria-controls": "hdc-panel" }, [
      icon("M6 3h12a3 3 0 0 1 3 3v8a3 3 0 0 1-3 3h-7l-5 4v-4H6a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3z"),
      el("span", { class: "hdc-launcher-text", text: t.launcher }),
    ]);
    ui.close = el("button", { type: "button", class: "hdc-close", "aria-label": t.close, title: t.close }, [
      icon("M6 6l12 12M18 6L6 18", true),
    ]);
    ui.end = el("button", { type: "button", class: "hdc-end", title: t.endHint, text: t.end });
    const header = el("div", { class: "hdc-header" }, [
      el("div", { class: "hdc-heading" }, [
        el("h2", { id: "hdc-title", class: "hdc-title", text: t.title }),
        (ui.subtitle = el("p", { class: "hdc-subtitle", text: t.subtitle })),
      ]),
      ui.end,
      ui.close,
    ]);
    ui.status = el("div", { class: "hdc-status", role: "alert" });
    ui.status.hidden = true;
    ui.notice = el("div", { class: "hdc-notice", role: "status" });
    ui.notice.hidden = true;
    // tabindex: a scrollable region must be reachable by keyboard to scroll it
    ui.log = el("div", { class: "hdc-messages", role: "log", "aria-live": "polite", "aria-label": t.messages, tabindex: "0" });
    ui.typingText = el("span", { class: "hdc-sr" });
    ui.typing = el("div", { class: "hdc-typing", role: "status" }, [
      el("span", { class: "hdc-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
      ui.typingText,
    ]);
    ui.typing.hidden = true;
    ui.input = el("textarea", { id: "hdc-input", class: "hdc-input", rows: "1", placeholder: t.input, maxlength: String(MAX_LENGTH), autocomplete: "off" });
    ui.send = el("button", { type: "submit", class: "hdc-send", text: t.send });
    ui.send.disabled = true;
    ui.textInstead = el("button", { type: "button", class: "hdc-text-instead", text: t.textInstead });
    ui.textInstead.hidden = true;
    ui.form = el("form", { class: "hdc-form" }, [
      el("label", { for: "hdc-input", class: "hdc-sr", text: t.input }), ui.input, ui.send, ui.textInstead,
    ]);
    ui.whatsapp = el("a", { class: "hdc-whatsapp", target: "_blank", rel: "noopener noreferrer", text: t.whatsapp });
    ui.elsewhere = el("p", { class: "hdc-elsewhere" }, [ui.whatsapp]);
    ui.elsewhere.hidden = true;
    ui.panel = el("div", { id: "hdc-panel", class: "hdc-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "hdc-title" }, [
      header, ui.status, ui.notice, ui.log, ui.typing, ui.form, ui.elsewhere,
    ]);
    ui.panel.hidden = true;
    ui.root.appendChild(ui.launcher);
    ui.root.appendChild(ui.panel);

    ui.launcher.addEventListener("click", () => (isOpen ? close(true) : open(true)));
    ui.close.addEventListener("click", () => close(true));
    ui.end.addEventListener("click", () => {
      endChat();
      ui.input.focus();
    });
    ui.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.isComposing) {
        event.stopPropagation(); // the host page's own Escape handlers are not ours to trigger
        close(true);
      }
    });
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitInput();
    });
    ui.input.addEventListener("keydown", (event) => {
      // Enter sends, Shift+Enter is a newline; Enter that ends an IME composition is neither.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submitInput();
      }
    });
    ui.input.addEventListener("input", autosize);
    ui.textInstead.addEventListener("click", () => {
      codeDeclined = true;
      setInputMode();
      ui.input.focus();
    });

    renderAll();
    document.body.appendChild(ui.root);
  }

  // ---- Start ------------------------------------------------------------------------------------

  // Loads a <link>/<script> from the help desk; while the server is down, keeps trying.
  function loadAsset(create, onload) {
    const node = create();
    node.onload = onload;
    node.onerror = () => {
      node.remove();
      showBanner();
      setTimeout(() => loadAsset(create, onload), ASSET_RETRY);
    };
    document.head.appendChild(node);
  }

  function start() {
    buildUi();
    loadAsset(() => el("link", { rel: "stylesheet", href: server + "/chat/helpdesk-chat.css" }), () => {
      ui.root.hidden = false;
      autosize(); // layout only exists now
      scrollToEnd();
    });
    // Our own client, even when the page has one (its version may not speak to this server);
    // the page's window.io is put back afterwards.
    const hostIo = window.io;
    loadAsset(() => el("script", { src: server + "/chat/socket.io.min.js" }), () => {
      clientIo = window.io;
      if (hostIo) window.io = hostIo;
      connect();
    });
    if (load("sessionStorage", OPEN_KEY) === "1") open(false); // reopen after a reload, focus stays put
    // A page left open (the applicant walked away) forgets the conversation on screen too; a
    // page shown again from the back-forward cache or a background tab checks at once.
    setInterval(checkIdle, IDLE_CHECK);
    document.addEventListener("visibilitychange", checkIdle);
    window.addEventListener("pageshow", checkIdle);
    // Another tab ended the chat or started a new one: this tab follows, rather than keep
    // showing (and saving again) the conversation that was ended.
    window.addEventListener("storage", (event) => {
      if (event.key !== SESSION_KEY || event.newValue === sessionId) return;
      if (ending || !sessionId) return;
      sessionId = null;
      entries = [];
      hideTyping();
      renderAll();
      if (socket && socket.connected) {
        setReady(false);
        socket.emit("session_request", { session_id: event.newValue || null });
      }
    });
  }

  window.HelpdeskChat = Object.freeze({
    open: () => ui.root && open(true),
    close: () => ui.root && close(false),
    end: () => ui.root && endChat(),
    send(text) {
      text = String(text == null ? "" : text).trim();
      if (!text || !ui.root) return false;
      if (sendMessage(text, text)) return true;
      outbox.push(text); // sent once the session is confirmed
      return false;
    },
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
