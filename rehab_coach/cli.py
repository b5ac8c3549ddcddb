"""The `rehab-coach` command line (also reached through `./coach <command>`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from rehab_coach import settings
from rehab_coach.addresses import RASA_URL
from rehab_coach.paths import KNOWLEDGE_DIR, VAR_DIR
from rehab_coach.portal.__main__ import add_arguments as add_portal_arguments
from tools import nlu_eval as nlu_evaluation

WEB_LINK_DAYS, TELEGRAM_LINK_DAYS = 90, 14  # how long a new chat link stays valid, by default


def check_knowledge(args: argparse.Namespace) -> int:
    """Validate the knowledge folder; list every problem."""
    from rehab_coach import settings
    from rehab_coach.core.knowledge import QUESTIONNAIRES, KnowledgeError, load_knowledge

    questionnaires = settings.load().questionnaires_dir or Path(args.dir) / QUESTIONNAIRES
    try:
        knowledge = load_knowledge(Path(args.dir), questionnaires)
    except KnowledgeError as error:
        print(error, file=sys.stderr)
        return 1
    print(
        f"knowledge OK: {len(knowledge.phases)} phases, {len(knowledge.exercises)} exercises, "
        f"{len(knowledge.activities)} activities, {len(knowledge.red_flags)} red flags, "
        f"{len(knowledge.measures)} outcome measures, {len(knowledge.sources)} sources"
    )
    for measure in knowledge.measures.values():
        if measure.items_from == "clinic" and measure.id not in knowledge.questionnaires:
            text = questionnaires / f"{measure.id}.yml"
            print(f"note: {measure.id}: not configured (no licensed text at {text}), so not asked")
    return 0


def db_upgrade(args: argparse.Namespace) -> int:
    """Create or upgrade the database schema to the latest migration."""
    from rehab_coach import bootstrap

    bootstrap.migrate(args.url)
    print("database schema is up to date")
    return 0


def build_nlp(args: argparse.Namespace) -> int:
    """Build the chat's spaCy pipeline from knowledge/ (skipped when the knowledge is unchanged)."""
    from rehab_coach.adapters.nlp import SPACY_DIR, build_pipeline
    from rehab_coach.core.knowledge import default_knowledge

    built = build_pipeline(default_knowledge())
    print(f"spaCy pipeline {'built' if built else 'up to date'}: {SPACY_DIR}")
    return 0


def bench(args: argparse.Namespace) -> int:
    """Print the engine and storage benchmark figures."""
    from tools.bench import main as run_bench

    return run_bench()


def portal_bench(args: argparse.Namespace) -> int:
    """Print the clinician portal's figures with 10,000 patients x 365 days of check-ins."""
    from tools.portal_bench import main as run_portal_bench

    return run_portal_bench(args.patients, args.days)


def reminder_bench(args: argparse.Namespace) -> int:
    """Print the reminder scheduler's throughput and round time with 10,000 due patients (fake provider)."""
    from tools.reminder_bench import main as run_reminder_bench

    return run_reminder_bench(args.patients)


def train(args: argparse.Namespace) -> int:
    """Build the spaCy pipeline, migrate the database and train the model if its inputs changed."""
    from rehab_coach.runner import StepFailed, prepare

    try:
        print(f"model: {prepare()}")
    except StepFailed:
        return 1
    return 0


def chat_bench(args: argparse.Namespace) -> int:
    """Print conversation benchmark figures: the coach against a stock rasa init bot on the same message mixes."""
    from tools.chat_bench import main as run_chat_bench

    return run_chat_bench(args.rounds)


def turn_curve(args: argparse.Namespace) -> int:
    """Print how a turn's cost grows over one long session, the coach against a stock rasa init bot (and plot it)."""
    from tools.turn_curve import main as run_turn_curve

    return run_turn_curve(args.turns, args.rounds)


def nlu_eval(args: argparse.Namespace) -> int:
    """Understanding and behaviour on the evaluation sets (independent, development_blind, development)."""
    return nlu_evaluation.main(args)


