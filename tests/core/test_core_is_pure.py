"""The core imports no framework: Rasa, the SDK, SQLAlchemy, spaCy or a web framework."""

import subprocess
import sys

CORE = ["rehab_coach.model", "rehab_coach.knowledge", "rehab_coach.engine", "rehab_coach.selection",
        "rehab_coach.triage", "rehab_coach.redflags"]
FORBIDDEN = ["rasa", "rasa_sdk", "sqlalchemy", "spacy", "sanic", "fastapi", "flask", "starlette"]


def test_core_modules_import_no_framework():
    code = (
        f"import sys\nfor m in {CORE!r}: __import__(m)\n"
        "from rehab_coach.knowledge import default_knowledge\n"
        "from rehab_coach.triage import triage\n"
        "triage('my calf is swollen and hot', knowledge=default_knowledge())\n"
        f"print(sorted(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
