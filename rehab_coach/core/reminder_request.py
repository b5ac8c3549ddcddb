"""What a patient asks of their daily reminder: "remind me at 7pm", "stop reminders", "pause for a week". Pure.

The reader decides whether a message is a reminder request at all, so a look-alike is None: "remind me how to
do the calf raise" (a question), "I did my exercises at 7pm" (a report), "stop, it hurts" (the check-in's stop),
"should I stop dancing for a week" (an activity question). It reads:
- a time: "7pm", "7.30 pm", "19:30", "1930", "half seven" (7:30), "quarter past 8", "noon", "8 in the evening",
  "seven forty five". An hour of 1-12 with no am/pm and nothing that says morning or evening is unclear: the
  coach asks which rather than guess;
- a time zone: an IANA name, a zone's city ("New York", "Sydney") or another word for it (knowledge/vocabulary.yml
  `places`: "UK", "Britain");
- how long a pause is: "a week", "a fortnight", "3 days", "till the 20th", "until Monday" (None: not said).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from zoneinfo import available_timezones

from rehab_coach.core.model import Knowledge
from rehab_coach.core.quantities import DAYS_PER, MONTH_NAMES, WEEKDAY_NAMES
from rehab_coach.core.text import normalise

ACTIONS = ("set", "stop", "pause", "resume", "ask")


@dataclass(frozen=True)
class ReminderRequest:
    action: str  # one of ACTIONS
    time: str | None = None  # set: "HH:MM"; None: not said (or unclear)
    zone: str | None = None  # set: an IANA time zone; None: not said
    days: int | None = None  # pause: days without reminders from today on; None: not said
    unclear: str | None = None  # set: a time said without morning or evening, as said ("7", "7:30")


ReminderReader = Callable[[str, date], "ReminderRequest | None"]

# Words for the reminders themselves: with one of them a message is about the reminders.
_NAMED = re.compile(r"\b(re?mi?nd(?!ed)\w*|remine?r\w*|unsubscribe|opt out|notification\w*|notifs?|notify|"
                    r"alerts?|nudge\w*|ping\w*|prompts?|messag\w+|msgs?|texts|texting|text me|"
                    r"check[ -]?in (time|thing|message|msg)|daily (thing|one|msg|text)|time ?zone\w*|"
                    r"the \d{1,2}([:.]\d{2})?(am|pm| ?oclock)? one|send(ing)? (it|them)|"
                    r"(it|they) (come|comes|arrive\w*))\b")
# What names a reminder without asking anything of it: "thanks for the reminder", "reminder to self: ...".
_MENTIONED = re.compile(r"\b(((thanks|thank you|thx|ty|cheers) for|got|received|saw|missed|ignored) (the|my|your) "
                        r"(\w+ )?(reminder|nudge|ping|message|msg)s?|reminders? to (self|myself))\b")
# "remind me how to do the calf raise", "remind me what the towel one is": a question, not a request.
_REMIND_WHAT = re.compile(r"\bremind (me|us)( again)? (how|what|which|why|where|who|of|about|if|whether)\b")
# "should I stop dancing for a week": a question about what the patient may do.
_PERMISSION = re.compile(r"\b(should i|can i|could i|may i|do i (need|have) to|is it (ok|okay|safe|fine)|"
                         r"am i allowed|shall i)\b")
_STOP = re.compile(r"\b(stop\w*|cancel\w*|disable|quit|turn (\w+ ){0,3}off|switch (\w+ ){0,3}off|"
                   r"no more|not (want|need)|do not (send|remind|message|text|ping|bother)|not remind|unsubscribe|"
                   r"opt out|no reminders?|no notifications?|no messages|no texts|no longer|get rid|remov\w*|delet\w*|"
                   r"end (the |my |all |these |those )?(reminder|notification|message|msg|ping)s?|no need|"
                   r"any ?more|no remind\w*|(reminders?|notifications?|pings?|messages) off)\b")
_FOR_GOOD = re.compile(r"\b(permanent\w*|for good|forever|altogether|all together)\b")
_PAUSE = re.compile(r"\b(paus\w*|snooze\w*|hold|suspend\w*|break|holiday|vacation|away|skip|mute|weekend|without|"
                    r"(till|til|until) (next \w+|further notice|i (say|tell)|\w+day))\b")
_BARE_PAUSE = re.compile(r"\b(pause|snooze|hold|stop)( (it|them|everything|things|that))? (for|till|til|until)\b")
_RESUME_ALONE = re.compile(r"\b(unpause\w*|unmute\w*|resubscribe\w*)\b")  # nothing else they could mean
# "about stopping", "I paused": the stop or pause said as what was, not what is asked now.
_STOPPED = re.compile(r"\b(stopp(ed|ing)|paus(ed|ing)|cancell?(ed|ing)|turned off)\b")
_RESUME = re.compile(r"\b(start\w*|restart\w*|resum\w*|unpause\w*|reactivat\w*|enable|re-?enable|on again|"
                     r"(them|it|reminders?|notifications?|pings?|messages) back on|back on again|"
                     r"(reminders?|notifications?|pings?) on$|"
                     r"turn (\w+ ){0,3}on|switch (\w+ ){0,3}on|want (\w+ ){0,3}back|bring (\w+ ){0,3}back|"
                     r"again)\b")
_CHANGE = re.compile(r"\b(chang\w*|mov\w*|switch\w*|adjust\w*|make (it|the \w+|my \w+)|put me|instead|earlier|"
                     r"later|different|prefer|rather|better|too early|too late|from now on)\b")
_ZONE_CUE = re.compile(r"\b(time ?zone|zone|local|moved to|move to|moving to|live in|living in|based in|i am in|im in|"
                       r"we are in|we re in|were in|"
                       r"now in|travel+ing to|flying to|put me on|on [a-z ]{1,30} time)\b")
_QUESTION = re.compile(r"\?|\b(when|what time|which|are my|is my|do you)\b")
# A question about the reminder as it is: "is my reminder still on?", "did you change it to 8?", "do I have one?"
_ASKING = re.compile(r"^((wait|hey|hi|so|ok|okay|um|hmm|quick question)\W+)?(is|are|did|do|does|have|has|what|whats|"
                     r"when|whens|which)\b(?! (not|about)\b)|\b(know|check|wonder\w*) (if|whether|when|what)\b")

_TOKEN = re.compile(r"\d{1,2}[:.]\d{2}(?:am|pm)?|\d+(?:am|pm|st|nd|rd|th)?|[a-z]+(?:/[a-z0-9_+-]+)+|[a-z]+|[?!,;]")
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(am|pm)?")
_DIGITS = re.compile(r"(\d{1,4})(am|pm)?")
_AM = {"am", "morning", "mornings", "breakfast"}
_PM = {"pm", "evening", "evenings", "tonight", "night", "nights", "afternoon", "afternoons", "lunch", "lunchtime",
       "dinner", "supper", "teatime"}
_AT = {"at", "for", "to", "around", "about", "by", "till", "until", "before", "is", "be", "it", "reminders",
       "reminder", "me"}
# Before a time said as the one being changed: "7pm instead of 9", "from 9am to 7pm", "the 9am reminder".
_OLD = {"from", "of", "than", "not", "the", "my", "your", "this"}
_PAST = {"past", "after"}
_CLAUSE_ENDS = {",", ";", "or", "either", "but", "instead", "and"}
_SCORE = {"pain", "hurts", "hurt", "sore", "score", "rating"}  # "pain is 3": a score, not a time
_QUANTIFIERS = {"a", "an", "single", "couple", "few", "several", "half"}
_UNTIL = {"till", "til", "until", "before", "back"}
_ZONE_REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@dataclass(frozen=True)
class _Time:
    hour: int  # 0-23 when `clear`, else 1-12
    minute: int
    clear: bool  # am/pm, the 24-hour clock, or morning/evening words said it
    end: int = 0  # the index of the token after it

    @property
    def said(self) -> str:
        return f"{self.hour}:{self.minute:02d}" if self.minute else str(self.hour)


def reminder_reader(knowledge: Knowledge) -> ReminderReader:
    """The reader with the knowledge's number words and place names."""
    numbers = knowledge.language.numbers
    places = _places(tuple(sorted((word, zone) for zone, words in knowledge.places.items() for word in words)),
                     tuple(knowledge.not_places))

    def read(text: str, today: date) -> ReminderRequest | None:
        return read_request(text, today, numbers, places)

    return read


