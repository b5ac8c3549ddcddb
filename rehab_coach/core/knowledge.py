"""Load `knowledge/` into the validated model, reporting every problem at once (file, entry, field).

Each entry is read by its pydantic model (core/model.py), which checks its own fields; this module checks
what no entry can see alone: references between entries and files, and the keys of keyed mappings.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import available_timezones

import yaml
from pydantic import StrictFloat, StrictInt, StrictStr, ValidationError, parse_obj_as, validate_model

from rehab_coach.core.model import (
    CONCEPT_GROUPS,
    CONTEXT_CATEGORIES,
    SPORTS,
    URGENCIES,
    VERDICTS,
    Activity,
    Concept,
    Cue,
    Exercise,
    Knowledge,
    Language,
    OutcomeMeasure,
    Phase,
    Questionnaire,
    RedFlag,
    ReferralRule,
    ReferralRules,
    Rules,
    SafetyCheck,
    SessionRules,
    Source,
    Sourced,
    UncoveredActivity,
    UrgencyWording,
)
from rehab_coach.core.schema import Record, Whole, Words, is_id, within
from rehab_coach.core.selection import cycle
from rehab_coach.paths import KNOWLEDGE_DIR

T = TypeVar("T")
FILES = {  # each file's top-level keys; None: the file's model (rules, language) knows them
    "sources.yml": ("sources",),
    "phases.yml": ("phases",),
    "exercises.yml": ("concepts", "exercises"),
    "activities.yml": ("activities", "not_covered", "set_aside"),
    "rules.yml": None,
    "red_flags.yml": ("parts", "findings", "red_flags", "urgencies", "checks"),
    "language.yml": None,
    "vocabulary.yml": ("body_parts", "places", "not_places"),
    "outcome_measures.yml": ("measures",),
}
QUESTIONNAIRES = "questionnaires"  # the folder of the licensed questionnaire texts a clinic supplies
# A trigger's quantity term: `steps<4`, `weeks>=no_improvement`, `days>=flare_not_settling`, `age<18`.
QUANTITY = re.compile(r"^(steps|weeks|days|age)(<|>=)(\w+)$")
REFERRAL_RULES = sorted(ReferralRules.__fields__.keys() - Sourced.__fields__.keys())
RESOLUTION_POINTS = ("names", *CONCEPT_GROUPS, "in_session", "in_programme")
MESSAGES = {  # pydantic's error types, in this check's words
    "value_error.missing": "missing",
    "value_error.extra": "unknown field",
    "type_error.dict": "must be a mapping",
    "type_error.tuple": "must be a list",
    "value_error.strictbool": "must be true or false",
    "type_error.integer": "must be a number",
    "type_error.float": "must be a number",
}


class KnowledgeError(ValueError):
    """The knowledge folder has problems; `problems` lists every one."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in knowledge/:\n" + "\n".join(problems))
        self.problems = tuple(problems)


class _Cues(Record):
    before: Words = ()
    after: Words = ()


class _Benign(Record):
    phrases: Words
    applies_to: Words = ()


class _CueTable(Record):
    negated: _Cues
    historical: _Cues
    hypothetical: _Cues
    other: _Cues
    benign: tuple[_Benign, ...]


class _Windows(Record):
    negated: Whole = within(1, 40)
    historical: Whole = within(1, 40)
    hypothetical: Whole = within(1, 40)
    other: Whole = within(1, 40)
    benign: Whole = within(1, 40)


class _Context(Record):
    windows: _Windows
    bind_window: Whole = within(1, 20)
    terminators: Words = ()
    pseudo: Words = ()
    cues: _CueTable


class _Proxies(Record):
    pronouns: Words = ()
    patient_named: Words = ()
    writing_for: Words = ()


class _LanguageFile(Record):
    """language.yml as written: `Language` is the same, flattened, with its cues in one list."""

    lemmas: Mapping[StrictStr, StrictStr]
    numbers: Mapping[str, StrictInt | StrictFloat]
    ignore: Words = ()
    context: _Context
    persisting: Words = ()
    proxies: _Proxies


