"""Rasa 3.6 hot spots, fixed without changing behaviour (measured with py-spy under `./coach chat-bench` and with
cProfile under `./coach turn-curve`). `apply()` patches them all; the Rasa server's process calls it at start
(`rehab_coach.rasa.server`).

1. Every action-server response is validated with `jsonschema.validate`, which first checks Rasa's
   own constant schema against the JSON Schema meta-schema: half the server's CPU. Here the schema is
   checked once and a compiled validator reused; every response is still validated, with Rasa's
   own error message.
2. `Event.resolve_by_type` walks every subclass of Event for each event it deserialises. The answer
   for a type name never changes once the classes are imported, so found classes are remembered.
3. `DialogueStateTracker.applied_events()` folds over the whole session, and a turn asks for it about seven
   times (the session check, each policy's featurisation for each prediction): over a quarter of a late turn.
   A tracker's events only ever grow at the end (Rasa appends; a reset keeps them), so the fold is kept with
   the tracker and continued over the new events only, unless a new loop name appeared (the fold treats an
   earlier execution of a loop differently then: it starts over).
4. `Domain.states_for_tracker_history` replays the whole session and builds a state for every action in it,
   for each policy at every prediction (RulePolicy twice: the message's text, then its intent), before
   MemoizationPolicy keeps the last few and RulePolicy the last few its rules are long. What the replay reads
   before each action is kept with the applied events and carried on while they only grow. When they step back (a
   form's next turn goes back to the form's first execution; a reverted event) the replay goes on from its latest
   checkpoint before the step, one of those kept after each of the last two loop executions, or from the start.
   Each caller gets its own states (the featurizer edits the last one in place).
5. Every action call ships the whole session to the action server, which parses it: at turn 140, 550 kB of JSON
   written and read for each action, the largest cost of a late turn on both servers. The coach's actions read
   only the latest turns (a form's last slot candidates, the action before this message) and the serious
   messages of the last MISSED_DAYS days (recorded when the action server was unreachable), so they are sent
   those: the events from the SENT_TURNS-th latest user message on, and the serious user messages before it.
   The rest of the call (slots, latest message, active loop, domain) is Rasa's own.
6. Each action runs on `tracker.copy()`, which replays every event of the session on a new tracker. The replay is
   kept with the tracker and carried on over new events (it is only ever updated with events, so it is what Rasa's
   copy would be, even where the tracker itself was changed without an event), and each copy is a copy of it.
7. RulePolicy forces its history to be unbounded, so at every prediction it keys, formats (for a debug line) and walks
   a state for every action of the session, though a rule looks back only as far as it is long. It is given the
   states of its longest rule and one more: which rules apply is unchanged, and with the one more, the key of a
   conversation no rule matches can equal no rule's key (the key decides `hide_rule_turn`).
8. Even from the kept replay (4.), a state was copied and cleaned for every action of the session at each
   prediction, and then all but the last few thrown away (MemoizationPolicy's `max_history`, RulePolicy's longest rule
   and one more). Only those are built now, from the latest state before them whose user input is its own (a state
   after a hidden rule turn carries on the user input of the one before it).
9. A form validating or asking for a slot builds a temporary tracker by replaying the whole session with its own
   events (`FormAction._temporary_tracker`), twice a form turn. It is a copy of the kept replay (6.) updated with those
   events; a session that was restarted keeps Rasa's own (it replays only the events after the restart).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa import __version__ as rasa_version
from rasa.core.actions.action import RemoteAction
from rasa.core.actions.forms import FormAction
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import PREVIOUS_ACTION, REQUESTED_SLOT
from rasa.shared.core.domain import Domain, State, SubState
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity, is_prev_action_listen_in_state

from rehab_coach.core.intents import MISSED_DAYS, SERIOUS_INTENTS

_SPEC = RemoteAction.action_response_format_spec()
validator_for(_SPEC).check_schema(_SPEC)
_RESPONSE_VALIDATOR = validator_for(_SPEC)(_SPEC)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    try:
        _RESPONSE_VALIDATOR.validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


_resolve_by_type = Event.resolve_by_type
_rasa_copy = DialogueStateTracker.copy
_rasa_temporary_tracker = FormAction._temporary_tracker
_rasa_max_history_prediction_states = MaxHistoryTrackerFeaturizer.prediction_states
_EVENT_TYPES: dict[str, type[Event]] = {}


def _cached_resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    found = _EVENT_TYPES.get(type_name)
    if found is None:
        found = _resolve_by_type(type_name, default)
        if found is not None and found is not default:  # only real matches: a default is the caller's
            _EVENT_TYPES[type_name] = found
    return found


@dataclass(frozen=True)
class _PriorTurn:
    """What `Domain.states_for_tracker_history` reads from the tracker before an action (or at the end)."""

    state: State  # the active state
    hide_rule_turn: bool
    may_hide: bool  # neither a follow-up action nor the active loop's own turn: the turn may change what is hidden
    previous_action: dict[str, str] | None


@dataclass(frozen=True)
class _Checkpoint:
    """Where a replay stood after the first `covered` applied events: its first `turns` turns, then `end`."""

    covered: int
    turns: int
    end: _PriorTurn
    prior: DialogueStateTracker  # never updated: a replay goes on from a clone of it


@dataclass
class _Replay:
    """A replay of a tracker's applied events (`DialogueStateTracker.generate_all_prior_trackers`) so far."""

    domain: Domain  # held, so that no other domain can take its id (the key) while this replay is kept
    turns: list[_PriorTurn]  # read before each action, and at the end
    prior: DialogueStateTracker  # the replaying tracker, after the first `covered` applied events
    covered: int
    checkpoints: list[_Checkpoint]

    def back_to(self, length: int) -> _Replay | None:
        """This replay of the first `length` applied events or fewer (from a checkpoint), if it has one."""
        if self.covered <= length:
            return self
        kept = [point for point in self.checkpoints if point.covered <= length]
        if not kept:
            return None
        point = kept[-1]
        return _Replay(self.domain, [*self.turns[:point.turns], point.end], _clone(point.prior), point.covered, kept)


