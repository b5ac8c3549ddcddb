import { test } from "node:test";
import assert from "node:assert/strict";
import { CHART, chartPoints, pointsAttr } from "../src/chart.js";

const plotBottom = CHART.height - CHART.bottom;
const plotRight = CHART.width - CHART.right;

test("pain 10 is at the top, 0 at the bottom; dates spread across the width", () => {
  const pts = chartPoints([["2024-05-01", 10], ["2024-05-03", 0]]);
  assert.deepEqual(pts.map((p) => [p.x, p.y]), [[CHART.left, CHART.top], [plotRight, plotBottom]]);
});

test("x follows the calendar, so a gap in check-ins shows", () => {
  const pts = chartPoints([["2024-05-01", 5], ["2024-05-02", 5], ["2024-05-11", 5]]);
  const plotW = plotRight - CHART.left;
  assert.equal(pts[1].x, Math.round((CHART.left + plotW / 10) * 10) / 10);
  assert.equal(pointsAttr(pts).split(" ").length, 3);
});

test("one check-in sits in the middle; nothing to plot gives no points", () => {
  const [p] = chartPoints([["2024-05-01", 4]]);
  assert.equal(p.x, CHART.left + (plotRight - CHART.left) / 2);
  assert.deepEqual(chartPoints([]), []);
  assert.deepEqual(chartPoints([["bad", 3]]), []);
});
