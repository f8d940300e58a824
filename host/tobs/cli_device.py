"""`tobs` commands that talk to a handheld over USB serial: sync, enroll, site push, deploy."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tobs.link import Link, LinkError, find_port
from tobs.register.db import RegisterError

PortOption = Annotated[str | None, typer.Option("--port", help="Serial port; found by USB IDs when left out.")]
DbOption = Annotated[
    str | None, typer.Option("--db", help="Register URL; default: the SQLite file in your user data folder.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

out = Console()
err = Console(stderr=True)
site_app = typer.Typer(no_args_is_help=True, help="Site configuration (local variation) on a handheld.")


def _fail(message: str) -> None:
    err.print(f"[bold red]Error:[/] {message}", highlight=False)
    raise typer.Exit(2)


def sync(port: PortOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Bring the handheld's unsynced records into the register, exactly once, and set its clock."""
    from tobs.sync import sync as run_sync

    try:
        port_name = find_port(port)
        with Progress(
            TextColumn("Syncing"), BarColumn(), MofNCompleteColumn(), console=err, transient=True, disable=as_json
        ) as bar:
            task = bar.add_task("records", total=None)
            result = run_sync(port_name, db, progress=lambda n: bar.update(task, completed=n))
    except (LinkError, RegisterError) as e:
        _fail(f"{e} The handheld keeps every record until a sync succeeds.")
        return
    if as_json:
        print(json.dumps(result.as_dict()))
        return
    out.print(
        f"Handheld {result.device_id}: {result.new} new, {result.already_had} already had, "
        f"{result.conflicts} conflicts, {result.rejected} rejected ({result.pulled} pulled in {result.seconds:.1f} s)."
    )
    if result.flagged:
        out.print(f"[yellow]{result.flagged} observations flagged for review (score or clock).[/]")
    for reason in result.rejected_reasons:
        out.print(f"[red]Rejected:[/] {reason}")
    if result.clock_set:
        out.print("The handheld's clock is set.")


def enroll(
    site: Annotated[str, typer.Option("--site", help="Site code the handheld belongs to.")],
    port: PortOption = None,
    db: DbOption = None,
    new_key: Annotated[
        bool, typer.Option("--new-key", help="Replace the key (only when everything is synced).")
    ] = False,
) -> None:
    """Give the handheld its per-device key, kept on the device and in the register."""
    from tobs.register import ingest
    from tobs.register.db import open_register

    try:
        port_name = find_port(port)
        register = open_register(db)
        with Link(port_name) as link:
            hello = link.request("HELLO", expect="H").json()
            key = ingest.enroll_device(register, hello["device_id"], site, new_key=new_key)
            link.request("ENROLL", site, key.hex(), expect="A")
    except (LinkError, RegisterError) as e:
        _fail(str(e))
        return
    out.print(f"Handheld {hello['device_id']} is enrolled at site {site}.")


@site_app.command("push")
def site_push(
    file: Annotated[Path, typer.Argument(help="The site configuration (JSON) to write to the handheld.")],
    port: PortOption = None,
) -> None:
    """Write a site configuration (action table, staff with PIN hashes) to the handheld."""
    try:
        data = file.read_bytes()
        json.loads(data)
    except (OSError, ValueError) as e:
        _fail(f"{file} is not a readable JSON file ({e}).")
        return
    try:
        with Link(find_port(port)) as link:
            link.request("PUT", "site.json", len(data), expect="A")
            for i in range(0, len(data), 384):
                link.request("DATA", base64.b64encode(data[i : i + 384]).decode(), expect="A")
            link.request("COMMIT", "%08x" % (binascii.crc32(data) & 0xFFFFFFFF), expect="A")
    except LinkError as e:
        _fail(f"{e} The handheld keeps its previous configuration.")
        return
    config_id = hashlib.sha256(data).hexdigest()[:8]  # how the handheld names a configuration
    out.print(f"Site configuration {config_id} written; the handheld restarts with it as soon as no measurement "
              "is being entered (its status screen shows the ID).")


@site_app.command("pin-hash")
def site_pin_hash(
    salt: Annotated[str, typer.Option("--salt", help="The site's pin_salt.")],
    staff: Annotated[int, typer.Option("--staff", help="Staff number.")],
    pin: Annotated[str, typer.Option("--pin", prompt=True, hide_input=True, help="The PIN (asked if left out).")],
) -> None:
    """The PIN hash to put in a site configuration's staff list (the PIN itself is never stored)."""
    if not pin.isdigit():
        _fail("The PIN must be digits only (the keypad has no letters).")
    print(hashlib.sha256(f"{salt}:{staff}:{pin}".encode()).hexdigest())


def register_commands(app: typer.Typer) -> None:
    app.command()(sync)
    app.command()(enroll)
    app.add_typer(site_app, name="site")