def _load_yaml(path: Path, where: str, problems: list[str]) -> tuple[bool, Any]:
    """(True, the file's data), or (False, None) once why it cannot be read is in `problems`."""
    try:
        return True, yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)  # libyaml: 10x
    except FileNotFoundError:
        problems.append(f"{where}: file is missing")
    except yaml.YAMLError as error:
        problems.append(f"{where}: not valid YAML: {error}".replace("\n", " "))
    return False, None


def _read_yaml(folder: Path, problems: list[str]) -> dict[str, dict[str, Any]]:
    documents = {}
    for name, keys in FILES.items():
        data = _load_yaml(folder / name, name, problems)[1] or {}
        if not isinstance(data, dict):
            problems.append(f"{name}: must be a mapping")
            data = {}
        problems += [f"{name}: {key}: unknown field" for key in data if keys is not None and key not in keys]
        documents[name] = data
    return documents


def _problem(where: str, data: Any, error: Mapping[str, Any]) -> str:
    """A pydantic error as a line: a list's entries named by id (else `entry n`, `level n` for doses)."""
    path, item = [where], data
    for key in error["loc"]:
        if key in ("__root__", "__key__"):
            continue
        if isinstance(key, int):
            item = item[key] if isinstance(item, list) and key < len(item) else None
            if isinstance(item, dict) and is_id(item.get("id")):
                path[-1] = item["id"]
            elif isinstance(item, dict):
                path.append(f"{'level' if 'dosage' in error['loc'] else 'entry'} {key + 1}")
            continue  # a text in a list is named by the message
        path.append(str(key))
        item = item.get(key) if isinstance(item, dict) else None
    if error["type"] == "value_error.const":  # a Literal
        message = f"{error['ctx']['given']!r} is not one of {', '.join(error['ctx']['permitted'])}"
    else:
        message = MESSAGES.get(error["type"], error["msg"])
    return ": ".join([*path, message])


def _parse(kind: Any, data: Any, where: str, problems: list[str]) -> Any:
    """`data` read as `kind` (a model or a field type), or None once its problems are in `problems`."""
    if data is None:
        problems.append(f"{where}: missing")
        return None
    try:
        return parse_obj_as(kind, data)
    except ValidationError as error:
        _report(error, data, where, problems)
        return None


def _report(error: ValidationError, data: Any, where: str, problems: list[str]) -> None:
    problems += dict.fromkeys(_problem(where, data, e) for e in error.errors())  # a union's members say the same


def _entries(kind: type[T], data: Mapping[str, Any], key: str, file: str, problems: list[str]) -> dict[str, T | None]:
    """The list under `key` by id, each entry read as `kind` (None if it has problems)."""
    items = data.get(key)
    if not isinstance(items, list) or not items:
        problems.append(f"{file}: {key}: must be a non-empty list")
        return {}
    entries: dict[str, T | None] = {}
    for number, item in enumerate(items, 1):
        ident = item.get("id") if isinstance(item, dict) else None
        if not is_id(ident):
            _parse(kind, item, f"{file}: entry {number}", problems)
            continue
        if ident in entries:
            problems.append(f"{file}: {ident}: duplicate id")
        entries[ident] = _parse(kind, item, f"{file}: {ident}", problems)
    return entries


def _keyed(kind: Any, data: Any, where: str, problems: list[str], ids: bool = False) -> dict[str, Any]:
    """A mapping's values by key, each read as `kind` (None if it has problems); `ids`: its key is its `id`."""
    if not isinstance(data, dict) or not data:
        problems.append(f"{where}: must be a non-empty mapping")
        return {}
    return {key: _parse(kind, {**value, "id": key} if ids and isinstance(value, dict) else value,
                        f"{where}: {key}", problems) for key, value in data.items()}


def _valid(entries: Mapping[str, T | None]) -> dict[str, T]:
    return {key: entry for key, entry in entries.items() if entry is not None}


def _keys(given: Mapping[str, Any], expected: Iterable[str], where: str, problems: list[str]) -> None:
    """A keyed mapping must have the expected keys and no other."""
    expected = tuple(expected)
    problems += [f"{where}: {key}: missing" for key in expected if key not in given]
    problems += [f"{where}: {key}: unknown field" for key in given if key not in expected]


