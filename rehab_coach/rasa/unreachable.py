"""The action server out of reach (stopped, restarting, or every one of them down behind the load balancer), or an
action failing there: Rasa 3.6 logs it and carries on without the action's events, so the patient hears nothing.
Here the Rasa server says `utter_planner_unreachable` instead, once a turn: their message is in the conversation
already, and the next turn that reaches the action server takes it from there. A turn that has sent a red flag's
advice (which needs only the Rasa server) says nothing more: "try again in a minute" must not follow "call the
emergency number"."""

from __future__ import annotations

import logging

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.channels.channel import OutputChannel
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

log = logging.getLogger(__name__)
NOTICE = "utter_planner_unreachable"
_run = RemoteAction.run


def _said_this_turn(tracker: DialogueStateTracker) -> list[BotUttered]:
    said = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            said.append(event)
    return said


async def _run_or_say_so(self: RemoteAction, output_channel: OutputChannel, nlg: NaturalLanguageGenerator,
                         tracker: DialogueStateTracker, domain: Domain) -> list[Event]:
    try:
        return await _run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except Exception as error:  # noqa: BLE001 - any failure to run it: the patient must not be left in silence
        log.error("action %s failed: %s", self.name(), type(error).__name__)
        if any(event.metadata.get("utter_action") == NOTICE
               or (event.data.get("custom") or {}).get("kind") == "escalation" for event in _said_this_turn(tracker)):
            return []
        draft = await nlg.generate(NOTICE, tracker, output_channel.name()) or {}
        return [create_bot_utterance({**draft, "utter_action": NOTICE})]


def apply() -> None:
    RemoteAction.run = _run_or_say_so
