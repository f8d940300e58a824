"""`tobs` commands for the web view and what it needs: serve, user, audit, report, site-config, and the lines
`tobs demo` ends with. Thin wrappers over tobs.web and tobs.reports; the register is named as everywhere else."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tobs.cli.options import Db, Json, PatientRequired, Site, fail, out, say, using_register
from tobs.register.db import RegisterError
from tobs.register.models import ROLES

user_app = typer.Typer(no_args_is_help=True, help="Accounts of the web view (tobs serve).")
config_app = typer.Typer(no_args_is_help=True, help="Site configurations the register judges sets by.")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# An idle logout longer than a day is no logout (and inf cannot be a time at all).
IDLE_MIN_MAX = 24 * 60


def check_listen_address(host: str, port: int) -> None:
    """--host must name one address to listen on: an empty one would listen on every network the PC has."""
    import socket

    if not host.strip() or host != host.strip() or not host.isascii() or not host.isprintable():
        fail(f"--host must be an address or host name to listen on (0.0.0.0 for the ward's network), not {host!r}.")
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as e:
        fail(f"--host {host!r} is no address this PC can listen on ({e}).")


def serve(
    db: Db = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; 0.0.0.0 for the ward's network.")] = (
        DEFAULT_HOST
    ),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = DEFAULT_PORT,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: 1 on SQLite, 2 per core on "
                                                          "PostgreSQL, at most 8).")
    ] = None,
    idle_min: Annotated[
        float, typer.Option("--idle-min", min=1, max=IDLE_MIN_MAX, help="Log out after this many idle minutes.")
    ] = 15,
) -> None:
    """The web view of the register: ward board, patients, quality run charts, handhelds."""
    import uvicorn

    check_listen_address(host, port)

    with using_register(db) as register:
        where, dialect = register.where, register.dialect
        from tobs.web.accounts import list_users

        has_users = bool(list_users(register))
    if workers is None:
        workers = 1 if dialect == "sqlite" else min(8, 2 * (os.cpu_count() or 1))
    # Each worker process opens the register itself, named the way the user named it (or the default file).
    if db:
        os.environ["TOBS_DB"] = db
    else:
        os.environ.pop("TOBS_DB", None)
    os.environ["TOBS_WEB_IDLE_MIN"] = str(idle_min)
    say(f"Register: {where}")
    say(f"Open http://{host if host != '0.0.0.0' else '127.0.0.1'}:{port}/ in a browser "
        f"({workers} worker{'s' if workers > 1 else ''}; Ctrl-C stops).")
    if not has_users:
        say("The register has no accounts yet: make one with `tobs user add NAME --role nurse --site SITE` "
            "(or --role admin).")
    uvicorn.run("tobs.web.app:create_app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False, server_header=False)


def _password(given: str | None, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if given is not None:
        return given
    first = typer.prompt("Password (at least 10 characters)", hide_input=True)
    if typer.prompt("Repeat it", hide_input=True) != first:
        fail("The two passwords differ.")
    return first


PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")]


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name: letters a-z, digits, '.', '_' or '-'.")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    site: Annotated[str | None, typer.Option("--site", help="The site of a nurse or a leader.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Full name shown in the page header.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="da or en.")] = "da",
    password_stdin: PasswordStdin = False,
    db: Db = None,
) -> None:
    """Add an account: nurse (own site's board and patients), leader (also its quality pages), region (every
    site's quality pages), admin."""
    from tobs.web import accounts

    password = _password(None, password_stdin)
    with using_register(db) as register:
        account = accounts.add_user(register, username, password, role, site, full_name=name, language=lang)
    say(f"User {account.username} ({account.role}{', ' + account.site if account.site else ''}) added.")


@user_app.command("list")
def user_list(db: Db = None, as_json: Json = False) -> None:
    """The accounts, their roles and sites."""
    from tobs.web import accounts

    with using_register(db) as register:
        found = accounts.list_users(register)
    if as_json:
        print(json.dumps([{"username": a.username, "role": a.role, "site": a.site, "name": a.full_name,
                           "active": active} for a, active in found], ensure_ascii=False))
        return
    table = Table(title=f"Users ({len(found)})", title_justify="left")
    for column in ("User", "Role", "Site", "Name", "Active"):
        table.add_column(column)
    for a, active in found:
        table.add_row(a.username, a.role, a.site or "", a.full_name or "", "yes" if active else "no")
    out.print(table)


@user_app.command("passwd")
def user_passwd(username: str, password_stdin: PasswordStdin = False, db: Db = None) -> None:
    """Set an account's password (its sessions end)."""
    from tobs.web import accounts

    password = _password(None, password_stdin)
    with using_register(db) as register:
        accounts.set_password(register, username, password)
    say(f"Password of {username} changed.")


@user_app.command("disable")
def user_disable(username: str, db: Db = None) -> None:
    """Stop an account from logging in (its sessions end at once)."""
    from tobs.web import accounts

    with using_register(db) as register:
        accounts.set_active(register, username, False)
    say(f"User {username} disabled.")


@user_app.command("enable")
def user_enable(username: str, db: Db = None) -> None:
    """Let a disabled account log in again."""
    from tobs.web import accounts

    with using_register(db) as register:
        accounts.set_active(register, username, True)
    say(f"User {username} enabled.")


def audit(
    patient: PatientRequired,
    site: Site = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Who has seen a patient in the web view, when and on which page (for the citizen's right of access)."""
    from tobs.register.audit import entries_for_patient
    from tobs.register.queries import iso_utc

    with using_register(db) as register:
        entries = entries_for_patient(register, patient, site)
    if as_json:
        print(json.dumps([{"at": iso_utc(e.at), "user": e.username, "role": e.role, "what": e.what,
                           "site": e.site_code, "patient": e.patient_number, "identity_shown": e.identity_shown,
                           "from": e.remote} for e in entries]))
        return
    table = Table(title=f"Views of patient {patient}" + (f" at {site}" if site else "") + f" ({len(entries)})",
                  title_justify="left")
    for column in ("When (UTC)", "User", "Role", "What", "Site", "Name/CPR shown", "From"):
        table.add_column(column)
    for e in entries:
        table.add_row(iso_utc(e.at).replace("T", " ").replace("Z", ""), e.username, e.role, e.what, e.site_code,
                      "yes" if e.identity_shown else "no", e.remote)
    out.print(table)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} must be a date written YYYY-MM-DD, not '{text}'.")


def report(
    site: Annotated[str, typer.Option("--site", help="The site (its code).")],
    first: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (local time).")],
    last: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (local time).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for index.html and the charts' SVG files.")],
    unit: Annotated[str, typer.Option("--unit", help="week or month.")] = "week",
    lang: Annotated[str, typer.Option("--lang", help="da or en.")] = "da",
    db: Db = None,
) -> None:
    """The quality page as static HTML + SVG for the quality meeting: the same numbers as the web page."""
    from tobs.web.report import write_report

    start, end = _day(first, "--from"), _day(last, "--to")
    if end < start:
        fail("--to is before --from.")
    if unit not in ("week", "month"):
        fail("--unit must be week or month.")
    if lang not in ("da", "en"):
        fail("--lang must be da or en.")
    with using_register(db) as register:
        try:
            written = write_report(register, site, start, end, unit, lang, out_dir)
        except OSError as e:
            fail(f"Cannot write to {out_dir}: {e.strerror or e}.")
    say(f"Quality report for {site} written to {written}.")


@config_app.command("add")
def config_add(
    file: Annotated[Path, typer.Argument(help="The site configuration (JSON) as pushed to the handhelds.")],
    site: Annotated[str | None, typer.Option("--site", help="Site code (default: the file's site_id).")] = None,
    db: Db = None,
) -> None:
    """Keep a site configuration in the register, so the web view knows the guidance band of every set it guided."""
    from tobs.reports.guidance import add_configuration

    with using_register(db) as register:
        cid = add_configuration(register, file, site)
    say(f"Site configuration {cid} is in the register.")


def tell_how_to_look(console: Console, db: str | None) -> None:
    """What `tobs demo` prints last: how to see the synced shift in the web view."""
    from tobs.register.db import open_register
    from tobs.web.accounts import list_users

    register = open_register(db, announce=None)
    try:
        users = [a for a, active in list_users(register) if active]
    except RegisterError:
        users = []
    finally:
        register.close()
    tobs = ".venv/bin/tobs" if Path(".venv/bin/tobs").exists() else "tobs"
    db_option = f" --db {db}" if db else ""
    console.print("\nLook at the shift in the web view:")
    if not users:
        console.print(f"  {tobs} user add sygeplejerske --role nurse --site demo{db_option}   "
                      "(asks for a password, at least 10 characters)")
    console.print(f"  {tobs} serve{db_option}")
    login = ("log in as " + ", ".join(a.username for a in users[:3])) if users else "log in as sygeplejerske"
    console.print(f"  then open http://{DEFAULT_HOST}:{DEFAULT_PORT}/ and {login}.")
