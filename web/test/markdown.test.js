import { test } from "node:test";
import assert from "node:assert/strict";
import { markdownToHtml } from "../src/markdown.js";

test("raw HTML in bot text is shown as text, never run", () => {
  for (const src of ["<script>alert(1)</script>", "Hi <script>alert(1)</script>", '<img src=x onerror="alert(1)">']) {
    const html = markdownToHtml(src);
    assert.doesNotMatch(html, /<script|<img/i, src);
    assert.match(html, /&lt;(script|img)/);
  }
});

test("links open in a new tab with noopener; unsafe schemes lose the link", () => {
  const html = markdownToHtml("[guide](https://example.org/a) and [x](javascript:alert(1))");
  assert.match(html, /<a href="https:\/\/example.org\/a" target="_blank" rel="noopener noreferrer">guide<\/a>/);
  assert.doesNotMatch(html, /javascript:/);
});

test("ordinary Markdown renders", () => {
  assert.equal(markdownToHtml("**Rest** today\n- ice"), "<p><strong>Rest</strong> today</p>\n<ul>\n<li>ice</li>\n</ul>\n");
});