@cache
def _places(aliases: Sequence[tuple[str, str]], not_places: Sequence[str]) -> Mapping[str, str]:
    """Lower-case place name -> IANA zone: each region zone's city ("new york"), then the aliases."""
    cities: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        parts = zone.split("/")
        city = parts[-1].replace("_", " ").lower()
        if len(parts) == 2 and parts[0] in _ZONE_REGIONS and city not in not_places:
            cities.setdefault(city, zone)
    return {**cities, **dict(aliases)}


@cache
def _iana() -> Mapping[str, str]:
    return {zone.lower(): zone for zone in available_timezones()}


def read_request(text: str, today: date, numbers: Mapping[str, float], places: Mapping[str, str]
                 ) -> ReminderRequest | None:
    """The request the message makes of the patient's reminders, or None if it makes none."""
    said = re.sub(r"\b([ap])\.? ?m\b\.?", r"\1m", normalise(text)).replace("o clock", "oclock")
    said = _MENTIONED.sub(" ", re.sub(r"\b(\d{1,2}(?:[:.]\d{2})?) ?om\b", r"\1pm", said)).strip()  # "7om": pm
    tokens = _TOKEN.findall(said)
    named = bool(_NAMED.search(said))
    if _REMIND_WHAT.search(said):  # "remind me what time the daily message comes?" asks; "remind me how to" not
        return ReminderRequest("ask") if _NAMED.search(re.sub(r"\bremind (me|us)\b", " ", said)) else None
    if _PERMISSION.search(said) and not named:
        return None
    times = _times(tokens, numbers)
    when = _with_hint(times[-1], tokens) if times else None  # "the 8am one is too early, can we do 10am": the last
    zone = _zone(tokens, places)
    days = _days(tokens, today, numbers)
    stopping, pausing = bool(_STOP.search(said)), bool(_PAUSE.search(said))
    changing = bool(_CHANGE.search(said))
    if _RESUME_ALONE.search(said) or named and when is None and _last(_RESUME, said) > _last(
            _STOP, _STOPPED.sub(lambda done: " " * len(done[0]), said)):  # "I turned them off, I want them again"
        return ReminderRequest("resume")
    if named and _ASKING.search(said):
        return ReminderRequest("ask")
    about_zone = zone is not None and (named or bool(_ZONE_CUE.search(said)) or _followed_by_time(tokens, zone, places)
                                       or _after_a_time(tokens, zone, places))
    said_when = when is not None and (named and (changing or not (stopping or pausing))
                                      or changing and not _reported(said))
    if said_when or about_zone and not (stopping or pausing):
        if when is None or when.clear:
            return ReminderRequest("set", f"{when.hour:02d}:{when.minute:02d}" if when else None, zone)
        return ReminderRequest("set", zone=zone, unclear=when.said)
    bare_pause = _BARE_PAUSE.search(said)
    if named and (stopping or pausing) or bare_pause and (days is not None or bare_pause[4] != "for"):
        if _FOR_GOOD.search(said):
            return ReminderRequest("stop")
        return ReminderRequest("pause", days=days) if days is not None or pausing else ReminderRequest("stop")
    if not named:
        return None
    if _QUESTION.search(said) and not changing:
        return ReminderRequest("ask")
    if changing or re.search(r"\bre?mi?nd (me|us)\b", said):
        return ReminderRequest("set")
    return None  # "thanks for the reminder"


