"""Read a patient's check-in and onboarding answers from how they actually write them. Pure, no I/O.

`AnswerReader(knowledge, read)("rest 2, exercise 4 and 3 this morning", "pain_rest")` fills every field
the message answers. A value is only accepted when it is unambiguous and inside the contract's range:
anything else becomes a problem, never a silent clamp or guess (shared/reply-contract.md): the domain
response that says so to the patient (`utter_reask_...`, worded in domain.yml) and its values. Allowed
values and ranges come from `rehab_coach.core.contract.QUESTIONS`.

The message is read like every other: tokens from the project's reader (the spaCy pipeline), with
numbers written together split apart ("4/10" -> 4 / 10), and what it negates decided by the shared
ConText component (`rehab_coach.core.context`), the same one the red-flag detector uses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rehab_coach.core.context import Context
from rehab_coach.core.contract import QUESTIONS
from rehab_coach.core.model import PAIN_FIELDS, Knowledge
from rehab_coach.core.reading import Reader, Reading, Token
from rehab_coach.core.text import normalise

YES, NO = "yes", "no"  # the contract's `yesno` answers


@dataclass(frozen=True)
class Problem:
    """Why an answer was not accepted: the domain response that tells the patient, and the values it needs."""

    response: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answers:
    """What one message answers: accepted values by field, and why other answers were not accepted."""

    values: dict[str, object] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)


# --- text -> tokens ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+|[-–—~/,;:.!?()&+\n]")
_CLAUSE_END = {",", ";", ":", ".", "!", "?", "(", ")", "\n", "but", "however", "though", "although", "except",
               "whereas", "while", "apart"}
# Where one labelled pain value ends and the next may begin; ":" stays inside ("rest: 2").
_SEGMENT_END = (_CLAUSE_END - {":"}) | {"and", "&", "+", "then", "plus", "also"}
_NEGATIONS = ("no", "not", "never", "without", "nothing", "none", "neither", "nor", "zero")


class Tokens(list[str]):
    """A message's words, numbers and punctuation, and which of them it negates."""

    def __init__(self, words: Sequence[str], negated: frozenset[int] = frozenset()) -> None:
        super().__init__(words)
        self.negated = negated


def tokenize(text: str) -> Tokens:
    """The words of a phrase in the answer tables (the patient's message goes through `AnswerReader`)."""
    return Tokens(_TOKEN.findall(normalise(text)))


def split_numbers(reading: Reading) -> Reading:
    """The reading with each token cut into the answer reader's pieces: "4/10" -> 4 / 10, emoji dropped."""
    pieces = []
    for token in reading:
        if token.text == "-" and token.spaced:  # a dash ("before work - 2"); "-2" is a minus sign, "4-5" a range
            pieces.append(Token("–", "–", token.sentence, True))
            continue
        parts = _TOKEN.findall(token.text)
        pieces += [token] if parts == [token.text] else [Token(p, p, token.sentence, not p[0].isalnum())
                                                          for p in parts]
    return Reading(reading.text, tuple(pieces))


@lru_cache(maxsize=4)
def reader_for(knowledge: Knowledge, read: Reader) -> AnswerReader:
    """One answer reader per knowledge and reader: compiling the context rules reads hundreds of phrases."""
    return AnswerReader(knowledge, read)


class AnswerReader:
    """Reads answers with the project's reader and the shared ConText rules; call it with (text, requested)."""

    def __init__(self, knowledge: Knowledge, read: Reader) -> None:
        self.read = read
        self.context = Context(knowledge.language, read)

    def tokens(self, text: str) -> Tokens:
        reading = split_numbers(self.read(text or ""))
        scopes = self.context.scopes(reading)
        return Tokens(reading.texts, frozenset(i for i in range(len(reading)) if scopes.negated(i)))

    def __call__(self, text: str, requested: str | None) -> Answers:
        return read_answers(self.tokens(text), requested)

    def yes_no(self, text: str) -> str | None:
        return read_yes_no(self.tokens(text))


def _phrases(*texts: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(tokenize(t)) for t in texts)


def _at(tokens: Sequence[str], start: int, phrase: tuple[str, ...]) -> bool:
    return tuple(tokens[start:start + len(phrase)]) == phrase


def _spans(tokens: Sequence[str], phrases: Iterable[tuple[str, ...]]) -> list[tuple[int, int]]:
    """(start, end) of every occurrence; at one start only the longest phrase counts."""
    found = []
    for start in range(len(tokens)):
        lengths = [len(p) for p in phrases if _at(tokens, start, p)]
        if lengths:
            found.append((start, start + max(lengths)))
    return found


def _has(tokens: Tokens, phrases: Iterable[tuple[str, ...]]) -> bool:
    return bool(_spans(tokens, phrases))


def _negated(tokens: Tokens, start: int) -> bool:
    """The message negates the word at `start` ("did not lock", "no catching or locking"): shared ConText."""
    return start in tokens.negated


def _clause(tokens: Tokens, start: int, end: int) -> tuple[int, int]:
    """The clause around tokens[start:end], bounded by punctuation, 'and', 'but' ..."""
    left = start
    while left > 0 and tokens[left - 1] not in _SEGMENT_END:
        left -= 1
    right = end
    while right < len(tokens) and tokens[right] not in _SEGMENT_END:
        right += 1
    return left, right


def _only(tokens: Tokens, words: set[str], fillers: set[str]) -> bool:
    """True when the message is nothing but one of `words` plus filler ("no thanks", "none at all")."""
    content = [t for t in tokens if t not in fillers and not _is_punct(t)]
    return bool(content) and all(t in words for t in content)


def _is_punct(token: str) -> bool:
    return not token[0].isalnum()


