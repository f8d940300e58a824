"""Fixtures for the host tests: registers on SQLite and on a real PostgreSQL server started for the session.

The PostgreSQL server is not optional: when it cannot be started the PostgreSQL tests fail, they never skip."""

from __future__ import annotations

import pytest
from postgres_support import PostgresServer, PostgresUnavailable

from tobs.register.db import open_register

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    try:
        server.start()
    except (PostgresUnavailable, OSError) as e:
        server.stop()
        pytest.fail(f"The test PostgreSQL server could not be started: {e}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A new empty database on the session's server."""
    return postgres_server.database()


@pytest.fixture(params=BACKENDS)
def register_url(request, tmp_path) -> str:
    """A URL for an empty register, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'register.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def register(register_url):
    opened = open_register(register_url, announce=None)
    yield opened
    opened.close()
