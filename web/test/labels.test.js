process.env.TZ = "UTC"; // formatTime shows local time; pin the zone so the expectations hold anywhere

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  checkinRows,
  choiceButton,
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
  textColourOn,
  urgencyHeading,
} from "../src/labels.js";

test("choice labels are human words and send what the server parses", () => {
  assert.equal(humanise("giving_way"), "Giving way");
  assert.deepEqual(choiceButton("mechanical", "giving_way"), { label: "Giving way", send: "giving way" });
  assert.deepEqual(choiceButton("adherence", "all"), { label: "All of it", send: "all of it" });
  assert.deepEqual(choiceButton("adherence", "none"), { label: "None of it", send: "none of it" });
  assert.deepEqual(choiceButton("sport", "other"), { label: "Something else", send: "other" });
  assert.deepEqual(choiceButton("swelling", "none"), { label: "None", send: "none" });
  assert.deepEqual(choiceButton("mechanical", "none"), { label: "None", send: "none" });
});

test("a choice question's own labels name its buttons, and the names are what the user says", () => {
  const q = { kind: "question", field: "exercise", type: "choice", choices: ["towel_curls", "band_dorsiflexion"],
              labels: ["Towel scrunches", "Band foot pull-ups"] };
  assert.deepEqual(questionButtons(q), [{ label: "Towel scrunches", send: "towel scrunches" },
                                        { label: "Band foot pull-ups", send: "band foot pull-ups" }]);
});

test("a 0-10 scale gives eleven buttons named 'n out of 10'", () => {
  const buttons = questionButtons({ kind: "question", field: "pain_rest", type: "scale", min: 0, max: 10 });
  assert.equal(buttons.length, 11);
  assert.deepEqual(buttons[4], { label: "4", name: "4 out of 10", send: "4" });
  assert.equal(buttons[10].name, "10 out of 10");
});

test("an outcome questionnaire's item can be skipped, with a button of its own", () => {
  const q = { kind: "question", field: "psfs_1", type: "scale", min: 0, max: 10, measure: "psfs", item: "jumps",
              skippable: true };
  assert.deepEqual(questionButtons(q).at(-1), { label: "Skip", send: "skip" });
  assert.equal(questionButtons(q).length, 12);
  assert.deepEqual(questionButtons({ type: "text", field: "psfs_activities", skippable: true }),
                   [{ label: "Skip", send: "skip" }]);
});

test("yes/no gives two buttons; number and text questions give none", () => {
  assert.deepEqual(questionButtons({ type: "yesno", field: "diagnosed" }).map((b) => b.send), ["yes", "no"]);
  assert.deepEqual(questionButtons({ type: "number", field: "x" }), []);
  assert.deepEqual(questionButtons({ type: "text", field: "x" }), []);
});

test("times are HH:MM, broken timestamps show nothing", () => {
  assert.equal(formatTime("2024-05-03T07:05:59Z"), "07:05");
  assert.equal(formatTime("2024-05-03T23:30:00+02:00"), "21:30");
  assert.equal(formatTime("not a date"), "");
  assert.equal(formatTime(undefined), "");
  assert.equal(formatDay("2024-05-03"), "3 May");
});

test("doses read as words and leave out what is not set", () => {
  assert.equal(doseWords({ sets: 3, reps: 10, hold_seconds: null, minutes: null, per_day: 2, per_week: null }), "3 × 10 · 2× a day");
  assert.equal(doseWords({ sets: null, reps: null, hold_seconds: 30, minutes: null, per_day: 1 }), "hold 30 s · once a day");
  assert.equal(doseWords({ minutes: 10, per_week: 3 }), "10 min · 3× a week");
  assert.equal(doseWords({}), "");
});

test("escalation headings are the payload's, with the site's emergency number", () => {
  const emergency = "Call your local emergency number now";
  assert.equal(urgencyHeading(emergency, "emergency", "112"), "Call 112 now");
  assert.equal(urgencyHeading(emergency, "emergency", ""), emergency);
  assert.equal(urgencyHeading("See a doctor today", "urgent"), "See a doctor today");
  assert.equal(urgencyHeading(undefined, "routine"), "Routine");  // a payload from before headings
});

test("summaries and badges carry words", () => {
  assert.equal(progressSummary({ days: 14, checkins: 12, phase_number: 2 }), "Day 14 · 12 check-ins · phase 2");
  assert.equal(painChartLabel([["2024-05-01", 6], ["2024-05-02", 4], ["2024-05-03", 2]]), "Worst daily pain from 6 to 2 over 3 check-ins");
  assert.equal(painChartLabel([]), "No pain scores recorded yet");
  assert.equal(dayClassLabel("amber"), "Amber day");
  assert.deepEqual(checkinRows({ pain_rest: 1, swelling: "mild", adherence: "some" }), [
    ["Pain at rest", "1 / 10"],
    ["Swelling", "Mild"],
    ["Plan done", "Some of it"],
  ]);
});

test("text on the primary colour is white on dark colours, black on light ones", () => {
  assert.equal(textColourOn("#0b5394"), "#fff");
  assert.equal(textColourOn("#ffd166"), "#000");
  assert.equal(textColourOn("rebeccapurple"), "#fff");
});

test("a plan card shows today's session and the first activities to avoid; the rest wait behind 'N more'", () => {
  const plan = {
    exercises: [{ id: "a", name: "A" }],
    more_exercises: [{ id: "b", name: "B" }, { id: "c", name: "C" }],
    avoid: ["pointe", "demi_pointe", "dance_class"],
    avoid_names: ["Pointe work", "Demi-pointe", "Dance class"],
    avoid_shown: 2,
  };
  const lists = planLists(plan);
  assert.deepEqual(lists.today.map((e) => e.id), ["a"]);
  assert.deepEqual(lists.otherDays.map((e) => e.id), ["b", "c"]);
  assert.deepEqual(lists.avoidShown, ["Pointe work", "Demi-pointe"]);
  assert.deepEqual(lists.avoidMore, ["Dance class"]);
  assert.equal(otherDaysLabel(2), "2 more exercises on other days");
  assert.equal(otherDaysLabel(1), "1 more exercise on another day");
});

test("asking for everything, or a plan from before avoid_shown, shows every activity to avoid", () => {
  const plan = { avoid: ["running", "jumping"], avoid_shown: 1 };
  assert.deepEqual(planLists({ ...plan, show_all: true }).avoidShown, ["Running", "Jumping"]);
  assert.deepEqual(planLists({ avoid: ["running", "jumping"] }).avoidShown, ["Running", "Jumping"]);
  assert.deepEqual(planLists({ avoid: ["running", "jumping"] }).avoidMore, []);
  assert.deepEqual(planLists({}), { today: [], otherDays: [], avoidShown: [], avoidMore: [] });
});
