"""The clinic's notices of serious escalations on a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is
set), sent by the real connectors (slack_sdk, smtplib) to local fakes of Slack and an SMTP server, with an explicit
`now`: written with the escalation, one notice per channel, retried by the rules, never sent twice."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from rehab_coach.adapters.clinic_channels import Email, SlackWebhook
from rehab_coach.adapters.nlp import read
from rehab_coach.adapters.storage import PatientRecord, Store
from rehab_coach.adapters.storage.notifications import NotificationStore
from rehab_coach.bootstrap import reminder_defaults
from rehab_coach.core.knowledge import default_knowledge
from rehab_coach.core.model import Escalation
from rehab_coach.services.coach import Coach
from rehab_coach.services.notifications import NO_CHANNEL, Channel, ClinicNotifier, NotifyReport
from rehab_coach.settings import ClinicEmail
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSMTP
from tests.storage.conftest import TODAY, at_once

NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 30, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)
PORTAL = "https://portal.example"
CLOT = Escalation("emergency", ("A hot swollen calf and breathlessness need emergency care.",), ("dvt_pe",))
NUMB = Escalation("urgent", ("Numbness that stays needs same-day care.",), ("numb_foot",))
STALLED = Escalation("routine", ("No improvement in 6 weeks.",), ("no_improvement",))
SAID = "my calf is swollen and hot and I'm short of breath"


@pytest.fixture
def slack():
    with FakeSlack().running() as fake:
        yield fake


@pytest.fixture
def smtp():
    with FakeSMTP().running() as fake:
        yield fake


def email(smtp: FakeSMTP, **changes: object) -> Email:
    config = dict(host=smtp.host, port=smtp.port, starttls=False, username=None, password=None,
                  sender="coach@clinic.example", to=("physio@clinic.example", "lead@clinic.example"))
    return Email(ClinicEmail(**{**config, **changes}))  # type: ignore[arg-type]


def notifier(engine: Engine, *channels: Channel) -> ClinicNotifier:
    return ClinicNotifier(NotificationStore(engine), channels, default_knowledge().rules.notifications, PORTAL)


def escalated(store: Store, name: str, escalation: Escalation = NUMB, at: datetime = NOW) -> PatientRecord:
    """A patient whose message raised `escalation`, stored as the chat stores it."""
    patient = store.patient("rest", name, TODAY)
    assert Coach(store, default_knowledge(), read, reminder_defaults()).escalate(patient, escalation, SAID, at)
    return patient


def test_an_emergency_or_urgent_escalation_is_stored_with_its_notice_a_routine_one_without(engine, store):
    patients = {escalation.urgency: escalated(store, escalation.urgency, escalation) for escalation in
                (CLOT, NUMB, STALLED)}
    due = NotificationStore(engine).due(NOW, 10)
    assert [(n.patient_id, n.urgency, n.attempts, n.delivered_at) for n in due] == [
        (patients["emergency"].id, "emergency", 0, None), (patients["urgent"].id, "urgent", 0, None)]
    assert [n.escalation_id for n in due] == [store.escalations(patients[u].id)[0].id for u in ("emergency", "urgent")]
    store.erase(patients["urgent"].id)
    assert [n.urgency for n in NotificationStore(engine).due(NOW, 10)] == ["emergency"]


def test_one_round_tells_the_clinic_by_slack_and_email_only_who_how_urgently_and_where(engine, store, slack, smtp):
    patient = escalated(store, "anna-web-7f3a")
    report = notifier(engine, SlackWebhook(slack.url), email(smtp)).run_round(NOW)
    assert report == NotifyReport(delivered=1)
    expected = f"Patient {patient.id} needs attention (urgent). Open: {PORTAL}/patients/{patient.id}"
    assert slack.texts() == [expected]
    (mail,) = smtp.mails
    assert mail.text == expected and mail.message["Subject"] == f"Patient {patient.id} needs attention (urgent)"
    assert (mail.sender, mail.recipients) == ("coach@clinic.example", ("physio@clinic.example", "lead@clinic.example"))
    for health_detail in ("calf", "swollen", "breath", "Numbness", "numb_foot", "anna", "7f3a"):
        assert health_detail not in slack.posts[0].body["text"] and health_detail not in mail.message.as_string()
    assert notifier(engine, SlackWebhook(slack.url), email(smtp)).run_round(NOW + MINUTE) == NotifyReport()
    (sent,) = NotificationStore(engine).of_patient(patient.id)
    assert (sent.delivered_at, sent.next_attempt_at, sent.delivered_by, sent.attempts) == (NOW, None,
                                                                                           ("slack", "email"), 1)


def test_a_failing_provider_is_retried_by_the_rules_then_left_undelivered_while_the_others_go_out(
        engine, store, slack, smtp):
    first, second = escalated(store, "first"), escalated(store, "second", CLOT)
    slack.failing = 500
    coach = notifier(engine, SlackWebhook(slack.url), email(smtp))
    assert coach.run_round(NOW) == NotifyReport(failed=2)
    assert len(smtp.mails) == 2  # email took both: it is not sent them again
    slack.failing, slack.fail_next = 0, [500]  # the first's retry fails, the second's goes out
    rounds = {minutes: coach.run_round(NOW + minutes * MINUTE) for minutes in (0.5, 1, 1.5, 2)}
    assert rounds == {0.5: NotifyReport(), 1: NotifyReport(delivered=1, failed=1), 1.5: NotifyReport(),
                      2: NotifyReport()}
    slack.failing = 500
    waits = default_knowledge().rules.notifications.retry_minutes
    at = NOW + MINUTE
    for wait in waits[1:]:
        at += wait * MINUTE
        assert coach.run_round(at - timedelta(seconds=1)) == NotifyReport()  # not before its wait
        assert coach.run_round(at) == NotifyReport(failed=1)
    assert coach.run_round(at + timedelta(days=1)) == NotifyReport()  # the last retry was the last
    store_ = NotificationStore(engine)
    (given_up,) = store_.of_patient(first.id)
    assert (given_up.attempts, given_up.next_attempt_at, given_up.delivered_at) == (len(waits) + 1, None, None)
    assert (given_up.last_error, given_up.delivered_by) == ("slack: HTTP 500", ("email",))
    assert [n.patient_id for n in store_.undelivered(NOW, 10)] == [first.id]
    assert store_.of_patient(second.id)[0].delivered_at is not None
    assert len(smtp.mails) == 2 and len(slack.posts) == 3 + len(waits)


def test_a_channel_that_breaks_in_any_way_stops_no_other_and_no_other_notice(engine, store, slack):
    class Broken:
        name = "broken"

        def send(self, subject: str, text: str) -> None:
            raise RuntimeError(f"cannot send {text}")

    escalated(store, "a"), escalated(store, "b")
    assert notifier(engine, Broken(), SlackWebhook(slack.url)).run_round(NOW) == NotifyReport(failed=2)
    assert len(slack.texts()) == 2
    assert {n.last_error for n in NotificationStore(engine).due(NOW + MINUTE, 10)} == {"broken: RuntimeError"}


def test_two_schedulers_at_once_deliver_each_notice_once(engine, store, database_url, slack, smtp):
    patients = [escalated(store, f"p{n}") for n in range(30)]
    channels = (SlackWebhook(slack.url), email(smtp))
    reports = at_once(database_url, lambda engine_: notifier(engine_, *channels).run_round(NOW))
    assert sum(report.delivered for report in reports) == 30
    expected = sorted(f"Patient {p.id} needs attention (urgent). Open: {PORTAL}/patients/{p.id}" for p in patients)
    assert sorted(slack.texts()) == expected and sorted(mail.text for mail in smtp.mails) == expected


def test_without_a_channel_the_notices_are_kept_marked_and_sent_once_one_is_configured(engine, store, slack):
    patient = escalated(store, "a")
    assert notifier(engine).run_round(NOW) == NotifyReport()
    (waiting,) = NotificationStore(engine).undelivered(NOW, 10)
    assert (waiting.patient_id, waiting.last_error, waiting.attempts) == (patient.id, NO_CHANNEL, 0)
    assert notifier(engine, SlackWebhook(slack.url)).run_round(NOW + MINUTE) == NotifyReport(delivered=1)
    assert NotificationStore(engine).undelivered(NOW + MINUTE, 10) == []


def test_email_logs_in_when_given_a_login_and_needs_starttls_unless_turned_off(engine, store):
    escalated(store, "a")
    with FakeSMTP(login=("clinic", "s3cret")).running() as smtp:
        assert notifier(engine, email(smtp, starttls=True)).run_round(NOW) == NotifyReport(failed=1)
        assert notifier(engine, email(smtp, username="clinic", password="wrong")).run_round(
            NOW + MINUTE) == NotifyReport(failed=1)
        errors = [n.last_error for n in NotificationStore(engine).undelivered(NOW, 10)]
        assert errors == ["email: SMTPAuthenticationError 535"]
        assert notifier(engine, email(smtp, username="clinic", password="s3cret")).run_round(
            NOW + 3 * MINUTE) == NotifyReport(delivered=1)
        assert len(smtp.mails) == 1


def test_a_slack_that_cannot_be_reached_is_an_error_kind_without_the_webhook_url(engine, store, slack, caplog):
    escalated(store, "a")
    with FakeSlack().running() as gone:
        url = gone.url
    assert notifier(engine, SlackWebhook(url)).run_round(NOW) == NotifyReport(failed=1)
    assert [n.last_error for n in NotificationStore(engine).undelivered(NOW, 10)] == ["slack: URLError"]
    assert "fakeWebhookSecret" not in caplog.text and "T00000000" not in caplog.text


def test_an_escalation_and_its_notice_are_written_in_one_transaction(store, patient, count_rows):
    with pytest.raises(IntegrityError):  # a routine escalation cannot have a notice: the escalation goes too
        store.save_escalation(patient.id, STALLED, SAID, NOW, notify=True)
    assert (count_rows("escalations"), count_rows("clinic_notifications")) == (0, 0)


def test_a_first_attempt_goes_before_the_retries_due_before_it(engine, store):
    class Recording:
        name = "recording"
        sent: list[str] = []

        def send(self, subject: str, text: str) -> None:
            self.sent.append(subject)
            raise TimeoutError  # a provider that hangs until the send's timeout

    retried = escalated(store, "retried")
    notifier(engine, Recording()).run_round(NOW)
    new = escalated(store, "new", at=NOW + 1.5 * MINUTE)  # the retry was due at NOW + 1 minute
    Recording.sent.clear()
    notifier(engine, Recording()).run_round(NOW + 2 * MINUTE)
    assert Recording.sent == [f"Patient {new.id} needs attention (urgent)", f"Patient {retried.id} needs attention "
                                                                            "(urgent)"]