def _refs(values: Iterable[str], known: Container[str], what: str, where: str, problems: list[str]) -> None:
    problems += [f"{where}: unknown {what} {value!r}" for value in values if value not in known]


def _one_of(value: str | None, allowed: Iterable[str], where: str, problems: list[str]) -> None:
    if value is not None and value not in allowed:
        problems.append(f"{where}: {value!r} is not one of {', '.join(sorted(allowed))}")


def _check_phases(phases: Mapping[str, Phase | None], sources: Container[str], problems: list[str]) -> None:
    for index, (ident, phase) in enumerate(phases.items()):
        if phase is None:
            continue
        where, last = f"phases.yml: {ident}", index == len(phases) - 1
        if phase.number != index + 1:
            problems.append(f"{where}: number: is {phase.number}, expected {index + 1} "
                            "(phases are numbered in order from 1)")
        if last and phase.exit is not None:
            problems.append(f"{where}: exit: the last phase (maintenance) has no exit")
        elif not last and phase.exit is None:
            problems.append(f"{where}: exit: missing")
        _refs(phase.sources, sources, "source", f"{where}: sources", problems)


def _check_activities(activities: Mapping[str, Activity | None], uncovered: Mapping[str, UncoveredActivity | None],
                      phases: Iterable[str], sources: Container[str], problems: list[str]) -> None:
    for ident, activity in _valid(activities).items():
        where = f"activities.yml: {ident}"
        _keys(activity.verdicts, phases, f"{where}: verdicts", problems)
        _keys(activity.reasons, [v for v in VERDICTS if v in activity.verdicts.values()], f"{where}: reasons",
              problems)
        _refs(activity.sources, sources, "source", f"{where}: sources", problems)
    for ident, entry in uncovered.items():
        if ident in activities:
            problems.append(f"activities.yml: {ident}: is an activity with advice already")
        if entry:
            _refs(entry.closest, activities, "activity", f"activities.yml: {ident}: closest", problems)


def _concepts(data: Any, problems: list[str]) -> dict[str, Concept]:
    """exercises.yml `concepts`: per group, concept id -> the phrases patients use for it."""
    where = "exercises.yml: concepts"
    if not isinstance(data, dict):
        problems.append(f"{where}: must be a mapping")
        return {}
    _keys(data, CONCEPT_GROUPS, where, problems)
    concepts: dict[str, Concept] = {}
    for group in CONCEPT_GROUPS:
        for ident, phrases in _keyed(Words, data.get(group), f"{where}: {group}", problems).items():
            if not is_id(ident):
                problems.append(f"{where}: {group}: {ident}: is not a snake_case id")
            elif ident in concepts:
                problems.append(f"{where}: {group}: {ident}: is a concept of {concepts[ident].group} already")
            else:
                concepts[ident] = Concept(ident, group, phrases or ())
    return concepts


def _check_exercises(
    exercises: Mapping[str, Exercise | None],
    phases: Mapping[str, Phase | None],
    activities: Mapping[str, Activity | None],
    concepts: Mapping[str, Concept],
    sources: Container[str],
    problems: list[str],
) -> None:
    grouped = {group: {c.id for c in concepts.values() if c.group == group} for group in CONCEPT_GROUPS}
    for ident, exercise in _valid(exercises).items():
        where = f"exercises.yml: {ident}"
        _refs(exercise.involves, activities, "activity", f"{where}: involves", problems)
        for phase in exercise.dosage:
            if phase not in phases:
                problems.append(f"{where}: dosage: {phase}: unknown phase")
            for activity in filter(None, map(activities.get, exercise.involves)):
                if activity.verdicts.get(phase) == "avoid":
                    problems.append(f"{where}: dosage: {phase}: involves {activity.id!r}, which is to be avoided "
                                    "in this phase")
        _refs(exercise.sources, sources, "source", f"{where}: sources", problems)
        for name, other in (("regress_to", exercise.regress_to), ("progress_to", exercise.progress_to)):
            if other == ident:
                problems.append(f"{where}: {name}: must name another exercise")
            elif other is not None:
                _refs([other], exercises, "exercise", f"{where}: {name}", problems)
        for group, known in grouped.items():
            _refs(getattr(exercise, group), known, f"concept of {group}", f"{where}: {group}", problems)
    if None in exercises.values():
        return  # which phases and concepts no exercise names can be told only once every exercise reads
    for phase in phases:
        if not any(phase in exercise.dosage for exercise in _valid(exercises).values()):
            problems.append(f"phases.yml: {phase}: no exercise in exercises.yml belongs to this phase")
    for concept in concepts.values():
        if not any(concept.id in getattr(exercise, concept.group) for exercise in _valid(exercises).values()):
            problems.append(f"exercises.yml: concepts: {concept.group}: {concept.id}: no exercise names it")


