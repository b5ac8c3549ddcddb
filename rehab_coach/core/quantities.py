"""Counts, durations and ages stated in a message: "only 2 steps", "a month and a half", "since August",
"since Saturday" (it's Wednesday now), "my daughter is 12". Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from rehab_coach.core.reading import Reading

_MONTH_DAYS = 365 / 12
DAYS_PER = {"day": 1, "days": 1, "week": 7, "weeks": 7, "wk": 7, "wks": 7, "fortnight": 14, "fortnights": 14,
             "month": _MONTH_DAYS, "months": _MONTH_DAYS, "mth": _MONTH_DAYS, "mths": _MONTH_DAYS, "year": 365,
             "years": 365, "yr": 365, "yrs": 365}
_STEPS = {"step", "steps"}
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
MONTH_NAMES = {**{m: i + 1 for i, m in enumerate(_MONTHS)},
                **{m[:3]: i + 1 for i, m in enumerate(_MONTHS) if m != "may"}, "sept": 9}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_NAMES = {**{d: i for i, d in enumerate(_WEEKDAYS)}, **{d + "s": i for i, d in enumerate(_WEEKDAYS)},
                  **{d[:3]: i for i, d in enumerate(_WEEKDAYS)}}
_AGE_BEFORE = (("i", "am"), ("im",), ("i", "m"), ("aged",), ("age",), ("he", "is"), ("she", "is"), ("hes",),
               ("shes",), ("he", "s"), ("she", "s"), ("son", "is"), ("daughter", "is"), ("child", "is"),
               ("kid", "is"), ("boy", "is"), ("girl", "is"), ("son",), ("daughter",), ("child",), ("mum",),
               ("mom",), ("dad",))
_AGE_AFTER = (("year", "old"), ("years", "old"), ("yr", "old"), ("yrs", "old"), ("yo",), ("y", "o"), ("yrs",))
_SINCE = ("since", "from", "on", "last", "at", "over", "after")
_ORDINALS = {"second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5, "5th": 5, "sixth": 6,
             "6th": 6, "seventh": 7, "7th": 7}
_DAY_WORDS = {"day", "morning", "night", "evening"}


@dataclass(frozen=True)
class Quantities:
    steps: tuple[float, ...] = ()  # step counts ("could only take 2 steps")
    days: tuple[float, ...] = ()  # durations, in days
    ages: tuple[float, ...] = ()


def _number(tokens: Sequence[str], i: int, words: Mapping[str, float]) -> tuple[float, int] | None:
    """The number starting at tokens[i] and the index after it: '2', '1.5', 'six', 'a couple of',
    'one and a half', 'a month and a half' is handled by the caller ('a' = 1, then 'and a half')."""
    token = tokens[i]
    if token.replace(".", "", 1).isdigit():
        value, end = float(token), i + 1
    elif token in words:
        value, end = float(words[token]), i + 1
        if token in ("a", "an") and end < len(tokens) and tokens[end] in ("couple", "few"):
            value, end = float(words[tokens[end]]), end + 1
        if token == "half" and end < len(tokens) and tokens[end] in ("a", "an"):
            end += 1
    else:
        return None
    if end < len(tokens) and tokens[end] == "of":
        end += 1
    if tokens[end:end + 3] == ["and", "a", "half"]:
        value, end = value + 0.5, end + 3
    elif end + 1 < len(tokens) and tokens[end] in ("-", "to", "or") and tokens[end + 1].isdigit():
        value, end = max(value, float(tokens[end + 1])), end + 2  # "2-3 steps": the higher
    return value, end


def quantities(reading: Reading, today: date, words: Mapping[str, float]) -> Quantities:
    tokens = list(reading.texts)
    steps: list[float] = []
    days: list[float] = []
    ages: list[float] = []
    for i in range(len(tokens)):
        found = _number(tokens, i, words)
        if found is None:
            continue
        value, end = found
        unit = tokens[end] if end < len(tokens) else ""
        if unit in _STEPS and tokens[i] not in ("a", "an"):
            steps.append(value)
        elif unit in DAYS_PER and not _followed(tokens, end + 1, (("old",),)):
            amount = value * DAYS_PER[unit]
            if tokens[end + 1:end + 4] == ["and", "a", "half"]:  # "a month and a half"
                amount += DAYS_PER[unit] / 2
            days.append(amount)
        stated = _followed(tokens, end, _AGE_AFTER) or (
            _preceded(tokens, i, _AGE_BEFORE) and unit not in DAYS_PER and unit not in _STEPS)
        if tokens[i][0].isdigit() and value < 100 and stated:
            ages.append(value)
    days += _since_dates(tokens, today)
    days += [float(_ORDINALS[t]) for i, t in enumerate(tokens[:-1]) if t in _ORDINALS and tokens[i + 1] in _DAY_WORDS]
    return Quantities(tuple(steps), tuple(days), tuple(ages))


def _preceded(tokens: Sequence[str], i: int, heads: Sequence[tuple[str, ...]]) -> bool:
    before = [t for t in tokens[max(0, i - 3):i] if t not in ("(", "-")]
    return any(tuple(before[-len(h):]) == h for h in heads)


def _followed(tokens: Sequence[str], i: int, tails: Sequence[tuple[str, ...]]) -> bool:
    after = [t for t in tokens[i:i + 4] if t not in ("-", ")")]
    return any(tuple(after[:len(t)]) == t for t in tails)


def _since_dates(tokens: Sequence[str], today: date) -> list[float]:
    """Days since a named month or weekday after 'since', 'on', 'last' ...; "it's Wednesday" sets today."""
    weekday_now = today.weekday()
    for i, token in enumerate(tokens):
        if token in WEEKDAY_NAMES and i > 0 and tokens[i - 1] in ("its", "s", "now", "today", "is"):
            weekday_now = WEEKDAY_NAMES[token]
    found = []
    for i, token in enumerate(tokens[1:], start=1):
        if tokens[i - 1] not in _SINCE and not (i > 1 and tokens[i - 2] in _SINCE and tokens[i - 1] in ("the",)):
            continue
        if token in MONTH_NAMES:
            month = MONTH_NAMES[token]
            year = today.year if month <= today.month else today.year - 1
            found.append(float((today - date(year, month, 1)).days))
        elif token in WEEKDAY_NAMES:
            found.append(float((weekday_now - WEEKDAY_NAMES[token]) % 7 or 7))
        elif token == "christmas":
            year = today.year if (today.month, today.day) >= (12, 25) else today.year - 1
            found.append(float((today - date(year, 12, 25)).days))
        elif token == "weekend":
            found.append(float((weekday_now - 5) % 7 or 7))
    return found
