// Pure wording helpers: payload values -> the words a patient reads. No DOM, so `node --test` covers them.

/** "giving_way" -> "Giving way". */
export function humanise(id) {
  const words = String(id ?? "").replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// Choices whose bare word reads badly as a button ("All" of what?).
const CHOICE_WORDS = {
  adherence: { all: "All of it", some: "Some of it", none: "None of it" },
  sport: { other: "Something else" },
};

/**
 * The button for one choice of a question: `label` is shown, `send` is what the user "says".
 * We send the human words (the server parses free text anyway), except where those words are not
 * a value it knows: "Something else" sends "other". A question may name its choices itself
 * (`labels`: an exercise's or an activity's name for its id).
 */
export function choiceButton(field, choice, named) {
  const label = named ?? CHOICE_WORDS[field]?.[choice] ?? humanise(choice);
  const send = field === "sport" && choice === "other" ? "other" : label.toLowerCase();
  return { label, send };
}

/** The answer buttons a question offers ([] = free text only); a skippable one ends with "Skip". */
export function questionButtons(q) {
  const skip = q.skippable ? [{ label: "Skip", send: "skip" }] : [];
  return [...answerButtons(q), ...skip];
}

function answerButtons(q) {
  if (q.type === "scale") {
    const min = Number.isInteger(q.min) ? q.min : 0;
    const max = Number.isInteger(q.max) ? q.max : 10;
    const buttons = [];
    for (let n = min; n <= max; n++) buttons.push({ label: String(n), name: `${n} out of ${max}`, send: String(n) });
    return buttons;
  }
  if (q.type === "choice") return (q.choices ?? []).map((c, i) => choiceButton(q.field, c, q.labels?.[i]));
  if (q.type === "yesno") return [{ label: "Yes", send: "yes" }, { label: "No", send: "no" }];
  return [];
}

/** "HH:MM" in the reader's local time; "" for a missing or broken timestamp. */
export function formatTime(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return "";
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** "2024-05-03" -> "3 May" (dates in payloads are calendar days, so no time-zone shift). */
export function formatDay(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? "");
  if (!m) return String(day ?? "");
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  return `${Number(m[3])} ${months[Number(m[2]) - 1]}`;
}

export const STATUS_WORDS = { start: "Starting", progress: "Moving on", hold: "Holding steady", regress: "Stepping back" };

/** A dose in words, null fields left out: "3 × 10 · hold 30 s · 2× a day". */
export function doseWords(dose = {}) {
  const has = (v) => v !== null && v !== undefined;
  const parts = [];
  if (has(dose.sets) && has(dose.reps)) parts.push(`${dose.sets} × ${dose.reps}`);
  else if (has(dose.sets)) parts.push(`${dose.sets} ${dose.sets === 1 ? "set" : "sets"}`);
  else if (has(dose.reps)) parts.push(`${dose.reps} reps`);
  if (has(dose.hold_seconds)) parts.push(`hold ${dose.hold_seconds} s`);
  if (has(dose.minutes)) parts.push(`${dose.minutes} min`);
  if (has(dose.per_day)) parts.push(dose.per_day === 1 ? "once a day" : `${dose.per_day}× a day`);
  if (has(dose.per_week)) parts.push(dose.per_week === 1 ? "once a week" : `${dose.per_week}× a week`);
  return parts.join(" · ");
}

/**
 * What a plan card shows, and what it keeps behind "N more": today's session and the rest of the
 * phase; the activities to avoid shown first (`avoid_shown`) and the rest. `show_all` (the patient
 * asked for everything) and plans from before `avoid_shown` existed show every activity.
 */
export function planLists(p = {}) {
  const avoid = p.avoid_names?.length ? p.avoid_names : (p.avoid ?? []).map(humanise);
  const shown = !p.show_all && Number.isInteger(p.avoid_shown) ? Math.max(0, p.avoid_shown) : avoid.length;
  return {
    today: p.exercises ?? [],
    otherDays: p.more_exercises ?? [],
    avoidShown: avoid.slice(0, shown),
    avoidMore: avoid.slice(shown),
  };
}

/** "9 more exercises on other days" / "1 more exercise on another day". */
export function otherDaysLabel(count) {
  return count === 1 ? "1 more exercise on another day" : `${count} more exercises on other days`;
}

export const EMERGENCY_DEFAULT = "your local emergency number";

/**
 * The banner heading: the payload's `heading` (the knowledge's words for the urgency), with the site's emergency
 * number in place of "your local emergency number"; the urgency itself for a payload from before headings.
 */
export function urgencyHeading(heading, urgency, emergencyNumber) {
  const text = heading || urgency.charAt(0).toUpperCase() + urgency.slice(1);
  return emergencyNumber ? text.replace(EMERGENCY_DEFAULT, emergencyNumber) : text;
}

export const VERDICT_WORDS = { avoid: "Avoid", caution: "Caution", ok: "OK" };

/** "green" -> "Green day"; the badge always carries words, never colour alone. */
export function dayClassLabel(dayClass) {
  return dayClass ? `${humanise(dayClass)} day` : "";
}

const VALUE_LABELS = {
  pain_rest: "Pain at rest",
  pain_exercise: "Pain during exercise",
  pain_morning: "Pain on waking",
  swelling: "Swelling",
  mechanical: "Catching or locking",
  adherence: "Plan done",
};

/** Check-in values as [label, value] rows in a fixed, readable order. */
export function checkinRows(values = {}) {
  const rows = [];
  for (const [key, label] of Object.entries(VALUE_LABELS)) {
    if (!(key in values)) continue;
    const v = values[key];
    if (key.startsWith("pain_")) rows.push([label, `${v} / 10`]);
    else if (key === "adherence") rows.push([label, choiceButton(key, v).label]);
    else rows.push([label, humanise(v)]);
  }
  for (const [key, v] of Object.entries(values)) if (!(key in VALUE_LABELS)) rows.push([humanise(key), String(v)]);
  return rows;
}

/** "Day 14 · 12 check-ins · phase 2". */
export function progressSummary(p) {
  const n = p.checkins ?? 0;
  return `Day ${p.days} · ${n} ${n === 1 ? "check-in" : "check-ins"} · phase ${p.phase_number}`;
}

/** What the pain chart shows, for people who cannot see it. */
export function painChartLabel(trend = []) {
  if (trend.length === 0) return "No pain scores recorded yet";
  const first = trend[0][1];
  const last = trend[trend.length - 1][1];
  if (trend.length === 1) return `Worst daily pain ${first} out of 10 on 1 check-in`;
  return `Worst daily pain from ${first} to ${last} over ${trend.length} check-ins`;
}

/** Black or white, whichever reads better on `hex` (so a light custom colour stays legible). */
export function textColourOn(hex) {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(hex).trim());
  if (!m) return "#fff";
  const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join("") : m[1];
  const lum = [0, 2, 4]
    .map((i) => parseInt(h.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
    .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  // Contrast with white is 1.05/(L+0.05), with black (L+0.05)/0.05: pick the larger.
  return 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.05 ? "#fff" : "#000";
}
