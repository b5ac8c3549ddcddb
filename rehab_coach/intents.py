"""Intent names the code relies on: the red-flag detector forces them, actions and rules respond to them."""

RED_FLAG_INTENT = "red_flag"
# Forced for emergency and urgent findings: the rules answer them with a domain response from the Rasa
# server itself, so the advice reaches the patient even when the action server is down.
SERIOUS_INTENTS = {"emergency": "red_flag_emergency", "urgent": "red_flag_urgent"}
# A routine finding is added to these intents' answers by their actions; any other intent gives way to
# the red_flag intent, so the routine advice is given (and stored) whatever the classifier guessed.
ANSWERED_WITH_ROUTINE = frozenset({"ask_plan", "ask_all_exercises", "ask_activity", "ask_exercise", "ask_progress",
                                   "start_checkin", "stop", "goodbye", "ask_warning_signs"})
