"""Each speed-up answers exactly as the Rasa code it replaces: the compiled action-response validator, the event
types, and trackers' applied events and states."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.core.actions.forms import FormAction
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RULES_NOT_IN_STORIES, RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.utils.endpoints import EndpointConfig

from rehab_coach.paths import PROJECT_ROOT
from rehab_coach.rasa import speedups

RASA_APPLIED_EVENTS = DialogueStateTracker.applied_events
RASA_STATES = Domain.states_for_tracker_history
RASA_CALL = RemoteAction._action_call_format
RASA_COPY = DialogueStateTracker.copy
RASA_RULE_STATES = RulePolicy._prediction_states
RASA_RECENT_STATES = MaxHistoryTrackerFeaturizer.prediction_states
RASA_TEMPORARY = FormAction._temporary_tracker
assert RASA_STATES is not speedups._kept_states_for_tracker_history, "the comparisons need Rasa's own: before apply()"
speedups.apply()
DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
RULE_ONLY = {"rule_only_slots": ["safety_asking"], "rule_only_loops": ["safety_form"]}

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "pain_rest", "value": 3}], "responses": [{"text": "hi"}]},
    {"events": [{"event": "active_loop", "name": None}], "responses": [{"custom": {"kind": "plan"}}]},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"event": "slot"}]},
    {"events": [], "responses": ["not an object"]},
    {"events": [{"event": "no_such_event"}]},
]


@pytest.mark.parametrize("result", VALID)
def test_valid_responses_pass_as_with_rasa(result):
    validate(result, RemoteAction.action_response_format_spec())
    assert RemoteAction("action_x", None)._validate_action_result(result)


@pytest.mark.parametrize("result", INVALID)
def test_invalid_responses_fail_as_with_rasa_and_keep_rasas_message(result):
    with pytest.raises(ValidationError):
        validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError) as caught:
        RemoteAction("action_x", None)._validate_action_result(result)
    assert "Failed to validate Action server response" in caught.value.message


def test_the_meta_schema_is_not_checked_again_per_response(monkeypatch):
    calls = []
    monkeypatch.setattr("jsonschema.validators.Draft202012Validator.check_schema", lambda *a: calls.append(a))
    monkeypatch.setattr("jsonschema.validators.Draft4Validator.check_schema", lambda *a: calls.append(a))
    RemoteAction("action_x", None)._validate_action_result(VALID[1])
    assert calls == []


def test_event_types_resolve_as_before_including_unknown_and_default():
    from rasa.shared.core.events import Event

    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")


def test_importing_patches_nothing_and_the_rasa_server_process_applies_the_speedups_before_rasa_starts():
    code = ("import rehab_coach.rasa.channels, rehab_coach.rasa.webchat, rehab_coach.rasa.components\n"
            "import rehab_coach.adapters.tracker_store\n"
            "from rasa.core.actions.action import RemoteAction\n"
            "from rasa.core.policies.rule_policy import RulePolicy\n"
            "from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer as F\n"
            "from rasa.core.actions.forms import FormAction\n"
            "from rasa.shared.core.events import Event\n"
            "from rasa.shared.core.trackers import DialogueStateTracker as T\n"
            "from rasa.shared.core.domain import Domain\n"
            "from rehab_coach.rasa import server, speedups as s\n"
            "def patched(): return (RemoteAction._validate_action_result is s._validate_action_result,\n"
            "                       Event.resolve_by_type is s._cached_resolve_by_type,\n"
            "                       T.applied_events is s._applied_events,\n"
            "                       Domain.states_for_tracker_history is s._kept_states_for_tracker_history,\n"
            "                       RemoteAction._action_call_format is s._action_call_format,\n"
            "                       T.copy is s._copy,\n"
            "                       RulePolicy._prediction_states is s._rule_prediction_states,\n"
            "                       F.prediction_states is s._max_history_prediction_states,\n"
            "                       FormAction._temporary_tracker is s._temporary_tracker)\n"
            "print(patched())\n"
            "server.rasa_main = lambda: print(patched())\n"
            "server.main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "RASA_AUTH_TOKEN": "t" * 32})
    assert result.stdout.split("\n")[:2] == [str((False,) * 9), str((True,) * 9)]


# Trackers' applied events and states: the kept fold answers exactly as Rasa's own, after every event.
LOOPS = ["checkin_form", "safety_form"]
EVENT = st.one_of(
    st.builds(lambda name, hidden: ActionExecuted(name, hide_rule_turn=hidden),
              st.sampled_from(["action_listen", "action_plan", "utter_greet", "action_unlikely_intent", *LOOPS]),
              st.booleans()),
    st.just("action_plan").map(FollowupAction),
    st.sampled_from([*LOOPS, None]).map(ActiveLoop),
    st.sampled_from(["greet", "inform", "ask_plan"]).map(lambda i: UserUttered("x", {"name": i, "confidence": 1.0})),
    st.sampled_from([("pain_rest", 2), ("onboarded", True), ("requested_slot", "pain_rest")]).map(
        lambda slot: SlotSet(*slot)),
    st.sampled_from(LOOPS).map(lambda name: ActionExecutionRejected(name)),
    st.sampled_from([ActionReverted, UserUtteranceReverted, SessionStarted, Restarted, LoopInterrupted]).map(
        lambda kind: kind(True) if kind is LoopInterrupted else kind()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(EVENT, max_size=40))
def test_applied_events_and_states_are_rasas_after_every_event(events):
    tracker = DialogueStateTracker("patient", DOMAIN.slots)
    for event in events:
        tracker.update(event, DOMAIN)
        assert tracker.applied_events() == RASA_APPLIED_EVENTS(tracker)
        for ignore in (False, True, False):  # the second False is answered from what was kept
            expected = RASA_STATES(DOMAIN, tracker, ignore_rule_only_turns=ignore, rule_only_data=RULE_ONLY)
            assert tracker.past_states(DOMAIN, ignore_rule_only_turns=ignore, rule_only_data=RULE_ONLY) == expected
            for last in (1, 2, 5):  # only the last few built, as Rasa's last few
                assert DOMAIN.states_for_tracker_history(tracker, ignore_rule_only_turns=ignore,
                                                         rule_only_data=RULE_ONLY, last=last) == expected[-last:]
        for history, text, ml in itertools.product((None, 1, 3, 5), (False, True), (False, True)):
            featurizer = MaxHistoryTrackerFeaturizer(max_history=history)
            options = {"use_text_for_last_user_input": text, "ignore_rule_only_turns": ml,
                       "rule_only_data": RULE_ONLY, "ignore_action_unlikely_intent": ml}
            assert outcome(featurizer.prediction_states, [tracker, tracker], DOMAIN, **options) == outcome(
                RASA_RECENT_STATES, featurizer, [tracker, tracker], DOMAIN, **options)


def outcome(function, *args, **kwargs) -> object:
    """What a call returned, or the type of what it raised (Rasa's featurizer fails when no state is left)."""
    try:
        return function(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - compared, not swallowed
        return type(error)


def test_a_forms_next_turn_replays_from_the_forms_start_not_the_sessions(monkeypatch):
    """Each turn of a form takes the applied events back to the form's first execution: the states are still Rasa's,
    and only the form's own events are replayed again."""
    chat = [event for n in range(40) for event in (ActionExecuted("action_listen"),
                                                   UserUttered("x", {"name": "ask_plan"}), ActionExecuted(f"a{n}"))]
    form = [ActionExecuted("action_listen"), UserUttered("x", {"name": "start_checkin"}), ActiveLoop("checkin_form"),
            ActionExecuted("checkin_form"), SlotSet("requested_slot", "pain_rest")]
    for value in range(4):
        form += [ActionExecuted("action_listen"), UserUttered(str(value), {"name": "inform"}),
                 SlotSet("pain_rest", value), ActionExecuted("checkin_form"), SlotSet("requested_slot", "pain_rest")]
    tracker = DialogueStateTracker("patient", DOMAIN.slots)
    replayed = []
    update = DialogueStateTracker.update
    monkeypatch.setattr(DialogueStateTracker, "update", lambda self, event, domain=None: (
        replayed.append(event) if self is not tracker else None, update(self, event, domain))[1])
    for index, event in enumerate([*chat, *form]):
        tracker.update(event, DOMAIN)
        replayed.clear()
        for ignore in (False, True):
            assert tracker.past_states(DOMAIN, ignore_rule_only_turns=ignore, rule_only_data=RULE_ONLY) == RASA_STATES(
                DOMAIN, tracker, ignore_rule_only_turns=ignore, rule_only_data=RULE_ONLY)
        ours = len(replayed) - 2 * len(RASA_APPLIED_EVENTS(tracker))  # Rasa's own replays each applied event twice
        assert ours <= len(form) or index == len(chat) + 2  # the whole session once, when the loop's name first appears


def everything(tracker: DialogueStateTracker) -> dict:
    """A tracker's whole state, comparable: its attributes with the events listed and the slots as attributes."""
    state = {name: value for name, value in vars(tracker).items() if not name.startswith("_coach")}
    return {**state, "events": list(tracker.events), "slots": {n: vars(s) for n, s in tracker.slots.items()}}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(EVENT, st.booleans()), max_size=40))
