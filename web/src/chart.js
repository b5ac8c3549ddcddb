// Pure geometry of the pain chart: [[date, pain], ...] -> SVG coordinates. No DOM.

export const CHART = { width: 300, height: 120, left: 24, right: 8, top: 8, bottom: 20 };

const dayNumber = (iso) => Date.parse(`${iso}T00:00:00Z`) / 86400000;

/**
 * One point per check-in. x follows the calendar (a missed week shows as a gap, not a squeeze);
 * y maps pain 0..10 onto the plot area, 10 at the top. A single day sits in the middle.
 */
export function chartPoints(trend, box = CHART) {
  const valid = (trend ?? []).filter(([d, v]) => Number.isFinite(dayNumber(d)) && Number.isFinite(v));
  if (valid.length === 0) return [];
  const plotW = box.width - box.left - box.right;
  const plotH = box.height - box.top - box.bottom;
  const days = valid.map(([d]) => dayNumber(d));
  const first = Math.min(...days);
  const span = Math.max(...days) - first;
  return valid.map(([date, value], i) => ({
    date,
    value,
    x: round(box.left + (span === 0 ? plotW / 2 : ((days[i] - first) / span) * plotW)),
    y: round(box.top + plotH - (Math.min(Math.max(value, 0), 10) / 10) * plotH),
  }));
}

/** The polyline's `points` attribute. */
export const pointsAttr = (points) => points.map((p) => `${p.x},${p.y}`).join(" ");

const round = (n) => Math.round(n * 10) / 10;
