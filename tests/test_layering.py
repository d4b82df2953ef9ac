"""Dependencies point down only (DESIGN.md): checked on the import statements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hostlib"

#: package -> modules it must never import
FORBIDDEN = {
    "billing": (
        "hostlib.drivers",
        "hostlib.dns",
        "hostlib.traffic",
        "hostlib.store",
        "hostlib.portal",
        "hostlib.cli",
        "socket",
        "sqlite3",
        "urllib",
        "http",
        "requests",
        "subprocess",
    ),
    "drivers": ("hostlib.billing", "hostlib.dns", "hostlib.traffic", "hostlib.store"),
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_upward_or_io_imports(package: str) -> None:
    files = sorted((PACKAGE / package).rglob("*.py"))
    assert files
    for path in files:
        for name in _imports(path):
            bad = [f for f in FORBIDDEN[package] if name == f or name.startswith(f + ".")]
            assert not bad, f"{path.relative_to(PACKAGE)} imports {name}"
