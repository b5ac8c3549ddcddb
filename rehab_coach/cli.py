"""The `rehab-coach` command line (also reached through `./coach <command>`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from rehab_coach.paths import KNOWLEDGE_DIR


def check_knowledge(args: argparse.Namespace) -> int:
    """Validate the knowledge folder; list every problem."""
    from rehab_coach.knowledge import KnowledgeError, load_knowledge

    try:
        knowledge = load_knowledge(Path(args.dir))
    except KnowledgeError as error:
        print(error, file=sys.stderr)
        return 1
    print(
        f"knowledge OK: {len(knowledge.phases)} phases, {len(knowledge.exercises)} exercises, "
        f"{len(knowledge.activities)} activities, {len(knowledge.red_flags)} red flags, "
        f"{len(knowledge.sources)} sources"
    )
    return 0


def db_upgrade(args: argparse.Namespace) -> int:
    """Create or upgrade the database schema to the latest migration."""
    from rehab_coach.storage.db import default_database_url, upgrade

    upgrade(args.url or default_database_url())
    print("database schema is up to date")
    return 0


def build_nlp(args: argparse.Namespace) -> int:
    """Build the chat's spaCy pipeline from knowledge/ (skipped when the knowledge is unchanged)."""
    from rehab_coach.knowledge import default_knowledge
    from rehab_coach.nlp import SPACY_DIR, build_pipeline

    built = build_pipeline(default_knowledge())
    print(f"spaCy pipeline {'built' if built else 'up to date'}: {SPACY_DIR}")
    return 0


def bench(args: argparse.Namespace) -> int:
    """Print the engine and storage benchmark figures."""
    from rehab_coach.bench import main as run_bench

    return run_bench()


def train(args: argparse.Namespace) -> int:
    """Build the spaCy pipeline, migrate the database and train the model if its inputs changed."""
    from rehab_coach.runner import prepare

    print(f"model: {prepare()}")
    return 0


def chat_bench(args: argparse.Namespace) -> int:
    """Print conversation benchmark figures: the coach against a stock rasa init bot."""
    from rehab_coach.chat_bench import main as run_chat_bench

    return run_chat_bench()


def nlu_eval(args: argparse.Namespace) -> int:
    """Train an NLU-only model and report intent, entity, answer and red-flag figures on the held-out set."""
    from rehab_coach.nlu_eval import format_report
    from rehab_coach.nlu_eval import run as run_eval

    print(format_report(run_eval()))
    return 0


def remind(args: argparse.Namespace) -> int:
    """Send today's check-in reminder to every patient who has not checked in yet (run daily)."""
    from datetime import date

    from rehab_coach.reminders import send_reminders
    from rehab_coach.runner import secret
    from rehab_coach.storage import Store, default_database_url, make_engine

    sent = send_reminders(Store(make_engine(default_database_url())), args.url, secret("RASA_AUTH_TOKEN"), date.today())
    print(f"reminders sent: {sent}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Start the coach: check the knowledge, then prepare and start every process (Ctrl-C stops them)."""
    from rehab_coach import runner

    if check_knowledge(args):
        return 1
    return runner.main()


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": run,
    "check-knowledge": check_knowledge,
    "db-upgrade": db_upgrade,
    "bench": bench,
    "build-nlp": build_nlp,
    "nlu-eval": nlu_eval,
    "chat-bench": chat_bench,
    "train": train,
    "remind": remind,
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
    commands.add_parser("nlu-eval", help=nlu_eval.__doc__)
    commands.add_parser("chat-bench", help=chat_bench.__doc__)
    commands.add_parser("train", help=train.__doc__)
    reminders = commands.add_parser("remind", help=remind.__doc__)
    reminders.add_argument("--url", default="http://127.0.0.1:5005", help="the Rasa server (default: %(default)s)")
    start = commands.add_parser("run", help=run.__doc__)
    start.set_defaults(dir=str(KNOWLEDGE_DIR))
    args = parser.parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