_FILLER = {"i", "it", "its", "is", "was", "a", "the", "just", "um", "erm", "hmm", "ok", "okay", "well", "so",
           "really", "at", "all", "thanks", "thank", "you", "please", "think", "say", "id", "would", "to", "be",
           "honest", "today", "yesterday", "this", "morning", "there", "s", "sorry", "pretty", "much", "of",
           "that", "nothing", "like", "unfortunately"}


# --- pain: numbers, ranges, labels --------------------------------------------------------------------

_WORD_NUMBERS = {"zero": 0, "nil": 0, "nought": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                 "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
                 "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
                 "nineteen": 19, "twenty": 20, "hundred": 100}
# "the left one", "one more set": "one" is a number only when nothing says otherwise.
_NOT_ONE_BEFORE = {"the", "this", "that", "left", "right", "which", "each", "every", "no", "any", "other",
                   "morning", "rest", "resting", "exercise", "evening", "night", "yesterday", "pain", "swelling",
                   "another", "last", "first", "only", "little", "big", "bad", "good", "sore", "same"}
_NOT_ONE_AFTER = {"side", "leg", "foot", "ankle", "day", "time", "more", "thing", "set", "rep", "exercise", "bit",
                  "way", "minute", "of"}
# A number followed by one of these counts something else ("3 sets", "10k", "7am").
_UNITS = {"set", "sets", "rep", "reps", "time", "times", "x", "minute", "minutes", "min", "mins", "hour", "hours",
          "hr", "hrs", "day", "days", "week", "weeks", "month", "months", "year", "years", "am", "pm", "k", "km",
          "mile", "miles", "second", "seconds", "sec", "secs", "s", "percent", "kg", "kgs", "lb", "lbs", "step",
          "steps", "degrees", "th", "st", "nd", "rd", "o", "oclock", "yo", "m", "cm", "hop", "hops", "metres",
          "meters", "laps", "lap", "exercises", "stretches", "round", "rounds", "people", "pills", "tablets"}
_NOT_PAIN_BEFORE = {"day", "week", "phase", "level", "stage", "set", "rep", "number", "of", "x", "for", "by",
                    "size", "since", "after", "last", "under", "over", "every", "page", "version", "plus"}
_RANGE_JOINS = {"-", "–", "—", "to", "or", "~"}
_BEFORE_A_NUMBER = {"is", "was", "about", "around", "like", "maybe", "a", "at", "probably", "just", "only", "to", "or",
                    "and", ",", "–", "-", ":", "of", "be", "s"}
_AT_A_TIME = {"up", "woke", "wake", "waking", "bed", "slept", "sleep", "home", "work", "school", "class", "lunch",
              "started", "start", "back", "finished", "night"}
_HEDGES = {"maybe", "possibly", "perhaps", "probably", "prob", "even"}
_ZERO_ALWAYS = _phrases("no pain", "pain free", "pain - free", "painfree", "does not hurt", "did not hurt",
                        "not hurting", "not sore", "no pain at all", "zero pain", "not painful", "no soreness")
_ZERO_IN_CONTEXT = _phrases("none", "nothing", "not at all", "nada", "nil", "zilch", "fine", "no")
_PAIN_WORDS = {"pain", "hurt", "hurts", "hurting", "sore", "soreness", "ache", "aches", "aching", "painful"}
_ZERO_CONTEXT_ONLY_ALONE = {"fine", "no"}  # too loose to read as 0 inside a longer sentence

_LABELS: dict[str, tuple[tuple[str, ...], ...]] = {
    "pain_rest": _phrases("rest", "resting", "at rest", "right now", "now", "sitting", "sitting down",
                          "at the moment", "atm", "currently", "still", "lying down", "sat down", "lying here",
                          "just lying", "lying in bed", "on the sofa", "sat here", "sitting here"),
    "pain_exercise": _phrases("exercise", "exercises", "exercising", "workout", "training", "class", "activity",
                              "activities", "yesterday", "during", "rehab", "session", "stretches", "stretching",
                              "dance", "dancing", "running", "run", "walk", "walking", "practice", "rehearsal",
                              "gym", "doing them", "doing it", "when i did them", "while doing", "plan",
                              "workouts", "the programme", "the program", "physio exercises", "balance",
                              "heel raises", "calf raises", "game", "match"),
    "pain_morning": _phrases("morning", "mornings", "this am", "woke", "waking", "wake up", "woke up", "got up",
                             "getting up", "get up", "first thing", "out of bed", "on waking", "awake", "wakeup",
                             "when i woke", "morn"),
}


@dataclass(frozen=True)
class _Number:
    start: int
    end: int
    value: float | None  # None: on a scale other than 0-10
    shown: str
    zero_word: bool = False  # "none", "nothing": only a pain answer when pain is the topic


def _plain_number(tokens: Tokens, i: int) -> float | None:
    token = tokens[i]
    if token[0].isdigit():
        return float(token)
    value = _WORD_NUMBERS.get(token)
    if token == "one" and ((i > 0 and tokens[i - 1] in _NOT_ONE_BEFORE)
                           or (i + 1 < len(tokens) and tokens[i + 1] in _NOT_ONE_AFTER
                               and not _at(tokens, i + 1, ("out", "of")))
                           or _names_a_thing(tokens, i)):
        return None
    return None if value is None else float(value)


def _names_a_thing(tokens: Tokens, i: int) -> bool:
    """'the band one', 'that towel one': "one" stands for a thing, not a number."""
    before = tokens[max(0, i - 3):i]
    return bool(before) and before[-1] not in _BEFORE_A_NUMBER and bool({"the", "that", "this", "which"} & set(before))


def _skip_ish(tokens: Tokens, i: int) -> int:
    return i + 1 if i < len(tokens) and tokens[i] == "ish" else i