def _last(words: re.Pattern[str], said: str) -> int:
    """Where the last of `words` starts in `said`; -1 if none is there."""
    return max((found.start() for found in words.finditer(said)), default=-1)


def _reported(said: str) -> bool:
    """ "I did my exercises at 7pm": what the patient did, not what they ask."""
    return bool(re.search(r"\b(i|we) (did|went|had|was|woke|got|finished|started)\b", said))


def _times(tokens: Sequence[str], numbers: Mapping[str, float]) -> list[_Time]:
    """Every time of day said, in order, leaving out one said as the time being changed ("instead of 9")."""
    hours = {w: int(v) for w, v in numbers.items() if v == int(v) and 1 <= v <= 12 and w not in _QUANTIFIERS}
    minutes = {w: int(v) for w, v in numbers.items() if v == int(v) and 0 <= v <= 59 and w not in _QUANTIFIERS}
    found = []
    i = 0
    while i < len(tokens):
        time, end = _time_at(tokens, i, hours, minutes)
        score = end == i + 1 and _SCORE & set(tokens[max(i - 3, 0):i])
        if time is not None and not (i and tokens[i - 1] in _OLD) and not score:
            found.append(replace(time, end=end))
        i = max(end, i + 1)
    return found


def _time_at(tokens: Sequence[str], i: int, hours: Mapping[str, int], minutes: Mapping[str, int]
             ) -> tuple[_Time | None, int]:
    """The time of day starting at tokens[i], and the index after it."""
    token, after = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else ""
    meridiem = after if after in ("am", "pm") else None
    if after in DAYS_PER:  # "for 3 days"
        return None, i + 1
    if token in ("noon", "midday"):
        return _Time(12, 0, True), i + 1
    if token == "midnight":
        return _Time(0, 0, True), i + 1
    if token in ("half", "quarter") or (token in minutes or token.isdigit()) and after in (*_PAST, "to"):
        time, end = _past_or_to(tokens, i, hours, minutes)
        if time is not None or not token.isdigit():
            return time, end
    clock = _CLOCK.fullmatch(token)
    if clock:
        hour, minute, meridiem = int(clock[1]), int(clock[2]), clock[3] or meridiem
        return _clock(hour, minute, meridiem, twenty_four=token.startswith("0") or hour >= 13), i + (2 if meridiem
                                                                                                   and not clock[3]
                                                                                                   else 1)
    digits = _DIGITS.fullmatch(token)
    if digits:
        value, meridiem = digits[1], digits[2] or meridiem
        end = i + (2 if meridiem and not digits[2] else 1)
        if len(value) == 4 or len(value) == 3 and meridiem:
            return _clock(int(value[:-2]), int(value[-2:]), meridiem, twenty_four=len(value) == 4), end
        if len(value) > 2 or not (meridiem or (i and tokens[i - 1] in _AT) or after in ("oclock", "ish", "in",
                                                                                       "tonight", "tomorrow")):
            return None, i + 1
        return _clock(int(value), 0, meridiem, twenty_four=value.startswith("0") or int(value) >= 13), end
    if token in hours and (i and tokens[i - 1] in _AT or after in ("oclock", "am", "pm")):
        minute, end = (minutes[after], i + 2) if minutes.get(after, 0) >= 10 else (0, i + 1)  # "seven thirty"
        if minute in (20, 30, 40, 50) and end < len(tokens) and 0 < minutes.get(tokens[end], 10) < 10:  # "forty five"
            minute, end = minute + minutes[tokens[end]], end + 1
        meridiem = tokens[end] if end < len(tokens) and tokens[end] in ("am", "pm") else None
        return _clock(hours[token], minute, meridiem), end + (1 if meridiem else 0)
    return None, i + 1