@dataclass
class _Mark:
    """How far a tracker's events were read: valid while they are `events` and still begin with `length` of them,
    the last being `last`."""

    events: Any  # the tracker's deque itself
    length: int
    last: Event | None

    def holds_for(self, tracker: DialogueStateTracker) -> bool:
        events = tracker.events
        return (self.events is events and len(events) >= self.length
                and (self.length == 0 or events[self.length - 1] is self.last))


@dataclass
class _Seen(_Mark):
    """What was worked out from a tracker's events."""

    loop_names: set[str] = field(default_factory=set)
    applied: list[Event] = field(default_factory=list)
    replays: dict[tuple, _Replay] = field(default_factory=dict)  # each begins `applied`


@dataclass
class _Copied(_Mark):
    """Rasa's `copy()` replays every event on a new tracker: `replay` is that tracker, carried on over new events
    (it is only ever updated with events, as Rasa's copy is)."""

    replay: DialogueStateTracker


def _copy(self: DialogueStateTracker) -> DialogueStateTracker:
    """Rasa 3.6's `DialogueStateTracker.copy()`: a copy of the kept replay, not a replay of every event."""
    events, copied = self.events, self.__dict__.get("_coach_copied")
    if events.maxlen is not None:  # a capped history drops events at the front: the replay could not follow
        return _rasa_copy(self)
    if copied is None or not copied.holds_for(self):
        copied = _Copied(events, 0, None, self.init_copy())
    for event in itertools.islice(events, copied.length, None):
        copied.replay.update(event)
    self.__dict__["_coach_copied"] = _Copied(events, len(events), events[-1] if events else None, copied.replay)
    return _clone(copied.replay)


def _clone(replay: DialogueStateTracker) -> DialogueStateTracker:
    """A tracker equal to `replay` (a tracker only ever updated with events), without replaying its events."""
    tracker = replay.init_copy()
    tracker.events = tracker._create_events(replay.events)
    tracker.slots = {name: copy.copy(slot) for name, slot in replay.slots.items()}
    tracker.latest_action = copy.copy(replay.latest_action)
    tracker.active_loop = copy.copy(replay.active_loop)
    tracker._paused, tracker.followup_action = replay._paused, replay.followup_action
    tracker.latest_message, tracker.latest_bot_utterance = replay.latest_message, replay.latest_bot_utterance
    return tracker


def _temporary_tracker(self: FormAction, current_tracker: DialogueStateTracker, additional_events: list[Event],
                       domain: Domain) -> DialogueStateTracker:
    """Rasa 3.6's `FormAction._temporary_tracker` on a copy of the kept replay (9. above)."""
    if current_tracker.idx_after_latest_restart():
        return _rasa_temporary_tracker(self, current_tracker, additional_events, domain)
    tracker = current_tracker.copy()
    for event in [SlotSet(REQUESTED_SLOT, self.get_slot_to_fill(current_tracker)), ActionExecuted(self.name()),
                  *additional_events]:
        tracker.update(event)
    return tracker


def _seen(tracker: DialogueStateTracker) -> _Seen | None:
    seen = tracker.__dict__.get("_coach_seen")
    return seen if seen is not None and seen.holds_for(tracker) else None


