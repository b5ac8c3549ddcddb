"""Where the project's files are: resolved from the package, never from the current directory."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
VAR_DIR = PROJECT_ROOT / "var"
