"""The register's listing commands: `tobs patients`, `tobs observations`, `tobs export`, `tobs patient-info`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tobs import files
from tobs.cli.options import (
    COUNT_MAX,
    Db,
    Json,
    Patient,
    PatientRequired,
    Site,
    SiteRequired,
    fail,
    file_name,
    out,
    say,
    using_register,
)
from tobs.register import queries
from tobs.shared import tobs_labels


def _audit(register, what: str, shown, *, identity: bool) -> None:
    """Every listing or export that shows patients is in the audit log (`tobs audit --patient N`)."""
    from tobs.register.audit import record_cli_views

    record_cli_views(register, what, shown, identity_shown=identity)


def _when(row_time) -> str:
    return queries.iso_utc(row_time).replace("T", " ").replace("Z", "") or "unknown"


def patients(db: Db = None, site: Site = None, as_json: Json = False,
             show_cpr: Annotated[bool, typer.Option("--show-cpr", help="Show whole CPR numbers.")] = False) -> None:
    """List the register's patients: local number per site, name if added on this PC, latest score."""
    with using_register(db) as register:
        found = queries.list_patients(register, site=site)
        # The listing always masks the CPR number (DDMMYY-****) unless --show-cpr: the log says, per patient, whether
        # a name or a whole CPR number was printed, not merely that the patient was listed.
        def shown(p) -> bool:
            return bool(p.name or (show_cpr and p.cpr))

        _audit(register, "cli_patients", [(p.site, p.number) for p in found if shown(p)], identity=True)
        _audit(register, "cli_patients", [(p.site, p.number) for p in found if not shown(p)], identity=False)
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


def _action(o: queries.ObservationRow) -> str:
    """The site's action code as it stands, with its reason code after a slash; "later" when a follow-up recorded
    it; "missing" while the site wanted it documented and none has been."""
    if o.action_missing:
        return "[bold red]missing[/]"
    if not o.action:
        return ""
    shown = str(o.action) + (f"/{o.reason}" if o.reason else "")
    return shown + (" later" if o.action_followup_staff is not None else "")


def observations(db: Db = None, patient: Patient = None, site: Site = None,
                 limit: Annotated[int | None, typer.Option("--limit", min=1, max=COUNT_MAX,
                                                           help="At most this many.")] = None,
                 as_json: Json = False) -> None:
    """List observations, newest first, with the register's own score, the action taken (code/reason code, or
    missing) and any flags."""
    with using_register(db) as register:
        found = queries.list_observations(register, patient=patient, site=site, limit=limit)
        _audit(register, "cli_observations", [(o.site, o.patient) for o in found], identity=False)
    if as_json:
        print(json.dumps([o.as_dict() for o in found], ensure_ascii=False))
        return
    table = Table(title=f"Observations ({len(found)})", title_justify="left")
    for column in ("Measured (UTC)", "Site", "Patient", "Staff", "Pulse", "Resp", "Temp °C", "Sys BP", "Awareness",
                   "Total", "Action", "Flags"):
        table.add_column(column)
    for o in found:
        temp = queries.celsius(o.temp_raw) + ("" if o.temp_site == "rectal" else f" {o.temp_site[:3]}")
        when = _when(o.measured_at) + (" (repaired)" if o.clock_quality == "repaired" else "")
        total = f"[bold red]{o.total}[/]" if 3 in o.points.values() else str(o.total)
        table.add_row(when, o.site, str(o.patient), str(o.staff), str(o.pulse), str(o.resp), temp, str(o.sys_bp),
                      tobs_labels.label("en", o.awareness), total, _action(o), ", ".join(o.flags))
    out.print(table)


def export(
    csv_path: Annotated[str, typer.Option("--csv", callback=file_name,
                                          help="CSV file to write (owner-only), or - for standard output.")],
    db: Db = None,
    patient: Patient = None,
    site: Site = None,
    problems_path: Annotated[
        Path | None,
        typer.Option("--problems", help="Also write the register's problems (`tobs problems`) to this CSV."),
    ] = None,
) -> None:
    """Export observations as CSV (columns: device_id, seq, site, patient, staff, measured_at, …, core_id, action,
    reason, action_missing, action_followup_at)."""
    target = Path(csv_path)
    if csv_path != "-" and target.is_dir():
        fail(f"--csv {csv_path} is a folder: give a file name in it.")
    if csv_path != "-" and not target.parent.is_dir():
        fail(f"The folder for {csv_path} does not exist.")
    if problems_path is not None and not problems_path.parent.is_dir():
        fail(f"--problems: the folder for {problems_path} does not exist.")
    with using_register(db) as register:
        if problems_path is not None:
            _write_problems(register, problems_path, site)
        from tobs.register.audit import patients_in

        _audit(register, "csv_export", patients_in(register, patient=patient, site=site), identity=False)
        if csv_path == "-":
            queries.write_csv(register, sys.stdout, patient=patient, site=site)
            sys.stdout.flush()
            return
        partial = target.with_name(target.name + ".part")
        try:
            # Written beside the target and renamed, so a failed export never leaves half a file under its name.
            # Health data: owner-only from its first byte (the file keeps the mode when renamed).
            with open(files.open_owner_only(partial), "w", newline="", encoding="utf-8") as stream:
                count = queries.write_csv(register, stream, patient=patient, site=site)
            partial.replace(target)
        except OSError as e:
            partial.unlink(missing_ok=True)
            fail(f"Cannot write {csv_path}: {e.strerror or e}.")
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    say(f"Exported {count} observations to {csv_path}.")


PROBLEM_COLUMNS = ("kind", "site", "device_id", "store_epoch", "first_seq", "last_seq", "count", "found_at", "reason")


def _write_problems(register, path: Path, site: str | None) -> None:
    """The problems beside the export, so a register's export never hides what it refused or missed."""
    import csv

    from tobs.register import problems

    found = problems.problems(register, sites=None if site is None else [site])
    partial = path.with_name(path.name + ".part")
    try:
        with open(partial, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(PROBLEM_COLUMNS)
            for p in found:
                row = p.as_dict()
                writer.writerow(["" if row[c] is None else row[c] for c in PROBLEM_COLUMNS])
        partial.replace(path)
    except OSError as e:
        partial.unlink(missing_ok=True)
        fail(f"--problems: cannot write {path}: {e.strerror or e}.")
    say(f"Wrote {len(found)} problems to {path}.")


def patient_info(
    site: SiteRequired,
    patient: PatientRequired,
    name: Annotated[str | None, typer.Option("--name", help="Name; \"\" removes it.")] = None,
    cpr: Annotated[str | None, typer.Option("--cpr", help="CPR number DDMMYY-SSSS; \"\" removes it.")] = None,
    db: Db = None,
) -> None:
    """Add a patient's name and CPR number in the register on this PC; they are never sent to a handheld."""
    if name is None and cpr is None:
        fail("Give --name and/or --cpr.")
    with using_register(db) as register:
        queries.set_patient_identity(register, site, patient, name=name, cpr=cpr)
    say(f"Patient {patient} at {site} updated.")
