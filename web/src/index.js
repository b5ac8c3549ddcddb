// Entry point of rehab-chat.js: exposes window.RehabChat and mounts the widget described by the
// <script> tag's data attributes (unless the tag has data-manual).

import { mount } from "./widget.js";

// Only valid while this script first runs, so read it now.
const script = document.currentScript;

/** Widget options from the script tag: data-server, data-token, data-title, ... */
export function optionsFromScript(el) {
  const d = el.dataset;
  return {
    // Default server: where the script came from (the Rasa server serves both).
    server: d.server || (el.src ? new URL(el.src, location.href).origin : location.origin),
    token: d.token,
    tokenFromHash: "tokenFromHash" in d && d.tokenFromHash !== "false",
    title: d.title,
    color: d.color,
    mode: d.mode,
    target: d.target,
    emergencyNumber: d.emergencyNumber,
  };
}

window.RehabChat = { mount };

if (script && !("manual" in script.dataset)) {
  const start = () => {
    const options = optionsFromScript(script);
    const target = options.mode === "inline" ? document.querySelector(options.target || "#chat") : document.body;
    if (!target) {
      console.error(`rehab-chat: inline target ${options.target} not found`);
      return;
    }
    mount(target, options);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}
