"""The benchmarks still run: each answers --help (so its imports of the package are current)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

# minimal_app.py is not a command: the webhook benchmark serves it.
COMMANDS = {"calls.py", "nurse_team.py", "phone.py", "render.py", "webhooks.py"}
BENCHMARKS = sorted(p for p in (ROOT / "benchmarks").glob("*.py") if p.name in COMMANDS)


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.name)
def test_each_benchmark_starts(script: Path) -> None:
    """Each benchmark answers --help with its usage, so its imports of the package still work."""
    result = subprocess.run(
        [sys.executable, str(script), "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