def _past_or_to(tokens: Sequence[str], i: int, hours: Mapping[str, int], minutes: Mapping[str, int]
                ) -> tuple[_Time | None, int]:
    """ "half past seven", "half seven" (7:30, as in Britain), "quarter to 9", "ten past 6"."""
    token = tokens[i]
    offset = {"half": 30, "quarter": 15}.get(token) or minutes.get(token) or (int(token) if token.isdigit() else 0)
    j = i + 1
    relation = tokens[j] if j < len(tokens) and tokens[j] in (*_PAST, "to") else ("past" if token == "half" else None)
    j += 1 if relation and j < len(tokens) and tokens[j] == relation else 0
    hour_token = tokens[j] if j < len(tokens) else ""
    hour = hours.get(hour_token) or (int(hour_token) if hour_token.isdigit() and 1 <= int(hour_token) <= 12 else None)
    if relation is None or hour is None or offset not in (5, 10, 15, 20, 25, 30):
        return None, i + 1
    if relation == "to":
        hour, offset = hour - 1 or 12, 60 - offset
    return _clock(hour, offset, None), j + 1


def _clock(hour: int, minute: int, meridiem: str | None, twenty_four: bool = False) -> _Time | None:
    if minute > 59 or hour > 23 or (meridiem and not 1 <= hour <= 12):
        return None
    if meridiem:
        return _Time(hour % 12 + (12 if meridiem == "pm" else 0), minute, True)
    return _Time(hour, minute, twenty_four or hour == 0)


