"""The README stays true: two quick-start commands, and a map of the call that matches the flow."""

from __future__ import annotations

import re

from ivr.content.load import Content
from ivr.report import call_map, mermaid
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_is_exactly_two_commands() -> None:
    """Under "Quick start", one shell block holds two commands: serve, then test."""
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["make serve", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run ends by running the README's second command."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == "make test"


def test_the_map_of_the_call_matches_the_flow(content: Content) -> None:
    """The README's map is exactly what `ivr map` prints for the current flow."""
    block = README.split("## Map of the call", 1)[1]
    found = re.search(r"```text\n(.*?)\n```", block, re.DOTALL)
    assert found is not None
    assert found.group(1).splitlines() == call_map(content)


def test_procfile_renders_prompts_before_each_release() -> None:
    """The release step migrates the database and renders the prompts before the web starts."""
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    assert "release: ivr db upgrade && ivr prompts render" in lines
    assert any(line.startswith("web: gunicorn ") and "'ivr:create_app()'" in line for line in lines)


def test_the_readme_diagram_is_the_flow(content: Content) -> None:
    """The README's Mermaid diagram is what `ivr graph` prints for the current flow."""
    found = re.search(r"```mermaid\n(.*?)\n```", README, re.DOTALL)
    assert found is not None
    assert found.group(1).splitlines() == mermaid(content)
