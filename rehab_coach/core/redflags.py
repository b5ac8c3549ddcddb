"""Red flags in a patient's message, found by concept with ConText (knowledge/red_flags.yml). Pure.

Safety never rests on a classifier or on one phrase list: this runs on every message and reads
concepts — a body part, a finding, a qualifier, a number — on lemmas, so "my calf has gone fat and
sore since the flight" and "can't put it down at all after I went over on it" are read for what they
say. ConText (knowledge/language.yml) decides which concepts the patient asserts: not negated, not
past and resolved, not hypothetical, not someone else's, not explained away. A flag fires when all the
terms of one of its triggers are asserted; when only a `partial` trigger is, or when an emergency or urgent
sign is all there but explained by something harmless ("blue toes, it's the dye from my socks"), the flag's
safety check asks the questions its clinical rule needs: a serious sign is checked, never dismissed.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import spacy_lookups_data

from rehab_coach.core.context import Context
from rehab_coach.core.knowledge import QUANTITY
from rehab_coach.core.model import SERIOUS, URGENCIES, Knowledge, RedFlag
from rehab_coach.core.phrases import PhraseBook, longest
from rehab_coach.core.quantities import Quantities, quantities
from rehab_coach.core.reading import Reader, Reading

_CLAUSE_ENDS = {".", "!", "?", ";", "\n", "...", "…", ":", "(", ")"}
_COORDINATION = {"and", "or", "&", ",", "/", "my", "the", "both", "of", "its", "it", "s", "whole", "lower", "upper"}
ALARM = "alarm"  # words of worry (knowledge/red_flags.yml) that make the classifier's red flag worth asking about
DEFAULT_PART = "ankle"  # what a finding with no body part in its sentence is about: the patient's ankle


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Inflected forms and lemmas from spaCy's English lookup table (a data file; spaCy is not imported)."""
    path = spacy_lookups_data.get_file("en_lemma_lookup.json.gz")
    with gzip.open(str(path), "rt", encoding="utf-8") as handle:
        table: dict[str, str] = json.load(handle)
    return frozenset(table) | frozenset(table.values())


@dataclass(frozen=True)
class Occurrence:
    concept: str
    start: int
    end: int
    sentence: int
    part: bool
    context: frozenset[str] = frozenset()  # ConText categories other than benign
    benign_for: frozenset[str] = frozenset()  # concepts or part+finding terms a benign cue explains; "*": all


@dataclass(frozen=True)
class Finding:
    red_flag: RedFlag
    matched: tuple[str, ...]  # the words that fired it, for clinicians


@dataclass(frozen=True)
class Findings:
    """What a message says about red flags."""

    fired: tuple[Finding, ...] = ()  # most urgent first
    partial: tuple[Finding, ...] = ()  # some of a flag's evidence: ask its check's questions
    hypothetical: tuple[RedFlag, ...] = ()  # asked about, not present: answer with the warning signs
    suspected: bool = False  # a finding of an emergency or urgent flag (or alarm) said as present
    occurrences: tuple[Occurrence, ...] = field(default=(), repr=False)

    def __bool__(self) -> bool:
        return bool(self.fired)

    @property
    def urgency(self) -> str | None:
        return self.fired[0].red_flag.urgency if self.fired else None


class Detector:
    """Compiled from the knowledge once; `find(reading, today)` reads one message."""

    def __init__(self, knowledge: Knowledge, read: Reader, known_words: frozenset[str] = frozenset()) -> None:
        self.knowledge = knowledge
        self.read = read
        self.parts = set(knowledge.parts)
        self.concepts = PhraseBook({**knowledge.parts, **knowledge.findings}, read, known_words)
        self.context = Context(knowledge.language, read)
        serious = [f for f in knowledge.red_flags if f.urgency in SERIOUS]
        self.suspicious = {name for f in serious for trigger in (*f.triggers, *f.partial) for term in trigger
                           for name in term.split("+") if name in knowledge.findings} - {"pain"} | {ALARM}

    def find_text(self, text: str, today: date) -> Findings:
        return self.find(self.read(text), today)

    def find(self, reading: Reading, today: date) -> Findings:
        occurrences = self._occurrences(reading)
        amounts = quantities(reading, today, self.knowledge.language.numbers)
        evaluate = _Evaluation(self.knowledge, reading, occurrences, amounts, self.parts)
        fired, partial, hypothetical = [], [], []
        for flag in self.knowledge.red_flags:
            matched = evaluate.any_trigger(flag.triggers, flag)
            if matched is not None:
                fired.append(Finding(flag, matched))
                continue
            matched = evaluate.any_trigger(flag.partial, flag)
            if matched is None and flag.urgency in SERIOUS and flag.check:  # explained away: asked, not dismissed
                matched = evaluate.any_trigger(flag.triggers, flag, ignoring="benign")
            if matched is not None:
                partial.append(Finding(flag, matched))
            elif evaluate.any_trigger(flag.triggers, flag, ignoring="hypothetical") is not None:
                hypothetical.append(flag)
        fired.sort(key=lambda f: URGENCIES.index(f.red_flag.urgency))
        suspected = any(o.concept in self.suspicious and not o.context and not o.benign_for for o in occurrences)
        return Findings(tuple(fired), tuple(partial), tuple(hypothetical), suspected, tuple(occurrences))

    def _occurrences(self, reading: Reading) -> list[Occurrence]:
        matched = longest(self.concepts.find(reading))
        scopes = self.context.scopes(reading, matched, [m for m in matched if m.name in self.parts])
        result = []
        for m in matched:
            if scopes.ignored_at(m.start, m.end):
                continue
            context, benign = scopes.of(m.start, m.end)
            result.append(Occurrence(m.name, m.start, m.end, reading[m.start].sentence, m.name in self.parts,
                                     context, benign))
        return result