def _scale_end(tokens: Tokens, i: int) -> tuple[int, float | None]:
    """After a number: '/10', 'out of 10', 'of 10' -> (index after it, the scale's top); else (i, None)."""
    for lead in (("/",), ("out", "of"), ("of",), ("outta",), ("on", "a", "scale", "of")):
        if _at(tokens, i, lead) and i + len(lead) < len(tokens):
            top = _plain_number(tokens, i + len(lead))
            if top is not None:
                return i + len(lead) + 1, top
    return i, None


def _numbers(tokens: Tokens) -> list[_Number]:
    """Every pain-like value: '4', '4/10', 'four out of ten', '4-5', 'between 4 and 5', '-1', 'no pain'."""
    found: list[_Number] = []
    zero_spans = {s: (s, e, False) for s, e in _spans(tokens, _ZERO_IN_CONTEXT)}
    zero_spans.update({s: (s, e, True) for s, e in _spans(tokens, _ZERO_ALWAYS)})
    i = 0
    while i < len(tokens):
        if i in zero_spans:
            start, end, explicit = zero_spans[i]
            found.append(_Number(start, end, 0.0, " ".join(tokens[start:end]), zero_word=not explicit))
            i = end
            continue
        number = _number_at(tokens, i)
        if number is None:
            i += 1
            continue
        found.append(number)
        i = number.end
    return found


def _number_at(tokens: Tokens, i: int) -> _Number | None:
    start = i
    negative = tokens[i] in {"-", "minus"} and i + 1 < len(tokens) and tokens[i + 1][0].isdigit() and (
        i == 0 or _plain_number(tokens, i - 1) is None)
    if negative:
        i += 1
    if tokens[i] == "between" and i + 1 < len(tokens):
        i += 1
    first = _plain_number(tokens, i)
    if first is None or (start > 0 and tokens[start - 1] in _NOT_PAIN_BEFORE and not negative):
        return None
    if start > 1 and tokens[start - 1] == "at" and tokens[start - 2] in _AT_A_TIME:
        return None  # "woke up at 5", "home at 6": a time of day
    i = _skip_ish(tokens, i + 1)
    if i < len(tokens) and tokens[i] in _UNITS:
        return None
    if i + 1 < len(tokens) and tokens[i] == ":" and tokens[i + 1][0].isdigit():
        return None  # a time of day, 7:30
    value = -first if negative else first
    corrected = _correction_end(tokens, i)  # "5 not 3", "5 instead of 3": the value is the first
    if corrected is not None:
        return _Number(start, corrected, value, _shown(tokens[start:i]))
    # A range ("4 or 5", "4-5", "4 to 5", "between 4 and 5", "2, maybe 3"): keep the higher value, so the
    # day is never classed milder than the patient's own upper estimate, the safer side for a rehab plan.
    # A change ("from 5 to 2") reports where the pain is now: the second value.
    second_at = _range_second(tokens, i, between=tokens[start] == "between")
    if second_at is not None:
        second = _plain_number(tokens, second_at)
        if second is not None and (second_at + 1 >= len(tokens) or tokens[second_at + 1] not in _UNITS):
            value = second if start > 0 and tokens[start - 1] == "from" else max(value, second)
            i = _skip_ish(tokens, second_at + 1)
    end, top = _scale_end(tokens, i)
    if top is not None and top != QUESTIONS[PAIN_FIELDS[0]]["max"]:
        return _Number(start, end, None, _shown(tokens[start:end]))
    return _Number(start, end, value, _shown(tokens[start:end]))


_CORRECTIONS = (("not",), ("instead", "of"), ("rather", "than"), ("not", "a"))


def _correction_end(tokens: Tokens, i: int) -> int | None:
    """After a number, 'not 3' / 'instead of 3' / 'rather than 3': the index after the replaced number."""
    for words in _CORRECTIONS:
        after = i + len(words)
        if tuple(tokens[i:after]) == words and after < len(tokens) and _plain_number(tokens, after) is not None:
            return after + 1
    return None


def _range_second(tokens: Tokens, i: int, between: bool) -> int | None:
    """Where the second number of a range starting after tokens[:i] stands, or None if no range joins here."""
    k = i
    if k + 1 < len(tokens) and tokens[k] == "," and tokens[k + 1] in _RANGE_JOINS | _HEDGES:
        k += 1
    if between and k < len(tokens) and tokens[k] == "and":
        return k + 1
    joined = k
    while k < len(tokens) and tokens[k] in _RANGE_JOINS | _HEDGES:
        k += 1
    return k if k > joined and k < len(tokens) else None


def _shown(words: Sequence[str]) -> str:
    """The value as the patient wrote it, near enough: '11/10', '-1', '4-5'."""
    return re.sub(r"\s*([/\-–])\s*", r"\1", " ".join(words))


