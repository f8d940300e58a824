"""`tobs sync`, `tobs enroll` and `tobs site …`: the commands that talk to a handheld over its USB serial port."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tobs.cli.options import Db, Json, Port, err, fail, failures, out, using_register
from tobs.device.link import Link
from tobs.device.ports import find_port
from tobs.ops import enroll as enroll_ops
from tobs.ops import site as site_ops
from tobs.ops import sync as sync_ops

site_app = typer.Typer(no_args_is_help=True, help="Site configuration (local variation) on a handheld.")

_KEEPS_RECORDS = "The handheld keeps every record until a sync succeeds."


def sync(port: Port = None, db: Db = None, as_json: Json = False) -> None:
    """Bring the handheld's unsynced records into the register, exactly once, and set its clock."""
    # The register first: if it cannot be used, the handheld is not touched and keeps everything.
    with using_register(db) as opened, failures(keep=_KEEPS_RECORDS):
        port_name = find_port(port)
        with Progress(
            TextColumn("Syncing"), BarColumn(), MofNCompleteColumn(), console=err, transient=True, disable=as_json
        ) as bar:
            task = bar.add_task("records", total=None)
            with Link(port_name) as link:
                result = sync_ops.sync(link, opened, progress=lambda n: bar.update(task, completed=n))
    if as_json:
        print(json.dumps(result.as_dict()))
        return
    print_sync_summary(result)


def print_sync_summary(result: sync_ops.SyncResult) -> None:
    """What a sync did, for people: counts, flagged observations, reasons for rejected records, the clock."""
    out.print(
        f"Handheld {result.device_id}: {result.new} new, {result.already_had} already had, "
        f"{result.conflicts} conflicts, {result.rejected} rejected ({result.pulled} pulled in {result.seconds:.1f} s).",
        highlight=False,
    )
    if result.flagged:
        out.print(f"[yellow]{result.flagged} observations flagged for review (score or clock).[/]")
    for reason in result.rejected_reasons:
        out.print(f"[red]Quarantined:[/] {reason} (kept in the register; `tobs problems` lists them)", highlight=False)
    if result.conflicts:
        out.print(
            f"[red]{result.conflicts} conflicts:[/] records whose number the register holds with other content, kept "
            "aside (`tobs problems` lists them).",
            highlight=False,
        )
    for sentence in result.store_problems:
        out.print(f"[red]{sentence}[/]", highlight=False)
    if result.pin_failures or result.pins_locked:
        out.print(f"[yellow]{pin_lockout_sentence(result.pin_failures, result.pins_locked)}[/]", highlight=False)
    if result.clock_set:
        out.print("The handheld's clock is set.")


def pin_lockout_sentence(failures: int, locked: int) -> str:
    """One sentence on the wrong PINs HELLO reported, for the summary (only called when one of them is non-zero)."""
    wrong = f"{failures} wrong PIN{'' if failures == 1 else 's'} typed on this handheld since its last sync"
    numbers = f"{locked} staff number{' is' if locked == 1 else 's are'} locked out on "
    if failures and locked:
        return f"{wrong}; {numbers}it now."
    if failures:
        return f"{wrong}."
    return f"{numbers}this handheld now."


def enroll(
    site: Annotated[str, typer.Option("--site", help="Site code the handheld belongs to.")],
    port: Port = None,
    db: Db = None,
    new_key: Annotated[
        bool, typer.Option("--new-key", help="Replace the key (only when everything is synced).")
    ] = False,
) -> None:
    """Give the handheld its per-device key, kept on the device and in the register."""
    with using_register(db) as opened, failures():
        with Link(find_port(port)) as link:
            done = enroll_ops.enroll(link, opened, site, new_key=new_key)
    out.print(f"Handheld {done.device_id} is enrolled at site {done.site}.", highlight=False)


@site_app.command("push")
def site_push(
    file: Annotated[Path, typer.Argument(help="The site configuration (JSON) to write to the handheld.")],
    port: Port = None,
) -> None:
    """Write a site configuration (action table, staff with PIN hashes) to the handheld."""
    from tobs import files

    try:
        # Checked before the port is even looked for: a file that is no JSON, or nests absurdly deep, never reaches
        # a handheld's parser.
        data = files.read_limited(file)
        files.parse_json(data, str(file))
    except files.InputFileError as e:
        fail(str(e))
    with failures(keep="The handheld keeps its previous configuration."):
        try:
            with Link(find_port(port)) as link:
                config_id = site_ops.push_site(link, data)
        except site_ops.SiteFileError as e:
            fail(f"{file}: {e}.")
    out.print(
        f"Site configuration {config_id} written; the handheld restarts with it as soon as no measurement "
        "is being entered (its status screen shows the ID).",
        highlight=False,
    )


@site_app.command("pin-hash")
def site_pin_hash(
    salt: Annotated[str, typer.Option("--salt", help="The site's pin_salt.")],
    staff: Annotated[int, typer.Option("--staff", help="Staff number.")],
    pin: Annotated[str, typer.Option("--pin", prompt=True, hide_input=True, help="The PIN (asked if left out).")],
) -> None:
    """The PIN hash to put in a site configuration's staff list (the PIN itself is never stored)."""
    try:
        print(site_ops.pin_hash(salt, staff, pin))
    except ValueError as e:
        fail(str(e))
