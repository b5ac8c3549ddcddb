"""Load `knowledge/` into the validated model, reporting every problem at once (file, entry, field)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from rehab_coach.core.model import (
    ADHERENCE,
    CONCEPT_GROUPS,
    CONTEXT_CATEGORIES,
    MECHANICAL,
    SPORTS,
    SWELLING,
    URGENCIES,
    VERDICTS,
    Activity,
    AvoidTodayRules,
    Concept,
    Cue,
    DayRules,
    DayThresholds,
    Dose,
    Exercise,
    ExerciseKind,
    ExitCriteria,
    FlareRules,
    Knowledge,
    Language,
    Phase,
    ProgressionRules,
    RedFlag,
    ReferralRule,
    ReferralRules,
    ResolutionRules,
    Rules,
    SafetyCheck,
    SessionRules,
    Source,
    UncoveredActivity,
    UrgencyWording,
    Verdict,
)
from rehab_coach.core.selection import cycle
from rehab_coach.paths import KNOWLEDGE_DIR

T = TypeVar("T")
FILES = ("sources.yml", "phases.yml", "exercises.yml", "activities.yml", "rules.yml", "red_flags.yml",
         "language.yml", "vocabulary.yml")
# A trigger's quantity term: `steps<4`, `weeks>=no_improvement`, `days>=flare_not_settling`, `age<18`.
QUANTITY = re.compile(r"^(steps|weeks|days|age)(<|>=)(\w+)$")


class KnowledgeError(ValueError):
    """The knowledge folder has problems; `problems` lists every one."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in knowledge/:\n" + "\n".join(problems))
        self.problems = tuple(problems)