def _check_rules(
    rules: Mapping[str, Any],
    phases: Sequence[Phase],
    exercises: Mapping[str, Exercise | None],
    activities: Container[str],
    sources: Container[str],
    problems: list[str],
) -> None:
    """`rules` holds the rule groups of rules.yml that read without problems."""
    for name, group in rules.items():
        if isinstance(group, Sourced):
            _refs(group.sources, sources, "source", f"rules.yml: {Rules.__fields__[name].alias}: sources", problems)
    if "flare" in rules and rules["flare"].protect_max_phase > len(phases):
        problems.append("rules.yml: flare: protect_max_phase: is beyond the last phase")
    if "session" in rules:
        _check_session(rules["session"], phases, exercises, problems)
    if "avoid_today" in rules:
        where = "rules.yml: avoid_today: by_sport"
        by_sport = rules["avoid_today"].by_sport
        _keys(by_sport, SPORTS, where, problems)
        for sport, ranking in by_sport.items():
            _refs(ranking, activities, "activity", f"{where}: {sport}", problems)
            if len(set(ranking)) < len(ranking):
                problems.append(f"{where}: {sport}: names an activity more than once")
    if "resolution" in rules:
        _keys(rules["resolution"].points, RESOLUTION_POINTS, "rules.yml: resolution: points", problems)


def _check_session(session: SessionRules, phases: Sequence[Phase], exercises: Mapping[str, Exercise | None],
                   problems: list[str]) -> None:
    before, kinds = len(problems), set()
    kind_of: dict[str, str] = {}  # exercise id -> its kind's id
    for kind in session.kinds:
        where = f"rules.yml: session: {kind.id}"
        if kind.id in kinds:
            problems.append(f"{where}: duplicate id")
        kinds.add(kind.id)
        _refs(kind.exercises, exercises, "exercise", f"{where}: exercises", problems)
        for exercise in kind.exercises:
            if exercise in kind_of:
                problems.append(f"{where}: exercises: {exercise!r} already belongs to {kind_of[exercise]}")
            kind_of.setdefault(exercise, kind.id)
    problems += [f"rules.yml: session: kinds: exercise {e!r} belongs to no kind" for e in exercises if e not in kind_of]
    if sum(kind.min_per_day for kind in session.kinds) > session.max_exercises:
        problems.append(f"rules.yml: session: kinds: the kinds' min_per_day add up to more than max_exercises "
                        f"({session.max_exercises})")
    if len(problems) > before or None in exercises.values():
        return  # the turns can be worked out only from valid rules and exercises
    for phase in phases:
        programme = tuple(ident for ident, e in exercises.items() if e and phase.id in e.dosage)
        left_out = set(programme).difference(*cycle(programme, session))
        if left_out:
            problems.append(f"rules.yml: session: phase {phase.id}: {', '.join(sorted(left_out))} would not come "
                            f"round within {session.cover_days} days of at most {session.max_exercises} exercises")


def _language(data: Mapping[str, Any], problems: list[str]) -> Language | None:
    file: _LanguageFile | None = _parse(_LanguageFile, data, "language.yml", problems)
    if file is None:
        return None
    context, table = file.context, file.context.cues
    cues = [Cue(category, phrase, direction) for category in CONTEXT_CATEGORIES[:-1]
            for direction in ("before", "after") for phrase in getattr(getattr(table, category), direction)]
    cues += [Cue("benign", phrase, "both", entry.applies_to) for entry in table.benign for phrase in entry.phrases]
    return Language(
        lemmas=file.lemmas, numbers=file.numbers, ignore=file.ignore, windows=dict(context.windows),
        bind_window=context.bind_window, terminators=context.terminators, pseudo=context.pseudo, cues=tuple(cues),
        persisting=file.persisting, pronouns=file.proxies.pronouns, patient_named=file.proxies.patient_named,
        writing_for=file.proxies.writing_for,
    )