def test_a_copy_is_rasas_replayed_copy_after_every_event_and_owns_its_state(steps):
    tracker = DialogueStateTracker("patient", DOMAIN.slots)
    for event, handled in steps:
        tracker.update(event, DOMAIN)
        if handled:  # as the processor does once it has taken the follow-up action (no event says so)
            tracker.clear_followup_action()
        ours, rasas = tracker.copy(), RASA_COPY(tracker)
        assert everything(ours) == everything(rasas)
        for change in (LoopInterrupted(True), SlotSet("pain_rest", 9), ActiveLoop("checkin_form")):
            ours.update(change)  # as an action's temporary tracker is updated
        assert everything(tracker.copy()) == everything(RASA_COPY(tracker))


@settings(max_examples=200, deadline=None)
@given(st.lists(EVENT, max_size=40), st.lists(EVENT, max_size=3))
def test_a_forms_temporary_tracker_is_rasas_replayed_one(events, form_events):
    tracker = DialogueStateTracker("patient", DOMAIN.slots)
    form = FormAction("checkin_form", None)
    for event in events:
        tracker.update(event, DOMAIN)
        assert everything(form._temporary_tracker(tracker, form_events, DOMAIN)) == everything(
            RASA_TEMPORARY(form, tracker, form_events, DOMAIN))


