"""The layering of ARCHITECTURE.md and the package contracts of STYLE.md, checked from the code."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Lower rank = lower layer. An import may point down, or sideways only where listed.
RANK = {
    "core": 0,
    "artifacts": 1,
    "ledger": 1,
    "policy": 2,
    "dsl": 2,
    "adapters": 3,
    "specialists": 4,
    "evals": 5,
    "supervisor": 5,
    "api": 6,
}
SIDEWAYS_OK = {("policy", "dsl"), ("evals", "supervisor")}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_imports_point_down() -> None:
    wrong = []
    for package, rank in RANK.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, name in _imports(path):
                dep = name.split(".")[0]
                if dep not in RANK or dep == package:
                    continue
                if RANK[dep] > rank or (RANK[dep] == rank and (package, dep) not in SIDEWAYS_OK):
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert wrong == []


@pytest.mark.parametrize("package", sorted(RANK))
def test_all_is_the_package_namespace(package: str) -> None:
    module = importlib.import_module(package)
    exported = list(module.__all__)
    assert exported == sorted(set(exported))
    for name in exported:
        assert getattr(module, name) is not None, name
    assert set(exported) <= set(dir(module))


def test_cli_help_imports_no_heavy_modules() -> None:
    code = (
        "import sys; from api.cli import app; "
        "heavy = {'sqlalchemy', 'pydantic', 'pydantic_settings', 'psycopg', 'alembic', "
        "'polars', 'duckdb', 'sqlglot', 'litellm', 'pgserver'}; "
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
