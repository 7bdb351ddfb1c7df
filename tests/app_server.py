"""Starting the Voila app for browser tests: a free loopback port, a server in its own process
group, waiting until it answers, and stopping it (with its kernels) afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

#: Logs of the servers running now: a failing test shows their ends (see conftest.py).
ACTIVE_LOGS: list[Path] = []
_TAIL_LINES = 80


def log_tails() -> list[tuple[str, str]]:
    """(title, last lines) of each running server's log, for a failing test's report."""
    tails = []
    for path in ACTIVE_LOGS:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        tails.append(
            (f"server log {path.name} (last {_TAIL_LINES} lines)", "\n".join(lines[-_TAIL_LINES:]))
        )
    return tails


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    """Wait until ``url`` answers 200; fail the test if the server stops or takes too long."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        assert process.poll() is None, "the app stopped while starting"
        time.sleep(0.3)
    pytest.fail(f"the app did not answer within {seconds:.0f} s")


@contextmanager
def running(
    argv: Sequence[str], log_path: Path, *, ready_url: str, env: Mapping[str, str] | None = None
) -> Iterator[None]:
    """Run ``argv`` (output to ``log_path``) until the block ends; ready once ``ready_url`` answers.

    The server gets a process group of its own, so stopping it stops its kernels too.
    """
    with (
        log_path.open("w") as log,
        subprocess.Popen(
            list(argv), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        ) as process,
    ):
        ACTIVE_LOGS.append(log_path)
        try:
            wait_until_up(ready_url, process)
            yield
        finally:
            ACTIVE_LOGS.remove(log_path)
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
