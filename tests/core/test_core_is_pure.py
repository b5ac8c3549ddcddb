"""The core imports no framework: Rasa, the SDK, SQLAlchemy, spaCy or a web framework."""

import pkgutil
import subprocess
import sys

from rehab_coach import core

CORE = [f"rehab_coach.core.{m.name}" for m in pkgutil.iter_modules(core.__path__)]
FORBIDDEN = ["rasa", "rasa_sdk", "sqlalchemy", "spacy", "sanic", "fastapi", "flask", "starlette"]


def test_the_core_folder_is_walked():
    assert {"rehab_coach.core.engine", "rehab_coach.core.redflags", "rehab_coach.core.answers"} <= set(CORE)


def test_core_modules_import_no_framework():
    # The core reads through whichever reader it is given; here a plain word splitter stands in for spaCy.
    code = (
        f"import sys\nfor m in {CORE!r}: __import__(m)\n"
        "from datetime import date\n"
        "from rehab_coach.core.knowledge import default_knowledge\n"
        "from rehab_coach.core.reading import Reading, Token\n"
        "from rehab_coach.core.redflags import Detector\n"
        "from rehab_coach.core.triage import triage\n"
        "def read(text): return Reading(text, tuple(Token(w, w, 0, False) for w in text.lower().split()))\n"
        "k = default_knowledge()\n"
        "found = Detector(k, read).find_text('my calf is swollen and hot', date(2026, 3, 4))\n"
        "assert triage(found, knowledge=k).urgency == 'urgent'\n"
        f"print(sorted(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
