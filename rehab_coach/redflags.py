"""Deterministic, negation-aware red-flag detection in free text, driven by `red_flags.yml`.

Safety never rests on a classifier: this runs on every message. A term matches a token exactly or,
for words of six or more letters, with one typo, unless the token is itself an English word (so
"looking" never reads as "locking"). A term is negated when a cue ("no", "not", "without" ...)
stands at most `window_tokens` before it in the same clause, and the cue is not part of a
pseudo-negation ("not sure"). Words inside an `ignore` phrase ("calf raises") never count.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import spacy_lookups_data

from rehab_coach.model import URGENCIES, Knowledge, RedFlag
from rehab_coach.text import normalise

FUZZY_MIN_LETTERS = 6
_TOKEN = re.compile(r"[a-z0-9]+|[.,;:!?()\n]")
_BOUNDARY = set(".,;:!?()\n")


def tokenize(text: str) -> list[str]:
    """Lower-case word and clause-punctuation tokens, with negative contractions spelled out."""
    return _TOKEN.findall(normalise(text))


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Inflected forms and lemmas from spaCy's English lookup table (a data file; spaCy is not imported)."""
    path = spacy_lookups_data.get_file("en_lemma_lookup.json.gz")
    with gzip.open(str(path), "rt", encoding="utf-8") as handle:
        table: dict[str, str] = json.load(handle)
    return frozenset(table) | frozenset(table.values())


def _one_edit_apart(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or adjacent swap."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            if len(a) == len(b):
                return a[i + 1:] == b[i + 1:] or (a[i + 1:i + 2] == b[i:i + 1] and a[i] == b[i + 1]
                                                   and a[i + 2:] == b[i + 2:])
            return a[i:] == b[i + 1:]
    return True  # b is a with one letter added at the end


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


@dataclass(frozen=True)
class Match:
    term: str
    phrase: str
    start: int
    end: int


@dataclass(frozen=True)
class Finding:
    red_flag: RedFlag
    matched: tuple[str, ...]  # the phrases that fired it, for clinicians


class Detector:
    """Compiled from the knowledge once; `find(text)` returns the red flags the text raises."""

    def __init__(self, knowledge: Knowledge, known_words: frozenset[str] = frozenset()) -> None:
        self.knowledge = knowledge
        self.known_words = known_words
        self.phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}  # first word -> [(words, term)]
        for term, phrases in knowledge.terms.items():
            for phrase in phrases:
                words = tuple(tokenize(phrase))
                self.phrases.setdefault(words[0], []).append((words, term))
        vocabulary = {word for phrases in knowledge.terms.values() for p in phrases for word in tokenize(p)}
        self.vocabulary = vocabulary
        self.by_deletion: dict[str, set[str]] = {}
        for word in vocabulary:
            if len(word) >= FUZZY_MIN_LETTERS:
                for variant in _deletions(word):
                    self.by_deletion.setdefault(variant, set()).add(word)
        negation = knowledge.negation
        self.ignore = [tuple(tokenize(p)) for p in knowledge.ignore]
        self.cues = [tuple(tokenize(c)) for c in negation.cues]
        self.pseudo = [tuple(tokenize(p)) for p in negation.pseudo]
        self.terminators = {t for t in negation.terminators if " " not in t}
        self.window = negation.window_tokens

    def _spellings(self, token: str) -> set[str]:
        """Vocabulary words this token may stand for: itself, or a one-typo neighbour."""
        found = {token} & self.vocabulary
        if len(token) < FUZZY_MIN_LETTERS - 1 or token in self.known_words or token.isdigit():
            return found
        candidates = set(self.by_deletion.get(token, ()))
        for variant in _deletions(token):
            candidates |= self.by_deletion.get(variant, set())
            if variant in self.vocabulary and len(variant) >= FUZZY_MIN_LETTERS:
                candidates.add(variant)
        return found | {word for word in candidates if _one_edit_apart(token, word)}

    def _matches(self, tokens: Sequence[str]) -> list[Match]:
        spellings = [self._spellings(token) for token in tokens]
        matches = []
        for start, options in enumerate(spellings):
            for first in options:
                for words, term in self.phrases.get(first, ()):
                    end = start + len(words)
                    if end <= len(tokens) and all(w in spellings[start + k] for k, w in enumerate(words)):
                        matches.append(Match(term, " ".join(words), start, end))
        return matches

    def _cue_ends(self, tokens: Sequence[str]) -> list[int]:
        """Token positions just after each negation cue that is not part of a pseudo-negation."""
        covered = {i for s, e in _occurrences(tokens, self.pseudo) for i in range(s, e)}
        return [e for s, e in _occurrences(tokens, self.cues) if not covered & set(range(s, e))]

    def _negated(self, match: Match, tokens: Sequence[str], cue_ends: Iterable[int]) -> bool:
        for end in cue_ends:
            if end <= match.start and match.start - end < self.window:
                between = tokens[end:match.start]
                if not any(t in _BOUNDARY or t in self.terminators for t in between):
                    return True
        return False

    def find(self, text: str) -> list[Finding]:
        """The red flags this text raises, most urgent first."""
        tokens = tokenize(text)
        cue_ends = self._cue_ends(tokens)
        ignored = {i for s, e in _occurrences(tokens, self.ignore) for i in range(s, e)}
        present: dict[str, list[str]] = {}
        for match in self._matches(tokens):
            if not ignored & set(range(match.start, match.end)) and not self._negated(match, tokens, cue_ends):
                present.setdefault(match.term, []).append(match.phrase)
        findings = []
        for flag in self.knowledge.red_flags:
            for trigger in flag.triggers:
                if all(term in present for term in trigger):
                    matched = tuple(dict.fromkeys(p for term in trigger for p in present[term]))
                    findings.append(Finding(flag, matched))
                    break
        return sorted(findings, key=lambda f: URGENCIES.index(f.red_flag.urgency))


def _occurrences(tokens: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> list[tuple[int, int]]:
    spans = []
    for start in range(len(tokens)):
        for words in phrases:
            if tuple(tokens[start:start + len(words)]) == words:
                spans.append((start, start + len(words)))
    return spans


@lru_cache(maxsize=4)
def detector_for(knowledge: Knowledge) -> Detector:
    """One compiled detector per knowledge object, with the English word list for typo tolerance."""
    return Detector(knowledge, english_words())
