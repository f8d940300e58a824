"""A throwaway PostgreSQL server for the register tests and benchmark: the distribution's binaries in a temporary
folder, listening on 127.0.0.1 and a private socket folder. pg_ctl refuses to run as root, so as root the server
runs as the `postgres` system user (the Debian package creates it)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text


class PostgresUnavailable(Exception):
    """The server could not be started; the message says why and what to do."""


def find_bindir() -> Path | None:
    """Folder holding initdb and pg_ctl: $TOBS_PG_BINDIR, Debian's newest /usr/lib/postgresql/N/bin, or PATH."""
    candidates = []
    if os.environ.get("TOBS_PG_BINDIR"):
        candidates.append(Path(os.environ["TOBS_PG_BINDIR"]))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted((Path(p) for p in versions), key=lambda p: int(p.parent.name), reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "pg_ctl").exists() and (folder / "initdb").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """start() → a base URL; database(name) → the URL of a new empty database; stop() removes everything."""

    def __init__(self, durable: bool = False) -> None:
        # Tests run with fsync off (a crash loses only a throwaway folder); the benchmark keeps it on.
        self.durable = durable
        self.folder: Path | None = None
        self.port: int | None = None
        self.bindir: Path | None = None
        self._as_user: list[str] = []
        self._created = 0

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = self._as_user + list(args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise PostgresUnavailable(
                "%s failed (exit %d): %s" % (Path(args[0]).name, done.returncode, (done.stderr or done.stdout).strip())
            )

    def start(self) -> str:
        self.bindir = find_bindir()
        if self.bindir is None:
            raise PostgresUnavailable(
                "PostgreSQL's server programs (initdb, pg_ctl) are not installed: run scripts/ensure-postgresql."
            )
        self.folder = Path(tempfile.mkdtemp(prefix="tobs-pg-"))
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "Running as root needs the 'postgres' system user to own the test server; "
                    "install Debian's postgresql package (scripts/ensure-postgresql)."
                ) from None
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        data = self.folder / "data"
        self._run(
            str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-locale", "--no-sync",
        )
        settings = [
            "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={self.folder}", "-c max_connections=50",
        ]
        if not self.durable:
            settings += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        last_error: PostgresUnavailable | None = None
        for _ in range(3):  # the free port may be taken by someone else between finding and binding it
            self.port = _free_port()
            try:
                self._run(
                    str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.folder / "server.log"), "-w",
                    "-t", "60", "-o", " ".join([f"-p {self.port}"] + settings), "start",
                    timeout=90,
                )
                return self.base_url
            except PostgresUnavailable as e:
                last_error = e
        log = self.folder / "server.log"
        tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
        raise PostgresUnavailable(f"{last_error} Server log: {tail.strip()}")

    @property
    def base_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def database(self, name: str | None = None) -> str:
        """Create an empty database and return its URL."""
        if name is None:
            self._created += 1
            name = "tobs_%d" % self._created
        admin = create_engine(f"{self.base_url}/postgres", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return f"{self.base_url}/{name}"

    def stop(self) -> None:
        if self.folder is None:
            return
        if self.bindir is not None and (self.folder / "data" / "postmaster.pid").exists():
            try:
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
            except (PostgresUnavailable, subprocess.TimeoutExpired) as e:
                print(f"warning: the test PostgreSQL server did not stop cleanly: {e}")
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
