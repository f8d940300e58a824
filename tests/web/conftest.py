"""Fixtures for the web tests: a register with a site, patients and accounts, and the app over it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from postgres_support import PostgresServer, PostgresUnavailable
from web_support import CALM, HIGH, PASSWORD, RAISED, observation, store

from tobs.register.db import open_register
from tobs.register.queries import set_patient_identity
from tobs.web import accounts

DEVICE_A = "e6614103e7452d2f"
DEVICE_B = "e66141040b1c2a31"


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


def fill(register, now: datetime) -> None:
    """Site A: the demo's four patients (calm, raised, high with no action documented, ...); site B: one patient."""
    records = [
        observation(DEVICE_A, 1, 101, now - timedelta(hours=3), CALM, action=5),
        observation(DEVICE_A, 2, 102, now - timedelta(hours=5), CALM, action=5),
        observation(DEVICE_A, 3, 102, now - timedelta(hours=3), RAISED, action=1),
        observation(DEVICE_A, 4, 103, now - timedelta(minutes=30), RAISED, action=0),
        observation(DEVICE_A, 5, 104, now - timedelta(hours=2), HIGH, action=4),
    ]
    store(register, DEVICE_A, "site-a", records, "Plejecenter A")
    store(register, DEVICE_B, "site-b", [observation(DEVICE_B, 1, 201, now - timedelta(hours=1), RAISED, action=1)],
          "Plejecenter B")
    set_patient_identity(register, "site-a", 102, name="Else Jensen", cpr="010150-1234")
    accounts.add_user(register, "nurse-a", PASSWORD, "nurse", "site-a", full_name="Nina Nurse")
    accounts.add_user(register, "leader-a", PASSWORD, "leader", "site-a")
    accounts.add_user(register, "region", PASSWORD, "region")
    accounts.add_user(register, "admin", PASSWORD, "admin")


@pytest.fixture
def filled(tmp_path):
    register = open_register(f"sqlite:///{tmp_path / 'register.sqlite3'}", announce=None)
    fill(register, datetime.now(timezone.utc))
    yield register
    register.close()


@pytest.fixture
def client(filled):
    from fastapi.testclient import TestClient

    from tobs.web.app import create_app

    with TestClient(create_app(filled), base_url="http://127.0.0.1") as test_client:
        yield test_client