def _segments(tokens: Tokens, numbers: Sequence[_Number]) -> list[tuple[int, int]]:
    """Clauses that each hold at most a few label/value pairs; a value's own words never split it."""
    inside = {k for n in numbers for k in range(n.start, n.end)}
    cuts = [i for i, t in enumerate(tokens) if t in _SEGMENT_END and i not in inside]
    bounds = [-1, *cuts, len(tokens)]
    return [(a + 1, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a + 1]


@dataclass(frozen=True)
class _Label:
    start: int
    end: int
    field: str


def _labels(tokens: Tokens) -> list[_Label]:
    """Pain labels in order; neighbouring labels of one field merge ("during exercise", "yesterday in class")."""
    found = sorted((s, e, name) for name, phrases in _LABELS.items() for s, e in _spans(tokens, phrases))
    merged: list[_Label] = []
    for start, end, name in found:
        if merged and merged[-1].field == name and start <= merged[-1].end + 1:
            merged[-1] = _Label(merged[-1].start, max(end, merged[-1].end), name)
        elif not merged or start >= merged[-1].end:
            merged.append(_Label(start, end, name))
    return merged


def _pair(labels: list[_Label], numbers: list[_Number]) -> list[tuple[str, _Number]]:
    """Pair labels and values in one clause: 'rest 2 exercise 4' reads label->value, '2 at rest 4 ...' value->label."""
    if len(labels) == 1 and len(numbers) == 1:
        return [(labels[0].field, numbers[0])]
    items: list[_Label | _Number] = sorted([*labels, *numbers], key=lambda x: x.start)
    lead = type(items[0])
    pairs: list[tuple[str, _Number]] = []
    pending: _Label | _Number | None = None
    for item in items:
        if isinstance(item, lead):
            pending = item
        elif pending is not None:
            label, number = (pending, item) if isinstance(pending, _Label) else (item, pending)
            assert isinstance(label, _Label) and isinstance(number, _Number)
            pairs.append((label.field, number))
            pending = None
    return pairs


def _read_pain(tokens: Tokens, requested: str | None) -> tuple[dict[str, object], dict[str, Problem]]:
    """Pain values by field: labelled ones where they say, a single unlabelled one for the requested field."""
    numbers = _numbers(tokens)
    labels = _labels(tokens)
    pain_asked = requested in PAIN_FIELDS
    claimed: dict[str, _Number] = {}
    loose: list[_Number] = []
    waiting: list[_Label] = []  # a clause that is only a label: "this morning? 3"
    for seg_start, seg_end in _segments(tokens, numbers):
        seg_numbers = [n for n in numbers if seg_start <= n.start < seg_end]
        seg_labels = [x for x in labels if seg_start <= x.start < seg_end
                      and not any(n.start <= x.start < n.end for n in seg_numbers)]
        seg_numbers = [n for n in seg_numbers if not n.zero_word or _zero_word_ok(tokens, n, pain_asked)]
        if not seg_labels and len(waiting) == 1 and len(seg_numbers) == 1:
            seg_labels = waiting
        waiting = seg_labels if seg_labels and not seg_numbers else []
        if not seg_labels:
            loose += seg_numbers
        for name, number in _pair(seg_labels, seg_numbers) if seg_labels and seg_numbers else []:
            claimed.setdefault(name, number)
    if requested in PAIN_FIELDS and requested not in claimed:
        real = [n for n in loose if not n.zero_word] or loose
        if len({n.value for n in real}) > 1:  # "4, and it's 4 all the time" says one value
            several = Problem("utter_reask_pain_numbers", {"numbers": ", ".join(n.shown for n in real)})
            return _accept(claimed), {**_reject(claimed), requested: several}
        if real:
            claimed[requested] = real[0]
    return _accept(claimed), _reject(claimed)


def _zero_word_ok(tokens: Tokens, number: _Number, pain_topic: bool) -> bool:
    """'none'/'nothing' mean 0 only when pain is the topic; 'fine'/'no' only as the whole answer."""
    word = tokens[number.start]
    after = tokens[number.end] if number.end < len(tokens) else ""
    if not (pain_topic or _PAIN_WORDS & set(tokens)) or after == "of":  # "none of the balance"
        return False
    if word in _ZERO_CONTEXT_ONLY_ALONE:
        return _only(tokens, {word}, _FILLER | {"pain", "thanks"})
    return not any(t in _CHOICE_TOPIC_WORDS for t in tokens)


def _low() -> int:
    return int(QUESTIONS[PAIN_FIELDS[0]]["min"])


def _high() -> int:
    return int(QUESTIONS[PAIN_FIELDS[0]]["max"])


def _accept(claimed: dict[str, _Number]) -> dict[str, object]:
    accepted: dict[str, object] = {}
    for name, number in claimed.items():
        if number.value is not None and _low() <= number.value <= _high():
            accepted[name] = math.floor(number.value + 0.5)  # half up: "4.5" reads 5, the safer side
    return accepted


def _reject(claimed: dict[str, _Number]) -> dict[str, Problem]:
    problems = {}
    for name, number in claimed.items():
        if number.value is None:
            problems[name] = Problem("utter_reask_pain_scale", {"answer": number.shown})
        elif not _low() <= number.value <= _high():
            problems[name] = Problem("utter_reask_pain_range", {"answer": number.shown})
    return problems


# --- choices --------------------------------------------------------------------------------------------

_SWELLING_WORDS = {"swollen", "swelling", "swell", "swelled", "swells", "puffy", "puffiness", "puffed", "puff",
                   "oedema", "edema", "oedematous", "swolen", "sweling", "swollon", "swolled", "inflamed"}
_MECHANICAL_WORDS = {"catch", "catches", "caught", "catching", "lock", "locks", "locked", "locking", "stuck",
                     "jammed", "jam", "jams", "jamming", "buckled", "buckle", "buckling", "gave", "give", "giving",
                     "gives", "snag", "snagged", "snagging", "seized", "mechanical", "clicking", "clicked"}
_CHOICE_TOPIC_WORDS = _SWELLING_WORDS | _MECHANICAL_WORDS | {"sport", "left", "right", "both", "diagnosed"}

_MARKED = {"very", "really", "quite", "badly", "lot", "lots", "loads", "massively", "huge", "big", "massive",
           "marked", "markedly", "extremely", "super", "severely", "severe", "noticeably", "visibly", "so",
           "significantly", "significant", "bad", "twice", "ballooned", "balloon", "proper", "hugely", "majorly",
           "heavily", "worse", "more", "much", "enormous", "fat", "terrible", "awful", "mega"}
_MILD = {"bit", "slightly", "slight", "little", "mild", "mildly", "touch", "tad", "tiny", "minor", "small",
         "somewhat", "some", "abit", "mildish", "minimal", "faint", "less", "barely", "hardly", "kinda", "kind",
         "sort", "bitty", "wee", "smidge", "fairly", "reduced", "down", "better", "improving", "settling"}
_SWELLING_BARE = {
    "none": _phrases("none", "no", "nope", "nah", "nothing", "zero", "not really", "not at all", "no swelling",
                     "nil", "none at all", "no none", "normal", "looks normal", "fine", "all good", "gone"),
    "mild": _phrases("mild", "mildly", "a bit", "a little", "slightly", "slight", "a touch", "little", "bit",
                     "a tad", "a little bit", "some", "minor", "puffy", "a bit puffy", "tiny bit", "small"),
    "marked": _phrases("marked", "a lot", "very", "lots", "loads", "big", "huge", "quite a lot", "massive",
                       "bad", "severe", "really bad", "very swollen", "markedly", "significant", "really"),
}


def _read_swelling(tokens: Tokens, requested: str | None) -> tuple[object | None, Problem | None]:
    """none | mild | marked, from 'no swelling', 'a bit puffy', 'really swollen' ... (None: not answered)."""
    asked = requested == "swelling"
    levels: list[str] = []
    for i, token in enumerate(tokens):
        if token in _SWELLING_WORDS:
            levels.append(_swelling_level(tokens, i))
    if not levels and asked:
        if any(t in _YES_WORDS for t in tokens):
            levels.append("unsure")  # "yes": swollen, but how much?
        for level in ("marked", "mild", "none"):  # most severe first: "not bad, a bit" is still mild
            if _only_phrases(tokens, _SWELLING_BARE[level]):
                levels.append(level)
        if any(t in {"marked", "mild"} for t in tokens):
            levels += [t for t in tokens if t in {"marked", "mild"}]
    readable = [x for x in levels if x != "unsure"]
    if readable:
        return _most_severe(readable, QUESTIONS["swelling"]["choices"]), None
    if levels and asked:
        return None, Problem("utter_reask_swelling_amount")
    return None, None


def _swelling_level(tokens: Tokens, i: int) -> str:
    left, right = _clause(tokens, i, i + 1)
    before, after = list(tokens[max(left, i - 3):i]), list(tokens[i + 1:min(right, i + 4)])
    if _negated(tokens, i):
        softened = any(t in {"very", "too", "that", "really", "so", "much", "massively", "hugely"} for t in before)
        return "mild" if softened else "none"  # "not very swollen" is still a little swollen
    if any(t in {"gone", "disappeared", "vanished"} for t in after) and not any(t in {"down", "less"} for t in after):
        return "none"  # "the swelling has gone"
    if after[:1] and after[0] in {"none", "nil", "zero", "0", "no", "nope", "nothing"}:
        return "none"  # "swelling none", "swelling: 0"
    if any(t in _MARKED for t in before + after):
        return "marked"
    if any(t in _MILD for t in before + after) or tokens[i] in {"puffy", "puffiness", "puffed", "puff"}:
        return "mild"
    return "unsure"  # plain "swollen": mild or marked matters to the plan, so ask


def _most_severe(found: Iterable[str], order: Sequence[str]) -> str:
    """Several answers for one field: keep the most severe, the one that protects the patient."""
    return max(found, key=list(order).index)


def _only_phrases(tokens: Tokens, phrases: Iterable[tuple[str, ...]]) -> bool:
    """The message is made of `phrases`, give or take filler words and punctuation ("no, it's been fine")."""
    content = [t for t in tokens if not _is_punct(t)]
    spans = _spans(content, phrases)
    covered = {k for s, e in spans for k in range(s, e)}
    rest = [t for k, t in enumerate(content) if k not in covered]
    return bool(spans) and all(t in _FILLER | _ANSWER_FILLER for t in rest)


_ANSWER_FILLER = {"swelling", "swollen", "thats", "thing", "there", "can", "see", "tell", "far", "as", "noticed",
                  "notice", "any", "visible", "seen", "reckon", "been", "has", "have", "ive", "im", "am", "feel",
                  "feels", "looks", "look", "though", "yet", "either", "mate", "coach", "honestly", "apart",
                  "from", "that", "normal", "ish", "ankle", "foot", "my", "on", "the"}


_MECHANICAL_PHRASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "catching": _phrases("catch", "catches", "caught", "catching", "snag", "snagged", "snagging", "catchy",
                         "a catch"),
    "locking": _phrases("lock", "locks", "locked", "locking", "got stuck", "gets stuck", "get stuck", "stuck",
                        "jammed", "jam", "jams", "jamming", "seized", "seized up", "locked up", "lockin"),
    "giving_way": _phrases("gave way", "give way", "gives way", "giving way", "gave out", "give out", "gives out",
                           "giving out", "buckled", "buckle", "buckles", "buckling", "collapsed", "went from under me",
                           "gave in", "unstable", "wobbly", "went over", "gave away"),
}
_NOT_MECHANICAL = _phrases("catch up", "caught up", "catching up", "catch my breath", "caught a cold", "catch you",
                           "catch ya",
                           "catch the bus", "caught the bus", "caught the train", "stuck at", "stuck in",
                           "give it a go", "give it a try", "gave it a go", "gave it a try", "lockdown")
