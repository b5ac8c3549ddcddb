// Bot Markdown -> HTML string. Pure (no DOM), so the unit tests can check what reaches the page.
// Two layers: here raw HTML in the Markdown is escaped and only safe link schemes survive;
// in the browser DOMPurify then cleans the result again (render.js) in case this layer has a gap.

import { Marked } from "marked";

const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

const SAFE_HREF = /^(https?:|mailto:|tel:)/i;

// A private instance, so a host page that also uses `marked` cannot change our options or vice versa.
const md = new Marked({
  gfm: true,
  breaks: true, // the coach writes one sentence per line; keep those breaks
  renderer: {
    // The coach never needs raw HTML: show it as text instead of interpreting it.
    html: ({ text }) => escapeHtml(text),
    link({ href, title, tokens }) {
      const text = this.parser.parseInline(tokens);
      if (!SAFE_HREF.test(href ?? "")) return text;
      const t = title ? ` title="${escapeHtml(title)}"` : "";
      return `<a href="${escapeHtml(href)}"${t} target="_blank" rel="noopener noreferrer">${text}</a>`;
    },
    // No remote images: they would leak that the patient is reading, and the CSP blocks them anyway.
    image: ({ text }) => escapeHtml(text),
  },
});

export function markdownToHtml(text) {
  return md.parse(String(text ?? ""), { async: false });
}
