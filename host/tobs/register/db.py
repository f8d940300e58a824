"""The one way into the central register: open it (creating or upgrading its schema with the packaged Alembic
migrations) and run transactions on it. Every other module reaches the database through a `Register`."""

from __future__ import annotations

import functools
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from tobs import files

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_FILE_NAME = "register.sqlite3"
# How long to wait for a lock (SQLite busy timeout, PostgreSQL lock_timeout) before telling the user.
DEFAULT_TIMEOUT = 30.0
# PostgreSQL advisory lock key ("TOBS") that lets only one PC at a time upgrade a shared register's schema.
_MIGRATION_LOCK = 0x544F4253
# SQLSTATEs after which PostgreSQL has rolled the transaction back and running it again is the cure.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_WRITE_RETRIES = 5

T = TypeVar("T")


class RegisterError(Exception):
    """A problem the user can act on; str() is one sentence, shown without a traceback."""


class RegisterUnavailable(RegisterError):
    """The register cannot be reached, is locked beyond the timeout, or has a schema newer than this program."""


def default_path() -> Path:
    """Where the register lives when no --db is given: an SQLite file in the user's data folder."""
    return Path(platformdirs.user_data_dir("tobs")) / DEFAULT_FILE_NAME


def resolve_url(url: str | None) -> URL:
    """The SQLAlchemy URL for --db: None = the default file, a bare path = an SQLite file, postgresql://… ."""
    if url is None:
        return URL.create("sqlite", database=str(default_path()))
    if not url.strip():
        raise RegisterError("The register (--db or TOBS_DB) is empty: give an SQLite file or postgresql://… .")
    if "://" not in url:
        return URL.create("sqlite", database=str(Path(url).expanduser()))
    try:
        parsed = make_url(url)
        port = parsed.port
    except (ArgumentError, ValueError):
        # ValueError: a port that is not a number (postgresql://u@host:abc/db).
        raise RegisterError(f"'{_hide_password(url)}' is not a database URL; give postgresql://user@host[:port]/db "
                            "or an SQLite file path.") from None
    if port is not None and not 0 < port < 65536:
        raise RegisterError(f"The port {port} in the register URL is not a TCP port (1-65535).")
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        # psycopg 3 is the driver this program ships with, whatever SQLAlchemy's default for the URL is.
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    raise RegisterError(f"The register must be SQLite or PostgreSQL, not '{backend}'.")


def _hide_password(url: str) -> str:
    """A URL as typed, fit for a message: the password between ':' and '@' replaced by ***."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


def _tell_stderr(message: str) -> None:
    print(message, file=sys.stderr)


@functools.cache
def _alembic_config() -> Config:
    config = Config()
    # configparser interpolation would read a '%' in the install path as a placeholder.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_alembic_config())


def schema_head() -> str:
    """The newest schema revision this program knows."""
    head = _scripts().get_current_head()
    if head is None:
        raise RuntimeError("the packaged migrations have no head revision")
    return head


@dataclass
class Register:
    """An open register: the engine, a sessionmaker for reading, and transactions that translate failures."""

    engine: Engine
    sessionmaker: sessionmaker[Session]
    url: URL
    timeout: float
    created_path: Path | None = None  # the SQLite file this open created, if it created one

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def where(self) -> str:
        """The register named for a message: the file path, or the URL with any password hidden."""
        if self.dialect == "sqlite":
            return self.url.database or "(in memory)"
        return self.url.render_as_string(hide_password=True).replace("postgresql+psycopg://", "postgresql://")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; failures to reach the database become RegisterUnavailable."""
        try:
            with self.sessionmaker() as session:
                yield session
        except (OperationalError, InterfaceError) as e:
            raise unavailable(e, self) from e

    def run_write(self, work: Callable[[Session], T]) -> T:
        """work(session) in one transaction, committed only if it returns; all or nothing.

        The transaction takes SQLite's write lock at its start, so a concurrent writer makes it wait (up to the
        timeout) instead of failing half way. A PostgreSQL deadlock or serialization failure rolls everything back,
        and the work runs again from the start."""
        write_sessions = sessionmaker(self.engine.execution_options(tobs_write=True), expire_on_commit=False)
        for attempt in range(_WRITE_RETRIES):
            try:
                with write_sessions() as session, session.begin():
                    return work(session)
            except OperationalError as e:
                if _sqlstate(e) in _RETRYABLE_SQLSTATES and attempt + 1 < _WRITE_RETRIES:
                    continue
                raise unavailable(e, self) from e
            except InterfaceError as e:
                raise unavailable(e, self) from e
        raise AssertionError("unreachable: the last attempt returns or raises")

    def close(self) -> None:
        self.engine.dispose()