_MECHANICAL_NONE = _phrases("none", "no", "nope", "nah", "nothing", "all fine", "fine", "all good", "good",
                            "not at all", "neither", "none of them", "none of those", "nothing like that",
                            "it was fine", "been fine", "no problems", "nothing at all", "not really", "no issues",
                            "did not", "it did not", "no it did not", "none of that", "all ok", "ok", "normal")


def _read_mechanical(tokens: Tokens, requested: str | None) -> tuple[object | None, Problem | None]:
    """none | catching | locking | giving_way; 'did not lock' and 'no catching' read as none."""
    asked = requested == "mechanical"
    ignored = {k for s, e in _spans(tokens, _NOT_MECHANICAL) for k in range(s, e)}
    present, denied = [], False
    for value, phrases in _MECHANICAL_PHRASES.items():
        for start, _end in _spans(tokens, phrases):
            if start in ignored or "toe" in tokens[max(0, start - 2):start]:
                continue  # "my big toe locks" is about the toe tendon, not the ankle
            if _negated(tokens, start):
                denied = True
            else:
                present.append(value)
    if present:
        return _most_severe(present, QUESTIONS["mechanical"]["choices"]), None
    if denied or (asked and _only_phrases(tokens, _MECHANICAL_NONE)):
        return "none", None
    return None, None


