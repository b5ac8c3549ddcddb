"""A patient's message as every reader of it sees it: tokens with lemmas and sentence numbers. Pure.

The reading itself is made by the project's spaCy pipeline (`rehab_coach.adapters.nlp.read`); the core's readers
(red flags, answers, exercise and activity resolution) take a `Reading`, or a `Reader` that makes one,
so a fix to how the coach reads a sentence reaches every one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    text: str  # normalised: lower case, straight apostrophes, "can't" spelled "can not"
    lemma: str
    sentence: int  # sentences are numbered from 0 in reading order
    punct: bool  # punctuation (or a line break): ends a clause
    spaced: bool = True  # followed by whitespace ("4 - 5" is a dash, "4-5" a hyphen)


@dataclass(frozen=True)
class Entity:
    """A name from knowledge/ found by the pipeline's entity patterns: tokens[start:end]."""

    label: str  # activity | exercise | body_part
    id: str  # the knowledge id
    start: int
    end: int


@dataclass(frozen=True)
class Reading:
    text: str
    tokens: tuple[Token, ...]
    entities: tuple[Entity, ...] = ()

    def __len__(self) -> int:
        return len(self.tokens)

    def __iter__(self) -> Iterator[Token]:
        return iter(self.tokens)

    def __getitem__(self, index: int) -> Token:
        return self.tokens[index]

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(t.text for t in self.tokens)

    @property
    def lemmas(self) -> tuple[str, ...]:
        return tuple(t.lemma for t in self.tokens)


Reader = Callable[[str], Reading]
