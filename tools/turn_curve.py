"""Turn-cost curve (`./coach turn-curve`): does a turn get slower as one session grows?

One patient sends a steady mix (check-ins, plan, activity and exercise questions, small talk) for up to 300
turns in one Rasa session, to the coach's real servers and to a stock `rasa init` bot (its own mood mix), the
bots taking turns round after round. Prints each bot's median per 20-turn bucket and the targets' figures,
and draws the curves in `artifacts/turn-curve.svg`. Figures only: nothing is asserted.
"""

from __future__ import annotations

import math
import shutil
import statistics
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from rehab_coach.paths import PROJECT_ROOT
from tools.chat_bench import (
    CHECKIN,
    ONBOARDING,
    START,
    STOCK_TURNS,
    TURN_TARGET_MS,
    Load,
    coach_servers,
    stock_bot,
    turn,
)

BUCKET = 20
PLOT = PROJECT_ROOT / "artifacts" / "turn-curve.svg"
# After onboarding, the coach's patient repeats this: a check-in, then questions and small talk.
MIX = [*CHECKIN, "what's my plan today?", "can I run?", "how do I do the calf stretch on a step?", "thanks",
       "how am I doing?", "is relevé OK?", "hello"]


def coach_turns(count: int) -> list[tuple[str, datetime | None]]:
    """The patient's messages, two simulated minutes apart within one day (so only the session grows)."""
    texts = ONBOARDING + CHECKIN[1:]
    texts += [MIX[i % len(MIX)] for i in range(count - len(texts))]
    return [(text, START + timedelta(minutes=2 * i)) for i, text in enumerate(texts[:count])]


def session(url: str, headers: dict[str, str], sender: str,
            turns: Sequence[tuple[str, datetime | None]]) -> list[float]:
    """Each turn's latency in ms, in order (a failed turn is NaN)."""
    load = Load()
    return [math.nan if ms is None else ms for ms in (turn(url, headers, sender, text, now, load)
                                                      for text, now in turns)]


def buckets(rounds: list[list[float]]) -> list[float]:
    """The median of each 20-turn bucket, over every round's turns in it."""
    return [statistics.median(ms for r in rounds for ms in r[start:start + BUCKET] if not math.isnan(ms))
            for start in range(0, min(len(r) for r in rounds), BUCKET)]


def plot(curves: dict[str, list[float]], path: Path = PLOT) -> Path:
    """Each bot's bucket medians against the turn number, as a small hand-written SVG."""
    width, height, left, bottom = 560, 300, 50, 30
    top_ms = max(max(c) for c in curves.values()) * 1.1
    last_turn = BUCKET * max(len(c) for c in curves.values())

    def x(turn_number: float) -> float:
        return left + (width - left - 10) * turn_number / last_turn

    def y(ms: float) -> float:
        return height - bottom - (height - bottom - 10) * ms / top_ms

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
             f'font-size="11">', f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<line x1="{left}" y1="{y(0)}" x2="{width - 10}" y2="{y(0)}" stroke="black"/>',
             f'<line x1="{left}" y1="{y(0)}" x2="{left}" y2="10" stroke="black"/>',
             f'<text x="{width / 2}" y="{height - 4}" text-anchor="middle">turn in the session</text>',
             f'<text x="12" y="{height / 2}" transform="rotate(-90 12 {height / 2})" text-anchor="middle">'
             f'median ms per {BUCKET} turns</text>']
    for tick in range(0, last_turn + 1, 50):
        parts.append(f'<text x="{x(tick):.0f}" y="{y(0) + 14:.0f}" text-anchor="middle">{tick}</text>')
    step = max(10, round(top_ms / 5, -1))
    for level in range(0, int(top_ms) + 1, int(step)):
        parts.append(f'<text x="{left - 4}" y="{y(level) + 4:.0f}" text-anchor="end">{level}</text>')
        parts.append(f'<line x1="{left}" y1="{y(level):.0f}" x2="{width - 10}" y2="{y(level):.0f}" stroke="#ddd"/>')
    for row, (name, medians) in enumerate(curves.items()):
        colour = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")[row % 4]
        points = " ".join(f"{x(i * BUCKET + BUCKET / 2):.1f},{y(ms):.1f}" for i, ms in enumerate(medians))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<text x="{left + 10}" y="{20 + 14 * row}" fill="{colour}">{name}</text>')
    parts.append("</svg>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def report(curves: dict[str, list[float]], whole: dict[str, list[float]]) -> None:
    names = list(curves)
    print("turns     " + "".join(f"{name:>17}" for name in names) + "   (median ms)")
    for i in range(max(len(c) for c in curves.values())):
        cells = "".join(f"{c[i]:17.1f}" if i < len(c) else " " * 17 for c in curves.values())
        print(f"{i * BUCKET:3d}-{i * BUCKET + BUCKET - 1:<3d}   {cells}")
    for name in names:
        medians = curves[name]
        growth = f"{medians[6] / medians[0]:.2f}x (target <= 1.2x)" if len(medians) > 6 else "needs 140 turns"
        print(f"{name}: turns 120-139 over 0-19 {growth}; median turn {statistics.median(whole[name]):.1f} ms"
              f" (coach's target <= {TURN_TARGET_MS:.0f} ms)")


def main(turns: int = 300, rounds: int = 1) -> int:
    folder = Path(tempfile.mkdtemp(prefix="coach-curve-"))
    runs: dict[str, list[list[float]]] = {"coach": [], "stock rasa init": []}
    try:
        for index in range(rounds):
            with coach_servers(Path(tempfile.mkdtemp(dir=folder))) as servers:
                runs["coach"].append(session(servers.webhook, servers.rest_headers, f"curve-{index}",
                                             coach_turns(turns)))
            with stock_bot(folder) as (url, _):
                stock = [(STOCK_TURNS[i % len(STOCK_TURNS)], None) for i in range(turns)]
                runs["stock rasa init"].append(session(url, {"Content-Type": "application/json"}, f"curve-{index}",
                                                       stock))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    failed = {name: sum(math.isnan(ms) for r in rs for ms in r) for name, rs in runs.items()}
    if any(failed.values()):
        print(f"failed turns: {failed}")
    curves = {name: buckets(rs) for name, rs in runs.items()}
    report(curves, {name: [ms for r in rs for ms in r if not math.isnan(ms)] for name, rs in runs.items()})
    print(f"plot: {plot(curves)}")
    return 0