_DONE_VERBS = {"did", "done", "do", "completed", "finished", "managed", "skipped", "missed", "forgot", "got"}
_PLAN_OBJECTS = {"all", "it", "them", "everything", "some", "most", "half", "any", "none", "exercise", "exercises",
                 "plan", "stretches", "rehab", "lot", "bit", "few", "nothing", "programme", "program", "routine",
                 "session", "workout", "homework", "every", "each", "whole", "couple", "part"}
_ADHERENCE_ALL = _phrases("all", "all of it", "everything", "did it all", "did them all", "all of them",
                          "the lot", "the whole lot", "whole thing", "the whole plan", "every exercise",
                          "every single one", "completed it", "finished it", "yes", "yeah", "yep", "yup", "did it",
                          "did them", "i did", "all done", "done", "100", "fully", "every bit", "all the",
                          "all my", "each one", "all of the", "completed", "finished", "full plan", "every one")
_ADHERENCE_SOME = _phrases("some", "some of it", "some of them", "half", "half of it", "most", "most of it",
                           "a few", "part", "partly", "part of it", "a bit", "bits", "a couple", "not all",
                           "not everything", "nearly all", "almost all", "most of them", "only", "mostly",
                           "not all of it", "not the whole", "did not finish", "did not do all", "did not do them all",
                           "did not do everything", "did not complete", "not completely", "not fully", "a little",
                           "some of the", "partially", "halfway", "not quite", "about half", "not every",
                           "nearly everything", "almost everything", "a couple of", "didnt finish")
_ADHERENCE_NONE = _phrases("none", "none of it", "none of them", "nothing", "no", "nope", "nah", "did not",
                           "did not do it", "did not do them", "did not do any", "did not do anything",
                           "skipped it", "skipped them", "skipped everything", "skipped the lot", "skipped",
                           "missed it", "missed them", "forgot", "no time", "did not get round", "did not manage",
                           "not at all", "zero", "did not bother", "did not get a chance", "had a day off",
                           "took a day off", "did not get around", "not done", "not done any", "have not done",
                           "never did", "none at all")
_WHOLE = {"all", "everything", "every", "whole", "lot", "fully", "completed", "finished", "each", "full"}


def _read_adherence(tokens: Tokens, requested: str | None) -> tuple[object | None, Problem | None]:
    """all | some | none; 'not all' is some, 'did not do any' is none, 'yes all of it' is all."""
    asked = requested == "adherence"
    scope = range(len(tokens)) if asked else _plan_clauses(tokens)
    spans = {level: [(s, e) for s, e in _spans(tokens, phrases) if s in scope and not _about_other_field(tokens, s, e)]
             for level, phrases in (("all", _ADHERENCE_ALL), ("some", _ADHERENCE_SOME), ("none", _ADHERENCE_NONE))}
    some_cover = {k for s, e in spans["some"] for k in range(s, e)}
    none_cover = {k for s, e in spans["none"] for k in range(s, e)}
    found = ["some"] * len(spans["some"])
    for s, e in spans["all"]:
        overlaps_none = bool(set(range(s, e)) & none_cover)
        if s in some_cover or _all_is_not_about_plan(tokens, s, e) or (e < len(tokens) and tokens[e] == "not"):
            continue
        if _negated(tokens, s) or overlaps_none:  # "not done all of it" is some; "have not done them" is none
            if _WHOLE & set(tokens[s:e]):
                found.append("some")
            elif not overlaps_none:
                found.append("none")
        else:
            found.append("all")
    found += ["none" for s, e in spans["none"] if not set(range(s, e)) & some_cover and _is_plan_denial(tokens, s, e)]
    if "some" in found or {"all", "none"} <= set(found):
        return "some", None  # mixed: "all the stretches but none of the balance"
    if found:
        return found[0], None
    return None, None


def _about_other_field(tokens: Tokens, start: int, end: int) -> bool:
    """'swelling none', 'no swelling', 'none at rest': an answer to another question, not about the plan."""
    neighbours = {tokens[start - 1] if start > 0 else "", tokens[end] if end < len(tokens) else ""}
    return bool(neighbours & (_CHOICE_TOPIC_WORDS | _PAIN_WORDS | {"rest", "resting", "morning"}))


def _plan_clauses(tokens: Tokens) -> set[int]:
    """Token positions of clauses that report doing the plan ('did all of it', 'skipped them'), unasked."""
    positions: set[int] = set()
    for i, token in enumerate(tokens):
        if token not in _DONE_VERBS:
            continue
        left, right = _clause(tokens, i, i + 1)
        after = tokens[i + 1:right]
        if _asking(tokens, i) or after[:1] in (["how"], ["what"], ["which"], ["to"]):
            continue  # "could i do some jogging", "i forgot how to do the towel one"
        if after[:1] == ["not"] and after[1:2] not in (["do"], ["manage"], ["get"], ["bother"], ["finish"],
                                                         ["complete"], ["have"]):
            continue  # "did not lock": about the ankle, not the plan
        if _PLAN_OBJECTS & set(after[:5]) or (token in {"skipped", "missed", "forgot"}):
            positions |= set(range(left, right))
    return positions