def _loop_names(events: list[Event]) -> set[str]:
    return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}


def _applied_events(self: DialogueStateTracker) -> list[Event]:
    """Rasa 3.6's `applied_events`, continued from where it last stopped on this tracker's events."""
    events, seen = self.events, _seen(self)
    new = list(itertools.islice(events, seen.length, None)) if seen else list(events)
    if seen is None or not _loop_names(new) <= seen.loop_names:
        new = list(events)
        seen = _Seen(events, 0, None, _loop_names(new))
    if new or seen.length == 0:
        applied, loop_names, taken_back = list(seen.applied), seen.loop_names, False
        for event in new:  # the fold of DialogueStateTracker.applied_events, unchanged
            if isinstance(event, (Restarted, SessionStarted)):
                applied = []
            elif isinstance(event, ActionReverted):
                self._undo_till_previous(ActionExecuted, applied)
            elif isinstance(event, UserUtteranceReverted):
                self._undo_till_previous(UserUttered, applied)
                self._undo_till_previous(ActionExecuted, applied)
            elif (isinstance(event, ActionExecuted) and event.action_name in loop_names
                  and not self._first_loop_execution_or_unhappy_path(event.action_name, applied)):
                self._undo_till_previous_loop_execution(event.action_name, applied)
            else:
                applied.append(event)
                continue
            taken_back = True
        replays = seen.replays
        if taken_back:  # each replay goes back to where `applied` still begins as before, or is dropped
            same = itertools.takewhile(lambda pair: pair[0] is pair[1], zip(seen.applied, applied, strict=False))
            length = sum(1 for _ in same)
            replays = {key: back for key, replay in replays.items() if (back := replay.back_to(length))}
        seen = _Seen(events, len(events), events[-1] if events else None, loop_names, applied, replays)
        self.__dict__["_coach_seen"] = seen
    return list(seen.applied)


def _prior_turns(domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool) -> list[_PriorTurn]:
    """The replay of the tracker's applied events, kept with them and carried on when events are added."""
    tracker.applied_events()  # brings what is kept up to the current events
    seen = _seen(tracker)
    assert seen is not None

    def read(prior: DialogueStateTracker, hide_rule_turn: bool) -> _PriorTurn:
        return _PriorTurn(domain.get_active_state(prior, omit_unset_slots=omit_unset_slots), hide_rule_turn,
                          not prior.followup_action and prior.latest_action_name != prior.active_loop_name,
                          domain._get_prev_action_sub_state(prior))

    key = (id(domain), omit_unset_slots)
    replay = seen.replays.get(key)
    if replay is None:
        prior = tracker.init_copy()
        replay = _Replay(domain, [read(prior, False)], prior, 0, [])
    if replay.covered < len(seen.applied):
        turns, prior, checkpoints = replay.turns[:-1], replay.prior, replay.checkpoints  # the end has moved
        for covered, event in enumerate(seen.applied[replay.covered:], replay.covered + 1):
            if isinstance(event, ActionExecuted):  # as generate_all_prior_trackers goes on
                turns.append(read(prior, event.hide_rule_turn))
            prior.update(event)
            if isinstance(event, ActionExecuted) and event.action_name in seen.loop_names:
                checkpoints = [*checkpoints[-1:], _Checkpoint(covered, len(turns), read(prior, False), _clone(prior))]
        turns.append(read(prior, False))
        replay = _Replay(domain, turns, prior, len(seen.applied), checkpoints)
    seen.replays[key] = replay
    return replay.turns


def _kept_states_for_tracker_history(self: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool = False,
                                     ignore_rule_only_turns: bool = False,
                                     rule_only_data: dict[str, Any] | None = None,
                                     last: int | None = None) -> list[State]:
    """Rasa 3.6's `Domain.states_for_tracker_history` on the kept replay (its loop, unchanged, after the replay), or
    only its `last` states (8. above)."""
    kept: list[tuple[_PriorTurn, dict[str, str] | None]] = []  # each turn not hidden, and the ML action before it
    last_ml_action_sub_state = None
    turn_was_hidden = False
    for turn in _prior_turns(self, tracker, omit_unset_slots):
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = turn.previous_action
            if turn.may_hide:
                turn_was_hidden = turn.hide_rule_turn
            if turn_was_hidden:
                continue
        kept.append((turn, last_ml_action_sub_state))
    start = 0 if last is None else max(len(kept) - last, 0)
    while ignore_rule_only_turns and start > 0 and not is_prev_action_listen_in_state(kept[start][0].state):
        start -= 1  # this state's user input is carried on from the state before it
    states: list[State] = []
    for turn, last_ml_action_sub_state in kept[start:]:
        state = {name: dict(sub_state) for name, sub_state in turn.state.items()}  # the kept one stays as it is
        if ignore_rule_only_turns:
            self._remove_rule_only_features(state, rule_only_data)
            if states:
                self._substitute_rule_only_user_input(state, states[-1])
            if last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = cast(SubState, last_ml_action_sub_state)
        states.append(self._clean_state(state))
    return states if last is None else states[-last:]


