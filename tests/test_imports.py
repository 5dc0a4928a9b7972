"""The content and call layers are plain Python: no module of theirs, imported on its own,
loads the web stack, the database or Twilio."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import ivr.call
import ivr.content

FORBIDDEN = ("flask", "werkzeug", "sqlalchemy", "twilio")
PROBE = (
    "import importlib, sys; importlib.import_module(sys.argv[1]); "
    "print(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[2:])))"
)


def loaded_by(module: str) -> str:
    """Which of the forbidden packages importing the module loads, in a fresh interpreter."""
    found = subprocess.run(
        [sys.executable, "-c", PROBE, module, *FORBIDDEN],
        capture_output=True,
        text=True,
        check=True,
    )
    return found.stdout.strip()


def plain_modules() -> list[str]:
    """Every module of ivr.content and ivr.call, packages included."""
    names = ["ivr.content", "ivr.call"]
    for package in (ivr.content, ivr.call):
        names += [m.name for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]
    return sorted(names)


@pytest.mark.parametrize("module", plain_modules())
def test_imported_alone_it_loads_no_web_database_or_twilio(module: str) -> None:
    """Each module on its own, in its own interpreter, so one import cannot hide another."""
    assert loaded_by(module) == "[]"


@pytest.mark.parametrize(
    ("module", "found"),
    [
        ("flask", "['flask', 'werkzeug']"),
        ("sqlalchemy", "['sqlalchemy']"),
        ("twilio.twiml.voice_response", "['twilio']"),
    ],
)
def test_the_probe_sees_each_package(module: str, found: str) -> None:
    """The same probe finds each package when it is loaded, so an empty answer means it."""
    assert loaded_by(module) == found
