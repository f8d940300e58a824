"""Enrolment: the register makes (or keeps) a handheld's per-device key and the handheld stores it, so that its
records carry tags the register can check and only the register can tell it to forget records."""

from __future__ import annotations

from dataclasses import dataclass

from tobs.device.link import Link
from tobs.register import keys
from tobs.register.db import Register
from tobs.shared import tobs_protocol


@dataclass(frozen=True)
class Enrolment:
    device_id: str
    site: str


def enroll(link: Link, register: Register, site: str, *, new_key: bool = False) -> Enrolment:
    """Enrol the handheld on `link` at `site`; new_key replaces its key (the handheld refuses while records that
    the old key tagged are unsynced). Raises LinkError, RegisterError."""
    hello = link.request("HELLO", expect="H").json()
    key = keys.enroll_device(register, hello["device_id"], site, new_key=new_key)
    link.request("ENROLL", site, tobs_protocol.to_hex(key), expect="A")
    return Enrolment(hello["device_id"], site)
