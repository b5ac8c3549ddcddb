"""The reminder scheduler: `python -m rehab_coach.scheduler --rasa-url URL`, started and stopped by `./coach run`
(rehab_coach/runner.py). It runs a round of rehab_coach/services/reminders.py at start and then every 30 s; SIGTERM
ends it after the send under way, so a restart loses and doubles nothing. Each round also sends the clinic's notices
of emergency and urgent escalations (rehab_coach/services/notifications.py: so one goes out within a minute), and
applies the retention rule when TRANSCRIPT_RETENTION_DAYS is set (`./coach retention` does the same by hand).

A loop rather than APScheduler 3.9 (installed with Rasa) and its SQLAlchemy job store: that store keeps jobs, not
patient-days, and its guide says a job store must never be shared between schedulers (3.x has no locking between
processes), so one send per patient-day with two schedulers would still need our own claim in the database. With the
claim there, what is left is "run a round every 30 s": a few lines, no job tables or pickled jobs, and rounds that
tests drive with an explicit `now`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from threading import Event, Thread

from rehab_coach import settings
from rehab_coach.addresses import RASA_URL

log = logging.getLogger("rehab_coach.scheduler")  # counts and error kinds only
EVERY = 30.0  # seconds between rounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rehab_coach.scheduler", description=__doc__.split("\n")[0])
    parser.add_argument("--rasa-url", default=RASA_URL, help="the Rasa server (default: %(default)s)")
    parser.add_argument("--every", type=float, default=EVERY, help="seconds between rounds (default: %(default)s)")
    args = parser.parse_args(argv)
    from rehab_coach import bootstrap  # not at import: the runner reads EVERY

    retention_days = settings.load().transcript_retention_days  # a wrong setting stops here, with one line
    clinic = bootstrap.clinic(args.rasa_url)[0] if retention_days else None
    notifier = bootstrap.clinic_notifier()  # so does a half-configured notification channel
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    scheduler = bootstrap.reminders(args.rasa_url)

    def remind() -> None:
        report = scheduler.run_round(datetime.now(timezone.utc), stop)
        if report.sent or report.failed or report.alerts:
            log.info("reminders sent: %d, failed: %d, clinic alerts: %d", report.sent, report.failed, report.alerts)

    def retain() -> None:
        if clinic is not None and retention_days is not None:
            erased = clinic.apply_retention(datetime.now(timezone.utc).date(), retention_days)
            if erased:
                log.info("conversations erased under the retention rule: %d", erased)

    def notify() -> None:
        report = notifier.run_round(datetime.now(timezone.utc), stop)
        if report.delivered or report.failed:
            log.info("clinic notifications delivered: %d, failed: %d", report.delivered, report.failed)

    # The clinic's notices in a loop of their own: a long reminder round (10,000 patients: 38 s) must not hold
    # back the notice of an emergency.
    notices = Thread(target=_repeat, args=((notify,), args.every, stop), name="notices")
    notices.start()
    _repeat((remind, retain), args.every, stop)
    notices.join()
    return 0


def _repeat(works: tuple[Callable[[], None], ...], every: float, stop: Event) -> None:
    """Each of `works` now and then every `every` seconds until `stop` is set; one failing stops no other."""
    while not stop.is_set():
        for work in works:
            try:
                work()
            except Exception as error:  # the database away for a moment: the next round tries again
                log.error("%s round failed: %s", work.__name__, type(error).__name__)
        stop.wait(every)


if __name__ == "__main__":
    sys.exit(main())
