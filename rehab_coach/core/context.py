"""ConText for the coach (Chapman et al. 2007): what a message negates, puts in the past, makes hypothetical,
gives to someone else or explains away. One component, shared by every reader of patient text. Pure.

The rules are data (knowledge/language.yml: `context`, `pseudo`, `terminators`, `persisting`, `proxies`).
A cue changes what stands within its category's window after it (`before` cues) or before it (`after`
cues), in the same sentence and up to a terminator; a cue's words inside a pseudo-cue ("not sure") or
inside a phrase a reader matched ("not" in "can not walk") are not a cue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from rehab_coach.core.model import Language
from rehab_coach.core.phrases import Match, PhraseBook
from rehab_coach.core.reading import Reader, Reading

_CLAUSE_ENDS = {".", "!", "?", ";", "\n", "...", "…", ":", "(", ")"}
# After a comma, these start a new clause ("no pain, my calf is swollen"): the cue's scope ends there.
_NEW_CLAUSE = {"my", "i", "im", "it", "its", "the", "this", "that", "she", "he", "her", "his", "they", "and",
               "but", "so", "also", "plus", "no", "not", "did", "done", "had", "has", "have", "was", "were", "is",
               "are", "got", "felt", "yes", "yeah"}
_FIXED = ("ignore", "pseudo", "terminator", "persisting", "pronoun", "patient_named", "writing_for")


@dataclass(frozen=True)
class Scopes:
    """One message's cues and their limits; `of(start, end)` says what applies to the words there."""

    reading: Reading
    language: Language
    cues: tuple[Match, ...]
    stops: frozenset[int]
    persisting: bool
    ignored: tuple[tuple[int, int], ...]

    def of(self, start: int, end: int) -> tuple[frozenset[str], frozenset[str]]:
        """(the categories that apply to tokens[start:end], what benign cues explain: concept names, part+finding
        terms, or "*" for everything). Benign explanations do not count when the message says the sign persists."""
        categories: set[str] = set()
        benign: set[str] = set()
        for cue in self.cues:
            category, direction, index = cue.name.split(":")
            applies = self.language.cues[int(index)].applies_to if category == "benign" else ()
            # a named harmless cause reaches across "but" and "because" ("hot, but that's the bath")
            if not self._in_scope(start, end, cue, direction, self.language.windows[category], bool(applies)):
                continue
            if category != "benign":
                categories.add(category)
            elif not self.persisting:
                benign |= set(applies) or {"*"}
        return frozenset(categories), frozenset(benign)

    def negated(self, index: int) -> bool:
        return "negated" in self.of(index, index + 1)[0]

    def denied(self, index: int) -> bool:
        """A negation cue before the word at `index` reaches it ("did not put ice")."""
        window = self.language.windows["negated"]
        return any(cue.name.startswith("negated:before:")
                   and self._in_scope(index, index + 1, cue, "before", window, False) for cue in self.cues)

    def ignored_at(self, start: int, end: int) -> bool:
        """Inside an `ignore` phrase at least as long ("calf raises" is not a calf)."""
        return any(s <= start and end <= e and e - s >= end - start for s, e in self.ignored)

    def _in_scope(self, start: int, end: int, cue: Match, direction: str, window: int, across: bool) -> bool:
        if self.reading[cue.start].sentence != self.reading[start].sentence:
            return False
        stops = () if across else self.stops
        if direction in ("before", "both") and cue.end <= start and start - cue.end < window:
            return not any(cue.end <= i < start for i in stops)
        if direction in ("after", "both") and end <= cue.start and cue.start - end < window:
            return not any(end <= i < cue.start for i in stops)
        return False


class Context:
    """The ConText rules compiled once (with the project's reader); `scopes(reading)` applies them."""

    def __init__(self, language: Language, read: Reader) -> None:
        self.language = language
        named: dict[str, list[str]] = {}
        for index, cue in enumerate(language.cues):
            named.setdefault(f"{cue.category}:{cue.direction}:{index}", []).append(cue.phrase)
        self.cues = PhraseBook(named, read, lemmas=False)
        self.fixed = PhraseBook({
            "ignore": language.ignore, "pseudo": language.pseudo, "terminator": language.terminators,
            "persisting": language.persisting, "pronoun": language.pronouns,
            "patient_named": language.patient_named, "writing_for": language.writing_for,
        }, read, lemmas=False)

    def scopes(self, reading: Reading, matched: Iterable[Match] = (), parts: Iterable[Match] = ()) -> Scopes:
        """The message's cues; `matched` are the phrases a reader found (their words are no cue), `parts` the
        body parts among them (a comma before one starts a new clause)."""
        fixed = self.fixed.find(reading)
        spans = {name: [(m.start, m.end) for m in fixed if m.name == name] for name in _FIXED}
        inside = [(m.start, m.end) for m in matched]
        in_pseudo = {i for s, e in spans["pseudo"] for i in range(s, e)}
        # a cue within a phrase a reader matched is part of it ("not" in "can not walk"), but a harmless cause
        # may name a concept ("hot bath") and a cue may hold one ("should I worry")
        cues = [m for m in self.cues.find(reading) if not in_pseudo & set(range(m.start, m.end))
                and (m.name.startswith("benign:") or not any(s <= m.start and m.end <= e for s, e in inside))]
        if spans["writing_for"]:
            cues = [m for m in cues if not m.name.startswith("other:")]
        pronouns = [] if spans["patient_named"] or spans["writing_for"] else spans["pronoun"]
        cues += [Match("other:before:-1", s, e, "pronoun") for s, e in pronouns]
        scopes = Scopes(reading, self.language, tuple(cues),
                        frozenset(self._stops(reading, spans["terminator"], parts)), bool(spans["persisting"]),
                        tuple(spans["ignore"]))
        # a harmless cause the message denies explains nothing ("white and cold, I did not put ice on it")
        return replace(scopes, cues=tuple(c for c in scopes.cues if not (c.name.startswith("benign:")
                                                                          and scopes.denied(c.start))))

    @staticmethod
    def _stops(reading: Reading, terminators: Iterable[tuple[int, int]], parts: Iterable[Match]) -> set[int]:
        """Token positions that end a cue's scope: clause punctuation, terminators, and a comma that
        starts a new clause ("no pain, my calf is swollen")."""
        stops = {i for i, t in enumerate(reading) if t.punct and t.text in _CLAUSE_ENDS}
        stops |= {s for s, _ in terminators}
        part_starts = {m.start for m in parts}
        for i, token in enumerate(reading):
            after = reading.texts[i + 1] if i + 1 < len(reading) else ""
            if token.text == "," and (after in _NEW_CLAUSE or after[:1].isdigit() or part_starts & {i + 1, i + 2}):
                stops.add(i)
        return stops
