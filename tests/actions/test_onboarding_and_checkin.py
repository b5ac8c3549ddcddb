"""action_finish_onboarding and action_record_checkin on a real database."""

from __future__ import annotations

from actions.action_finish_onboarding import ActionFinishOnboarding
from actions.action_record_checkin import CHECKIN_SLOTS, ActionRecordCheckin
from rehab_coach.adapters.storage import Store
from tests.actions.conftest import QUIET_DAY, SENDER, TODAY, checkin, clock, kinds, payloads, run, slot_events, texts
from tests.actions.conftest import tracker as make_tracker
from tests.conftest import say


def onboarding_done(diagnosed: str):
    return make_tracker(diagnosed, "affirm" if diagnosed == "yes" else "deny",
                        slots={"onboarded": False, "side": "right", "sport": "football", "diagnosed": diagnosed})


async def test_onboarding_saves_the_profile_and_marks_the_patient_onboarded(coach, domain):
    events, dispatcher = await run(ActionFinishOnboarding(coach, clock), onboarding_done("yes"), domain)
    assert slot_events(events) == {"onboarded": True}
    profile = coach.store.patient("rest", SENDER, TODAY).profile
    assert (profile.side, profile.sport, profile.diagnosed) == ("right", "football", True)
    assert kinds(dispatcher) == ["reminders"]
    defaults = coach.reminder_defaults
    assert texts(dispatcher) == [say("utter_onboarded"), say("utter_onboarded_reminder", time=defaults.time,
                                                             zone=defaults.zone), say("utter_checkin_now")]
    assert coach.store.escalations(coach.store.patient("rest", SENDER, TODAY).id) == []


async def test_an_undiagnosed_patient_is_advised_an_assessment_and_it_is_stored(coach, domain):
    events, dispatcher = await run(ActionFinishOnboarding(coach, clock), onboarding_done("no"), domain)
    assert slot_events(events) == {"onboarded": True}
    payload, _ = payloads(dispatcher)
    assert (payload["kind"], payload["urgency"], payload["triggers"]) == ("escalation", "routine", ["not_diagnosed"])
    patient = coach.store.patient("rest", SENDER, TODAY)
    assert patient.profile.diagnosed is False
    (stored,) = coach.store.escalations(patient.id)
    assert stored.escalation.urgency == "routine" and stored.escalation.triggers == ("not_diagnosed",)
    assert list(stored.escalation.reasons) == payload["reasons"]


async def test_a_reminder_chosen_during_onboarding_is_confirmed_not_offered_as_the_default(coach, domain):
    patient = coach.store.patient("rest", SENDER, TODAY)
    coach.store.set_reminder_time(patient.id, "19:00", "Europe/London")
    _, dispatcher = await run(ActionFinishOnboarding(coach, clock), onboarding_done("yes"), domain)
    assert say("utter_reminder_is", time="19:00", zone="Europe/London") in texts(dispatcher)


# After a new patient's first check-in, PSFS is offered: its activities to be named first.
FIRST_OFFER = {"questionnaire": {"measure": "psfs", "items": None, "answers": []}, "questionnaire_offered": True}


def checkin_done(**values: object):
    return make_tracker("most of it", "inform", slots={**QUIET_DAY, **values})


async def test_a_checkin_is_recorded_then_answered_with_todays_plan_and_the_answers_reset(coach, domain, patient):
    events, dispatcher = await run(ActionRecordCheckin(coach, clock), checkin_done(pain_exercise=4), domain)
    assert kinds(dispatcher) == ["checkin_recorded", "plan", "question"]  # the PSFS offered: see test_questionnaire
    recorded, plan, _ = payloads(dispatcher)
    assert recorded["values"]["pain_exercise"] == 4 and recorded["day_class"] == "amber"
    assert plan["date"] == TODAY.isoformat() and plan["day_class"] == "amber"
    assert slot_events(events) == {**dict.fromkeys(CHECKIN_SLOTS), **FIRST_OFFER}
    assert coach.store.checkins(patient.id)[0].pain_exercise == 4
    plan_text = texts(dispatcher)[1]
    assert "phase 1" in plan_text and "Avoid today:" in plan_text and "Why:" in plan_text


async def test_float_pain_slots_are_recorded_as_whole_numbers(coach, domain, patient):
    await run(ActionRecordCheckin(coach, clock), checkin_done(pain_rest=2.0, pain_exercise=3.0), domain)
    assert coach.store.checkins(patient.id)[0].pain_rest == 2


async def test_a_referral_the_course_calls_for_follows_the_plan(coach, domain, patient):
    events, dispatcher = await run(ActionRecordCheckin(coach, clock), checkin_done(mechanical="locking"), domain)
    assert kinds(dispatcher) == ["checkin_recorded", "plan", "escalation", "question"]
    assert payloads(dispatcher)[2]["urgency"] == "routine"
    assert len(coach.store.escalations(patient.id)) == 1


async def test_a_failure_while_planning_never_loses_the_checkin(coach, domain, patient, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("planning failed")

    monkeypatch.setattr(coach, "plan_for_today", broken)
    events, dispatcher = await run(ActionRecordCheckin(coach, clock), checkin_done(), domain)
    assert coach.store.checkins(patient.id) == [checkin(TODAY)]
    assert kinds(dispatcher) == ["checkin_recorded", "question"]
    assert texts(dispatcher)[1] == say("utter_checkin_saved_no_plan")
    assert slot_events(events) == {**dict.fromkeys(CHECKIN_SLOTS), **FIRST_OFFER}


async def test_a_failing_triage_still_gives_the_plan(coach, domain, patient, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("triage failed")

    monkeypatch.setattr(coach, "triage", broken)
    _, dispatcher = await run(ActionRecordCheckin(coach, clock), checkin_done(), domain)
    assert kinds(dispatcher) == ["checkin_recorded", "plan", "question"]


async def test_when_saving_fails_the_answers_are_kept_for_another_try(coach, domain, patient, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(Store, "save_checkin", broken)
    events, dispatcher = await run(ActionRecordCheckin(coach, clock), checkin_done(), domain)
    assert events == [] and texts(dispatcher) == [say("utter_checkin_not_saved_yet")] and kinds(dispatcher) == []


async def test_invalid_answers_are_not_saved_and_asked_again_next_time(coach, domain, patient):
    events, dispatcher = await run(ActionRecordCheckin(coach, clock), checkin_done(pain_rest=15), domain)
    assert texts(dispatcher) == [say("utter_checkin_not_saved")] and coach.store.checkins(patient.id) == []
    assert slot_events(events) == dict.fromkeys(CHECKIN_SLOTS)


async def test_a_checkin_turn_reads_the_patients_history_once(coach, domain, patient, monkeypatch):
    reads = []
    history = coach.store.checkins
    monkeypatch.setattr(coach.store, "checkins", lambda *args, **kwargs: reads.append(args) or history(*args, **kwargs))
    _, dispatcher = await run(ActionRecordCheckin(coach, clock), checkin_done(mechanical="locking"), domain)
    assert kinds(dispatcher) == ["checkin_recorded", "plan", "escalation", "question"]
    assert len(reads) == 1
