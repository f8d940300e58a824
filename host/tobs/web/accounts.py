"""Accounts of the web view, kept in the register: roles and sites, argon2 password hashes, login sessions with an
idle timeout and a CSRF token, and throttling of failed logins per account and per address."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from tobs.register.db import Register, RegisterError
from tobs.register.models import (
    ROLE_ADMIN,
    ROLE_LEADER,
    ROLE_NURSE,
    ROLE_REGION,
    ROLES,
    LoginAttempt,
    Site,
    User,
    WebSession,
)

IDLE_TIMEOUT = timedelta(minutes=15)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD = 10
_TOUCH_EVERY = timedelta(seconds=30)  # a busy page need not write its session row on every request
_USERNAME = re.compile(r"[a-z0-9._-]{2,64}")
_hasher = PasswordHasher()
# Verified against when the account does not exist, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    full_name: str | None
    role: str
    site: str | None
    language: str

    def may_see_site(self, site: str) -> bool:
        return self.role in (ROLE_REGION, ROLE_ADMIN) or self.site == site

    def may_see_patients(self, site: str) -> bool:
        return self.role in (ROLE_NURSE, ROLE_LEADER, ROLE_ADMIN) and self.may_see_site(site)

    def may_see_quality(self, site: str) -> bool:
        return self.role in (ROLE_LEADER, ROLE_REGION, ROLE_ADMIN) and self.may_see_site(site)

    @property
    def sees_identity(self) -> bool:
        """Name and CPR number: for the people who care for the patient, not for IT or the region."""
        return self.role in (ROLE_NURSE, ROLE_LEADER)

    @property
    def all_sites(self) -> bool:
        return self.role in (ROLE_REGION, ROLE_ADMIN)


def _account(user: User) -> Account:
    return Account(user.id, user.username, user.full_name, user.role, user.site_code, user.language)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise RegisterError("A user name is 2-64 characters: letters a-z, digits, '.', '_' or '-'.")
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise RegisterError(f"A password needs at least {MIN_PASSWORD} characters.")


def add_user(register: Register, username: str, password: str, role: str, site: str | None = None, *,
             full_name: str | None = None, language: str = "da") -> Account:
    name = check_username(username)
    if role not in ROLES:
        raise RegisterError(f"The role must be one of {', '.join(ROLES)}, not '{role}'.")
    if role in (ROLE_NURSE, ROLE_LEADER) and not site:
        raise RegisterError(f"A {role} belongs to one site: give --site.")
    if role in (ROLE_REGION, ROLE_ADMIN):
        site = None
    if language not in ("da", "en"):
        raise RegisterError("The language must be da or en.")
    check_password(password)
    digest = _hasher.hash(password)

    def work(session) -> Account:
        if site is not None and session.get(Site, site) is None:
            raise RegisterError(f"Site '{site}' is not in the register.")
        if session.scalar(select(User).where(User.username == name)) is not None:
            raise RegisterError(f"There is already a user '{name}'.")
        user = User(username=name, full_name=full_name, role=role, site_code=site, password_hash=digest,
                    language=language, active=True, created_at=datetime.now(timezone.utc))
        session.add(user)
        session.flush()
        return _account(user)

    return register.run_write(work)


def set_password(register: Register, username: str, password: str) -> None:
    check_password(password)
    digest = _hasher.hash(password)

    def work(session) -> None:
        user = session.scalar(select(User).where(User.username == check_username(username)))
        if user is None:
            raise RegisterError(f"There is no user '{username}'.")
        user.password_hash = digest
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))

    register.run_write(work)


def set_active(register: Register, username: str, active: bool) -> None:
    def work(session) -> None:
        user = session.scalar(select(User).where(User.username == check_username(username)))
        if user is None:
            raise RegisterError(f"There is no user '{username}'.")
        user.active = active
        if not active:
            session.execute(delete(WebSession).where(WebSession.user_id == user.id))

    register.run_write(work)


def list_users(register: Register) -> list[tuple[Account, bool]]:
    with register.read() as session:
        return [(_account(u), u.active) for u in session.scalars(select(User).order_by(User.username))]


class LoginRefused(Exception):
    """Wrong name or password, or too many failures; str() is the sentence for the login page."""

    def __init__(self, throttled: bool):
        super().__init__("throttled" if throttled else "wrong")
        self.throttled = throttled


@dataclass(frozen=True)
class Login:
    account: Account
    token: str  # for the cookie; the register keeps only its hash
    csrf: str


def log_in(register: Register, username: str, password: str, remote: str, *, now: datetime | None = None) -> Login:
    """A new session for a right name and password; LoginRefused otherwise, and while the account or the address
    has had too many failures in the last THROTTLE_WINDOW (then even a right password is refused)."""
    now = now or datetime.now(timezone.utc)
    name = username.strip().lower()[:64]
    remote = remote[:64]
    since = now - THROTTLE_WINDOW
    with register.read() as session:
        failures = session.scalar(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username == name, LoginAttempt.at >= since, LoginAttempt.success.is_(False)))
        address_failures = session.scalar(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.remote == remote, LoginAttempt.at >= since, LoginAttempt.success.is_(False)))
        user = session.scalar(select(User).where(User.username == name))
    throttled = failures >= MAX_FAILURES_PER_ACCOUNT or address_failures >= MAX_FAILURES_PER_ADDRESS
    try:
        _hasher.verify(user.password_hash if user is not None else _DUMMY_HASH, password)
        right = user is not None and user.active
    except (VerificationError, InvalidHashError):
        right = False  # a wrong password: counted below like any failure
    success = right and not throttled

    def work(session) -> Login | None:
        session.add(LoginAttempt(username=name, remote=remote, at=now, success=success))
        if not success or user is None:
            return None
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        session.add(WebSession(token_hash=_hash_token(token), user_id=user.id, csrf_token=csrf, created_at=now,
                               last_seen_at=now))
        if _hasher.check_needs_rehash(user.password_hash):
            stored = session.get(User, user.id)
            stored.password_hash = _hasher.hash(password)
        return Login(_account(user), token, csrf)

    done = register.run_write(work)
    if done is None:
        raise LoginRefused(throttled)
    return done


@dataclass(frozen=True)
class ActiveSession:
    account: Account
    csrf: str


def session_for(register: Register, token: str | None, *, now: datetime | None = None,
                idle: timedelta = IDLE_TIMEOUT) -> ActiveSession | None:
    """The logged-in account for a cookie's token, or None when there is none, it is unknown, or it has been idle
    longer than `idle` (then it is deleted). Seeing a session keeps it alive."""
    if not token:
        return None
    now = now or datetime.now(timezone.utc)
    key = _hash_token(token)
    with register.read() as session:
        row = session.get(WebSession, key)
        user = None if row is None else session.get(User, row.user_id)
    if row is None or user is None or not user.active:
        return None
    if now - row.last_seen_at > idle:
        log_out(register, token)
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        def touch(session) -> None:
            stored = session.get(WebSession, key)
            if stored is not None:
                stored.last_seen_at = now

        register.run_write(touch)
    return ActiveSession(_account(user), row.csrf_token)


def log_out(register: Register, token: str | None) -> None:
    if token:
        register.run_write(lambda session: session.execute(
            delete(WebSession).where(WebSession.token_hash == _hash_token(token))))