def _sqlstate(error: OperationalError | InterfaceError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return (lines[0] if lines else type(error).__name__).rstrip(".")


def unavailable(error: OperationalError | InterfaceError, register: Register) -> RegisterUnavailable:
    """The one-sentence RegisterUnavailable for a driver failure."""
    cause = error.orig if error.orig is not None else error
    detail = _first_line(cause)
    if register.dialect == "sqlite":
        if "locked" in detail or "busy" in detail:
            return RegisterUnavailable(
                f"The register {register.where} is locked by another program (waited {register.timeout:g} s); "
                "nothing was written, try again when it is free."
            )
        if "unable to open" in detail:
            return RegisterUnavailable(
                f"The register file {register.where} cannot be opened: check that its folder exists and is writable."
            )
        return RegisterUnavailable(f"The register {register.where} cannot be used ({detail}).")
    if _sqlstate(error) in ("55P03", "57014"):  # lock_not_available, query_canceled
        return RegisterUnavailable(
            f"The register {register.where} is locked by another program (waited {register.timeout:g} s); "
            "nothing was written, try again when it is free."
        )
    return RegisterUnavailable(f"The register {register.where} cannot be reached ({detail}).")


def _make_engine(url: URL, timeout: float) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": timeout})
        in_memory = url.database in (None, "", ":memory:")

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record) -> None:
            # pysqlite's own transaction handling starts transactions late and not for DDL; we issue BEGIN ourselves.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            if not in_memory:
                # WAL lets `tobs observations` read while a sync writes.
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            # A write transaction takes the lock up front: a deferred one could fail to upgrade its read lock later.
            immediate = connection.get_execution_options().get("tobs_write")
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": max(1, min(10, int(timeout))),
            "application_name": "tobs",
            "options": f"-c lock_timeout={int(timeout * 1000)}",
        },
    )