def remind(args: argparse.Namespace) -> int:
    """Send the check-in reminders due now, one round by hand (`./coach run` sends them every 30 s by itself)."""
    from rehab_coach import bootstrap

    report = bootstrap.reminders(args.url).run_round(datetime.now(timezone.utc))
    print(f"reminders sent: {report.sent}, failed (retried later): {report.failed}, clinic alerts: {report.alerts}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Start the coach: check the knowledge, then prepare and start every process (Ctrl-C stops them)."""
    from rehab_coach import runner

    if check_knowledge(args):
        return 1
    return runner.main(demo=args.demo)


def cluster(args: argparse.Namespace) -> int:
    """Start the coach on several servers on this machine (PostgreSQL, Redis, HAProxy; README: Several servers)."""
    from rehab_coach import cluster

    if check_knowledge(args):
        return 1
    return cluster.main(args.rasa_servers, args.action_servers)


def load(args: argparse.Namespace) -> int:
    """Drive simulated patients at the coach, single or cluster, and print throughput, latency and losses."""
    from rehab_coach import load

    return load.main(args.profile, args.patients, args.minutes)


def enrol(args: argparse.Namespace) -> int:
    """Enrol a new web-chat patient and print their personal chat link."""
    from rehab_coach import bootstrap

    clinic, _ = bootstrap.clinic(args.url)
    patient, link = clinic.enrol(None, valid_for=timedelta(days=args.days))
    print(f"patient {patient.id} enrolled")
    return _print_link(link, args.days)


def chat_link(args: argparse.Namespace) -> int:
    """Print a new personal chat link for an enrolled patient (e.g. when the old one expired): the web chat's, or
    with --channel telegram the Telegram link that binds their Telegram chat."""
    from rehab_coach import bootstrap

    clinic, _ = bootstrap.clinic(args.url)
    telegram = args.channel == "telegram"
    days = args.days or (TELEGRAM_LINK_DAYS if telegram else WEB_LINK_DAYS)
    try:
        link = (clinic.telegram_link if telegram else clinic.chat_link)(args.patient, valid_for=timedelta(days=days))
    except (LookupError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    return _print_link(link, days)


def telegram_webhook(args: argparse.Namespace) -> int:
    """Have Telegram post the bot's updates to this coach at URL/webhooks/telegram/webhook, signed with
    TELEGRAM_WEBHOOK_SECRET (once, and again when the public address or the secret changes)."""
    import asyncio

    from aiogram.utils.exceptions import TelegramAPIError

    from rehab_coach.rasa.telegram import register_webhook

    if not settings.load().telegram:
        print("telegram-webhook: Telegram is not configured: set TELEGRAM_BOT_USERNAME (README, Telegram)",
              file=sys.stderr)
        return 1
    if not args.url.startswith("https://"):
        print("telegram-webhook: Telegram posts only to https:// addresses", file=sys.stderr)
        return 1
    try:
        webhook = asyncio.run(register_webhook(args.url))
    except TelegramAPIError as error:
        print(f"telegram-webhook: Telegram refused: {error}", file=sys.stderr)
        return 1
    print(f"Telegram posts the bot's updates to {webhook}")
    return 0


def phone_invite(args: argparse.Namespace) -> int:
    """Print how a patient binds their phone to the coach: the WhatsApp link and the SMS text (Twilio's numbers)."""
    from rehab_coach import bootstrap
    from rehab_coach.services import messaging

    try:
        invite = messaging.phone_invite(bootstrap.store().patient_by_id(args.patient), date.today())
    except LookupError:
        print(f"phone-invite: there is no patient {args.patient}", file=sys.stderr)
        return 1
    if invite is None:
        print("phone-invite: set TWILIO_WHATSAPP_NUMBER or TWILIO_SMS_NUMBER first (README: WhatsApp and SMS)",
              file=sys.stderr)
        return 1
    if invite.whatsapp_link:
        print(f"WhatsApp: {invite.whatsapp_link}")
    if invite.sms_number:
        print(f"SMS: text \"{invite.sms_text}\" to {invite.sms_number}")
    print(f"valid until {invite.valid_until}; it binds the phone that sends it to patient {args.patient}: "
          "give it to the patient only", file=sys.stderr)
    return 0


def patient_export(args: argparse.Namespace) -> int:
    """Write one patient's complete record, for the patient (right of access): JSON and a readable HTML page."""
    from rehab_coach import bootstrap
    from rehab_coach.portal.pages import templates
    from rehab_coach.services.clinic import record_json

    clinic, accounts = bootstrap.clinic(args.url)
    try:
        record = clinic.patient_record(accounts.named(args.by).id, args.patient)
    except LookupError as error:
        print(f"patient-export: {error}", file=sys.stderr)
        return 1
    folder = Path(args.to)
    folder.mkdir(parents=True, exist_ok=True)
    files = {folder / f"patient-{args.patient}-record.json": record_json(record),
             folder / f"patient-{args.patient}-record.html": templates.get_template("record.html").render(
                 record=record, session=None)}
    for path, text in files.items():
        path.touch(mode=0o600)
        path.write_text(text, encoding="utf-8")
        print(path)
    print("health data: hand it to the patient only, then delete these files", file=sys.stderr)
    return 0


def fhir_export(args: argparse.Namespace) -> int:
    """Write one patient's record (or everyone's, a Bundle a line) as FHIR R4, for the clinic's health system."""
    from rehab_coach import bootstrap
    from rehab_coach.services.clinic import fhir_json

    clinic, accounts = bootstrap.clinic(args.url)
    by = accounts.named(args.by).id
    path = Path(args.to) / (f"patient-{args.patient}.fhir.json" if args.patient else "fhir-all.ndjson")
    try:
        chunks = [fhir_json(clinic.fhir(by, args.patient))] if args.patient else clinic.fhir_all(by)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        with path.open("w", encoding="utf-8") as out:
            out.writelines(chunks)
    except LookupError as error:
        print(f"fhir-export: {error}", file=sys.stderr)
        return 1
    print(path)
    return 0


def patient_delete(args: argparse.Namespace) -> int:
    """Erase one patient (right to erasure): record, check-ins, plans, escalations, conversation, chat links."""
    from rehab_coach import bootstrap

    clinic, accounts = bootstrap.clinic(args.url)
    try:
        by = accounts.named(args.by)
        clinic.patient(args.patient)
    except LookupError as error:
        print(f"patient-delete: {error}", file=sys.stderr)
        return 1
    if not args.yes and input(f"Type {args.patient} to erase patient {args.patient} for good: ").strip() != str(
            args.patient):
        print("nothing erased", file=sys.stderr)
        return 1
    forgotten = clinic.erase(by.id, args.patient)
    print(f"patient {args.patient} erased")
    if not forgotten:
        print(f"the Rasa server at {args.url} did not confirm that it dropped its in-memory copy of the "
              "conversation: if it is running, restart it", file=sys.stderr)
    return 0


def retention(args: argparse.Namespace) -> int:
    """Erase the conversations of patients discharged TRANSCRIPT_RETENTION_DAYS ago or more (run daily; off unless
    the setting is given)."""
    from rehab_coach import bootstrap

    days = settings.load().transcript_retention_days
    if days is None:
        print("retention is off: set TRANSCRIPT_RETENTION_DAYS to erase conversations that many days after discharge")
        return 0
    clinic, _ = bootstrap.clinic(args.url)
    print(f"conversations erased: {clinic.apply_retention(date.today(), days)} (discharged {days}+ days ago)")
    return 0


def rotate_secrets(args: argparse.Namespace) -> int:
    """Replace the tokens and the chat-link key in var/secrets.env; links signed with the old key keep working for
    a grace period."""
    from rehab_coach.services.chat_links import KEY_NAME

    until = date.today() + timedelta(days=args.grace_days)
    for name in (settings.RASA_TOKEN, settings.ACTIONS_TOKEN, settings.REST_TOKEN, KEY_NAME):
        if settings.rotate(name, until if name == KEY_NAME else None):
            print(f"{name}: rotated")
        else:
            print(f"{name}: set in the environment, so rotate it there", file=sys.stderr)
    print(f"Chat links sent before now keep working until {until} (or their own expiry, if sooner); new links use "
          "the new key.\nRestart the servers (./coach run) to use the new tokens; clients of the REST channel and "
          f"the Rasa API find them in {settings.SECRETS_FILE}.")
    return 0


def _print_link(link: str, days: int) -> int:
    print(link)
    print(f"valid for {days} days; send it to the patient only", file=sys.stderr)
    return 0


def create_clinician(args: argparse.Namespace) -> int:
    """Create a clinician account for the portal (the password is asked for twice, or read from stdin)."""
    from rehab_coach import bootstrap
    from rehab_coach.services.accounts import username_problem

    problem = username_problem(args.name)
    if problem:
        print(f"create-clinician: {problem}", file=sys.stderr)
        return 1
    password = _read_new_password(args.password_stdin)
    if password is None:
        return 1
    _, accounts = bootstrap.clinic(RASA_URL)
    try:
        clinician = accounts.create(args.name, password)
    except ValueError as error:
        print(f"create-clinician: {error}", file=sys.stderr)
        return 1
    print(f"clinician {clinician.username!r} created; log in to the portal with that name and password")
    return 0


def _read_new_password(from_stdin: bool) -> str | None:
    """The new password, checked; None (with the reason printed) when it is refused."""
    from getpass import getpass

    from rehab_coach.services.accounts import password_problem

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            password = getpass("Password: ")
            again = getpass("The same password again: ")
        except EOFError:  # no terminal and nothing more to read
            print("create-clinician: no password given (scripts: --password-stdin)", file=sys.stderr)
            return None
        if again != password:
            print("create-clinician: the two passwords differ", file=sys.stderr)
            return None
    problem = password_problem(password)
    if problem:
        print(f"create-clinician: {problem}", file=sys.stderr)
        return None
    return password


def backup(args: argparse.Namespace) -> int:
    """Write a consistent copy of both databases (the app's, the tracker store's), even while the coach runs."""
    from rehab_coach import bootstrap
    from rehab_coach.adapters.backup import BackupError

    folder = Path(args.to or VAR_DIR / "backups" / datetime.now().strftime("%Y-%m-%d_%H%M%S"))
    try:
        files = bootstrap.backup(folder)
    except BackupError as error:
        print(f"backup: {error}", file=sys.stderr)
        return 1
    print(f"backup written to {folder} (readable by you alone: it is health data)")
    for name, path in files.items():
        print(f"  {name}: {path.name}, {path.stat().st_size:,} bytes")
    print(f"NOT in it: the secrets ({settings.SECRETS_FILE}). Keep them separately: chat links are signed with "
          "CHAT_TOKEN_KEY, and without it every patient's link stops working")
    return 0


def restore(args: argparse.Namespace) -> int:
    """Bring a backup back into the configured databases (refused if they hold records, unless --force)."""
    from rehab_coach import bootstrap
    from rehab_coach.adapters.backup import BackupError

    try:
        manifest = bootstrap.restore(Path(args.folder), args.force)
    except BackupError as error:
        print(f"restore: {error}", file=sys.stderr)
        return 1
    print(f"restored {' and '.join(manifest['databases'])} from the backup of {manifest['created_at']}; "
          "the database schema is up to date. Restart the coach if it is running.")
    return 0


def portal(args: argparse.Namespace) -> int:
    """Serve the clinician portal (the web app for clinicians); `./coach run` starts it too."""
    from rehab_coach.portal.__main__ import serve

    return serve(args)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": run,
    "cluster": cluster,
    "load": load,
    "check-knowledge": check_knowledge,
    "fhir-export": fhir_export,
    "db-upgrade": db_upgrade,
    "bench": bench,
    "build-nlp": build_nlp,
    "nlu-eval": nlu_eval,
    "chat-bench": chat_bench,
    "turn-curve": turn_curve,
    "portal-bench": portal_bench,
    "reminder-bench": reminder_bench,
    "train": train,
    "remind": remind,
    "enrol": enrol,
    "chat-link": chat_link,
    "telegram-webhook": telegram_webhook,
    "phone-invite": phone_invite,
    "patient-export": patient_export,
    "patient-delete": patient_delete,
    "create-clinician": create_clinician,
    "rotate-secrets": rotate_secrets,
    "retention": retention,
    "portal": portal,
    "backup": backup,
    "restore": restore,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rehab-coach", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-knowledge", help=check_knowledge.__doc__)
    check.add_argument("--dir", default=str(KNOWLEDGE_DIR), help="the knowledge folder (default: the project's)")
    upgrade = commands.add_parser("db-upgrade", help=db_upgrade.__doc__)
    upgrade.add_argument("--url", help="database URL (default: DATABASE_URL or the project's SQLite file)")
    commands.add_parser("bench", help=bench.__doc__)
    commands.add_parser("build-nlp", help=build_nlp.__doc__)
    nlu_evaluation.add_arguments(commands.add_parser("nlu-eval", help=nlu_eval.__doc__,
                                                     description=nlu_evaluation.__doc__,
                                                     formatter_class=argparse.RawDescriptionHelpFormatter))
    race = commands.add_parser("chat-bench", help=chat_bench.__doc__)
    race.add_argument("--rounds", type=int, default=2,
                      help="rounds per mix and bot, the bots taking turns (default: %(default)s)")
    curve = commands.add_parser("turn-curve", help=turn_curve.__doc__)
    curve.add_argument("--turns", type=int, default=300, help="turns in the session (default: %(default)s)")
    curve.add_argument("--rounds", type=int, default=1,
                       help="sessions per bot, the bots taking turns (default: %(default)s)")
    portal_figures = commands.add_parser("portal-bench", help=portal_bench.__doc__)
    portal_figures.add_argument("--patients", type=int, default=10_000, help="default: %(default)s")
    portal_figures.add_argument("--days", type=int, default=365, help="check-ins per patient (default: %(default)s)")
    reminder_figures = commands.add_parser("reminder-bench", help=reminder_bench.__doc__)
    reminder_figures.add_argument("--patients", type=int, default=10_000, help="default: %(default)s")
    commands.add_parser("train", help=train.__doc__)
    for name, command in (("remind", remind), ("retention", retention)):
        daily = commands.add_parser(name, help=command.__doc__)
        daily.add_argument("--url", default=RASA_URL, help="the Rasa server (default: %(default)s)")
    start = commands.add_parser("run", help=run.__doc__)
    start.add_argument("--demo", action="store_true",
                       help="let anyone open the web chat without a personal link (anonymous, for trying it out)")
    start.set_defaults(dir=str(KNOWLEDGE_DIR))
    several = commands.add_parser("cluster", help=cluster.__doc__)
    several.add_argument("--rasa-servers", type=int, default=2, choices=range(1, 9), metavar="N",
                         help="Rasa servers behind HAProxy (default: %(default)s)")
    several.add_argument("--action-servers", type=int, default=2, choices=range(1, 9), metavar="M",
                         help="action servers behind HAProxy (default: %(default)s)")
    several.set_defaults(dir=str(KNOWLEDGE_DIR))
    driven = commands.add_parser("load", help=load.__doc__)
    driven.add_argument("--profile", choices=["single", "cluster"], default="single")
    driven.add_argument("--patients", type=int, default=200, help="simulated patients at once (default: %(default)s)")
    driven.add_argument("--minutes", type=float, default=5, help="how long (default: %(default)s)")
    for name, command in (("enrol", enrol), ("chat-link", chat_link)):
        links = commands.add_parser(name, help=command.__doc__)
        if command is chat_link:
            links.add_argument("patient", type=int, help="the patient's number")
            links.add_argument("--channel", choices=["web", "telegram"], default="web",
                               help="the web chat's link, or Telegram's (default: %(default)s)")
            links.add_argument("--days", type=int, help=f"how long the link stays valid (default: {WEB_LINK_DAYS}; "
                                                        f"Telegram's: {TELEGRAM_LINK_DAYS})")
        else:
            links.add_argument("--days", type=int, default=WEB_LINK_DAYS,
                               help="how long the link stays valid (default: %(default)s)")
        links.add_argument("--url", default=RASA_URL, help="the Rasa server (default: %(default)s)")
    hook = commands.add_parser("telegram-webhook", help=telegram_webhook.__doc__)
    hook.add_argument("--url", required=True, help="this coach's public HTTPS address, e.g. https://coach.example")
    invite = commands.add_parser("phone-invite", help=phone_invite.__doc__)
    invite.add_argument("patient", type=int, help="the patient's number")
    for name, command in (("patient-export", patient_export), ("patient-delete", patient_delete)):
        rights = commands.add_parser(name, help=command.__doc__)
        rights.add_argument("patient", type=int, help="the patient's number")
        rights.add_argument("--by", required=True, help="your clinician name (the audit log records it)")
        rights.add_argument("--url", default=RASA_URL, help="the Rasa server (default: %(default)s)")
        if command is patient_export:
            rights.add_argument("--to", default=".", help="the folder to write to (default: the current one)")
        else:
            rights.add_argument("--yes", action="store_true", help="do not ask to confirm (for scripts)")
    standard = commands.add_parser("fhir-export", help=fhir_export.__doc__)
    standard.add_argument("patient", type=int, nargs="?", help="the patient's number (default: every patient)")
    standard.add_argument("--by", required=True, help="your clinician name (the audit log records it)")
    standard.add_argument("--url", default=RASA_URL, help="the Rasa server (default: %(default)s)")
    standard.add_argument("--to", default=".", help="the folder to write to (default: the current one)")
    clinician = commands.add_parser("create-clinician", help=create_clinician.__doc__)
    clinician.add_argument("name", help="the name the clinician logs in with")
    clinician.add_argument("--password-stdin", action="store_true",
                           help="read the password from the first line of standard input (for scripts)")
    rotation = commands.add_parser("rotate-secrets", help=rotate_secrets.__doc__)
    rotation.add_argument("--grace-days", type=int, default=30,
                          help="how long links signed with the old key keep working (default: %(default)s)")
    copy = commands.add_parser("backup", help=backup.__doc__)
    copy.add_argument("--to", help="a new folder for it (default: a timestamped one under var/backups/)")
    back = commands.add_parser("restore", help=restore.__doc__)
    back.add_argument("folder", help="the backup's folder")
    back.add_argument("--force", action="store_true", help="replace databases that already hold records")
    web = commands.add_parser("portal", help=portal.__doc__)
    add_portal_arguments(web)
    args = parser.parse_args(argv)
    settings.load()  # a wrong setting stops here, with one line naming it
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