def test_neither_a_replaced_deque_nor_an_edited_state_leaks_into_the_next_answer():
    tracker = DialogueStateTracker.from_events("patient", [ActionExecuted("action_listen"), UserUttered("hi")],
                                               DOMAIN.slots)
    states = tracker.past_states(DOMAIN)
    states[-1]["user"].clear()  # as the featurizer edits the last state
    assert tracker.past_states(DOMAIN)[-1]["user"] != {}
    tracker.events = tracker._create_events([ActionExecuted("action_listen")])
    assert tracker.applied_events() == RASA_APPLIED_EVENTS(tracker) and len(tracker.applied_events()) == 1


# Action calls: the latest turns and the recent serious messages, the rest of the call as Rasa makes it.
DAY = 86400.0


def turn(intent: str, at: float) -> list:
    return [ActionExecuted("action_listen", timestamp=at), UserUttered("x", {"name": intent}, timestamp=at),
            ActionExecuted("action_plan", timestamp=at), BotUttered("ok", timestamp=at + 1)]


def calls(tracker: DialogueStateTracker) -> tuple[dict, dict]:
    """The call to action_plan as sent (ours) and as Rasa would send it, each without its events."""
    action = RemoteAction("action_plan", EndpointConfig("http://localhost:5055/webhook"))
    sent, rasas = action._action_call_format(tracker, DOMAIN), RASA_CALL(action, tracker, DOMAIN)
    return sent, rasas


