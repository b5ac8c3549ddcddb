"""The rings, read from the import graph (every import statement, function-level ones included): SQLAlchemy
only in the adapters and services, and no entry point reaching past the services into storage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from rehab_coach.paths import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "rehab_coach"
ENTRY_POINTS = [PROJECT_ROOT / "actions", PACKAGE / "portal", PACKAGE / "rasa", PACKAGE / "cli.py",
                PACKAGE / "runner.py", PACKAGE / "scheduler.py"]
MAY_USE_SQLALCHEMY = [PACKAGE / "adapters", PACKAGE / "services"]
STORAGE = "rehab_coach.adapters.storage"


def modules(*roots: Path) -> list[Path]:
    return sorted(f for root in roots for f in ([root] if root.is_file() else root.rglob("*.py")))


def imports(path: Path) -> set[str]:
    """Every module an import statement in `path` names."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def reaches(path: Path, module: str) -> bool:
    return any(name == module or name.startswith(module + ".") for name in imports(path))


def name(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


@pytest.mark.parametrize("path", modules(PACKAGE, PROJECT_ROOT / "actions"), ids=name)
def test_only_the_adapters_and_services_import_sqlalchemy(path):
    if not any(path.is_relative_to(allowed) for allowed in MAY_USE_SQLALCHEMY):
        assert not reaches(path, "sqlalchemy")


@pytest.mark.parametrize("path", modules(*ENTRY_POINTS), ids=name)
def test_no_entry_point_imports_storage(path):
    assert not reaches(path, STORAGE), "entry points call rehab_coach.services (wired by rehab_coach.bootstrap)"


def test_the_checks_see_function_level_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from rehab_coach.adapters.storage import Store\n")
    assert reaches(module, STORAGE) and not reaches(module, "sqlalchemy")
