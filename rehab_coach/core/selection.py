"""Today's session and what to avoid first: a plan a person can follow on a phone.

Pure and deterministic. The programme's exercises take turns in a short cycle of daily sessions,
built from `knowledge/rules.yml` (`session`): each kind's daily minimum, then the exercises planned
longest ago, the more important first. The activities to avoid are ordered for the patient's sport
(`avoid_today`). The rules are explained in the YAML's comments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from math import ceil

from rehab_coach.core.model import Activity, AvoidTodayRules, SessionRules

UNKNOWN_SPORT = "other"  # the order for a patient who has not said their sport


@lru_cache(maxsize=8)
def _places(rules: SessionRules) -> dict[str, tuple[int, int]]:
    """Exercise id -> (its kind's place, its place in the kind's list)."""
    return {ident: (index, place) for index, kind in enumerate(rules.kinds)
            for place, ident in enumerate(kind.exercises)}


def in_kind_order(ids: Iterable[str], rules: SessionRules) -> tuple[str, ...]:
    """Kind by kind (mobility first), each kind in its list's order: the order a session is shown in."""
    return tuple(sorted(ids, key=_places(rules).__getitem__))


def _priorities(programme: tuple[str, ...], rules: SessionRules) -> dict[str, tuple[float, int]]:
    """How far down its kind's list each exercise sits, as a share of the kind's exercises in the programme
    (0 = the top), then the kind's place: filling a day in this order mixes the kinds in proportion."""
    priorities = {}
    for index, kind in enumerate(rules.kinds):
        members = [ident for ident in kind.exercises if ident in programme]
        priorities.update({ident: (place / len(members), index) for place, ident in enumerate(members)})
    return priorities


def _days(programme: tuple[str, ...], rules: SessionRules, length: int) -> tuple[tuple[str, ...], ...]:
    priorities = _priorities(programme, rules)
    last = dict.fromkeys(programme, -1)  # the day each exercise was last planned; -1: not yet

    def least_recent(candidates: list[str], count: int) -> list[str]:
        return sorted(candidates, key=lambda ident: (last[ident], priorities[ident]))[:count]

    days = []
    for day in range(length):
        chosen: list[str] = []
        for index, kind in enumerate(rules.kinds):
            chosen += least_recent([e for e in programme if priorities[e][1] == index], kind.min_per_day)
        chosen += least_recent([e for e in programme if e not in chosen], rules.max_exercises - len(chosen))
        last.update(dict.fromkeys(chosen, day))
        days.append(in_kind_order(chosen, rules))
    return tuple(days)


@lru_cache(maxsize=64)
def cycle(programme: tuple[str, ...], rules: SessionRules) -> tuple[tuple[str, ...], ...]:
    """The daily sessions, in turn: the shortest cycle that plans every exercise of the programme.

    Never longer than `cover_days`: if no such cycle plans them all (the knowledge check reports that
    for a phase), the cycle is `cover_days` long.
    """
    for length in range(max(1, ceil(len(programme) / rules.max_exercises)), rules.cover_days + 1):
        days = _days(programme, rules, length)
        if {ident for day in days for ident in day} == set(programme):
            return days
    return _days(programme, rules, rules.cover_days)


def most_relevant_first(avoided: Sequence[Activity], sport: str | None,
                        rules: AvoidTodayRules) -> tuple[Activity, ...]:
    """The activities to avoid, those that matter for the patient's sport first, then catalogue order."""
    ranking = rules.by_sport.get(sport or UNKNOWN_SPORT, rules.by_sport[UNKNOWN_SPORT])
    return tuple(sorted(avoided, key=lambda a: ranking.index(a.id) if a.id in ranking else len(ranking)))