def _check_red_flags(
    red_flags: Mapping[str, RedFlag | None],
    checks: Mapping[str, SafetyCheck | None],
    concepts: Container[str],
    referral: ReferralRules | None,
    sources: Container[str],
    problems: list[str],
) -> None:
    for ident, flag in _valid(red_flags).items():
        where = f"red_flags.yml: {ident}"
        for name in ("triggers", "partial"):
            unknown = sorted({term for trigger in getattr(flag, name) for term in trigger if _unknown(term, concepts)})
            if unknown:
                problems.append(f"{where}: {name}: unknown term(s) {', '.join(map(repr, unknown))}")
        _one_of(flag.check, checks, f"{where}: check", problems)
        _one_of(flag.rule, REFERRAL_RULES, f"{where}: rule", problems)
        _refs(flag.sources, sources, "source", f"{where}: sources", problems)
        if referral is not None and flag.rule in (None, *REFERRAL_RULES):
            try:
                flag_reason(flag, referral)
            except (KeyError, IndexError, ValueError, AttributeError) as error:
                problems.append(f"{where}: reason: has a placeholder its rule does not give: {error}")
    for ident, check in _valid(checks).items():
        unknown = sorted({flag for _, flag in check.outcomes} - red_flags.keys())
        _refs(unknown, (), "red flag", f"red_flags.yml: checks: {ident}: outcomes", problems)


def _unknown(term: str, concepts: Container[str]) -> bool:
    """Whether a trigger's term is none of: a concept, `part+finding`, a quantity (QUANTITY)."""
    quantity = QUANTITY.match(term)
    if quantity:
        unit, _, limit = quantity.groups()
        return not (limit.isdigit() if unit in ("steps", "age") else limit in REFERRAL_RULES)
    return term.count("+") > 1 or not all(name in concepts for name in term.split("+"))


def flag_reason(flag: RedFlag, referral: ReferralRules) -> str:
    """The flag's patient-facing reason, with its referral rule's numbers filled in."""
    if flag.rule is None:
        return flag.reason
    rule: ReferralRule = getattr(referral, flag.rule)
    return flag.reason.format(days=rule.days, weeks=rule.weeks, count=rule.count, window_days=rule.window_days)


def _questionnaires(folder: Path, measures: Mapping[str, OutcomeMeasure], problems: list[str]
                    ) -> dict[str, Questionnaire]:
    """The licensed texts in `folder` (none is fine), each `<measure id>.yml` fitting its measure's structure."""
    found = {}
    for path in sorted(folder.glob("*.yml")):
        where = f"{QUESTIONNAIRES}/{path.name}"
        read, data = _load_yaml(path, where, problems)
        if not read:
            continue
        questionnaire = _parse(Questionnaire, data, where, problems)
        if questionnaire is None:
            continue
        measure = measures.get(questionnaire.measure)
        if measure is None or measure.items_from != "clinic":
            problems.append(f"{where}: measure: {questionnaire.measure!r} is not one whose text a clinic supplies")
            continue
        if path.stem != measure.id:
            problems.append(f"{where}: must be named {measure.id}.yml")
        if len(questionnaire.items) != measure.items:
            problems.append(f"{where}: items: {len(questionnaire.items)}, the measure has {measure.items}")
        ratings = list(range(measure.scale.lowest, measure.scale.highest + 1))
        if sorted(questionnaire.choices) != ratings:
            problems.append(f"{where}: choices: must be the ratings {ratings[0]} to {ratings[-1]}, each once")
        if (questionnaire.not_applicable is not None) != measure.not_applicable:
            problems.append(f"{where}: not_applicable: "
                            + ("missing" if measure.not_applicable else "the measure has none"))
        found[measure.id] = questionnaire
    return found


