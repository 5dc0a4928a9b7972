"""The package stays small enough to hold in one's head: no module over 450 lines, no class
over 250, no function over 80 (migrations aside: each is a record of its day)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ivr"
LIMITS = {"module": 450, "class": 250, "function": 80}


def sizes() -> list[tuple[str, str, int]]:
    """(kind, where, lines) for every module, class and function of the package."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        where = str(path.relative_to(PACKAGE.parent))
        text = path.read_text(encoding="utf-8")
        found.append(("module", where, len(text.splitlines())))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                found.append((kind, f"{where}:{node.name}", lines))
    return found


def test_no_module_class_or_function_is_over_its_limit() -> None:
    """Every module, class and function is within its limit; each one over is named."""
    over = [
        f"{kind} {where}: {lines} lines" for kind, where, lines in sizes() if lines > LIMITS[kind]
    ]
    assert over == []


def test_the_measure_sees_the_package() -> None:
    """The measure reads the real package: the engine is a class of a known module."""
    found = {where: lines for kind, where, lines in sizes() if kind == "class"}
    assert 100 < found["ivr/call/engine.py:Engine"] <= LIMITS["class"]
