"""A PostgreSQL server of one's own, to stop and start at will: for the tests of a server that
stops mid-call, and for benchmarks/calls.py --outage, without disturbing any other server."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ClusterUnavailable(Exception):
    """This machine cannot run a server of its own (no binaries, or no user to run it as)."""


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class Cluster:
    """A PostgreSQL server of one's own, in a folder: its URL, start and stop."""

    def __init__(self, folder: Path) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not found:
            raise ClusterUnavailable("no PostgreSQL server binaries in /usr/lib/postgresql")
        self.bin = found[-1].parent
        self.run_as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            runuser = shutil.which("runuser")
            if runuser is None or not _user_exists("postgres"):
                raise ClusterUnavailable(
                    "running as root, without runuser and a postgres user to become"
                )
            self.run_as = [runuser, "-u", "postgres", "--"]
            shutil.chown(folder, "postgres")
        self.folder, self.data = folder, folder / "data"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"postgresql://ivr@127.0.0.1:{port}/postgres"
        self.options = f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off"
        self.pg("initdb", "-D", str(self.data), "-U", "ivr", "--auth=trust", "-E", "UTF8")

    def pg(self, program: str, *args: str, check: bool = True) -> None:
        command = [*self.run_as, str(self.bin / program), *args]
        subprocess.run(command, check=check, capture_output=True, timeout=60)

    def start(self) -> None:
        log = str(self.folder / "server.log")
        self.pg("pg_ctl", "-D", str(self.data), "-o", self.options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=mode == "fast")


@contextmanager
def own_cluster() -> Iterator[Cluster]:
    """A new server, started, and stopped at the end."""
    # Not under pytest's tmp_path: that is readable by this user only, and the server runs as
    # postgres.
    with tempfile.TemporaryDirectory(prefix="ivr-pg-") as folder:
        made = Cluster(Path(folder))
        made.start()
        try:
            yield made
        finally:
            made.stop("immediate")
