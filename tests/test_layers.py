"""Imports run one way, down the layers: each module imports only the parts of the package
its layer may (read from the source with ast, imports inside functions included)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ivr"

CONTENT = ("ivr.content", "ivr.numbers")
CALL = (*CONTENT, "ivr.call")
AUDIO = ("ivr.audio", "ivr.content")
STORE = ("ivr.store", "ivr.numbers", "ivr.logs")
SETTINGS = ("ivr.config", "ivr.content", "ivr.numbers", "ivr.audio.pace")
WEBHOOKS = ("ivr.webhooks", "ivr.call", "ivr.audio", "ivr.store", "ivr.logs", *SETTINGS)
# The staff site and the practice phones sit on the webhooks, and never import each other.
WEB = (*WEBHOOKS, "ivr.csrf", "ivr.report")

#: What each part of the package may import of the package; a module follows the longest
#: name here that it starts with.
ALLOWED: dict[str, tuple[str, ...]] = {
    "ivr": ("ivr",),  # the package's create_app, which imports the app when called
    "ivr.numbers": (),
    "ivr.logs": (),
    "ivr.csrf": (),
    "ivr.content": CONTENT,
    "ivr.call": CALL,
    "ivr.audio": AUDIO,
    # The one view of the audio: it serves the files the app found at start-up.
    "ivr.audio.media": (*AUDIO, "ivr.webhooks.helpline"),
    "ivr.store": STORE,
    # The database's commands, and Alembic's environment, read the settings.
    "ivr.store.cli": (*STORE, "ivr.config"),
    "ivr.store.migrations": (*STORE, "ivr.config"),
    "ivr.config": SETTINGS,
    "ivr.report": (*SETTINGS, "ivr.call", "ivr.audio", "ivr.follow_up_report"),  # `ivr check`...
    "ivr.follow_up_report": (*SETTINGS, "ivr.audio"),  # `ivr check`: texts, the question's time
    "ivr.webhooks": WEBHOOKS,
    "ivr.health": WEBHOOKS,
    "ivr.staff": (*WEB, "ivr.staff"),
    "ivr.practice": (*WEB, "ivr.practice"),
    "ivr.app": ("ivr",),
    "ivr.cli": ("ivr",),
}


def module_name(path: Path) -> str:
    """ivr/store/cli.py is ivr.store.cli; ivr/store/__init__.py is ivr.store."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def within(name: str, prefix: str) -> bool:
    """Whether a dotted name is the prefix or inside it."""
    return name == prefix or name.startswith(prefix + ".")


def rule_for(module: str) -> tuple[str, tuple[str, ...]]:
    """The part of the package a module belongs to, and what that part may import."""
    part = max((p for p in ALLOWED if within(module, p)), key=len)
    return part, ALLOWED[part]


def imported(source: str) -> list[tuple[int, str]]:
    """(line, module) for each import of the package in the source; `from ivr.x import y`
    counts as ivr.x.y where y is a module, else as ivr.x."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if within(a.name, "ivr")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not within(node.module, "ivr"):
                continue
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                is_module = (PACKAGE.parent / name.replace(".", "/")).with_suffix(".py").exists()
                is_package = (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()
                found.append((node.lineno, name if is_module or is_package else node.module))
    return found


def breaks(module: str, source: str, where: str) -> list[str]:
    """Each import in the source that the module's layer may not make, said in full."""
    part, allowed = rule_for(module)
    return [
        f"{where}:{line}: {module} imports {name}, but {part} may import only "
        f"{', '.join(allowed) or 'nothing of the package'}"
        for line, name in imported(source)
        if not within(name, part) and not any(within(name, a) for a in allowed)
    ]


def test_every_import_runs_down_the_layers() -> None:
    """No module of the package imports a part its layer may not."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = str(path.relative_to(PACKAGE.parent))
        found += breaks(module_name(path), path.read_text(), where)
    assert found == []


@pytest.mark.parametrize(
    ("module", "source", "said"),
    [
        (
            "ivr.practice.site",
            "from ivr.staff.site import csrf\n",
            "x.py:1: ivr.practice.site imports ivr.staff.site, but ivr.practice may import only",
        ),
        (
            "ivr.store.database",
            "import os\n\nfrom ivr.config import E164\n",
            "x.py:3: ivr.store.database imports ivr.config, but ivr.store may import only "
            "ivr.store, ivr.numbers, ivr.logs",
        ),
        (
            "ivr.config",
            "def f():\n    from ivr.audio import library\n",
            "x.py:2: ivr.config imports ivr.audio.library, but ivr.config may import only",
        ),
        (
            "ivr.call.engine",
            "from ivr import health\n",
            "x.py:1: ivr.call.engine imports ivr.health, but ivr.call may import only",
        ),
    ],
)
def test_an_import_against_the_layers_is_named(module: str, source: str, said: str) -> None:
    """An import a layer may not make is found, with the file, line, module and import."""
    [found] = breaks(module, source, "x.py")
    assert found.startswith(said), found


@pytest.mark.parametrize(
    ("module", "not_loaded"),
    [
        # Settings load no numpy and no audio library (`ivr --help` reads them).
        ("ivr.config", ("numpy", "soxr", "ivr.audio.library", "sqlalchemy", "flask")),
        # The store's command module loads neither SQLAlchemy nor the web stack until it runs.
        ("ivr.store.cli", ("sqlalchemy", "alembic", "flask")),
        ("ivr.cli", ("sqlalchemy", "alembic", "flask", "numpy")),
    ],
)
def test_light_modules_load_nothing_heavy(module: str, not_loaded: tuple[str, ...]) -> None:
    """Imported alone, in a fresh interpreter, a module loads none of these."""
    script = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert sorted(loaded & set(not_loaded)) == []