def _recent_prediction_states(featurizer: MaxHistoryTrackerFeaturizer, trackers: list[DialogueStateTracker],
                              domain: Domain, last: int, use_text_for_last_user_input: bool = False,
                              ignore_rule_only_turns: bool = False, rule_only_data: dict[str, Any] | None = None,
                              ignore_action_unlikely_intent: bool = False) -> list[list[State]]:
    """Rasa 3.6's `MaxHistoryTrackerFeaturizer.prediction_states` cut to `last` states, building only those."""
    found = []
    for tracker in trackers:
        states = domain.states_for_tracker_history(tracker, ignore_rule_only_turns=ignore_rule_only_turns,
                                                   rule_only_data=rule_only_data, last=last)
        if ignore_action_unlikely_intent:
            kept = featurizer._remove_action_unlikely_intent_from_states(states)
            if len(kept) < len(states):  # states were dropped: the last ones are found among all of them
                kept = featurizer._remove_action_unlikely_intent_from_states(domain.states_for_tracker_history(
                    tracker, ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data))
            states = kept
        found.append(states[-last:])
    featurizer._choose_last_user_input(found, use_text_for_last_user_input)
    return found


def _max_history_prediction_states(self: MaxHistoryTrackerFeaturizer, trackers: list[DialogueStateTracker],
                                   domain: Domain, *args: Any, **kwargs: Any) -> list[list[State]]:
    if not self.max_history:
        return _rasa_max_history_prediction_states(self, trackers, domain, *args, **kwargs)
    return _recent_prediction_states(self, trackers, domain, self.max_history, *args, **kwargs)


SENT_TURNS = 10  # the user messages, latest first, whose turns an action call carries (5. above)
_SERIOUS = frozenset(SERIOUS_INTENTS.values())


def sent_events(events: Sequence[Event]) -> list[Event]:
    """The events an action call carries, in order: the serious user messages within MISSED_DAYS (and a day) of
    the latest event, then every event from the SENT_TURNS-th latest user message on."""
    kept: list[Event] = []
    newest_first, turns = reversed(events), 0
    for event in newest_first:
        kept.append(event)
        turns += isinstance(event, UserUttered)
        if turns == SENT_TURNS:
            break
    else:
        return kept[::-1]
    since = kept[0].timestamp - (MISSED_DAYS + 1) * 86400
    earlier = itertools.takewhile(lambda event: event.timestamp >= since, newest_first)
    kept += (event for event in earlier if isinstance(event, UserUttered) and event.intent_name in _SERIOUS)
    return kept[::-1]


def _action_call_format(self: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any]:
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = [event.as_dict() for event in sent_events(tracker.events)]
    call = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state, "version": rasa_version}
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        call["domain"] = domain.as_dict()
    return call


def _longest_rule(policy: RulePolicy) -> int:
    """How many states the policy's longest rule has (worked out once per policy)."""
    found = policy.__dict__.get("_coach_longest_rule")
    if found is None:
        keys = [key for lookup in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH) for key in policy.lookup.get(lookup, {})]
        found = policy.__dict__["_coach_longest_rule"] = max(map(len, map(policy._rule_key_to_state, keys)), default=0)
    return found


def _rule_prediction_states(self: RulePolicy, tracker: DialogueStateTracker, domain: Domain,
                            use_text_for_last_user_input: bool = False,
                            rule_only_data: dict[str, Any] | None = None) -> list[State]:
    featurizer = cast(MaxHistoryTrackerFeaturizer, self.featurizer)
    return _recent_prediction_states(featurizer, [tracker], domain, _longest_rule(self) + 1,
                                     use_text_for_last_user_input, rule_only_data=rule_only_data)[0]


def apply() -> None:
    """Patch every hot spot (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(_cached_resolve_by_type)
    DialogueStateTracker.applied_events = _applied_events
    Domain.states_for_tracker_history = _kept_states_for_tracker_history
    RemoteAction._action_call_format = _action_call_format
    DialogueStateTracker.copy = _copy
    RulePolicy._prediction_states = _rule_prediction_states
    MaxHistoryTrackerFeaturizer.prediction_states = _max_history_prediction_states
    FormAction._temporary_tracker = _temporary_tracker