def _asking(tokens: Tokens, i: int) -> bool:
    """The verb at `i` is part of a question or an intention ("can i do", "should i do", "to do")."""
    before = tokens[max(0, i - 2):i]
    return bool(set(before) & {"can", "could", "should", "would", "may", "might", "will", "to", "how", "shall"})


def _all_is_not_about_plan(tokens: Tokens, start: int, end: int) -> bool:
    """'no swelling at all', 'all fine', 'done for the day'; and 'did it' in 'did it catch'."""
    before = tokens[start - 1] if start > 0 else ""
    after = tokens[end] if end < len(tokens) else ""
    if tokens[start] == "all" and (before == "at" or after in {"fine", "good", "ok", "okay", "right", "day", "week",
                                                                  "night", "time", "over", "swollen", "sore"}):
        return True
    return after in {"catch", "lock", "give", "hurt", "swell", "click"}


def _is_plan_denial(tokens: Tokens, start: int, end: int) -> bool:
    """'did not' / 'no' count when about doing the plan, not in 'did not lock' or 'no swelling'."""
    if tuple(tokens[start:end]) in {("did", "not"), ("no",), ("nope",), ("nah",), ("nothing",), ("none",)}:
        after = tokens[end] if end < len(tokens) else ""
        return after in {"", "do", "manage", "get", "bother", "have", "i", ",", ".", "!", "sorry", "unfortunately",
                         "to", "really", "any", "it", "them", "the", "my", "of", "at", "done", "yesterday", "today"}
    return True


_OWNERS = {"my", "its", "the", "is", "in", "are", ",", ".", ";", "–"}  # before a side that names the patient's
_SIDE_NOUNS = {"ankle", "ankles", "foot", "feet", "leg", "legs", "side", "sides", "one", "heel", "heels", "calf"}


def _read_side(tokens: Tokens, requested: str | None) -> tuple[object | None, Problem | None]:
    """left | right | both; unasked, only with a body word ('my right ankle'), so 'right now' never counts."""
    asked = requested == "side"
    found = set()
    for i, token in enumerate(tokens):
        if token not in {"left", "right", "both"}:
            continue
        after = tokens[i + 1:i + 3]
        if token == "right" and (after[:1] in (["now"], ["away"], ["?"]) or tokens[max(0, i - 1)] in {"all", "thats"}):
            continue  # "right now", "all right"
        owned = i == 0 or tokens[i - 1] in _OWNERS  # not "on both feet"
        if asked or (owned and any(t in _SIDE_NOUNS for t in after)):
            found.add(token)
    if found >= {"left", "right"} and not _has(tokens, _phrases("left and right", "right and left", "left & right",
                                                                 "right & left", "left + right")):
        return None, Problem("utter_reask_side_which") if asked else None
    if "both" in found or found >= {"left", "right"}:
        return "both", None
    if found:
        return found.pop(), None
    return None, None


_SPORT_WORDS: dict[str, set[str]] = {
    "dance": {"dance", "dancer", "dancing", "dances", "ballet", "ballerina", "contemporary", "jazz", "tap", "barre",
              "pointe", "ballroom", "salsa", "hiphop", "breakdancing", "choreography", "dancers", "danseur"},
    "running": {"run", "running", "runner", "runs", "jogging", "jog", "jogger", "marathon", "marathons", "parkrun",
                "triathlon", "triathlete", "sprinting", "sprinter", "ultrarunning", "trail", "athletics"},
    "football": {"football", "soccer", "footballer", "futsal", "footy", "footie"},
    "other": {"tennis", "gym", "netball", "rugby", "hockey", "basketball", "cricket", "climbing", "yoga", "cycling",
              "swimming", "gymnastics", "crossfit", "walking", "hiking", "badminton", "squash", "volleyball", "golf",
              "skiing", "skating", "boxing", "karate", "judo", "martial", "pilates", "rowing", "surfing", "skate",
              "skateboarding", "snowboarding", "handball", "lacrosse", "baseball", "softball", "cheerleading",
              "cheer", "trampolining", "parkour", "fencing", "kickboxing", "zumba", "aerobics", "weightlifting",
              "weights", "lifting", "bouldering", "padel", "taekwondo", "wrestling", "mma", "spinning", "bike",
              "biking", "swim", "cycle", "hike", "horse", "riding", "equestrian", "gaelic", "hurling", "pickleball",
              "sports", "sport", "fitness", "circus", "aerial", "acrobatics", "figure", "ice", "capoeira", "bjj"},
}
_SPORT_NONE = _phrases("none", "nothing", "no sport", "no sports", "not really", "i do not", "do not do any",
                       "not sporty", "something else", "other", "no", "nope", "nah", "n / a", "none really",
                       "i do not do sport", "nothing really", "not much")
# Unasked, a sport counts only when the patient describes themselves: "I dance", "I'm a runner".
_SELF_DESCRIPTION = re.compile(r"(?<!can )(?<!could )(?<!should )(?<!may )(?<!do )(?<!will )(?<!when )(?<!if )"
                               r"\bi (?:mainly |mostly |usually |also |mostly just |just )?(?:play|dance|run|do)\b"
                               r"|\b(?:im|i am|i m) an? (?:\w+ )?(?:dancer|runner|footballer|player|ballerina)\b"
                               r"|\bmy (?:main )?(?:sport|pastime|hobby) is\b")
_PLAY = re.compile(r"\b(?:play|do|playing|doing)\s+(?!not\b|any\b|a\b|the\b|it\b|much\b|anything\b|my\b)[a-z]{3,}")


