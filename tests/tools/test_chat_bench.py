"""The fair race's arithmetic (`./coach chat-bench`), without servers."""

import pytest

from tools.chat_bench import START, Race, mix_turns, ratios, summary


def race(coach_ms: list[float], stock_ms: list[float], coach_per_s: list[float], stock_per_s: list[float]) -> Race:
    return Race({"coach": coach_ms, "stock": stock_ms}, {"coach": coach_per_s, "stock": stock_per_s})


def test_ratios_are_the_coach_over_stock_of_the_bests_and_of_the_medians() -> None:
    # Latency: the best is the lowest; throughput: the highest.
    assert ratios({"coach": [50, 30, 40], "stock": [20, 25, 60]}, lower_is_better=True) == pytest.approx((1.5, 1.6))
    assert ratios({"coach": [10, 30, 20], "stock": [15, 12, 10]}, lower_is_better=False) == pytest.approx((2.0, 5 / 3))


def test_the_summary_judges_each_target_by_the_median_over_the_rounds() -> None:
    races = {
        # Check-in: 1.2x by the medians, 1.8x by the bests: meets >= 1.0x, misses >= 1.5x.
        "check-in": race([35, 45], [50, 50], [36, 12], [20, 20]),
        "everyday": race([41, 41], [30, 30], [9, 9], [10, 10]),
        "mood": race([20, 30], [30, 30], [10, 10], [10, 10]),
    }
    rows = {(what, target): (figure, verdict) for what, target, figure, verdict in summary(races)}

    assert rows["one patient's median turn, check-in mix", "<= 40 ms"] == ("35.0 / 40.0 ms", "met")
    assert rows["one patient's median turn, everyday mix", "<= 40 ms"] == ("41.0 / 41.0 ms", "missed")
    assert rows["20 concurrent patients, check-in mix", ">= 1.0x stock"] == ("1.80x / 1.20x", "met")
    assert rows["20 concurrent patients, check-in mix", ">= 1.5x stock"] == ("1.80x / 1.20x", "missed")
    assert rows["20 concurrent patients, everyday mix", ">= 1.0x stock"] == ("0.90x / 0.90x", "missed")
    assert rows["20 concurrent patients, mood mix", ">= 1.0x stock"] == ("1.00x / 1.00x", "met")
    assert len(rows) == 8  # with the turn curve's, which ./coach turn-curve measures


def test_a_mix_is_sent_once_the_day_after_the_warm_up_in_order() -> None:
    turns = mix_turns(["check in", "1", "done"])

    assert [text for text, _ in turns] == ["check in", "1", "done"]
    times = [now for _, now in turns if now]
    assert times == sorted(times) and len({now.date() for now in times}) == 1
    assert times[0].date() > START.date()  # the warm-up's day
