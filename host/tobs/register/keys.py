"""Sites and enrolled devices in the register: site codes, device ids and the per-device keys a sync needs."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from tobs.register.db import Register, RegisterError, insert_ignoring_existing
from tobs.register.models import Device, Site

KEY_SIZE = 32
_SITE_CODE = re.compile(r"[A-Za-z0-9._-]{1,32}")


class UnknownDevice(RegisterError):
    """The device is not enrolled in this register."""


def normalize_device_id(device_id_hex: str) -> str:
    """16 lower-case hex digits, or RegisterError."""
    text = device_id_hex.strip().lower() if isinstance(device_id_hex, str) else ""
    if not re.fullmatch(r"[0-9a-f]{16}", text):
        raise RegisterError(f"'{device_id_hex}' is not a device id (16 hex digits).")
    return text


def checked_site_code(code: str) -> str:
    """The site code if it is one (what the register stores and the handheld is given), else RegisterError."""
    if not isinstance(code, str) or not _SITE_CODE.fullmatch(code):
        raise RegisterError(f"'{code}' is not a site code (1-32 letters, digits, '.', '_' or '-').")
    return code


def _ensure_site(session: Session, code: str, name: str | None) -> None:
    now = datetime.now(timezone.utc)
    insert_ignoring_existing(session, Site, [{"code": code, "name": name or code, "created_at": now}])
    if name:
        site = session.get(Site, code)
        if site is not None and site.name != name:
            site.name = name


def ensure_site(register: Register, code: str, name: str | None = None) -> None:
    """Add the site if the register does not have it; a given name replaces the stored one."""
    code = checked_site_code(code)
    register.run_write(lambda session: _ensure_site(session, code, name))


def enroll_device(register: Register, device_id_hex: str, site_code: str, *, new_key: bool = False) -> bytes:
    """The device's key, making one (32 random bytes) at first enrolment or when new_key is set.

    Enrolling an enrolled device again moves it to site_code and keeps its key, so a repeated `tobs enroll` cannot
    leave the device and the register with different keys."""
    device_id = normalize_device_id(device_id_hex)
    code = checked_site_code(site_code)

    def work(session: Session) -> bytes:
        _ensure_site(session, code, None)
        now = datetime.now(timezone.utc)
        device = session.get(Device, device_id)
        if device is None:
            key = secrets.token_bytes(KEY_SIZE)
            insert_ignoring_existing(
                session,
                Device,
                [{"device_id": device_id, "site_code": code, "key": key, "enrolled_at": now}],
            )
            # Another PC may have enrolled it in the meantime: whichever key is stored is the device's key.
            device = session.get(Device, device_id, populate_existing=True)
            if device is None:
                raise RuntimeError("the device row vanished inside its own transaction")
            return bytes(device.key)
        if new_key:
            device.key = secrets.token_bytes(KEY_SIZE)
            device.enrolled_at = now
        if device.site_code != code:
            device.site_code = code
            device.enrolled_at = now
        return bytes(device.key)

    return register.run_write(work)


def device_key(register: Register, device_id_hex: str) -> bytes | None:
    """The enrolled device's key, or None if this register does not know the device."""
    device_id = normalize_device_id(device_id_hex)
    with register.read() as session:
        key = session.scalar(select(Device.key).where(Device.device_id == device_id))
    return None if key is None else bytes(key)