def load_knowledge(folder: Path = KNOWLEDGE_DIR, questionnaires: Path | None = None) -> Knowledge:
    """Read and validate the folder, and the licensed questionnaires in `questionnaires` (default: the folder's
    questionnaires/); raise KnowledgeError listing every problem found."""
    problems: list[str] = []
    docs = _read_yaml(folder, problems)
    sources = _keyed(Source, docs["sources.yml"].get("sources"), "sources.yml: sources", problems, ids=True)
    phases = _entries(Phase, docs["phases.yml"], "phases", "phases.yml", problems)
    _check_phases(phases, sources, problems)
    activities = _entries(Activity, docs["activities.yml"], "activities", "activities.yml", problems)
    uncovered = _entries(UncoveredActivity, docs["activities.yml"], "not_covered", "activities.yml", problems)
    _check_activities(activities, uncovered, phases, sources, problems)
    set_aside = _parse(Words, docs["activities.yml"].get("set_aside"), "activities.yml: set_aside", problems)
    concepts = _concepts(docs["exercises.yml"].get("concepts"), problems)
    exercises = _entries(Exercise, docs["exercises.yml"], "exercises", "exercises.yml", problems)
    _check_exercises(exercises, phases, activities, concepts, sources, problems)
    rules, _, error = validate_model(Rules, docs["rules.yml"])  # the rule groups that read, for the checks
    if error:
        _report(error, docs["rules.yml"], "rules.yml", problems)
    _check_rules(rules, tuple(_valid(phases).values()), exercises, activities, sources, problems)
    red_flags_doc = docs["red_flags.yml"]
    parts = _keyed(Words, red_flags_doc.get("parts"), "red_flags.yml: parts", problems)
    findings = _keyed(Words, red_flags_doc.get("findings"), "red_flags.yml: findings", problems)
    checks = _keyed(SafetyCheck, red_flags_doc.get("checks"), "red_flags.yml: checks", problems, ids=True)
    red_flags = _entries(RedFlag, red_flags_doc, "red_flags", "red_flags.yml", problems)
    _check_red_flags(red_flags, checks, {**parts, **findings}, rules.get("referral"), sources, problems)
    urgencies = _keyed(UrgencyWording, red_flags_doc.get("urgencies"), "red_flags.yml: urgencies", problems)
    _keys(urgencies, URGENCIES, "red_flags.yml: urgencies", problems)
    language = _language(docs["language.yml"], problems)
    body_parts = _keyed(Words, docs["vocabulary.yml"].get("body_parts"), "vocabulary.yml: body_parts", problems)
    places = _keyed(Words, docs["vocabulary.yml"].get("places"), "vocabulary.yml: places", problems)
    _refs(places, available_timezones(), "IANA time zone", "vocabulary.yml: places", problems)
    not_places = _parse(Words, docs["vocabulary.yml"].get("not_places"), "vocabulary.yml: not_places", problems)
    measures = _keyed(OutcomeMeasure, docs["outcome_measures.yml"].get("measures"), "outcome_measures.yml: measures",
                      problems, ids=True)
    for ident, measure in _valid(measures).items():
        _refs(measure.sources, sources, "source", f"outcome_measures.yml: {ident}: sources", problems)
    texts = _questionnaires(questionnaires or folder / QUESTIONNAIRES, _valid(measures), problems)
    if problems:
        raise KnowledgeError(problems)
    return Knowledge(
        sources=sources,
        phases=tuple(_valid(phases).values()),
        exercises=_valid(exercises),
        activities=_valid(activities),
        rules=Rules.construct(**rules),
        language=language,  # type: ignore[arg-type]  # read: no problems
        parts=parts,
        findings=findings,
        body_parts=body_parts,
        places=places,
        not_places=not_places,
        red_flags=tuple(_valid(red_flags).values()),
        checks=checks,
        urgencies={level: urgencies[level] for level in URGENCIES},
        concepts=concepts,
        uncovered=_valid(uncovered),
        set_aside=set_aside,
        measures=_valid(measures),
        questionnaires=texts,
    )


@cache
def default_knowledge() -> Knowledge:
    """The project's own knowledge folder, with the clinic's licensed questionnaires (QUESTIONNAIRES_DIR, else its
    questionnaires/ folder), loaded once per process."""
    from rehab_coach import settings  # the one reader of the environment

    return load_knowledge(KNOWLEDGE_DIR, settings.load().questionnaires_dir)
