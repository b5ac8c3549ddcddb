"""validate_checkin_form: reads the daily check-in answers (several in one message fill several slots)."""

from __future__ import annotations

from actions._forms import AnswerFormValidation


class ValidateCheckinForm(AnswerFormValidation):
    def name(self) -> str:
        return "validate_checkin_form"