def test_an_action_call_carries_the_latest_turns_and_the_serious_messages_of_the_last_days_the_rest_as_rasas():
    old, recent = turn("red_flag_emergency", 0.0), turn("red_flag_urgent", 2.5 * DAY)
    latest = [event for n in range(25) for event in turn("ask_plan" if n % 3 else "greet", 5 * DAY + n)]
    tracker = DialogueStateTracker.from_events("patient", [*old, *turn("greet", DAY), *recent, *latest], DOMAIN.slots)
    sent, rasas = calls(tracker)
    from_tenth_latest = latest[-4 * speedups.SENT_TURNS + 1:]  # from its user message on
    assert sent["tracker"].pop("events") == [event.as_dict() for event in [recent[1], *from_tenth_latest]]
    assert len(rasas["tracker"].pop("events")) == len(tracker.events) and sent == rasas


def test_a_short_session_is_sent_whole():
    tracker = DialogueStateTracker.from_events("patient", turn("greet", 0.0) * 3, DOMAIN.slots)
    sent, rasas = calls(tracker)
    assert sent == rasas


# RulePolicy on the states of its longest rule and one more: the same predictions as on the whole session.
@pytest.fixture(scope="module")
def rule_policy(tmp_path_factory: pytest.TempPathFactory) -> tuple[RulePolicy, list[list]]:
    """A RulePolicy trained on the project's own rules and stories, and the events of each story."""
    importer = TrainingDataImporter.load_from_dict(domain_path=str(PROJECT_ROOT / "domain.yml"),
                                                   training_data_paths=[str(PROJECT_ROOT / "data")])
    trackers = TrainingDataGenerator(importer.get_stories(), DOMAIN, augmentation_factor=0).generate()
    storage = tmp_path_factory.mktemp("model")
    (storage / "rules").mkdir()
    policy = RulePolicy.create(RulePolicy.get_default_config(), LocalModelStorage(storage), Resource("rules"),
                               ExecutionContext(GraphSchema({}), "test"))
    RulePolicy._prediction_states = RASA_RULE_STATES  # trained as `rasa train` does, without the speed-ups
    try:
        policy.train(trackers, DOMAIN)
    finally:
        speedups.apply()
    return policy, [list(tracker.events) for tracker in trackers if not tracker.is_rule_tracker]


INTENTS = ["greet", "inform", "affirm", "deny", "ask_plan", "ask_activity", "thanks", "stop", "start_checkin"]
NOISE = st.one_of(
    st.sampled_from(INTENTS).map(lambda i: [ActionExecuted("action_listen"), UserUttered("x", {"name": i})]),
    st.sampled_from(["action_plan", "utter_disclaimer", "action_record_checkin"]).map(lambda a: [ActionExecuted(a)]),
    st.sampled_from([("onboarded", True), ("safety_asking", True)]).map(lambda slot: [SlotSet(*slot)]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(NOISE, max_size=25), st.integers(0, 10_000), st.integers(1, 10_000))
def test_rule_policy_predicts_on_its_longest_rules_states_as_on_the_whole_session(rule_policy, noise, story, cut):
    """A story's turns after a long stretch of other turns, cut anywhere: the prediction is Rasa's."""
    policy, stories = rule_policy
    events = stories[story % len(stories)]
    tracker = DialogueStateTracker.from_events(
        "patient", [*(e for turn in noise for e in turn), *events[:cut % len(events) + 1]], DOMAIN.slots)
    for text in (True, False):  # the rules applying, and whether a key no rule matches is a hidden rule's
        states, all_states = policy._prediction_states(tracker, DOMAIN, text), RASA_RULE_STATES(policy, tracker,
                                                                                                  DOMAIN, text)
        for lookup in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
            assert policy._get_possible_keys(policy.lookup[lookup], states) == policy._get_possible_keys(
                policy.lookup[lookup], all_states)
        hidden = policy.lookup[RULES_NOT_IN_STORIES]
        assert (policy._create_feature_key(states) in hidden) == (policy._create_feature_key(all_states) in hidden)
    ours = policy.predict_action_probabilities(tracker, DOMAIN)
    RulePolicy._prediction_states = RASA_RULE_STATES
    try:
        rasas = policy.predict_action_probabilities(tracker, DOMAIN)
    finally:
        speedups.apply()
    assert (ours.probabilities, ours.events, ours.hide_rule_turn) == (rasas.probabilities, rasas.events,
                                                                       rasas.hide_rule_turn)
