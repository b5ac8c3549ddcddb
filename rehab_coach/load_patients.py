"""The patients `./coach load` drives (a Locust file: `locust -f` runs it, rehab_coach/load.py starts it).

Each simulated patient talks over the REST webhook on the simulated clock: onboarding, then a day's check-in at a
time (each answer as people write them), today's plan, a question now and then, and on about one day in twenty
a red flag. What each patient was told is counted: check-ins acknowledged (a `checkin_recorded` payload) and
escalations given (an `escalation` payload), written at the end to LOAD_COUNTS for the comparison with what the
databases stored."""

from __future__ import annotations

import json
import os
import random
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from locust import FastHttpUser, between, events, task

START = datetime(2026, 3, 2, 8, 30)
ANSWERS = {"side": "the left one", "sport": "I dance", "diagnosed": "yes, my physio said so",
           "pain_rest": "about a 1", "pain_exercise": "3", "pain_morning": "2 this morning", "swelling": "no swelling",
           "mechanical": "nothing like that", "adherence": "did all of it"}
QUESTIONS = ["can I go for a run?", "how do I do the calf stretch?", "how am I doing?", "what should I avoid?"]
RED_FLAG = "my calf is swollen, hot and red and it hurts to walk"
counts: Counter[str] = Counter()
senders: list[str] = []


def _payloads(replies: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r["custom"] for r in replies if isinstance(r.get("custom"), dict) and r["custom"].get("kind") == kind]


class Patient(FastHttpUser):
    wait_time = between(float(os.environ.get("LOAD_THINK_MIN", 5)), float(os.environ.get("LOAD_THINK_MAX", 15)))

    def on_start(self) -> None:
        self.sender, self.day = f"load-{uuid.uuid4().hex[:12]}", 0
        senders.append(self.sender)
        self.answer_all(self.say("hi", "onboarding"))

    def say(self, text: str, name: str) -> list[dict[str, Any]]:
        body = {"sender": self.sender, "message": text,
                "metadata": {"now": (START + timedelta(days=self.day)).isoformat()}}
        with self.client.post("/webhooks/rest/webhook", json=body, name=name, catch_response=True,
                              headers={"Authorization": f"Bearer {os.environ['LOAD_REST_TOKEN']}"}) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return []
            replies = response.json()
        counts["checkins_acknowledged"] += len(_payloads(replies, "checkin_recorded"))
        counts["escalations_given"] += sum(payload["urgency"] in ("emergency", "urgent")
                                           for payload in _payloads(replies, "escalation"))
        return replies

    def answer_all(self, replies: list[dict[str, Any]]) -> None:
        for _ in range(12):
            questions = _payloads(replies, "question")
            if not questions:
                return
            replies = self.say(ANSWERS.get(questions[-1]["field"], "yes"), "answer")

    @task(6)
    def check_in(self) -> None:
        self.day += 1
        if random.random() < 0.05:
            self.answer_all(self.say(RED_FLAG, "red flag"))
        self.answer_all(self.say("check in", "check in"))

    @task(2)
    def plan(self) -> None:
        self.say("what's my plan today?", "plan")

    @task(1)
    def question(self) -> None:
        self.answer_all(self.say(random.choice(QUESTIONS), "question"))


@events.quitting.add_listener
def _write_counts(**_: Any) -> None:
    with open(os.environ["LOAD_COUNTS"], "w") as out:
        json.dump({"counts": counts, "senders": senders}, out)
