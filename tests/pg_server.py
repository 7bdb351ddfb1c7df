"""A throw-away PostgreSQL server for the store tests (Debian's server binaries, loopback only).

``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` user
(``runuser -u postgres -- …``) in a temporary folder that user owns; otherwise as the current
user. It listens on a free port of 127.0.0.1 only, its unix socket lives in the same temporary
folder, and it trusts local and loopback connections only. Missing binaries skip the tests with
a reason outside CI and fail them in CI (``make test`` installs Debian's ``postgresql``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import LiteralString, NoReturn

import pytest
import sqlalchemy as sa

#: Where Debian puts the server binaries, one folder per major version.
BIN_GLOB = "/usr/lib/postgresql/*/bin"
SUPERUSER = "cx"


def find_binaries() -> Path | None:
    """The newest ``bin`` folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or None."""
    found = []
    for folder in glob.glob(BIN_GLOB):
        path = Path(folder)
        if all((path / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            major = path.parent.name
            found.append((int(major) if major.isdigit() else 0, path))
    if found:
        return max(found)[1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing(reason: str) -> NoReturn:
    """Fail in CI, skip elsewhere: a test that needs the server never passes silently."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: run `make test`, which installs Debian's postgresql)")
    pytest.skip(f"{reason}; install Debian's postgresql (make system-packages) to run these tests")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def running_postgres() -> Iterator[str]:
    """Start a server; yield its SQLAlchemy URL; stop it and delete its files afterwards."""
    binaries = find_binaries()
    if binaries is None:
        missing(f"no PostgreSQL server binaries ({BIN_GLOB}/initdb)")
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            missing("running as root, but `runuser` is missing to start PostgreSQL as postgres")
        try:
            server_user = pwd.getpwnam("postgres")
        except KeyError:
            missing("running as root, but there is no `postgres` user to run the server as")
    # a folder the server user owns; pytest's tmp_path is private to root, so not there
    root = Path(tempfile.mkdtemp(prefix="cx-pg-"))
    try:
        if os.geteuid() == 0:
            os.chown(root, server_user.pw_uid, server_user.pw_gid)
        data, log = root / "data", root / "server.log"
        pg_ctl = [str(binaries / "pg_ctl"), "-D", str(data), "-w"]
        initdb = [str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust"]
        _run(_as_server_user([*initdb, "-E", "UTF8", "--locale=C", "--no-sync"]), "initdb")
        (data / "pg_hba.conf").write_text(
            "# the store tests: trust the local socket and loopback, nothing else\n"
            "local all all trust\n"
            "host all all 127.0.0.1/32 trust\n",
            encoding="utf-8",
        )
        for attempt in range(3):
            port = _free_port()
            # fsync off: the crash tests kill the client, never this server, so its own
            # durability does not take part in them; it only makes the tests slower
            with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
                conf.write(
                    f"\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
                    f"unix_socket_directories = '{root}'\nmax_connections = 60\n"
                    "fsync = off\nfull_page_writes = off\n"
                )
            started = subprocess.run(
                _as_server_user([*pg_ctl, "-t", "60", "-l", str(log), "start"]),
                capture_output=True,
                text=True,
                check=False,
            )
            if started.returncode == 0:
                break
            if attempt == 2:
                text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                pytest.fail(f"PostgreSQL did not start: {started.stderr.strip()}\n{text}")
        try:
            yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
        finally:
            _run(_as_server_user([*pg_ctl, "-m", "fast", "stop"]), "pg_ctl stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"{what} failed ({done.returncode}): {done.stderr.strip() or done.stdout}")


def fresh_database(server_url: str) -> str:
    """Create an empty database on the test server; return its SQLAlchemy URL."""
    name = f"cx_{uuid.uuid4().hex[:12]}"
    _administer(server_url, "CREATE DATABASE {}", name)
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(database_url: str) -> None:
    """Drop a database made by :func:`fresh_database` (closing what still uses it)."""
    name = sa.make_url(database_url).database
    _administer(database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", str(name))


def _administer(url: str, statement: LiteralString, name: str) -> None:
    """Run ``statement`` about database ``name`` (quoted as an identifier) on the server."""
    import psycopg
    from psycopg import sql

    parsed = sa.make_url(url)
    with psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname="postgres",
        autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


#: The store's back ends, for a parametrised ``store_url`` fixture in each store test module.
BACKENDS = ("sqlite", "postgresql")


def store_url_for(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty store's URL: an SQLite file in ``tmp_path`` or a fresh database on the server
    (dropped again when the test is done)."""
    if backend == "sqlite":
        return sa.URL.create("sqlite", database=str(tmp_path / "workbook.db")).render_as_string()
    url = fresh_database(request.getfixturevalue("postgres_url"))
    request.addfinalizer(lambda: drop_database(url))
    return url
