"""The register's commands for the `tobs` CLI: patients, observations, export, patient-info.

Mounted on the main app with `app.add_typer(register_app)` (no name: the commands become `tobs patients` etc.)."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

import tobs_core
from tobs.register import queries
from tobs.register.db import Register, RegisterError, RegisterUnavailable, open_register

register_app = typer.Typer(add_completion=False, no_args_is_help=True, help="The central register.")
out = Console()
err = Console(stderr=True)

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="TOBS_DB",
        help="Register: postgresql://user@host/db, or an SQLite file. Default: tobs' SQLite file in your data folder.",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
SiteFilter = Annotated[str | None, typer.Option("--site", help="Only this site (its code).")]
PatientFilter = Annotated[int | None, typer.Option("--patient", help="Only this local patient number.")]


def _fail(message: str, code: int) -> None:
    err.print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def _opened(db: str | None):
    """The register for one command; its failures end the command with one sentence and a non-zero exit code."""
    register: Register | None = None
    try:
        register = open_register(db, announce=lambda message: err.print(message, highlight=False, soft_wrap=True))
        yield register
    except RegisterUnavailable as e:
        _fail(str(e), 1)  # the register is the problem: exit 1
    except RegisterError as e:
        _fail(str(e), 2)  # the user's input is: exit 2, as the rest of tobs
    finally:
        if register is not None:
            register.close()


def _when(row_time) -> str:
    return queries.iso_utc(row_time).replace("T", " ").replace("Z", "") or "unknown"


@register_app.command()
def patients(db: Db = None, site: SiteFilter = None, as_json: AsJson = False,
             show_cpr: Annotated[bool, typer.Option("--show-cpr", help="Show whole CPR numbers.")] = False) -> None:
    """List the register's patients: local number per site, name if added on this PC, latest score."""
    with _opened(db) as register:
        found = queries.list_patients(register, site=site)
    if as_json:
        print(json.dumps([p.as_dict(show_cpr) for p in found], ensure_ascii=False))
        return
    table = Table(title=f"Patients ({len(found)})", title_justify="left")
    for column, justify in (("Site", "left"), ("Patient", "right"), ("Name", "left"), ("CPR", "left"),
                            ("Observations", "right"), ("Latest", "left"), ("Total", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for p in found:
        table.add_row(
            p.site, str(p.number), p.name or "", p.cpr if show_cpr and p.cpr else queries.mask_cpr(p.cpr),
            str(p.observations), _when(p.last_measured_at) if p.observations else "",
            "" if p.last_total is None else str(p.last_total),
        )
    out.print(table)


@register_app.command()
def observations(db: Db = None, patient: PatientFilter = None, site: SiteFilter = None,
                 limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many.")] = None,
                 as_json: AsJson = False) -> None:
    """List observations, newest first, with the register's own score and any flags."""
    with _opened(db) as register:
        found = queries.list_observations(register, patient=patient, site=site, limit=limit)
    if as_json:
        print(json.dumps([o.as_dict() for o in found], ensure_ascii=False))
        return
    table = Table(title=f"Observations ({len(found)})", title_justify="left")
    for column in ("Measured (UTC)", "Site", "Patient", "Staff", "Pulse", "Resp", "Temp °C", "Sys BP", "Awareness",
                   "Total", "Flags"):
        table.add_column(column)
    for o in found:
        temp = queries.celsius(o.temp_raw) + ("" if o.temp_site == "rectal" else f" {o.temp_site[:3]}")
        when = _when(o.measured_at) + (" (repaired)" if o.clock_quality == "repaired" else "")
        total = f"[bold red]{o.total}[/]" if 3 in o.points.values() else str(o.total)
        table.add_row(when, o.site, str(o.patient), str(o.staff), str(o.pulse), str(o.resp), temp, str(o.sys_bp),
                      tobs_core.LABELS["en"][o.awareness], total, ", ".join(o.flags))
    out.print(table)


@register_app.command()
def export(
    csv_path: Annotated[str, typer.Option("--csv", help="CSV file to write, or - for standard output.")],
    db: Db = None,
    patient: PatientFilter = None,
    site: SiteFilter = None,
) -> None:
    """Export observations as CSV (columns: device_id, seq, site, patient, staff, measured_at, …, core_id, action)."""
    target = Path(csv_path)
    if csv_path != "-" and not target.parent.is_dir():
        _fail(f"The folder for {csv_path} does not exist.", 2)
    with _opened(db) as register:
        if csv_path == "-":
            queries.write_csv(register, sys.stdout, patient=patient, site=site)
            sys.stdout.flush()
            return
        partial = target.with_name(target.name + ".part")
        try:
            # Written beside the target and renamed, so a failed export never leaves half a file under its name.
            with open(partial, "w", newline="", encoding="utf-8") as stream:
                count = queries.write_csv(register, stream, patient=patient, site=site)
            partial.replace(target)
        except OSError as e:
            partial.unlink(missing_ok=True)
            _fail(f"Cannot write {csv_path}: {e.strerror or e}.", 2)
            return
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    err.print(f"Exported {count} observations to {csv_path}.", highlight=False, soft_wrap=True)


@register_app.command("patient-info")
def patient_info(
    site: Annotated[str, typer.Option("--site", help="The patient's site (its code).")],
    patient: Annotated[int, typer.Option("--patient", help="The local patient number.")],
    name: Annotated[str | None, typer.Option("--name", help="Name; \"\" removes it.")] = None,
    cpr: Annotated[str | None, typer.Option("--cpr", help="CPR number DDMMYY-SSSS; \"\" removes it.")] = None,
    db: Db = None,
) -> None:
    """Add a patient's name and CPR number in the register on this PC; they are never sent to a handheld."""
    if name is None and cpr is None:
        _fail("Give --name and/or --cpr.", 2)
    with _opened(db) as register:
        queries.set_patient_identity(register, site, patient, name=name, cpr=cpr)
    err.print(f"Patient {patient} at {site} updated.", highlight=False, soft_wrap=True)