def _current_revisions(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


def _known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def _check_known(revisions: tuple[str, ...], register: Register) -> None:
    for revision in revisions:
        if revision not in _known_revisions():
            raise RegisterUnavailable(
                f"The register {register.where} has schema revision {revision}, newer than this program knows "
                f"({schema_head()}); update tobs on this PC."
            )


def _upgrade(session: Session, register: Register) -> None:
    connection = session.connection()
    if register.dialect == "postgresql":
        # Two PCs opening a new shared register at once: the second waits here, then finds it at head.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    revisions = _current_revisions(connection)
    _check_known(revisions, register)
    if revisions == (schema_head(),):
        return
    config = _alembic_config()
    config.attributes["connection"] = connection
    try:
        command.upgrade(config, "head")
    finally:
        config.attributes.pop("connection", None)


def _prepare_sqlite_file(path: Path, *, default_location: bool,
                         announce: Callable[[str], None] | None) -> Path | None:
    """Make sure the register file can only be read by its owner: a new one is created 0600 before SQLite opens it
    (SQLite gives its -wal, -shm and -journal files the database file's mode), the default folder 0700. An existing
    register that others could read is tightened, and announced: patients' CPR numbers and the handhelds' keys are
    in it, and a shared register is PostgreSQL's job, not a group-readable file's. Returns the path if created."""
    if path.is_dir():
        raise RegisterError(f"The register {path} is a folder; give a file, e.g. {path / DEFAULT_FILE_NAME}.")
    if default_location:
        try:
            files.owner_only_folder(path.parent, tighten=True)
        except OSError as e:
            raise RegisterUnavailable(f"The folder {path.parent} for the register cannot be made "
                                      f"({e.strerror or e}).") from None
    elif not path.parent.is_dir():
        # Only the default location's folder is made for the user; an explicit path must already have one.
        raise RegisterUnavailable(f"The register file {path} cannot be opened: its folder {path.parent} does not "
                                  "exist.")
    if path.exists():
        return None  # tightened once it has proved to be a register: never chmod a file given by mistake
    try:
        os.close(files.open_owner_only_new(path))
    except FileExistsError:
        return None  # another program created it at this moment: SQLite opens that one
    except OSError as e:
        raise RegisterUnavailable(f"The register file {path} cannot be opened: it cannot be created in its folder "
                                  f"({e.strerror or e}).") from None
    return path


def _tighten(path: Path, announce: Callable[[str], None] | None) -> None:
    loose = []
    for each in (path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
        try:
            if not each.is_file() or not files.others_can_read(each):
                continue
            mode = stat.S_IMODE(each.stat().st_mode)
            if each.stat().st_uid == os.getuid():
                os.chmod(each, files.OWNER_ONLY_FILE)
                loose.append((each, mode, True))
            else:
                loose.append((each, mode, False))
        except FileNotFoundError:
            continue  # no -wal (or -shm, -journal) beside it: nothing to tighten
    if not loose or announce is None:
        return
    changed = [f"{p.name} ({m:o})" for p, m, done in loose if done]
    left = [f"{p.name} ({m:o})" for p, m, done in loose if not done]
    if changed:
        announce(f"The register {path} could be read by other users ({', '.join(changed)}); it is owner-only now "
                 "(600).")
    if left:
        announce(f"Warning: the register {path} can be read by other users ({', '.join(left)}) and belongs to "
                 "another user: ask them to make it owner-only (chmod 600).")


def _refuse_foreign(connection: Connection, register: Register) -> None:
    """A database without tobs' schema version is only upgraded when it is empty: never add tables to another
    program's database (a browser's history, a hospital system's schema) given by mistake."""
    tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
    if tables:
        raise RegisterError(f"{register.where} is a database of another program (it has tables such as "
                            f"'{tables[0]}' but no tobs schema); nothing was changed: give the register, or a new "
                            "file or an empty database.")


def open_register(
    url: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    announce: Callable[[str], None] | None = _tell_stderr,
) -> Register:
    """Open the register at url (None = the default SQLite file), bringing its schema to this program's head.

    Raises RegisterUnavailable when it cannot be reached, stays locked beyond timeout seconds, or has a newer schema;
    RegisterError for a URL that is not one. announce() is told the path of an SQLite file created by this call."""
    resolved = resolve_url(url)
    created: Path | None = None
    if resolved.get_backend_name() == "sqlite" and resolved.database not in (None, "", ":memory:"):
        created = _prepare_sqlite_file(Path(str(resolved.database)), default_location=url is None,
                                       announce=announce)
    engine = _make_engine(resolved, timeout)
    register = Register(
        engine=engine,
        sessionmaker=sessionmaker(engine, expire_on_commit=False),
        url=resolved,
        timeout=timeout,
        created_path=created,
    )
    try:
        try:
            with register.read() as session:
                revisions = _current_revisions(session.connection())
                if not revisions:
                    _refuse_foreign(session.connection(), register)
        except DatabaseError as e:
            # Not OperationalError (read() has made those RegisterUnavailable): the file is something else.
            raise RegisterError(f"{register.where} is not a tobs register ({_first_line(e.orig or e)}); "
                                "give the register's file, or a new file name for a new register.") from None
        _check_known(revisions, register)
        if created is None and register.dialect == "sqlite" and revisions:
            _tighten(Path(str(resolved.database)), announce)
        if revisions != (schema_head(),):
            register.run_write(lambda session: _upgrade(session, register))
    except BaseException:
        engine.dispose()
        raise
    if created is not None and announce is not None:
        announce(f"Created a new register: {created}")
    return register


# Rows per statement: keeps SQLite under its bound-parameter limit and PostgreSQL batches a sensible size.
_INSERT_CHUNK = 500


def insert_ignoring_existing(session: Session, model: type[DeclarativeBase], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: a row another transaction already wrote (or is writing) is left alone."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # The Core table, not the ORM entity: plain executemany, without the ORM's per-row bookkeeping.
    statement = insert(cast(Table, model.__table__)).on_conflict_do_nothing()
    for start in range(0, len(rows), _INSERT_CHUNK):
        session.execute(statement, list(rows[start : start + _INSERT_CHUNK]))
