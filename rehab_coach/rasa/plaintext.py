"""The reply contract as plain text, for channels that show nothing but text (WhatsApp, SMS).

Every coaching reply carries its text (domain.yml words it: a plan's exercises and doses, an exercise's numbered
steps, an activity's verdict and reason, the progress) and its `custom` payload. Here the text is kept, its
Markdown bold made WhatsApp's `*bold*` (or dropped, on SMS), and what only the payload says is added: a question's
answers as short numbered choices ("Reply 1 none, 2 mild, 3 marked"; "Reply a number from 0 to 10"), an
escalation's heading first, in capitals. `answer` maps a reply to those choices ("2", "b", "Mild") back to the
answer the coach reads; anything else goes through as written. No payload string ever reaches the patient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

LIMIT = 1600  # characters in one Twilio message (WhatsApp and SMS)
BOLD = re.compile(r"\*\*(.+?)\*\*")
# A choice's words where its id reads badly ("all" of what?), as the web chat's buttons say them.
CHOICE_WORDS = {"adherence": {"all": "all of it", "some": "some of it", "none": "none of it"},
                "sport": {"other": "something else"}}
ALARM = {"emergency": "🚨 ", "urgent": "🚨 ", "routine": ""}


@dataclass(frozen=True)
class Choice:
    label: str  # what the patient reads
    answer: str  # what the coach is told when the patient picks it


def choices(question: dict[str, Any] | None) -> list[Choice]:
    """The numbered choices a `question` payload offers; [] for a scale, a number, a text or no question."""
    if not question:
        return []
    if question.get("type") == "yesno":
        return [Choice("yes", "yes"), Choice("no", "no")]
    if question.get("type") != "choice":
        return []
    field, labels = str(question.get("field")), question.get("labels") or []
    found = []
    for index, choice in enumerate(question.get("choices") or []):
        words = CHOICE_WORDS.get(field, {}).get(choice, choice.replace("_", " "))
        label = labels[index] if index < len(labels) else words
        # The words go to the coach, as from the web chat's buttons, except where they are not a value it knows.
        found.append(Choice(label, choice if (field, choice) == ("sport", "other") else label.lower()))
    return found


def reply_line(question: dict[str, Any]) -> str | None:
    """How to answer the question, in one line."""
    if question.get("type") == "scale":
        return f"Reply a number from {question.get('min', 0)} to {question.get('max', 10)}"
    offered = choices(question)
    return "Reply " + ", ".join(f"{n} {c.label}" for n, c in enumerate(offered, 1)) if offered else None


def answer(question: dict[str, Any] | None, reply: str) -> str:
    """The answer the patient means by `reply` to `question` (the one the conversation last asked): a choice's
    number ("2") or letter ("b") or its words ("Mild"); any other reply as written."""
    offered = choices(question)
    said = reply.strip().rstrip(".)!").strip().lower()
    if said.isdigit() and 1 <= int(said) <= len(offered):
        return offered[int(said) - 1].answer
    if len(said) == 1 and "a" <= said <= "z" and ord(said) - ord("a") < len(offered):
        return offered[ord(said) - ord("a")].answer
    return next((c.answer for c in offered if c.label.lower() == said), reply)


def render(message: dict[str, Any], whatsapp: bool) -> str:
    """One bot message (its `text` and `custom` payload) as the text a patient reads; "" when it has none."""
    custom = message.get("custom")
    payload: dict[str, Any] = custom if isinstance(custom, dict) else {}
    kind = payload.get("kind")
    text = BOLD.sub(r"*\1*" if whatsapp else r"\1", message.get("text") or "").strip()
    lines: list[str | None] = []
    if kind == "escalation":
        urgency = str(payload.get("urgency"))
        heading = ALARM.get(urgency, "") + (payload.get("heading") or urgency).upper()
        lines += [f"*{heading}*" if whatsapp else heading, text or "\n".join(payload.get("reasons") or [])]
    elif kind == "question":
        lines += [payload.get("problem"), text, reply_line(payload)]
    else:
        lines.append(text)
    return "\n".join(line for line in lines if line)


def parts(text: str, limit: int = LIMIT) -> list[str]:
    """`text` in messages of at most `limit` characters, cut between lines where it can be."""
    found: list[str] = []
    for line in text.splitlines():
        while len(line) > limit:
            found.append(line[:limit])
            line = line[limit:]
        if found and len(found[-1]) + 1 + len(line) <= limit:
            found[-1] += "\n" + line
        else:
            found.append(line)
    return found
