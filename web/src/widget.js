// The widget: shadow-root DOM, the socket.io conversation and the composer.

import { io } from "socket.io-client";
import css from "./styles.css";
import { h, renderMessage, setAnswersEnabled } from "./render.js";
import { textColourOn } from "./labels.js";

const DEMO_SESSION_KEY = "rehab-chat-demo-session";
const TYPING_TIMEOUT_MS = 20000;
const JUST_USED_MS = 60000; // a reply within this long after the patient acted may take focus

const storage = {
  // localStorage throws in some sandboxed iframes and private modes; the demo then just starts afresh.
  get(key) {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch {
      /* not fatal */
    }
  },
};

/** `#token=...` from the page address (the clinic sends patients a link carrying their token). */
export function tokenFromHash(hash = location.hash) {
  return new URLSearchParams(String(hash).replace(/^#/, "")).get("token") || null;
}

/**
 * Mount a chat widget. Inline mode fills `element`; bubble mode adds a floating button to `element`
 * (default: document.body). Returns {open, close, destroy}.
 */
export function mount(element, options = {}) {
  const opts = {
    server: options.server || location.origin,
    title: options.title || "Rehab Coach",
    color: options.color || "#0b5394",
    mode: options.mode === "inline" ? "inline" : "bubble",
    emergencyNumber: options.emergencyNumber || "",
    token: options.token || (options.tokenFromHash ? tokenFromHash() : null),
  };
  const container = element || (opts.mode === "inline" && options.target && document.querySelector(options.target)) || document.body;
  const demo = !opts.token; // anonymous demo: the browser remembers the session id

  const host = h("div", { class: "rehab-chat", "data-mode": opts.mode });
  host.style.setProperty("--rc-primary", opts.color);
  const onPrimary = textColourOn(opts.color);
  host.style.setProperty("--rc-on-primary", onPrimary);
  // The primary colour as text on white only when it is dark enough; a light brand colour gets dark text.
  host.style.setProperty("--rc-accent", onPrimary === "#fff" ? opts.color : "#1f1f1f");
  const root = host.attachShadow({ mode: "open" });

  // The page's main heading when the widget is the page (chat.html), else a section heading.
  const titleLevel = opts.mode === "inline" && !document.querySelector("h1") ? 1 : 2;
  const log = h("div", { class: "rc-log", role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "0" });
  const alertBox = h("div", { class: "rc-alert", role: "alert", hidden: true });
  const status = h("div", { class: "rc-status", role: "status" });
  const typing = h("div", { class: "rc-typing", role: "status" });
  const input = h("textarea", { id: "rc-input", name: "message", rows: "1", autocomplete: "off", placeholder: "Type a message" });
  const send = h("button", { type: "submit", class: "rc-send" }, "Send");
  const form = h("form", { class: "rc-composer" }, h("label", { for: "rc-input", class: "rc-sr" }, "Message"), input, send);
  const panel = h(
    "section",
    { class: "rc-panel", id: "rc-panel", "aria-label": opts.title },
    h("header", { class: "rc-header" }, h(`h${titleLevel}`, {}, opts.title)),
    alertBox,
    log,
    status,
    typing,
    form,
  );
  const style = h("style", {}, css);
  let launcher = null;
  if (opts.mode === "bubble") {
    launcher = h("button", { type: "button", class: "rc-launcher", "aria-controls": "rc-panel" });
    launcher.innerHTML =
      '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
    launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
    root.append(style, panel, launcher);
  } else {
    root.append(style, panel);
  }
  container.append(host);

  let socket = null;
  let sessionId = null;
  let ready = false; // connected, and the server confirmed a session and sent its history
  const waiting = []; // what the patient sent before that: sent once ready, never dropped
  let fatal = false; // refused or closed by the server: no retry, composer off
  let lastUsed = 0;
  let typingTimer = null;
  let lastError = null; // the server's last chat_error: the reason to show if it then hangs up

  // --- rendering -----------------------------------------------------------------------------

  const answerGroups = () => [...log.querySelectorAll(".rc-answers")];
  const ctx = (active) => ({
    emergencyNumber: opts.emergencyNumber,
    active: active && !fatal,
    onAnswer: answer,
    level: titleLevel + 1,
  });

  function append(msg, active = false) {
    log.append(renderMessage(msg, ctx(active)));
    log.scrollTop = log.scrollHeight;
  }

  function renderHistory(messages) {
    log.replaceChildren();
    messages.forEach((m, i) => append(m, i === messages.length - 1 && m.sender !== "user"));
  }

  function setTyping(on) {
    clearTimeout(typingTimer);
    typing.textContent = on ? "Coach is typing…" : "";
    if (on) typingTimer = setTimeout(() => setTyping(false), TYPING_TIMEOUT_MS);
  }

  function showAlert(message) {
    alertBox.textContent = message;
    alertBox.hidden = false;
    log.scrollTop = log.scrollHeight; // the alert box takes room from the log: keep the newest in view
  }

  function clearAlert() {
    if (!fatal) alertBox.hidden = true;
  }

  function showFatal(message) {
    fatal = true;
    ready = false;
    showAlert(message || "The chat is not available right now.");
    status.textContent = "";
    setTyping(false);
    input.disabled = true;
    send.disabled = true;
    answerGroups().forEach((g) => setAnswersEnabled(g, false));
  }

  // --- conversation --------------------------------------------------------------------------

  // The browser's time zone: the coach takes it as the patient's until they choose one (checked on the server).
  function deviceZone() {
    try {
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      return zone ? { timezone: zone } : {};
    } catch {
      return {};
    }
  }

  function say(text) {
    if (fatal || !text) return false;
    if (!ready) {
      waiting.push(text);
      status.textContent = "Connecting… your message will be sent as soon as the chat is ready.";
      return true;
    }
    socket.emit("user_uttered", { message: text, session_id: sessionId, metadata: deviceZone() });
    clearAlert();
    lastError = null;
    answerGroups().forEach((g) => setAnswersEnabled(g, false)); // only an unanswered question stays clickable
    append({ sender: "user", text, timestamp: new Date().toISOString() });
    lastUsed = Date.now();
    setTyping(true);
    return true;
  }

  function answer(text) {
    // The clicked button is about to be disabled; keep keyboard users inside the widget.
    if (say(text)) input.focus();
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (say(input.value.trim())) {
      input.value = "";
      input.style.height = "";
    }
  });
  input.addEventListener("input", () => {
    // Grow with the text up to the CSS max-height (CSSOM writes are allowed by the CSP).
    input.style.height = "auto";
    input.style.height = `${input.scrollHeight + 2}px`;
  });
  input.addEventListener("keydown", (e) => {
    // Enter sends, Shift+Enter adds a line; leave Enter alone while an IME is composing.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  function onBotMessage(m) {
    setTyping(false);
    clearAlert();
    const isQuestion = m.custom?.kind === "question";
    if (isQuestion) answerGroups().forEach((g) => setAnswersEnabled(g, false));
    append({ ...m, sender: "bot" }, isQuestion);
    const first = log.lastElementChild?.querySelector(".rc-answers button:not([disabled])");
    const focusInside = root.activeElement !== null;
    const focusIdle = !document.activeElement || document.activeElement === document.body;
    if (first && !panel.hidden && (focusInside || (focusIdle && Date.now() - lastUsed < JUST_USED_MS))) first.focus();
  }

  function connect() {
    if (socket) return;
    status.textContent = "Connecting…";
    socket = io(opts.server, {
      path: "/socket.io",
      auth: opts.token ? { token: opts.token } : {},
      transports: ["websocket", "polling"],
    });
    socket.on("connect", () => {
      status.textContent = "";
      socket.emit("session_request", demo ? { session_id: storage.get(DEMO_SESSION_KEY) } : {});
    });
    socket.on("session_confirm", (id) => {
      sessionId = typeof id === "string" ? id : id?.session_id;
      if (demo && sessionId) storage.set(DEMO_SESSION_KEY, sessionId);
    });
    socket.on("history", (data) => {
      renderHistory(Array.isArray(data?.messages) ? data.messages : []);
      ready = !fatal;
      if (ready) status.textContent = "";
      waiting.splice(0).forEach(say);
    });
    socket.on("bot_uttered", (m) => onBotMessage(m ?? {}));
    socket.on("chat_error", (data) => {
      // Some problems end the chat (the server disconnects next), others only fail one turn
      // ("please send that again"): show the reason now, disable the composer only on disconnect.
      lastError = data?.reason || "Something went wrong.";
      setTyping(false);
      showAlert(lastError);
    });
    socket.on("connect_error", (err) => {
      ready = false;
      // socket.active is false when the server refused us (middleware error): retrying cannot help.
      if (!socket.active) showFatal(err?.message);
      else if (!fatal) status.textContent = "Reconnecting…";
    });
    socket.on("disconnect", (reason) => {
      ready = false;
      if (fatal) return;
      if (socket.active) status.textContent = "Reconnecting…";
      else if (reason === "io server disconnect") {
        showFatal(lastError || "The chat was closed. Please reload the page to start again.");
      }
    });
  }

  // --- bubble --------------------------------------------------------------------------------

  function open() {
    connect();
    if (!launcher) return;
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", "Close chat");
    const active = log.querySelector(".rc-answers button:not([disabled])");
    (active || (input.disabled ? launcher : input)).focus();
    log.scrollTop = log.scrollHeight;
  }

  function close() {
    if (!launcher) return;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", "Open chat");
    launcher.focus();
  }

  if (launcher) {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", "Open chat");
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") close();
    });
  } else {
    connect(); // inline: the page is the chat
  }

  return {
    open,
    close,
    destroy() {
      setTyping(false);
      socket?.disconnect();
      host.remove();
    },
  };
}
