"""Two hot spots of the Rasa 3.6 server, fixed without changing behaviour (measured with py-spy under
`./coach chat-bench`). `apply()` patches both; the Rasa server's process calls it at start
(`rehab_coach.rasa.server`).

1. Every action-server response is validated with `jsonschema.validate`, which first checks Rasa's
   own constant schema against the JSON Schema meta-schema: half the server's CPU. Here the schema is
   checked once and a compiled validator reused; every response is still validated, with Rasa's
   own error message.
2. `Event.resolve_by_type` walks every subclass of Event for each event it deserialises. The answer
   for a type name never changes once the classes are imported, so found classes are remembered.
"""

from __future__ import annotations

from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event

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
_EVENT_TYPES: dict[str, type[Event]] = {}


def _cached_resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    found = _EVENT_TYPES.get(type_name)
    if found is None:
        found = _resolve_by_type(type_name, default)
        if found is not None and found is not default:  # only real matches: a default is the caller's
            _EVENT_TYPES[type_name] = found
    return found


def apply() -> None:
    """Patch both hot spots (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(_cached_resolve_by_type)
