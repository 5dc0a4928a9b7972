"""The `ivr` command: check, map and call, as an editor or a newcomer runs them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ivr import create_app
from ivr.cli import main
from ivr.store import Store
from tests.conftest import ENV, TOKEN, missing, served
from tests.trees import FLOW, PROMPTS, edit, line_of, write_tree


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_check_passes_the_real_content_and_prints_a_summary() -> None:
    """`ivr check` on the project passes and gives counts, paths and the nurse line."""
    code, output = run("check")
    assert code == 0, output
    assert "Nodes: 47" in output
    assert "Longest: " in output
    assert "The nurse line: key 0 from every node" in output
    assert output.rstrip().endswith("OK: the content passes every check.")


def test_check_fails_naming_the_file_line_node_and_fix(tmp_path: Path) -> None:
    """A broken flow makes `ivr check` exit 1 with file:line [node] and a fix."""
    flow = edit(FLOW, "{to: info,", "{to: infos,")
    root = write_tree(tmp_path, flows={"helpline": flow})
    code, output = run("check", "--root", str(root))
    assert code == 1
    where = f"flows/helpline.yaml:{line_of(flow, '{to: infos,')} [main]"
    assert f"{where}: leads to unknown node 'infos' (fix: did you mean 'info'?)" in output
    assert "FAILED: 3 problem(s)" in output  # the typo; `info` and `more` now unreachable


def test_check_fails_on_a_prompt_that_is_hard_to_follow(tmp_path: Path) -> None:
    """A long, wordy prompt fails `ivr check` with its reading ease, named by id."""
    wordy = (
        'info: "Notwithstanding considerable institutional complexity, multidisciplinary '
        "consultation necessitates comprehensive deliberation regarding individualised "
        'therapeutic alternatives."'
    )
    prompts = edit(PROMPTS, 'info: "Here is some information."', wordy)
    root = write_tree(tmp_path, prompts={"demo": prompts})
    code, output = run("check", "--root", str(root))
    assert code == 1
    assert "prompt demo.info is hard to follow: reading ease" in output


def test_map_prints_the_keys_of_the_call() -> None:
    """`ivr map` starts at the main menu and ends with the keys that work everywhere."""
    code, output = run("map")
    lines = output.splitlines()
    assert code == 0
    assert lines[0] == "Main menu (main)"
    assert lines[-2:] == [
        "    8 -> Main menu (main), from every part",
        "    * -> back one step;  # -> hear this again;  9 -> the slower voice",
    ]


def test_graph_prints_mermaid_and_draws_an_svg(tmp_path: Path) -> None:
    """`ivr graph --svg` prints the Mermaid diagram and writes an SVG with Graphviz."""
    if shutil.which("dot") is None:
        missing("Graphviz's dot is not installed (.ci/run installs it)")
    svg = tmp_path / "flow.svg"
    code, output = run("graph", "--svg", str(svg))
    assert code == 0, output
    assert output.splitlines()[0] == "flowchart TD"
    assert '  main["Main menu · 10"]' in output
    assert "  main -- 1 --> about" in output
    assert svg.read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
    assert "What a second opinion is" in svg.read_text(encoding="utf-8")


def test_commands_say_nothing_of_alembic_unless_asked(tmp_path: Path) -> None:
    """`ivr db upgrade` prints its own line, not Alembic's dozen; LOG_LEVEL=DEBUG shows them."""
    database = f"sqlite:///{tmp_path}/quiet.sqlite3"
    quiet = subprocess.run(
        [str(Path(sys.executable).parent / "ivr"), "db", "upgrade"],
        env={**os.environ, "DATABASE_URL": database, "LOG_LEVEL": "INFO"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "alembic" not in quiet.stdout + quiet.stderr
    assert "newest" in quiet.stdout
    loud = subprocess.run(
        [str(Path(sys.executable).parent / "ivr"), "db", "upgrade"],
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path}/loud.sqlite3",
            "LOG_LEVEL": "DEBUG",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "alembic" in loud.stderr


def test_call_joins_a_queue_at_the_place_asked_for(tmp_path: Path) -> None:
    """`ivr call --queue-place 3` against a server whose only nurse is on another practice
    call: the caller joins the queue at place 3, and the helpline's expected wait comes from
    the three places' worth of AvgQueueTime the phone sends. A place of 0 is refused."""
    database = f"sqlite:///{tmp_path}/queue.sqlite3"
    store = Store(database, ENV["SECRET_KEY"])
    try:
        store.upgrade()
        store.add_nurse("Nurse 1", "+442079460201", "always")
        store.claim_nurses("CA" + "f" * 32, ["p:n:1"])  # another practice call holds her
        # As `ivr serve` runs: signatures checked against the address it is called at.
        env = {k: v for k, v in ENV.items() if k != "PUBLIC_BASE_URL"}
        app = create_app({**env, "DATABASE_URL": database}, development=True, store=store)
        with served(app) as base:
            args = ["call", "--url", base, "--keys", "0", "--queue-place", "3"]
            result = CliRunner().invoke(main, args, env={"TWILIO_AUTH_TOKEN": TOKEN})
    finally:
        store.close()
    assert result.exit_code == 0, result.output
    assert "You join the queue nurses at place 3." in result.output
    assert "Helpline: The wait is about 3 minutes." in result.output
    code, output = run("call", "--keys", "0", "--queue-place", "0")
    assert code == 2 and "--queue-place" in output
