"""The emulators stand alone: nothing under sandbox/ imports the hub, connectors or jobs."""

from __future__ import annotations

import ast
from pathlib import Path

SANDBOX = Path(__file__).resolve().parents[2] / "sandbox"
FORBIDDEN = ("hub", "connectors", "jobs")


def test_sandbox_imports_nothing_from_the_hub_connectors_or_jobs() -> None:
    offenders = []
    for source in sorted(SANDBOX.rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            offenders += [
                f"{source.relative_to(SANDBOX.parent)}: {name}"
                for name in names
                if name.split(".")[0] in FORBIDDEN
            ]

    assert list(SANDBOX.rglob("*.py"))
    assert offenders == []
