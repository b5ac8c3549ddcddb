"""The reminder set's scoring in tools/nlu_eval.py, on a small sanity set written here (not the blind sets)."""

from __future__ import annotations

from datetime import date

import yaml

from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.reminder_request import reminder_reader
from tools.nlu_eval import load_reminder_items, reminder_figures

SANITY = {"today": "2026-11-29", "items": [
    {"id": "r1", "text": "remind me at 7pm", "category": "reminder",
     "reminder": {"action": "set", "time": "19:00", "zone": None, "days": None}},
    {"id": "r2", "text": "no reminders till the 20th", "category": "reminder",
     "reminder": {"action": "pause", "time": None, "zone": None, "days": 21}},
    {"id": "r3", "text": "remind me at 8 Sydney time", "category": "reminder",
     "reminder": {"action": "set", "time": None, "zone": "Australia/Sydney", "days": None}},
    {"id": "r4", "text": "stop reminders", "category": "reminder",
     "reminder": {"action": "stop", "time": None, "zone": None, "days": None}},
    {"id": "l1", "text": "remind me how to do the calf raise", "category": "lookalike", "intent": "ask_exercise"},
    {"id": "l2", "text": "I did my exercises at 7pm", "category": "lookalike", "intent": "inform"},
]}


def test_intent_and_the_request_read_are_scored_per_item(tmp_path):
    path = tmp_path / "reminders.yml"
    path.write_text(yaml.safe_dump(SANITY))
    items, today = load_reminder_items(path)
    assert today == date(2026, 11, 29) and [i.intent for i in items][:1] == ["change_reminders"]
    # the classifier's intents, one wrong on each side
    intents = ["change_reminders", "change_reminders", "change_reminders", "stop", "change_reminders", "inform"]
    figures = {f.name.strip(): f for f in reminder_figures(items, intents, reminder_reader(default_knowledge()), today)}
    assert (figures["intent right"].hits, figures["intent right"].total) == (4, 6)
    assert figures["reminder requests: intent change_reminders"].misses == ("r4",)
    assert figures["reminder requests: request read right"].hits == 4
    assert (figures["set"].hits, figures["set"].total, figures["pause"].hits) == (2, 2, 1)
    assert figures["look-alikes: their own intent"].misses == ("l1",)
    assert figures["look-alikes: reminders left alone by the reader"].hits == 2


def test_a_request_read_wrong_is_a_miss(tmp_path):
    wrong = {**SANITY, "items": [{**SANITY["items"][0], "reminder": {"action": "set", "time": "07:00", "zone": None,
                                                                      "days": None}}]}
    path = tmp_path / "reminders.yml"
    path.write_text(yaml.safe_dump(wrong))
    items, today = load_reminder_items(path)
    figures = reminder_figures(items, ["change_reminders"], reminder_reader(default_knowledge()), today)
    assert next(f for f in figures if f.name == "reminder requests: request read right").misses == ("r1",)
