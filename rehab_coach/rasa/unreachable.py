"""The action server out of reach (stopped, restarting, or every one of them down behind the load balancer), or an
action failing there: Rasa 3.6 logs it and carries on without the action's events, so the patient hears nothing,
or whatever the policies guess next. Here the Rasa server tries the action once more half a second later (an
action server killed mid-call: the load balancer sends the second try to another; the coach's actions write
each day's records once, whatever the tries). If that fails too, it says `utter_planner_unreachable`, with a
`notice` payload (the reply contract's: when to try again), and ends the turn, once a turn: their message is in
the conversation already, and the next turn that reaches the action server takes it from there. A form whose
validation failed says it too and stays active, so the patient's answer, sent again, goes on with the check-in
(Rasa would reject the form and answer with the fallback). A turn that has sent a red flag's advice (which needs
only the Rasa server) says nothing more: "try again in a minute" must not follow "call the emergency number".

The database out of reach: Rasa's FailSafeTrackerStore would start a new conversation when it cannot read one, and
keep a turn it cannot write in memory, answering as if it were stored. Here the turn fails instead, and the channel
says so (REST: 503 with the reason; web chat: "please send that again"), so the patient sends it again and nothing
they were told was recorded is lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from rasa.core.actions.action import Action, ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.actions.forms import FormAction
from rasa.core.channels.channel import OutputChannel
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, FollowupAction, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rehab_coach.core import contract

log = logging.getLogger(__name__)
NOTICE = "utter_planner_unreachable"
TRY_AGAIN_AFTER = 60  # seconds, in the notice's payload ("please try again in a minute")
AGAIN_AFTER = 0.5  # seconds before an action is tried once more (the load balancer has moved on by then)
Run = Callable[[Action, OutputChannel, NaturalLanguageGenerator, DialogueStateTracker, Domain], Awaitable[list[Event]]]
_RUNS: dict[type[Action], Run] = {RemoteAction: RemoteAction.run, FormAction: FormAction.run}


def _said_this_turn(tracker: DialogueStateTracker) -> list[BotUttered]:
    said = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            said.append(event)
    return said


def _saying_so(run: Run) -> Run:
    async def run_or_say_so(self: Action, output_channel: OutputChannel, nlg: NaturalLanguageGenerator,
                            tracker: DialogueStateTracker, domain: Domain) -> list[Event]:
        for tries_left in range(1 if isinstance(self, RemoteAction) else 0, -1, -1):
            try:
                return await run(self, output_channel, nlg, tracker, domain)
            except ActionExecutionRejection:
                raise
            except Exception as error:  # noqa: BLE001 - any failure to run it: the patient must not be left in silence
                log.error("action %s failed: %s%s", self.name(), type(error).__name__, ", once more" * tries_left)
                if tries_left:
                    await asyncio.sleep(AGAIN_AFTER)
                    continue
                if isinstance(self, RemoteAction) and self.name().startswith("validate_"):
                    raise  # a form's validation: the form says so, and stays active for the patient's next message
        said = _said_this_turn(tracker)
        end_of_turn = FollowupAction(ACTION_LISTEN_NAME)  # no guess at what comes next without the planner
        if any(event.metadata.get("utter_action") == NOTICE
               or (event.data.get("custom") or {}).get("kind") == "escalation" for event in said):
            return [end_of_turn]
        draft = await nlg.generate(NOTICE, tracker, output_channel.name()) or {}
        payload = contract.notice("planner_unreachable", TRY_AGAIN_AFTER)
        return [create_bot_utterance({**draft, "custom": payload, "utter_action": NOTICE}), end_of_turn]

    return run_or_say_so


async def _retrieve(self: FailSafeTrackerStore, sender_id: str) -> DialogueStateTracker | None:
    """Rasa's answers None when the database fails, and the patient's next message starts a new conversation."""
    return await self._tracker_store.retrieve(sender_id)


async def _save(self: FailSafeTrackerStore, tracker: DialogueStateTracker) -> None:
    """Rasa's saves to memory when the database fails, and the patient is answered as if it were stored."""
    await self._tracker_store.save(tracker)


def apply() -> None:
    for action, run in _RUNS.items():
        action.run = _saying_so(run)
    FailSafeTrackerStore.retrieve, FailSafeTrackerStore.save = _retrieve, _save