def _with_hint(time: _Time, tokens: Sequence[str]) -> _Time:
    """An hour of 1-12 made clear by words for morning or evening anywhere in the message."""
    if time.clear:
        return time
    after = list(itertools.takewhile(lambda token: token not in _CLAUSE_ENDS, tokens[time.end:time.end + 4]))
    am, pm = bool(_AM & set(after)), bool(_PM & set(after))  # "9 in the morning instead of the evening"
    if am == pm:
        am, pm = bool(_AM & set(tokens)), bool(_PM & set(tokens))
    if am == pm:
        return time
    if pm and time.hour == 12 and ({"night", "nights"} & set(tokens)):  # "12 at night"
        return _Time(0, time.minute, True)
    return _Time(time.hour % 12 + (12 if pm else 0), time.minute, True)


def _zone(tokens: Sequence[str], places: Mapping[str, str]) -> str | None:
    """The first time zone named: an IANA name, or a place (up to three words)."""
    for i, token in enumerate(tokens):
        for length in (3, 2, 1):
            name = " ".join(tokens[i:i + length])
            if len(tokens[i:i + length]) == length and name in places:
                return places[name]
        if token in _iana():
            return _iana()[token]
    return None


def _after_a_time(tokens: Sequence[str], zone: str, places: Mapping[str, str]) -> bool:
    """ "10 pm IST", "6pm pacific": the place names the clock of the time before it."""
    return any(re.fullmatch(r"am|pm|\d{1,4}(am|pm)|\d{1,2}[:.]\d{2}(am|pm)?", tokens[i - 1])
               and places.get(tokens[i], _iana().get(tokens[i])) == zone for i in range(1, len(tokens)))


def _followed_by_time(tokens: Sequence[str], zone: str, places: Mapping[str, str]) -> bool:
    """ "New York time", "London time": the place names the clock."""
    return any(tokens[i + 1] == "time" and places.get(tokens[i]) == zone for i in range(len(tokens) - 1))


def _days(tokens: Sequence[str], today: date, numbers: Mapping[str, float]) -> int | None:
    """How many days from today on a pause lasts: "for a week", "3 days", "till the 20th", "until Monday"."""
    for i, token in enumerate(tokens):
        unit = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in ("fortnight", "fortnights") and (not i or tokens[i - 1] not in numbers):
            return 14
        count = int(token) if token.isdigit() else numbers.get(token)
        if unit == "of" and i + 2 < len(tokens):  # "a couple of days"
            unit = tokens[i + 2]
        if count and unit in ("hours", "hrs") and count % 24 == 0:  # "48 hours"
            return int(count // 24)
        if count and unit in DAYS_PER and count == int(count):
            half = tokens[i + 2:i + 5] == ["and", "a", "half"]  # "a week and a half"
            return round((count + 0.5 * half) * DAYS_PER[unit])
        if token == "tomorrow" and (not i or tokens[i - 1] not in _UNTIL):  # "no reminder tomorrow": one day
            return 1
        if token == "this" and unit == "week":
            return 7 - today.weekday()
        if token in _UNTIL:
            day = _date(tokens[i + 1:i + 5], today)
            if day is not None:
                return (day - today).days
    return None


def _date(tokens: Sequence[str], today: date) -> date | None:
    """The day the words name, after today: "the 20th", "20th of december", "dec 20", "monday", "tomorrow"."""
    words = [t for t in tokens if t not in ("the", "of", "on", "next", "this")]
    if not words:
        return None
    if words[0] == "tomorrow":
        return today + timedelta(days=1)
    if words[0] == "week" and tokens[0] == "next":
        return today + timedelta(days=7 - today.weekday())
    if words[0] in WEEKDAY_NAMES and tokens[0] == "next":  # this week's or the next? the coach asks
        return None
    if words[0] in WEEKDAY_NAMES:
        return today + timedelta(days=(WEEKDAY_NAMES[words[0]] - today.weekday()) % 7 or 7)
    month = next((MONTH_NAMES[w] for w in words[:3] if w in MONTH_NAMES), None)
    day_said = next((w for w in words[:3] if re.fullmatch(r"\d{1,2}(st|nd|rd|th)?", w)), None)
    if day_said is None:
        return None
    day = int(re.sub(r"\D", "", day_said))
    for ahead in range(13):  # the first such day after today
        year, month_ahead = divmod(today.month - 1 + ahead, 12)
        if month is not None and month_ahead + 1 != month:
            continue
        try:
            found = date(today.year + year, month_ahead + 1, day)
        except ValueError:
            continue
        if found > today:
            return found
    return None