class _Evaluation:
    """Evaluates trigger terms against one message's occurrences and quantities."""

    def __init__(self, knowledge: Knowledge, reading: Reading, occurrences: Sequence[Occurrence],
                 amounts: Quantities, parts: set[str]) -> None:
        self.knowledge = knowledge
        self.reading = reading
        self.occurrences = occurrences
        self.amounts = amounts
        self.parts = parts
        self.brackets = _bracket_groups(reading)
        self.by_concept: dict[str, list[Occurrence]] = {}
        for occurrence in occurrences:
            self.by_concept.setdefault(occurrence.concept, []).append(occurrence)

    def any_trigger(self, triggers: Iterable[tuple[str, ...]], flag: RedFlag,
                    ignoring: str = "") -> tuple[str, ...] | None:
        """The words that satisfy the first trigger whose every term holds, or None."""
        for trigger in triggers:
            words: list[str] = []
            for term in trigger:
                found = self.term(term, flag, ignoring)
                if found is None:
                    break
                words += found
            else:
                return tuple(dict.fromkeys(words))
        return None

    def _asserted(self, occurrence: Occurrence, term: str, flag: RedFlag, ignoring: str) -> bool:
        blocking = occurrence.context - set(flag.counts_when) - {ignoring}
        explained = occurrence.benign_for & {"*", occurrence.concept, term}
        return not blocking and not (explained and ignoring != "benign")

    def _text(self, occurrence: Occurrence) -> str:
        return " ".join(self.reading.texts[occurrence.start:occurrence.end])

    def term(self, term: str, flag: RedFlag, ignoring: str) -> list[str] | None:
        quantity = QUANTITY.match(term)
        if quantity:
            return self._quantity(*quantity.groups())
        if "+" not in term:
            hits = [o for o in self.by_concept.get(term, ()) if self._asserted(o, term, flag, ignoring)]
            return [self._text(hits[0])] if hits else None
        first, second = term.split("+")
        for occurrence in self.by_concept.get(second, ()):
            if not self._asserted(occurrence, term, flag, ignoring):
                continue
            if first in self.parts:
                partners = [o for o in self._parts_of(occurrence) if o.concept == first]
                if partners or (first == DEFAULT_PART and not self._sentence_parts(occurrence)):
                    return [self._text(o) for o in partners] + [self._text(occurrence)]
            else:
                for other in self.by_concept.get(first, ()):
                    if self._bound(other, occurrence) and self._asserted(other, term, flag, ignoring):
                        return [self._text(other), self._text(occurrence)]
        return None

    def _sentence_parts(self, finding: Occurrence) -> list[Occurrence]:
        """Body parts said in the finding's sentence (outside any brackets the finding is not in)."""
        return [o for o in self.occurrences if o.part and o.sentence == finding.sentence
                and "negated" not in o.context and not (o.start < finding.end and finding.start < o.end)
                and self.brackets[o.start] == self.brackets[finding.start]]

    def _parts_of(self, finding: Occurrence) -> list[Occurrence]:
        """The body part a finding belongs to: the nearest in its sentence, with the parts listed with it."""
        candidates = self._sentence_parts(finding)
        if not candidates:
            return []
        nearest = min(candidates, key=lambda o: (_distance(o, finding), o.start > finding.start))
        group = [o for o in candidates if o.start < nearest.end and nearest.start < o.end]  # same words
        for o in sorted(candidates, key=lambda o: _distance(o, finding)):
            if o not in group and any(self._coordinated(o, g) for g in group):
                group.append(o)
        return group

    def _coordinated(self, a: Occurrence, b: Occurrence) -> bool:
        first, second = sorted((a, b), key=lambda o: o.start)
        between = self.reading.texts[first.end:second.start]
        return 0 < len(between) <= 3 and all(t in _COORDINATION for t in between) and bool(
            set(between) & {"and", "or", "&", ",", "/"})

    def _bound(self, a: Occurrence, b: Occurrence) -> bool:
        """Two findings that belong together: near each other in one clause."""
        if a.sentence != b.sentence or _distance(a, b) > self.knowledge.language.bind_window:
            return False
        first, second = sorted((a, b), key=lambda o: o.start)
        return not any(t.punct and t.text in _CLAUSE_ENDS for t in self.reading.tokens[first.end:second.start])

    def _quantity(self, unit: str, comparison: str, limit: str) -> list[str] | None:
        if unit in ("steps", "age"):
            values = self.amounts.steps if unit == "steps" else self.amounts.ages
            bound = float(limit)
        else:
            rule = getattr(self.knowledge.rules.referral, limit)
            values = self.amounts.days
            bound = float(rule.weeks * 7 if unit == "weeks" else rule.days)
        hits = [v for v in values if (v < bound if comparison == "<" else v >= bound)]
        return [f"{unit} {hits[0]:g}"] if hits else None


def _bracket_groups(reading: Reading) -> list[int]:
    """For each token, which bracketed aside it is in (0: none)."""
    groups, current, count = [], 0, 0
    for token in reading:
        if token.text == "(":
            count += 1
            current = count
        groups.append(current)
        if token.text == ")":
            current = 0
    return groups


def _distance(a: Occurrence, b: Occurrence) -> int:
    return max(b.start - a.end, a.start - b.end, 0)


@lru_cache(maxsize=4)
def detector_for(knowledge: Knowledge, read: Reader) -> Detector:
    """One compiled detector per knowledge object and reader, with the English word list for typos."""
    return Detector(knowledge, read, english_words())