class _Entry:
    """Typed reads from one YAML mapping; each failure is recorded with its file, entry and field."""

    def __init__(self, data: Any, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = problems
        if not isinstance(data, dict):
            self.problem("", "must be a mapping")
            data = {}
        self.data: dict[str, Any] = data
        self.read: set = set()

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{self.where}{': ' + key if key else ''}: {message}")

    def get(self, key: str, check: Callable[[Any], str | None], default: Any = ..., required: bool = True) -> Any:
        self.read.add(key)
        if key not in self.data or self.data[key] is None:
            if required and default is ...:
                self.problem(key, "missing")
            return None if default is ... else default
        value = self.data[key]
        message = check(value)
        if message:
            self.problem(key, message)
            return None if default is ... else default
        return value

    def text(self, key: str) -> str:
        return self.get(key, _is_text) or ""

    def texts(self, key: str, allow_empty: bool = False) -> tuple[str, ...]:
        def check(value: Any) -> str | None:
            if not isinstance(value, list) or not all(_is_text(v) is None for v in value):
                booleans = [v for v in value if isinstance(v, bool)] if isinstance(value, list) else []
                hint = " (quote words like no, yes, on, off: YAML reads them as true/false)" if booleans else ""
                return "must be a list of non-empty texts" + hint
            return None if value or allow_empty else "must not be empty"

        return tuple(self.get(key, check, default=[] if allow_empty else ...) or ())

    def lower_texts(self, key: str, allow_empty: bool = False) -> tuple[str, ...]:
        """Texts that must be lower case: words and phrases matched against what patients type."""
        values = self.texts(key, allow_empty=allow_empty)
        for value in values:
            if value != value.lower():
                self.problem(key, f"{value!r} must be lower case")
        return values

    def number(self, key: str, low: int, high: int, required: bool = True) -> int | None:
        def check(value: Any) -> str | None:
            ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
            return None if ok else f"{value!r} is not a whole number from {low} to {high}"

        return self.get(key, check, default=... if required else None, required=required)

    def flag(self, key: str) -> bool:
        return bool(self.get(key, lambda v: None if isinstance(v, bool) else "must be true or false", False))

    def choices(self, key: str, allowed: Sequence[str]) -> tuple[str, ...]:
        values = self.texts(key, allow_empty=True)
        for value in values:
            message = _one_of(allowed)(value)
            if message:
                self.problem(key, message)
        return values

    def refs(self, key: str, known: Mapping[str, Any], what: str, allow_empty: bool = False) -> tuple[str, ...]:
        values = self.texts(key, allow_empty=allow_empty)
        for value in values:
            if value not in known:
                self.problem(key, f"unknown {what} {value!r}")
        return values

    def child(self, key: str) -> _Entry:
        self.read.add(key)
        return _Entry(self.data.get(key), f"{self.where}: {key}", self.problems)

    def finish(self) -> None:
        """Report keys nobody read: usually a typo that would silently drop a rule."""
        for key in sorted(set(self.data) - self.read):
            self.problem(key, "unknown field")


def _is_text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty text"


def _entries(
    data: Any, key: str, file: str, problems: list[str], id_key: str = "id"
) -> list[tuple[str, _Entry]]:
    """The list under `key` as (id, entry) pairs; reports a missing list, missing ids and duplicates."""
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        problems.append(f"{file}: {key}: must be a non-empty list")
        return []
    seen: set = set()
    result = []
    for index, item in enumerate(items):
        ident = item.get(id_key) if isinstance(item, dict) else None
        if not isinstance(ident, str) or not ident.isidentifier() or ident != ident.lower():
            problems.append(f"{file}: entry {index + 1}: {id_key}: {ident!r} is not a snake_case id")
            ident = f"#{index + 1}"
        elif ident in seen:
            problems.append(f"{file}: {ident}: duplicate id")
        seen.add(ident)
        entry = _Entry(item, f"{file}: {ident}", problems)
        entry.read.add(id_key)
        result.append((ident, entry))
    return result


def _read_yaml(folder: Path, problems: list[str]) -> dict[str, Any]:
    documents = {}
    for name in FILES:
        path = folder / name
        try:
            documents[name] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            problems.append(f"{name}: file is missing")
            documents[name] = {}
        except yaml.YAMLError as error:
            problems.append(f"{name}: not valid YAML: {error}".replace("\n", " "))
            documents[name] = {}
    return documents


def _sources(data: Any, problems: list[str]) -> dict[str, Source]:
    sources = {}
    table = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(table, dict) or not table:
        problems.append("sources.yml: sources: must be a non-empty mapping of id to {title, url}")
        return {}
    for ident, item in table.items():
        entry = _Entry(item, f"sources.yml: {ident}", problems)
        url = entry.get("url", lambda v: None if str(v).startswith(("http://", "https://")) else "must be a URL")
        sources[ident] = Source(id=ident, title=entry.text("title"), url=url or "")
        entry.finish()
    return sources


def _phases(data: Any, sources: Mapping[str, Source], problems: list[str]) -> tuple[Phase, ...]:
    phases = []
    listed = _entries(data, "phases", "phases.yml", problems)
    for index, (ident, entry) in enumerate(listed):
        number = entry.number("number", 1, 99)
        if number is not None and number != index + 1:
            entry.problem("number", f"is {number}, expected {index + 1} (phases are numbered in order from 1)")
        last = index == len(listed) - 1
        exit_criteria = None
        if last and entry.data.get("exit") is not None:
            entry.problem("exit", "the last phase (maintenance) has no exit")
        elif not last:
            exit_criteria = _exit(entry.child("exit"))
        phases.append(
            Phase(
                id=ident,
                number=index + 1,
                name=entry.text("name"),
                typical_weeks=entry.text("typical_weeks"),
                goals=entry.texts("goals"),
                entry=entry.texts("entry"),
                exit=exit_criteria,
                sources=entry.refs("sources", sources, "source"),
            )
        )
        entry.finish()
    return tuple(phases)


def _exit(entry: _Entry) -> ExitCriteria:
    criteria = ExitCriteria(
        consecutive_green=entry.number("consecutive_green", 1, 90, required=False),
        window_days=entry.number("window_days", 1, 90, required=False),
        min_green_in_window=entry.number("min_green_in_window", 0, 90, required=False) or 0,
        max_red_in_window=entry.number("max_red_in_window", 0, 90, required=False) or 0,
        max_pain_rest=entry.number("max_pain_rest", 0, 10, required=False),
        confirm=entry.texts("confirm", allow_empty=True),
    )
    if criteria.consecutive_green is None and criteria.window_days is None:
        entry.problem("", "needs consecutive_green or window_days")
    if criteria.window_days is not None and criteria.min_green_in_window > criteria.window_days:
        entry.problem("min_green_in_window", "is more than window_days")
    entry.finish()
    return criteria


def _one_of(allowed: Sequence[str]) -> Callable[[Any], str | None]:
    return lambda value: None if value in allowed else f"{value!r} is not one of {', '.join(allowed)}"


def _activities(
    data: Any, phases: Sequence[Phase], sources: Mapping[str, Source], problems: list[str]
) -> dict[str, Activity]:
    activities = {}
    for ident, entry in _entries(data, "activities", "activities.yml", problems):
        verdicts_entry = entry.child("verdicts")
        verdicts: dict[str, Verdict] = {
            phase.id: verdicts_entry.get(phase.id, _one_of(VERDICTS)) or "avoid" for phase in phases
        }
        verdicts_entry.finish()
        reasons_entry = entry.child("reasons")
        reasons = {verdict: reasons_entry.text(verdict) for verdict in VERDICTS if verdict in verdicts.values()}
        reasons_entry.finish()
        synonyms = entry.lower_texts("synonyms")
        activities[ident] = Activity(
            id=ident,
            name=entry.text("name"),
            synonyms=synonyms,
            verdicts=verdicts,
            reasons=reasons,
            sources=entry.refs("sources", sources, "source"),
            phrases=entry.lower_texts("phrases", allow_empty=True),
            hints=entry.lower_texts("hints", allow_empty=True),
        )
        entry.finish()
    return activities


def _uncovered(data: Any, activities: Mapping[str, Activity], problems: list[str]) -> dict[str, UncoveredActivity]:
    """Activities patients ask about that have no advice yet (`not_covered`), each with its closest ones."""
    uncovered = {}
    for ident, entry in _entries(data, "not_covered", "activities.yml", problems):
        if ident in activities:
            entry.problem("", "is an activity with advice already")
        uncovered[ident] = UncoveredActivity(ident, entry.text("name"), entry.lower_texts("phrases"),
                                             entry.refs("closest", activities, "activity", allow_empty=True))
        entry.finish()
    return uncovered


def _concepts(data: Any, problems: list[str]) -> dict[str, Concept]:
    """exercises.yml `concepts`: per group, concept id -> the phrases patients use for it."""
    root = _Entry(data.get("concepts") if isinstance(data, dict) else None, "exercises.yml: concepts", problems)
    concepts: dict[str, Concept] = {}
    for group in CONCEPT_GROUPS:
        entry = root.child(group)
        for ident in entry.data:
            if not str(ident).isidentifier() or ident != ident.lower():
                entry.problem(str(ident), "is not a snake_case id")
            elif ident in concepts:
                entry.problem(ident, f"is a concept of {concepts[ident].group} already")
            else:
                concepts[ident] = Concept(ident, group, entry.lower_texts(ident))
        entry.finish()
    root.finish()
    return concepts


DOSE_LIMITS = {"sets": 20, "reps": 500, "hold_seconds": 600, "minutes": 180, "per_day": 10, "per_week": 7}


def _dose(item: Any, where: str, problems: list[str]) -> Dose:
    entry = _Entry(item, where, problems)
    values = {key: entry.number(key, 1, high, required=False) for key, high in DOSE_LIMITS.items()}
    if (values["per_day"] is None) == (values["per_week"] is None):
        entry.problem("", "needs exactly one of per_day or per_week")
    if not any(values[key] for key in ("sets", "reps", "hold_seconds", "minutes")):
        entry.problem("", "needs at least one of sets, reps, hold_seconds, minutes")
    note = entry.get("note", _is_text, required=False)
    entry.finish()
    return Dose(note=note, **values)


def _exercises(
    data: Any,
    phases: Sequence[Phase],
    activities: Mapping[str, Activity],
    sources: Mapping[str, Source],
    concepts: Mapping[str, Concept],
    problems: list[str],
) -> dict[str, Exercise]:
    exercises = {}
    listed = _entries(data, "exercises", "exercises.yml", problems)
    grouped = {group: {c.id: c for c in concepts.values() if c.group == group} for group in CONCEPT_GROUPS}
    ids = {ident for ident, _ in listed}
    phase_ids = [phase.id for phase in phases]
    for ident, entry in listed:
        involves = entry.refs("involves", activities, "activity", allow_empty=True)
        dosage = {}
        table = entry.data.get("dosage")
        entry.read.add("dosage")
        if not isinstance(table, dict) or not table:
            entry.problem("dosage", "must map at least one phase id to a list of dose levels")
            table = {}
        for phase_id, levels in table.items():
            where = f"{entry.where}: dosage: {phase_id}"
            if phase_id not in phase_ids:
                problems.append(f"{where}: unknown phase")
                continue
            if not isinstance(levels, list) or not levels:
                problems.append(f"{where}: must be a non-empty list of dose levels")
                continue
            dosage[phase_id] = tuple(_dose(level, f"{where}: level {n}", problems) for n, level in enumerate(levels, 1))
            for activity_id in involves:
                if activity_id in activities and activities[activity_id].verdicts.get(phase_id) == "avoid":
                    problems.append(f"{where}: involves {activity_id!r}, which is to be avoided in this phase")
        exercise = Exercise(
            id=ident,
            name=entry.text("name"),
            target=entry.text("target"),
            equipment=entry.texts("equipment", allow_empty=True),
            steps=entry.texts("steps"),
            involves=involves,
            aggravated_by=entry.text("aggravated_by"),
            regression=entry.text("regression"),
            progression=entry.text("progression"),
            dosage=dict(sorted(dosage.items(), key=lambda item: phase_ids.index(item[0]))),
            sources=entry.refs("sources", sources, "source"),
            synthesis=entry.flag("synthesis"),
            aliases=entry.lower_texts("aliases", allow_empty=True),
            regress_to=entry.get("regress_to", _exercise_ref(ids, ident), required=False),
            progress_to=entry.get("progress_to", _exercise_ref(ids, ident), required=False),
            **{group: entry.refs(group, grouped[group], f"concept of {group}", allow_empty=True)
               for group in CONCEPT_GROUPS},
        )
        exercises[ident] = exercise
        entry.finish()
    for phase in phases:
        if not any(phase.id in exercise.dosage for exercise in exercises.values()):
            problems.append(f"phases.yml: {phase.id}: no exercise in exercises.yml belongs to this phase")
    for concept in concepts.values():
        if not any(concept.id in getattr(exercise, concept.group) for exercise in exercises.values()):
            problems.append(f"exercises.yml: concepts: {concept.group}: {concept.id}: no exercise names it")
    return exercises


def _exercise_ref(ids: set, own: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value not in ids:
            return f"unknown exercise {value!r}"
        return "must name another exercise" if value == own else None

    return check


def _rules(
    data: Any,
    sources: Mapping[str, Source],
    phases: Sequence[Phase],
    exercises: Mapping[str, Exercise],
    activities: Mapping[str, Activity],
    problems: list[str],
) -> Rules:
    root = _Entry(data, "rules.yml", problems)
    day = root.child("day_classification")
    progression = root.child("progression")
    flare = root.child("flare")
    session = root.child("session")
    avoid_today = root.child("avoid_today")
    referral = root.child("referral")
    resolution = root.child("resolution")
    rules = Rules(
        day=DayRules(
            baseline_checkins=day.number("baseline_checkins", 1, 60) or 1,
            red=_thresholds(day.child("red")),
            amber=_thresholds(day.child("amber")),
            sources=_sourced(day, sources),
        ),
        progression=ProgressionRules(
            dose_up_after_green=progression.number("dose_up_after_green", 1, 30) or 1,
            dose_down_on_red=progression.number("dose_down_on_red", 0, 10) or 0,
            adherence_counts=progression.choices("adherence_counts", ADHERENCE),
            sources=_sourced(progression, sources),
        ),
        flare=FlareRules(
            protect_days=flare.number("protect_days", 1, 14) or 1,
            protect_max_phase=flare.number("protect_max_phase", 1, 99) or 1,
            regress_red_days=flare.number("regress_red_days", 1, 30) or 1,
            regress_window_days=flare.number("regress_window_days", 1, 60) or 1,
            reentry_consecutive_green=flare.number("reentry_consecutive_green", 1, 30) or 1,
            sources=_sourced(flare, sources),
        ),
        session=_session(session, phases, exercises, sources),
        avoid_today=_avoid_today(avoid_today, activities, sources),
        referral=_referral(referral, sources),
        resolution=_resolution(resolution),
    )
    for entry in (day, progression, flare, session, avoid_today, referral, resolution, root):
        entry.finish()
    return rules


RESOLUTION_POINTS = ("names", *CONCEPT_GROUPS, "in_session", "in_programme")


def _resolution(entry: _Entry) -> ResolutionRules:
    points_entry = entry.child("points")
    points = {name: points_entry.number(name, 0, 100) or 0 for name in RESOLUTION_POINTS}
    points_entry.finish()
    ordinals = entry.get("ordinals", lambda v: None if isinstance(v, dict) and v and all(
        isinstance(k, str) and k == k.lower() and isinstance(n, int) and not isinstance(n, bool) and n
        for k, n in v.items()) else "must map lower-case words to non-zero whole numbers (-1: the last)")
    return ResolutionRules(
        points=points,
        clear_lead=entry.number("clear_lead", 1, 100) or 1,
        min_points=entry.number("min_points", 1, 100) or 1,
        max_choices=entry.number("max_choices", 2, 20) or 2,
        closest=entry.number("closest", 1, 20) or 1,
        set_aside_window=entry.number("set_aside_window", 0, 10) or 0,
        ordinals=ordinals or {},
    )


def _session(
    entry: _Entry, phases: Sequence[Phase], exercises: Mapping[str, Exercise], sources: Mapping[str, Source]
) -> SessionRules:
    before = len(entry.problems)
    max_exercises = entry.number("max_exercises", 1, 50) or 1
    kinds = []
    kind_of: dict[str, str] = {}
    entry.read.add("kinds")
    for ident, kind in _entries(entry.data, "kinds", entry.where, entry.problems):
        listed = kind.refs("exercises", exercises, "exercise")
        for exercise in listed:
            if exercise in kind_of:
                kind.problem("exercises", f"{exercise!r} already belongs to {kind_of[exercise]}")
            kind_of.setdefault(exercise, ident)
        kinds.append(ExerciseKind(id=ident, name=kind.text("name"), exercises=listed,
                                  min_per_day=kind.number("min_per_day", 0, max_exercises) or 0))
        kind.finish()
    for exercise in exercises:
        if exercise not in kind_of:
            entry.problem("kinds", f"exercise {exercise!r} belongs to no kind")
    if sum(kind.min_per_day for kind in kinds) > max_exercises:
        entry.problem("kinds", f"the kinds' min_per_day add up to more than max_exercises ({max_exercises})")
    rules = SessionRules(max_exercises=max_exercises, cover_days=entry.number("cover_days", 1, 28) or 1,
                         kinds=tuple(kinds), sources=_sourced(entry, sources))
    if len(entry.problems) == before:  # the turns can be worked out only from valid rules
        for phase in phases:
            programme = tuple(e.id for e in exercises.values() if phase.id in e.dosage)
            left_out = set(programme).difference(*cycle(programme, rules))
            if left_out:
                entry.problem("", f"phase {phase.id}: {', '.join(sorted(left_out))} would not come round within "
                                  f"{rules.cover_days} days of at most {max_exercises} exercises")
    return rules


def _avoid_today(entry: _Entry, activities: Mapping[str, Activity], sources: Mapping[str, Source]) -> AvoidTodayRules:
    by_sport_entry = entry.child("by_sport")
    by_sport = {sport: by_sport_entry.refs(sport, activities, "activity") for sport in SPORTS}
    for sport, ranking in by_sport.items():
        if len(set(ranking)) < len(ranking):
            by_sport_entry.problem(sport, "names an activity more than once")
    by_sport_entry.finish()
    return AvoidTodayRules(shown=entry.number("shown", 1, 50) or 1, by_sport=by_sport, sources=_sourced(entry, sources))


def _sourced(entry: _Entry, sources: Mapping[str, Source]) -> tuple[str, ...]:
    entry.flag("synthesis")
    return entry.refs("sources", sources, "source")


def _thresholds(entry: _Entry) -> DayThresholds:
    thresholds = DayThresholds(
        pain_exercise_min=entry.number("pain_exercise_min", 0, 11) or 0,
        pain_rest_min=entry.number("pain_rest_min", 0, 11) or 0,
        morning_rise_min=entry.number("morning_rise_min", 1, 10) or 1,
        swelling=entry.choices("swelling", SWELLING),
        swelling_increase=entry.flag("swelling_increase"),
        mechanical=entry.choices("mechanical", MECHANICAL),
    )
    entry.finish()
    return thresholds


# Which numbers each referral rule takes, with their ranges.
_REFERRAL_FIELDS: dict[str, dict[str, tuple[int, int]]] = {
    "mechanical_immediate": {},
    "persistent_mechanical": {"count": (1, 60), "window_days": (1, 120)},
    "repeated_red": {"count": (1, 60), "window_days": (1, 120)},
    "flare_not_settling": {"days": (1, 30)},
    "no_improvement": {"weeks": (1, 52), "min_pain_drop": (1, 10)},
    "unresolved": {"weeks": (1, 104)},
}
_WITH_VALUES = ("mechanical_immediate", "persistent_mechanical")


def _referral(entry: _Entry, sources: Mapping[str, Source]) -> ReferralRules:
    rules = {}
    for name, fields in _REFERRAL_FIELDS.items():
        child = entry.child(name)
        numbers = {key: child.number(key, low, high) or low for key, (low, high) in fields.items()}
        values = child.choices("values", MECHANICAL) if name in _WITH_VALUES else ()
        rule = ReferralRule(reason=child.text("reason"), values=values, **numbers)
        try:
            rule.message()
        except (KeyError, IndexError, ValueError) as error:
            child.problem("reason", f"has an unknown placeholder {error}")
        child.finish()
        rules[name] = rule
    return ReferralRules(sources=_sourced(entry, sources), **rules)


def _language(data: Any, problems: list[str]) -> Language:
    root = _Entry(data, "language.yml", problems)
    context = root.child("context")
    windows_entry = context.child("windows")
    windows: dict[str, int] = {name: windows_entry.number(name, 1, 40) or 1 for name in CONTEXT_CATEGORIES}
    windows_entry.finish()
    cues_entry = context.child("cues")
    cues: list[Cue] = []
    for category in CONTEXT_CATEGORIES:
        if category == "benign":
            for index, item in enumerate(cues_entry.get("benign", _is_list) or []):
                entry = _Entry(item, f"language.yml: context: cues: benign: entry {index + 1}", problems)
                applies_to = entry.lower_texts("applies_to", allow_empty=True)
                cues += [Cue("benign", p, "both", applies_to) for p in entry.lower_texts("phrases")]
                entry.finish()
            continue
        entry = cues_entry.child(category)
        cues += [Cue(category, p, "before") for p in entry.lower_texts("before", allow_empty=True)]
        cues += [Cue(category, p, "after") for p in entry.lower_texts("after", allow_empty=True)]
        entry.finish()
    cues_entry.finish()
    proxies = root.child("proxies")
    language = Language(
        lemmas=root.get("lemmas", _text_mapping),
        numbers=root.get("numbers", lambda v: None if isinstance(v, dict) and all(
            isinstance(n, (int, float)) for n in v.values()) else "must map words to numbers"),
        ignore=root.lower_texts("ignore", allow_empty=True),
        windows=windows,
        bind_window=context.number("bind_window", 1, 20) or 1,
        terminators=context.lower_texts("terminators", allow_empty=True),
        pseudo=context.lower_texts("pseudo", allow_empty=True),
        cues=tuple(cues),
        persisting=root.lower_texts("persisting", allow_empty=True),
        pronouns=proxies.lower_texts("pronouns", allow_empty=True),
        patient_named=proxies.lower_texts("patient_named", allow_empty=True),
        writing_for=proxies.lower_texts("writing_for", allow_empty=True),
    )
    proxies.finish()
    context.finish()
    root.finish()
    return language


def _is_list(value: Any) -> str | None:
    return None if isinstance(value, list) else "must be a list"


def _text_mapping(value: Any) -> str | None:
    ok = isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    return None if ok else "must map texts to texts"


def _red_flags(
    data: Any, sources: Mapping[str, Source], referral: ReferralRules, problems: list[str]
) -> tuple[dict, dict, tuple[RedFlag, ...], dict[str, SafetyCheck], dict[str, UrgencyWording]]:
    root = _Entry(data, "red_flags.yml", problems)
    concepts = {}
    for group in ("parts", "findings"):
        entry = root.child(group)
        concepts[group] = {name: entry.lower_texts(name) for name in entry.data}
        entry.finish()
    parts, findings = concepts["parts"], concepts["findings"]
    checks_entry = root.child("checks")
    checks = {}
    for ident in checks_entry.data:
        entry = checks_entry.child(ident)
        questions = entry.texts("questions")
        outcomes = entry.get("outcomes", _outcomes(questions)) or []
        checks[ident] = SafetyCheck(ident, questions, tuple((o["when"], o["flag"]) for o in outcomes))
        entry.finish()
    checks_entry.finish()
    flags = []
    root.read.add("red_flags")
    referral_names = set(ReferralRules.__dataclass_fields__) - {"sources"}
    for ident, entry in _entries(data, "red_flags", "red_flags.yml", problems):
        term_check = _terms(parts, findings, referral_names)
        if "triggers" not in entry.data:
            entry.problem("triggers", "missing (use [] for a flag only a safety check raises)")
        rule = entry.get("rule", _one_of(sorted(referral_names)), default=None)
        flag = RedFlag(
            id=ident,
            urgency=entry.get("urgency", _one_of(URGENCIES)) or "urgent",
            reason=entry.text("reason"),
            triggers=tuple(tuple(t) for t in entry.get("triggers", term_check, default=[]) or ()),
            partial=tuple(tuple(t) for t in entry.get("partial", term_check, default=[]) or ()),
            check=entry.get("check", _one_of(sorted(checks)), default=None),
            counts_when=entry.choices("counts_when", CONTEXT_CATEGORIES),  # type: ignore[arg-type]
            rule=rule,
            sources=entry.refs("sources", sources, "source"),
        )
        try:
            flag_reason(flag, referral)
        except (KeyError, IndexError, ValueError, AttributeError) as error:
            entry.problem("reason", f"has a placeholder its rule does not give: {error}")
        flags.append(flag)
        entry.finish()
    wording = root.child("urgencies")
    urgencies: dict[str, UrgencyWording] = {}
    for level in URGENCIES:
        entry = wording.child(level)
        urgencies[level] = UrgencyWording(entry.text("heading"), entry.text("lead"))
        entry.finish()
    wording.finish()
    ids = {f.id for f in flags}
    for check in checks.values():
        for unknown in sorted({flag for _, flag in check.outcomes} - ids):
            problems.append(f"red_flags.yml: checks: {check.id}: outcomes: unknown red flag {unknown!r}")
    root.finish()
    return parts, findings, tuple(flags), checks, urgencies


def flag_reason(flag: RedFlag, referral: ReferralRules) -> str:
    """The flag's patient-facing reason, with its referral rule's numbers filled in."""
    if flag.rule is None:
        return flag.reason
    rule: ReferralRule = getattr(referral, flag.rule)
    return flag.reason.format(days=rule.days, weeks=rule.weeks, count=rule.count, window_days=rule.window_days)


def _outcomes(questions: Sequence[str]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not value:
            return "must be a non-empty list of {when: {question: answer}, flag: red flag id}"
        for outcome in value:
            when = outcome.get("when") if isinstance(outcome, dict) else None
            if not isinstance(when, dict) or not when or not isinstance(outcome.get("flag"), str):
                return "each outcome needs `when` (question: answer) and `flag`"
            for question, answer in when.items():
                if question not in questions:
                    return f"{question!r} is not one of this check's questions"
                if answer not in ("yes", "no"):
                    return f"{question}: {answer!r} must be \"yes\" or \"no\" (quoted)"
        return None

    return check


def _terms(parts: Mapping[str, Any], findings: Mapping[str, Any], rules: set[str]) -> Callable[[Any], str | None]:
    """Checks a list of triggers: each a non-empty list of concept, part+finding or quantity terms."""
    concepts = {**parts, **findings}

    def unknown(term: Any) -> bool:
        if not isinstance(term, str):
            return True
        quantity = QUANTITY.match(term)
        if quantity:
            unit, _, limit = quantity.groups()
            return not (limit.isdigit() if unit in ("steps", "age") else limit in rules)
        return not all(name in concepts for name in term.split("+")) or term.count("+") > 1

    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(t, list) and t for t in value):
            return "must be a list of term lists (empty for a flag only a safety check raises)"
        bad = sorted({str(term) for trigger in value for term in trigger if unknown(term)})
        return f"unknown term(s) {', '.join(map(repr, bad))}" if bad else None

    return check


def load_knowledge(folder: Path = KNOWLEDGE_DIR) -> Knowledge:
    """Read and validate the folder; raise KnowledgeError listing every problem found."""
    problems: list[str] = []
    docs = _read_yaml(folder, problems)
    sources = _sources(docs["sources.yml"], problems)
    phases = _phases(docs["phases.yml"], sources, problems)
    activities = _activities(docs["activities.yml"], phases, sources, problems)
    uncovered = _uncovered(docs["activities.yml"], activities, problems)
    set_aside = _Entry(docs["activities.yml"], "activities.yml", problems).lower_texts("set_aside")
    concepts = _concepts(docs["exercises.yml"], problems)
    exercises = _exercises(docs["exercises.yml"], phases, activities, sources, concepts, problems)
    rules = _rules(docs["rules.yml"], sources, phases, exercises, activities, problems)
    parts, findings, red_flags, checks, urgencies = _red_flags(docs["red_flags.yml"], sources, rules.referral, problems)
    language = _language(docs["language.yml"], problems)
    vocabulary = _Entry(docs["vocabulary.yml"], "vocabulary.yml", problems)
    body_parts_entry = vocabulary.child("body_parts")
    body_parts = {name: body_parts_entry.lower_texts(name) for name in body_parts_entry.data}
    body_parts_entry.finish()
    vocabulary.finish()
    if rules.flare.protect_max_phase > len(phases):
        problems.append("rules.yml: flare: protect_max_phase: is beyond the last phase")
    if problems:
        raise KnowledgeError(problems)
    return Knowledge(
        sources=sources,
        phases=phases,
        exercises=exercises,
        activities=activities,
        rules=rules,
        language=language,
        parts=parts,
        findings=findings,
        body_parts=body_parts,
        red_flags=red_flags,
        checks=checks,
        urgencies=urgencies,
        concepts=concepts,
        uncovered=uncovered,
        set_aside=set_aside,
    )


@cache
def default_knowledge() -> Knowledge:
    """The project's own knowledge folder, loaded once per process."""
    return load_knowledge(KNOWLEDGE_DIR)
