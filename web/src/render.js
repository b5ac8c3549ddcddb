// DOM for one message of the conversation, following the reply contract (`custom.kind`).
// Wording comes from labels.js; this module only builds elements.

import createDOMPurify from "dompurify";
import { markdownToHtml } from "./markdown.js";
import { CHART, chartPoints, pointsAttr } from "./chart.js";
import {
  STATUS_WORDS,
  VERDICT_WORDS,
  checkinRows,
  dayClassLabel,
  doseWords,
  formatDay,
  formatTime,
  humanise,
  otherDaysLabel,
  painChartLabel,
  planLists,
  progressSummary,
  questionButtons,
  urgencyHeading,
} from "./labels.js";

// Our own DOMPurify instance, so the hook below does not touch a host page's DOMPurify.
const purify = createDOMPurify(window);
purify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

/** h("p", {class: "x"}, "text", child) -> element. Strings become text nodes, never HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    el.setAttribute(k, v === true ? "" : v);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

const SVG = "http://www.w3.org/2000/svg";
function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function markdown(text) {
  const div = h("div", { class: "rc-text" });
  div.innerHTML = purify.sanitize(markdownToHtml(text));
  return div;
}

const list = (items, ordered = false) => h(ordered ? "ol" : "ul", {}, (items ?? []).map((t) => h("li", {}, String(t))));
const badge = (kind, words) => h("span", { class: `rc-badge rc-badge--${kind}` }, words);

/**
 * One message as an <article>. `ctx` = {emergencyNumber, active, onAnswer(send), level}: `active`
 * says whether a question's buttons may be clicked (only the newest unanswered question's may);
 * `level` is the card headings' level (one below the widget's title, so the outline stays valid).
 */
export function renderMessage(msg, ctx) {
  const user = msg.sender === "user";
  const custom = msg.custom && typeof msg.custom === "object" ? msg.custom : null;
  const kind = user ? "text" : (custom?.kind ?? "text");
  const art = h("article", { class: `rc-msg rc-msg--${user ? "user" : "bot"}`, "data-kind": kind });
  art.append(h("span", { class: "rc-sr" }, user ? "You: " : kind === "clinician_message" ? "Your clinic: " : "Coach: "));

  if (user) art.append(h("p", { class: "rc-text" }, String(msg.text ?? "")));
  else art.append(...botBody(kind, msg.text, custom, ctx).filter(Boolean));

  const time = formatTime(msg.timestamp);
  if (time) art.append(h("time", { datetime: msg.timestamp }, time));
  return art;
}

function botBody(kind, text, c, ctx) {
  const hx = (words, sub = 0) => h(`h${ctx.level + sub}`, { class: sub ? "rc-subheading" : "rc-heading" }, words);
  const hasText = typeof text === "string" && text.trim() !== "";
  const body = hasText ? markdown(text) : null;
  // A card shows everything its text says (the text is the plain version other channels get), so
  // the text is shown only where there is no card, or none could be drawn.
  switch (kind) {
    case "question":
      return [c.problem ? h("p", { class: "rc-problem" }, c.problem) : null, body, questionGroup(c, text, ctx)];
    case "escalation":
      return [escalation(c, body, ctx, hx)];
    case "plan":
      return [plan(c, hx)];
    case "exercise_info":
      return [exerciseInfo(c, hx)];
    case "progress":
      return [progress(c, hx)];
    case "checkin_recorded":
      return [checkin(c, hx)];
    case "activity_advice":
      return [activity(c)];
    default:
      return [body];
  }
}

