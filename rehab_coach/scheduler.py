"""The reminder scheduler: `python -m rehab_coach.scheduler --rasa-url URL`, started and stopped by `./coach run`
(rehab_coach/runner.py). It runs a round of rehab_coach/services/reminders.py at start and then every 30 s; SIGTERM
ends it after the send under way, so a restart loses and doubles nothing. Each round also applies the retention rule
when TRANSCRIPT_RETENTION_DAYS is set (`./coach retention` does the same by hand).

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
from datetime import datetime, timezone
from threading import Event

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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    scheduler = bootstrap.reminders(args.rasa_url)
    while not stop.is_set():
        try:
            report = scheduler.run_round(datetime.now(timezone.utc), stop)
        except Exception as error:  # the database away for a moment: the next round tries again
            log.error("reminder round failed: %s", type(error).__name__)
        else:
            if report.sent or report.failed or report.alerts:
                log.info("reminders sent: %d, failed: %d, clinic alerts: %d", report.sent, report.failed,
                         report.alerts)
        if clinic is not None and retention_days is not None:
            try:
                erased = clinic.apply_retention(datetime.now(timezone.utc).date(), retention_days)
            except Exception as error:
                log.error("retention failed: %s", type(error).__name__)
            else:
                if erased:
                    log.info("conversations erased under the retention rule: %d", erased)
        stop.wait(args.every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