def _read_sport(tokens: Tokens, requested: str | None) -> tuple[object | None, Problem | None]:
    """dance | running | football | other; unasked, only from 'I dance', 'I'm a runner', 'I play netball'."""
    asked = requested == "sport"
    text = " ".join(tokens)
    described = _SELF_DESCRIPTION.search(text)
    if not asked and not described:
        return None, None
    told = tokens if asked else tokens[text[:described.start()].count(" "):] if described else []
    for token in told:  # the first sport named is the main one ("ballet, and a bit of running")
        for sport, words in _SPORT_WORDS.items():
            if token in words:
                return sport, None
    if asked and (_PLAY.search(text) or _only_phrases(tokens, _SPORT_NONE)):
        return "other", None
    return None, None


_YES_WORDS = {"yes", "yeah", "yep", "yup", "ya", "yea", "y", "sure", "correct", "definitely", "indeed", "aye",
              "absolutely", "yh", "ye", "yess", "yas", "affirmative", "course"}
_NO_WORDS = {"no", "nope", "nah", "n", "never", "negative", "nobody", "noone"}
_UNSURE = _phrases("not sure", "no idea", "do not know", "dont know", "dunno", "unsure", "maybe", "not certain",
                   "kind of", "sort of", "not really sure", "can not remember", "do not remember")
_DIAGNOSED_NO = _phrases("not yet", "have not", "has not", "not been", "not seen", "no one", "nobody", "never",
                         "self diagnosed", "self - diagnosed", "diagnosed myself", "googled", "google",
                         "waiting", "on the waiting list", "not diagnosed", "not officially", "no diagnosis")
_DIAGNOSED_YES = _phrases("diagnosed", "physio said", "physio says", "doctor said", "doctor says", "gp said",
                          "told me", "they said", "confirmed", "was told", "physio thinks", "doctor thinks",
                          "mri", "scan", "x ray", "xray", "ultrasound", "consultant", "surgeon", "podiatrist",
                          "physio", "physiotherapist", "doctor", "specialist", "gp", "i have", "they have", "it has",
                          "sports doctor", "orthopaedic", "orthopedic", "impingement")


def _read_diagnosed(tokens: Tokens, requested: str | None) -> tuple[object | None, Problem | None]:
    """yes | no: has a clinician diagnosed the problem; 'not sure' is asked again."""
    asked = requested == "diagnosed"
    content = [t for t in tokens if not _is_punct(t)]
    if not asked:
        if _has(tokens, _phrases("been diagnosed", "was diagnosed", "got diagnosed", "diagnosed me",
                                  "diagnosed it", "diagnosed with")):
            return (NO if _negated(tokens, _spans(tokens, _phrases("diagnosed"))[0][0]) else YES), None
        if _has(tokens, _phrases("not seen anyone", "not seen a physio", "not seen a doctor", "not been diagnosed")):
            return NO, None
        return None, None
    if content and content[0] in _YES_WORDS and not _has(tokens, _UNSURE):
        return YES, None
    if content and content[0] in _NO_WORDS:
        return NO, None
    if _has(tokens, _UNSURE):
        return None, Problem("utter_reask_diagnosed_unsure")
    if _has(tokens, _DIAGNOSED_NO) or any(t in _NO_WORDS | {"not"} for t in content):
        return NO, None
    if _has(tokens, _DIAGNOSED_YES) or any(t in _YES_WORDS for t in content):
        return YES, None
    return None, None


_ABLE = {"can", "could", "able", "managed", "manage", "fine", "ok", "okay"}


def read_yes_no(tokens: Tokens) -> str | None:
    """A safety question's answer: "yes", "no", or None when it is neither ("not sure", a question back).

    A leading yes or no decides; otherwise a negation says no ("I can't", "not really"), and an
    affirmation without one says yes ("I can", "a bit", "it is").
    """
    content = [t for t in tokens if not _is_punct(t)]
    if not content or _has(tokens, _UNSURE):
        return None
    if content[0] in _YES_WORDS:
        return YES
    if content[0] in _NO_WORDS or any(t in _NEGATIONS for t in content):
        return NO
    if set(content) & (_ABLE | _YES_WORDS | {"a", "bit", "little", "it", "is", "they", "are", "i", "did"}):
        return YES
    return None


_CHOICE_READERS = {
    "swelling": _read_swelling,
    "mechanical": _read_mechanical,
    "adherence": _read_adherence,
    "side": _read_side,
    "sport": _read_sport,
    "diagnosed": _read_diagnosed,
}


def _expected(field_name: str) -> Problem:
    """The answer could not be read: what the question expects, restated (one response for the pain scale)."""
    return Problem("utter_reask_pain" if field_name in PAIN_FIELDS else f"utter_reask_{field_name}")


# --- the whole message --------------------------------------------------------------------------------


def read_answers(tokens: Tokens, requested: str | None) -> Answers:
    """Every answer in the message; `requested` is the field the coach just asked for (None: no question open).

    An unlabelled number answers the requested pain field; labelled values ("at rest 2, exercise 4")
    fill their own fields. When the requested field cannot be read, `problems` says why, as the response
    that asks again.
    """
    requested = requested if requested in QUESTIONS else None
    values, problems = _read_pain(tokens, requested)
    for name, reader in _CHOICE_READERS.items():
        value, problem = reader(tokens, requested)
        if value is not None and value in _allowed(name):
            values[name] = value
        elif problem:
            problems[name] = problem
    if requested and requested not in values and requested not in problems:
        problems[requested] = _expected(requested)
    return Answers(values=values, problems=problems)


def _allowed(field_name: str) -> tuple[object, ...]:
    spec = QUESTIONS[field_name]
    return (YES, NO) if spec["type"] == "yesno" else tuple(spec["choices"])
