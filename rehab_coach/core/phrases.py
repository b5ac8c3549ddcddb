"""Find named phrases in a `Reading`, on lemmas, with alternatives, small gaps and one-typo tolerance. Pure.

Phrase syntax (knowledge/language.yml): words separated by spaces; `a|b` is either word; `=word` is that
exact word only; `...` lets up to `GAP` other words stand between, never across punctuation. A word
matches a token with the same text or the same lemma ("swollen" matches "swelling": both lemmatise to
"swell"). Words of `FUZZY_MIN_LETTERS` or more letters also match one typo away, unless the typed token
is itself an English word (so "looking" never reads as "locking").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rehab_coach.core.reading import Reader, Reading

GAP = 4
FUZZY_MIN_LETTERS = 6
_GAP_MARK = "..."


@dataclass(frozen=True)
class Match:
    name: str  # the list the phrase belongs to
    start: int
    end: int  # tokens[start:end]
    phrase: str


@dataclass(frozen=True)
class _Word:
    forms: frozenset[str]  # accepted token texts and lemmas


# Lemmas too general to stand for a word ("am" and "is" are both "be"): such words match by text only.
_LOOSE_LEMMAS = {"be", "have", "do", "will", "shall", "would", "i", "it", "a", "the", "s", "-PRON-", "bite"}


_Part = _Word | None  # None: a gap


def one_edit_apart(a: str, b: str) -> bool:
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


class PhraseBook:
    """Named phrase lists compiled once (with the project's reader for lemmas); `find` matches them all."""

    def __init__(self, named: Mapping[str, Iterable[str]], read: Reader,
                 known_words: frozenset[str] = frozenset(), lemmas: bool = True) -> None:
        """`lemmas=False`: words match by their text only (for short function-word cues such as "gone
        down", which lemmatises like "going down")."""
        self.known_words = known_words
        self.lemmas = lemmas
        self._lemma_cache: dict[str, str] = {}
        self._read = read
        self.phrases: list[tuple[str, str, tuple[_Part, ...]]] = []
        for name, phrases in named.items():
            for phrase in phrases:
                parts = self._compile(phrase)
                if parts:
                    self.phrases.append((name, phrase, parts))
        self._by_form: dict[str, list[int]] = {}
        spelled: set[str] = set()
        for index, (_, _, parts) in enumerate(self.phrases):
            first = parts[0]
            assert first is not None
            for form in first.forms:
                self._by_form.setdefault(form, []).append(index)
            spelled |= {form for part in parts if part for form in part.forms if len(form) >= FUZZY_MIN_LETTERS}
        self._by_deletion: dict[str, set[str]] = {}
        for form in spelled:
            for variant in _deletions(form):
                self._by_deletion.setdefault(variant, set()).add(form)
        self._spelled = spelled

    def _compile(self, phrase: str) -> tuple[_Part, ...]:
        parts: list[_Part] = []
        for chunk in phrase.split():
            if chunk == _GAP_MARK:
                if parts and parts[-1] is not None:
                    parts.append(None)
                continue
            exact = chunk.startswith("=")
            alternatives = [self._read(alternative).tokens for alternative in chunk.lstrip("=").split("|")]
            if len(alternatives) == 1:  # "long-haul" reads as three words in a row
                parts += [_Word(self._token_forms(t.text, t.lemma, exact)) for t in alternatives[0]]
            else:  # each alternative is one word
                parts.append(_Word(frozenset().union(*(self._token_forms(t.text, t.lemma, exact) for a in alternatives
                                                       for t in a[:1]))))
        while parts and parts[-1] is None:
            parts.pop()
        return tuple(parts)

    def _token_forms(self, text: str, lemma: str, exact: bool = False) -> frozenset[str]:
        return frozenset({text} if exact or not self.lemmas or lemma in _LOOSE_LEMMAS else {text, lemma})

    def _forms(self, text: str, lemma: str) -> set[str]:
        """What a token may stand for: its text, its lemma, or a vocabulary word one typo away."""
        found = set(self._token_forms(text, lemma))
        if not self.lemmas:
            return found
        if len(text) < FUZZY_MIN_LETTERS - 1 or text in self.known_words or text.isdigit():
            return found
        candidates = set(self._by_deletion.get(text, ()))
        for variant in _deletions(text):
            candidates |= self._by_deletion.get(variant, set())
            if variant in self._spelled:
                candidates.add(variant)
        return found | {word for word in candidates if one_edit_apart(text, word)}

    def find(self, reading: Reading) -> list[Match]:
        """Every occurrence of every phrase (overlaps included), in token order."""
        forms = [self._forms(t.text, t.lemma) for t in reading]
        punct = [t.punct for t in reading]
        matches = []
        for start, options in enumerate(forms):
            for index in sorted({i for form in options for i in self._by_form.get(form, ())}):
                name, phrase, parts = self.phrases[index]
                end = _match(parts, forms, punct, start)
                if end is not None:
                    matches.append(Match(name, start, end, phrase))
        return list({(m.name, m.start, m.end): m for m in matches}.values())


def _match(parts: tuple[_Part, ...], forms: list[set[str]], punct: list[bool], start: int) -> int | None:
    """The end of the shortest match of `parts` at `start`, or None."""
    if not parts:
        return start
    first, rest = parts[0], parts[1:]
    if first is None:  # a gap: skip up to GAP words (no punctuation), then match the rest
        for skip in range(GAP + 1):
            at = start + skip
            if skip and (at - 1 >= len(forms) or punct[at - 1]):
                break
            end = _match(rest, forms, punct, at)
            if end is not None:
                return end
        return None
    if start >= len(forms) or not first.forms & forms[start]:
        return None
    return _match(rest, forms, punct, start + 1)


def longest(matches: Iterable[Match]) -> list[Match]:
    """Drop matches lying inside a longer match of another name ("catch my breath" is not a catch)."""
    ordered = sorted(matches, key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[Match] = []
    for match in ordered:
        if any(k.start <= match.start and match.end <= k.end and (k.end - k.start) > (match.end - match.start)
               and k.name != match.name for k in kept):
            continue
        kept.append(match)
    return kept
