"""Which exercise or activity a patient means, from anything they might say. Pure.

Exercises: every exercise of the catalogue scores points for the message (rules.yml `resolution`) — its
name or an alias, each of its concepts the message mentions (what it targets, uses and does:
exercises.yml `concepts`), and whether it is in today's plan. One exercise clearly ahead is the winner;
the exercises close behind the best make a near tie ("which one?"); without enough evidence there is no
candidate. `among` narrows the choice to the exercises the patient was just offered and reads ordinals
("the second").

Activities: the catalogue's synonyms and phrases, the longest phrase winning where two overlap (so
"walking down the stairs" is going down stairs, not walking, and an exercise's name is not an activity);
an activity right after a set-aside cue ("skip the jumps") is not asked about; hints ("class",
"training") count only when nothing else is named. An activity the catalogue has no advice on yet
(activities.yml `not_covered`) is named as such, with the closest ones that have advice.

Every phrase is matched by `PhraseBook` on the project's reading of the message (lemmas, gaps, one typo),
with hyphens read as spaces ("5-a-side", "two-footed", "knee-to-wall").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rehab_coach.core.engine import Plan
from rehab_coach.core.model import CONCEPT_GROUPS, Activity, Exercise, Knowledge, UncoveredActivity
from rehab_coach.core.phrases import _GAP_MARK, Match, PhraseBook
from rehab_coach.core.reading import Reader, Reading
from rehab_coach.core.redflags import english_words

# Phrase-list names are "kind:id".
_EXERCISE, _CONCEPT, _ACTIVITY, _HINT, _UNCOVERED = "exercise", "concept", "activity", "hint", "uncovered"


@dataclass(frozen=True)
class ExerciseResolution:
    """The exercises a message may mean, best first: one is a clear winner, several a near tie, none no candidate."""

    candidates: tuple[Exercise, ...] = ()

    @property
    def winner(self) -> Exercise | None:
        return self.candidates[0] if len(self.candidates) == 1 else None


@dataclass(frozen=True)
class ActivityResolution:
    activities: tuple[Activity, ...] = ()  # asked about, in the message's order
    uncovered: tuple[UncoveredActivity, ...] = ()  # asked about, but the catalogue has no advice on them yet
    closest: tuple[Activity, ...] = ()  # to name when something asked about has no advice, or nothing known is


def _kind(match: Match) -> tuple[str, str]:
    kind, _, ident = match.name.partition(":")
    return kind, ident


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _joined(reading: Reading) -> Reading:
    """The reading with hyphens dropped, so that "two-footed" reads as "two footed"."""
    return Reading(reading.text, tuple(t for t in reading if t.text != "-"))


class Resolver:
    """Compiled from the knowledge once; `exercise` and `activities` read one message each."""

    def __init__(self, knowledge: Knowledge, read: Reader, known_words: frozenset[str] = frozenset()) -> None:
        self.knowledge = knowledge
        self.rules = knowledge.rules.resolution

        def literal(phrase: str) -> str:  # a name as words: "Calf lowering: up on two, down on one"
            return " ".join(t.text for t in read(phrase) if not t.punct)

        names = {f"{_EXERCISE}:{e.id}": [literal(n) for n in (e.name, *e.aliases)]
                 for e in knowledge.exercises.values()}
        concepts = {f"{_CONCEPT}:{c.id}": c.phrases for c in knowledge.concepts.values()}
        self.exercise_book = PhraseBook({**names, **concepts}, read, known_words)
        self.activity_book = PhraseBook({
            **{f"{_ACTIVITY}:{a.id}": [*map(literal, a.synonyms), *a.phrases] for a in knowledge.activities.values()},
            **{f"{_HINT}:{a.id}": a.hints for a in knowledge.activities.values()},
            **{f"{_UNCOVERED}:{u.id}": u.phrases for u in knowledge.uncovered.values()},
            **names,  # an exercise's name is not an activity: "seated calf raises" is not "calf raises"
        }, read, known_words)
        # What can be said of each exercise: its name, and its concepts.
        self.describes = {e.id: frozenset({(_EXERCISE, e.id)} | {(_CONCEPT, c) for group in CONCEPT_GROUPS
                                                                 for c in getattr(e, group)})
                          for e in knowledge.exercises.values()}
        self.set_aside = PhraseBook({"set_aside": knowledge.set_aside}, read, lemmas=False)
        by_number: dict[str, list[str]] = {}
        for word, number in self.rules.ordinals.items():
            by_number.setdefault(str(number), []).append(f"={word}")
        self.ordinals = PhraseBook(by_number, read, lemmas=False)

    def exercise(self, reading: Reading, plan: Plan | None = None, among: Sequence[str] = ()) -> ExerciseResolution:
        """The exercises the message means; with `among` (the choices just offered) an ordinal picks one of them,
        and a message that fits none of them is read against the whole catalogue."""
        reading = _joined(reading)
        among = [ident for ident in among if ident in self.knowledge.exercises]  # a slot may outlive a rename
        if among:
            picked = self._ordinal(reading, among)
            if picked is not None:
                return ExerciseResolution((self.knowledge.exercises[picked],))
            narrowed = self._rank(reading, plan, among)
            if narrowed.candidates:
                return narrowed
        return self._rank(reading, plan, self.knowledge.exercises)

    def _ordinal(self, reading: Reading, among: Sequence[str]) -> str | None:
        said = {int(match.name) for match in self.ordinals.find(reading)}
        if len(said) != 1:
            return None
        number = said.pop()
        index = number - 1 if number > 0 else len(among) + number
        return among[index] if 0 <= index < len(among) else None

    def _details(self, reading: Reading) -> dict[str, frozenset[tuple[str, str]]]:
        """What the message says of each exercise it says anything of: its name, the concepts of its own."""
        found = {_kind(match) for match in _longest(self.exercise_book.find(reading))}
        return {ident: own & found for ident, own in self.describes.items() if own & found}

    def _points(self, detail: tuple[str, str]) -> int:
        kind, ident = detail
        return self.rules.points["names" if kind == _EXERCISE else self.knowledge.concepts[ident].group]

    def _rank(self, reading: Reading, plan: Plan | None, ids: Collection[str]) -> ExerciseResolution:
        """The exercises within `clear_lead` of the best described; today's plan settles a tie between exercises
        described alike."""
        rules = self.rules
        details = {ident: said for ident, said in self._details(reading).items() if ident in ids}
        evidence = {ident: sum(map(self._points, said)) for ident, said in details.items()}
        evidence = {ident: points for ident, points in evidence.items() if points >= rules.min_points}
        if not evidence:
            return ExerciseResolution()
        best = max(evidence.values())
        close = [ident for ident, points in evidence.items() if best - points < rules.clear_lead]
        in_plan = {ident: self._plan_points(ident, plan) for ident in close}
        if len({details[ident] for ident in close}) == 1:  # described alike
            top = max(in_plan.values())
            close = [ident for ident in close if top - in_plan[ident] < rules.clear_lead]
        order = list(self.knowledge.exercises)
        close.sort(key=lambda ident: (-evidence[ident] - in_plan[ident], order.index(ident)))
        return ExerciseResolution(tuple(self.knowledge.exercises[i] for i in close[:rules.max_choices]))

    def _plan_points(self, ident: str, plan: Plan | None) -> int:
        if plan is None or plan.dose(ident) is None:
            return 0
        return self.rules.points["in_programme"] + self.rules.points["in_session"] * plan.in_session(ident)

    def activities(self, reading: Reading, sport: str | None = None) -> ActivityResolution:
        """The activities the message asks about, those without advice yet, and the closest ones with advice
        (for a patient whose sport is `sport` when the message names nothing the coach knows)."""
        reading = _joined(reading)
        asides = self.set_aside.find(reading)
        found = [m for m in _longest(self.activity_book.find(reading)) if not _overlaps(m, asides)]
        mentioned = [m for m in found if _kind(m)[0] == _ACTIVITY]
        asked = [m for m in mentioned if not self._set_aside(m, asides, reading)]
        uncovered = _unique(ident for kind, ident in map(_kind, found) if kind == _UNCOVERED)
        if not uncovered:
            asked = asked or mentioned or [m for m in found if _kind(m)[0] == _HINT]
        activities = _unique(_kind(m)[1] for m in sorted(asked, key=lambda m: m.start))
        closest = _unique(c for u in uncovered for c in self.knowledge.uncovered[u].closest if c not in activities)
        if not activities and not closest:
            by_sport = self.knowledge.rules.avoid_today.by_sport
            closest = list(by_sport.get(sport or "other", by_sport["other"]))
        return ActivityResolution(
            tuple(self.knowledge.activities[a] for a in activities),
            tuple(self.knowledge.uncovered[u] for u in uncovered),
            tuple(self.knowledge.activities[c] for c in closest[:self.rules.closest]),
        )

    def _set_aside(self, match: Match, asides: Sequence[Match], reading: Reading) -> bool:
        """Right after a set-aside cue ("skip the jumps", "instead of running"), within the clause."""
        return any(cue.end <= match.start <= cue.end + self.rules.set_aside_window
                   and not any(t.punct for t in reading.tokens[cue.end:match.start]) for cue in asides)


def _longest(matches: Sequence[Match]) -> list[Match]:
    """Drop a match that is one of the words of a longer match of another name ("calf" in "calf stretch on the
    step", "walking" in "walking down a steep hill"); a word a gap skipped belongs to no phrase ("big toe" in
    "press my big toe down" still counts)."""
    def within(m: Match, other: Match) -> bool:
        return (other.name != m.name and other.start <= m.start and m.end <= other.end
                and other.end - other.start > m.end - m.start
                and (_GAP_MARK not in other.phrase or m.start == other.start or m.end == other.end))

    return [m for m in matches if not any(within(m, other) for other in matches)]


def _overlaps(match: Match, others: Iterable[Match]) -> bool:
    """The match shares a word with one of `others` (the "skip" of "skip the jumps" is no skipping)."""
    return any(match.start < other.end and other.start < match.end for other in others)


def asked_about(resolver: Resolver, reading: Reading) -> str | None:
    """What a message names or describes: "activity", "exercise", "both", or None."""
    found = resolver.activities(reading)
    activity, exercise = bool(found.activities or found.uncovered), bool(resolver.exercise(reading).candidates)
    return "both" if activity and exercise else "activity" if activity else "exercise" if exercise else None


@lru_cache(maxsize=4)
def resolver_for(knowledge: Knowledge, read: Reader) -> Resolver:
    """One compiled resolver per knowledge object and reader, with the English word list for typos."""
    return Resolver(knowledge, read, english_words())
