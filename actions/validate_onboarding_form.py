"""validate_onboarding_form: reads which ankle, the main sport and whether it has been diagnosed."""

from __future__ import annotations

from actions._forms import AnswerFormValidation


class ValidateOnboardingForm(AnswerFormValidation):
    def name(self) -> str:
        return "validate_onboarding_form"