function questionGroup(q, text, ctx) {
  const buttons = questionButtons(q);
  if (buttons.length === 0) return null;
  const group = h("div", {
    class: `rc-answers rc-answers--${q.type}`,
    role: "group",
    "data-field": q.field,
    "aria-label": String(text ?? humanise(q.field)).replace(/[*_`#>]/g, "").trim(),
  });
  for (const b of buttons) {
    const btn = h("button", { type: "button", class: "rc-answer", "aria-label": b.name }, b.label);
    btn.addEventListener("click", () => {
      if (!btn.disabled) ctx.onAnswer(b.send);
    });
    group.append(btn);
  }
  setAnswersEnabled(group, ctx.active);
  return group;
}

/** Enable or disable a question's buttons (both attributes, for styling and for assistive tech). */
export function setAnswersEnabled(group, enabled) {
  for (const btn of group.querySelectorAll("button")) {
    btn.disabled = !enabled;
    if (enabled) btn.removeAttribute("aria-disabled");
    else btn.setAttribute("aria-disabled", "true");
  }
}

function escalation(c, body, ctx, hx) {
  const urgency = ["emergency", "urgent", "routine"].includes(c.urgency) ? c.urgency : "routine";
  return h(
    "div",
    { class: "rc-escalation", role: "alert", "data-urgency": urgency },
    hx(urgencyHeading(c.heading, urgency, ctx.emergencyNumber)),
    body ?? (c.reasons?.length ? list(c.reasons) : null),
  );
}

/** A <details> the patient opens for the rest of a list; open already when they asked for everything. */
const more = (summary, content, open) => h("details", { class: "rc-more", open }, h("summary", {}, summary), content);

const exerciseList = (exercises) =>
  h(
    "ul",
    { class: "rc-exercises" },
    exercises.map((e) =>
      h(
        "li",
        {},
        h("span", { class: "rc-ex-name" }, e.name),
        doseWords(e) ? h("span", { class: "rc-dose" }, doseWords(e)) : null,
        e.note ? h("span", { class: "rc-note" }, e.note) : null,
      ),
    ),
  );

function plan(p, hx) {
  const { today, otherDays, avoidShown, avoidMore } = planLists(p);
  const all = p.show_all === true;
  return h(
    "div",
    { class: "rc-card rc-card--plan" },
    hx(all ? "All your exercises" : "Today's plan"),
    h("p", { class: "rc-phase" }, `Phase ${p.phase_number}: ${p.phase_name ?? humanise(p.phase)}`),
    h(
      "p",
      { class: "rc-plan-status" },
      STATUS_WORDS[p.status] ?? humanise(p.status),
      p.day_class ? [" ", badge(p.day_class, dayClassLabel(p.day_class))] : null,
    ),
    today.length ? [hx(all ? "Today" : "Exercises", 1), exerciseList(today)] : null,
    otherDays.length ? more(otherDaysLabel(otherDays.length), exerciseList(otherDays), all) : null,
    avoidShown.length ? [hx("Avoid today", 1), list(avoidShown)] : null,
    avoidMore.length ? more(`and ${avoidMore.length} more`, list(avoidMore), all) : null,
    p.reasons?.length ? [hx("Why", 1), list(p.reasons)] : null,
  );
}

function exerciseInfo(x, hx) {
  return h(
    "div",
    { class: "rc-card rc-card--exercise" },
    hx(x.name),
    x.target ? h("p", {}, x.target) : null,
    list(x.steps, true),
    exerciseDose(x),
    x.dosage?.note ? h("p", { class: "rc-note" }, x.dosage.note) : null,
    x.equipment?.length ? h("p", {}, h("strong", {}, "You need: "), x.equipment.join(", ")) : null,
  );
}

/** Today's dose; another day's (the exercise takes its turn then); or none (not in the patient's programme). */
function exerciseDose(x) {
  const dose = doseWords(x.dosage);
  const doseLine = (words) => (dose ? h("p", { class: "rc-dose" }, h("strong", {}, words), dose) : null);
  if (x.in_plan !== false) return doseLine("Your dose today: ");
  if (x.in_phase !== true) {
    return h("p", { class: "rc-note" }, "This one isn't in your plan today: check with your physio before adding it.");
  }
  return [
    h("p", { class: "rc-note" }, "Not in today's session: its turn comes on another day."),
    doseLine("Your dose then: "),
  ];
}

function progress(p, hx) {
  return h(
    "div",
    { class: "rc-card rc-card--progress" },
    hx("Your progress"),
    h("p", { class: "rc-summary" }, progressSummary(p)),
    painChart(p.pain_trend ?? []),
  );
}

function painChart(trend) {
  const { width, height, left, right, top, bottom } = CHART;
  const svg = s("svg", { class: "rc-chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": painChartLabel(trend) });
  for (const v of [0, 5, 10]) {
    const y = top + (height - top - bottom) * (1 - v / 10);
    svg.append(s("line", { class: "rc-grid", x1: left, x2: width - right, y1: y, y2: y }));
    svg.append(s("text", { x: left - 4, y: y + 4, "text-anchor": "end" }, String(v)));
  }
  const pts = chartPoints(trend);
  if (pts.length) {
    svg.append(s("polyline", { class: "rc-line", points: pointsAttr(pts) }));
    for (const p of pts) svg.append(s("circle", { class: "rc-dot", cx: p.x, cy: p.y, r: 3 }));
    const y = height - 4;
    svg.append(s("text", { x: pts[0].x, y, "text-anchor": pts.length > 1 ? "start" : "middle" }, formatDay(pts[0].date)));
    if (pts.length > 1) svg.append(s("text", { x: pts.at(-1).x, y, "text-anchor": "end" }, formatDay(pts.at(-1).date)));
  }
  return svg;
}

function checkin(c, hx) {
  return h(
    "div",
    { class: "rc-card rc-card--checkin" },
    hx(["Check-in saved ", c.day_class ? badge(c.day_class, dayClassLabel(c.day_class)) : null]),
    h(
      "dl",
      {},
      checkinRows(c.values).map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v))),
    ),
    c.reasons?.length ? list(c.reasons) : null,
  );
}

function activity(a) {
  const verdict = VERDICT_WORDS[a.verdict] ? a.verdict : "caution";
  return h(
    "div",
    { class: "rc-card rc-card--activity" },
    h("p", {}, h("strong", {}, a.activity_name ?? humanise(a.activity)), " ", badge(verdict, VERDICT_WORDS[verdict])),
    h("p", {}, a.reason),
  );
}
