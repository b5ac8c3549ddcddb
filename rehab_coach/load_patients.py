"""The patients `./coach load` drives (a Locust file: `locust -f` runs it, rehab_coach/load.py starts it).

Three in four talk over the REST webhook, one in four in the web chat (socket.io, with a personal chat link's
token from LOAD_WEB_TOKENS), all on the simulated clock: onboarding, then a day's check-in at a time (each answer
as people write them), today's plan, a question now and then (REST), and on about one day in twenty a red flag.
Like people, they take 5-15 s to read a reply and write the next message, answers included.
What each patient was told is counted: check-ins acknowledged (a `checkin_recorded` payload) and escalations
given (an `escalation` payload), written at the end to LOAD_COUNTS, with each patient's channel and conversation,
for the comparison with what the databases stored."""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from queue import Empty, Queue
from typing import Any

import socketio
from locust import FastHttpUser, User, between, events, task

START = datetime(2026, 3, 2, 8, 30)
ANSWERS = {"side": "the left one", "sport": "I dance", "diagnosed": "yes, my physio said so",
           "pain_rest": "about a 1", "pain_exercise": "3", "pain_morning": "2 this morning", "swelling": "no swelling",
           "mechanical": "nothing like that", "adherence": "did all of it", "questionnaire_now": "no"}
QUESTIONS = ["can I go for a run?", "how do I do the calf stretch?", "how am I doing?", "what should I avoid?"]
RED_FLAG = "my calf is swollen, hot and red and it hurts to walk"
counts: Counter[str] = Counter()
patients: list[tuple[str, str]] = []  # (channel, conversation)
web_tokens: list[str] = []


def _payloads(replies: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r["custom"] for r in replies if isinstance(r.get("custom"), dict) and r["custom"].get("kind") == kind]


def _told(replies: list[dict[str, Any]]) -> None:
    counts["checkins_acknowledged"] += len(_payloads(replies, "checkin_recorded"))
    counts["escalations_given"] += sum(payload["urgency"] in ("emergency", "urgent")
                                       for payload in _payloads(replies, "escalation"))


def _now(day: int) -> str:
    return (START + timedelta(days=day)).isoformat()


class Answering:
    """What every patient does with the coach's questions: answer each, as people write, until none is left."""

    wait: Callable[[], None]  # Locust's User.wait: the patient's think time

    def say(self, text: str, name: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def answer_all(self, replies: list[dict[str, Any]]) -> None:
        for _ in range(12):
            questions = _payloads(replies, "question")
            if not questions:
                return
            self.wait()  # reading the question and writing the answer
            replies = self.say(ANSWERS.get(questions[-1]["field"], "yes"), "answer")


class Patient(Answering, FastHttpUser):
    weight = 3
    wait_time = between(5, 15)

    def on_start(self) -> None:
        self.sender, self.day = f"load-{uuid.uuid4().hex[:12]}", 0
        patients.append(("rest", self.sender))
        self.answer_all(self.say("hi", "onboarding"))

    def say(self, text: str, name: str) -> list[dict[str, Any]]:
        body = {"sender": self.sender, "message": text, "metadata": {"now": _now(self.day)}}
        with self.client.post("/webhooks/rest/webhook", json=body, name=name, catch_response=True,
                              headers={"Authorization": f"Bearer {os.environ['LOAD_REST_TOKEN']}"}) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return []
            replies = response.json()
            for notice in _payloads(replies, "notice"):  # the coach could not do it: "please try again"
                response.failure(f"notice: {notice['reason']}")
        _told(replies)
        return replies

    @task(6)
    def check_in(self) -> None:
        self.day += 1
        if random.random() < 0.05:
            self.answer_all(self.say(RED_FLAG, "red flag"))
            self.wait()
        self.answer_all(self.say("check in", "check in"))

    @task(2)
    def plan(self) -> None:
        self.say("what's my plan today?", "plan")

    @task(1)
    def question(self) -> None:
        self.answer_all(self.say(random.choice(QUESTIONS), "question"))


class WebPatient(Answering, User):
    """A patient in the web chat. A turn is timed to the reply that ends it: the next question or the plan, or the
    chat's error, a notice ("please try again") or a disconnection, which fail it with the reason."""

    weight = 1
    wait_time = between(5, 15)

    def on_start(self) -> None:
        self.day, self.inbox = 0, Queue[dict[str, Any]]()
        self.client = socketio.Client(reconnection=False)
        self.client.on("bot_uttered", self.inbox.put)
        self.client.on("chat_error", lambda error: self.inbox.put({"failed": error.get("reason")}))
        self.client.on("disconnect", lambda *_: self.inbox.put({"failed": "disconnected"}))
        self.client.connect(self.host, auth={"token": web_tokens.pop()}, transports=["polling"], wait_timeout=60)
        confirmed = Queue[str]()
        self.client.on("session_confirm", confirmed.put)
        self.client.emit("session_request", {})
        patients.append(("socketio", str(confirmed.get(timeout=60))))
        self.answer_all(self.say("hi", "web: onboarding"))

    def on_stop(self) -> None:
        self.client.disconnect()

    def say(self, text: str, name: str) -> list[dict[str, Any]]:
        started, replies = time.perf_counter(), list[dict[str, Any]]()
        error: Exception | None = None
        self.client.emit("user_uttered", {"message": text, "metadata": {"now": _now(self.day)}})
        try:
            while not replies or (replies[-1].get("custom") or {}).get("kind") not in {"question", "plan"}:
                reply = self.inbox.get(timeout=120)
                if "failed" in reply:
                    raise ConnectionError(reply["failed"])
                replies.append(reply)
                for notice in _payloads([reply], "notice"):
                    raise ConnectionError(f"notice: {notice['reason']}")
        except Empty:
            kinds = [(reply.get("custom") or {}).get("kind", "text") for reply in replies]
            error = TimeoutError(f"no question or plan within 120 s, after {kinds}")
        except ConnectionError as failed:
            error = failed
        events.request.fire(request_type="socket.io", name=name, response_time=(time.perf_counter() - started) * 1000,
                            response_length=len(replies), exception=error, context={})
        _told(replies)
        return replies

    @task(6)
    def check_in(self) -> None:
        self.day += 1
        self.answer_all(self.say("check in", "web: check in"))

    @task(2)
    def plan(self) -> None:
        self.say("what's my plan today?", "web: plan")


@events.init.add_listener
def _read_tokens(**_: Any) -> None:
    with open(os.environ["LOAD_WEB_TOKENS"]) as tokens:
        web_tokens.extend(tokens.read().split())


@events.quitting.add_listener
def _write_counts(**_: Any) -> None:
    with open(os.environ["LOAD_COUNTS"], "w") as out:
        json.dump({"counts": counts, "patients": patients}, out)
