"""The phrases the README promises ("Things you can ask the coach") reach the right intent."""

from __future__ import annotations

import pytest
from rasa.core.agent import Agent

from rehab_coach import runner

pytestmark = pytest.mark.slow

EXAMPLES = [
    ("hi", "greet"), ("check in", "start_checkin"), ("what's my plan today?", "ask_plan"),
    ("can I run?", "ask_activity"), ("is relevé OK?", "ask_activity"), ("can I go cycling?", "ask_activity"),
    ("how do I do the calf stretch on a step?", "ask_exercise"), ("how am I doing?", "ask_progress"),
    ("stop", "stop"), ("later", "stop"), ("my calf is swollen and hot", "red_flag"), ("I heard a crack", "red_flag"),
    ("remind me at 7pm", "change_reminders"),
    ("remind me at half seven in the evening New York time", "change_reminders"),
    ("stop reminders", "change_reminders"), ("pause reminders for a week", "change_reminders"),
    ("no reminders till the 20th", "change_reminders"), ("start reminders", "change_reminders"),
    ("when is my reminder?", "change_reminders"),
]


@pytest.fixture(scope="module")
def agent() -> Agent:
    return Agent.load(str(runner.prepare()))


@pytest.mark.parametrize("text,intent", EXAMPLES)
async def test_readme_example_is_understood(agent, text, intent):
    parsed = await agent.parse_message(text)
    # the red-flag detector answers serious findings with its own intents, which are red flags too
    assert parsed["intent"]["name"].removesuffix("_emergency").removesuffix("_urgent") == intent
