"""`tobs fhir …`: TOBS sets to other sectors. Thin wrappers over tobs.exchange; every command that puts a patient
into a file writes the register's audit log first."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from tobs.cli.options import Db, Patient, fail, say, using_register

fhir_app = typer.Typer(no_args_is_help=True, help="FHIR exchange: MedCom messages to the GP, vital-signs exports, "
                                                   "acknowledgements and a check of stated TOBS totals.")

Out = Annotated[str, typer.Option("--out", help="File to write, or - for standard output.")]
SiteRequired = Annotated[str, typer.Option("--site", help="The site (its code).")]


@contextmanager
def exchange_failures() -> Iterator[None]:
    from tobs.exchange.files import ExchangeError

    try:
        yield
    except ExchangeError as e:
        fail(str(e))


@fhir_app.command("export")
def export(
    site: SiteRequired,
    out: Out,
    patient: Patient = None,
    form: Annotated[str, typer.Option("--format", help="bundle (a collection Bundle) or ndjson.")] = "bundle",
    db: Db = None,
) -> None:
    """Plain FHIR R4 vital-signs Observations (LOINC) and the TOBS total, per patient or site. The same sets always
    give the same resources, byte for byte."""
    from tobs.exchange import files, sets, validate, vitals
    from tobs.register.audit import record_cli_views

    if form not in ("bundle", "ndjson"):
        fail("--format must be bundle or ndjson.")
    target = None if out == "-" else Path(out)
    if target is not None and not target.parent.is_dir():
        fail(f"The folder for {out} does not exist.")
    with using_register(db) as register, exchange_failures():
        rows, skipped = vitals.exportable(sets.sets_of(register, site, patient))
        who = {(r.site, r.patient) for r in rows}
        if patient is not None and not who:
            sets.patient_identity(register, site, patient)  # refuses an unknown patient by name
        patients = {key: sets.patient_identity(register, *key) for key in sorted(who)}
        if form == "bundle":
            bundle = vitals.collection_bundle(patients, rows)
            problems = validate.bundle_problems(bundle)
            text = files.dumps(bundle)
        else:
            lines = vitals.ndjson_lines(patients, rows)
            problems = [p for r in vitals.resources(patients, rows, vitals.relative_ref)
                        for p in validate.structural_problems(r)]
            text = "".join(line + "\n" for line in lines)
        if problems:
            fail(f"The export did not validate, nothing was written: {problems[0]}", 1)
        # Audited before the file exists: a crash after writing must not leave an export nobody logged.
        record_cli_views(register, "fhir_export", sorted(who),
                         identity_shown=any(p.cpr or p.name for p in patients.values()))
        if target is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            files.write_owner_only(target, text)
    if skipped:
        say(f"{skipped} set{'s' if skipped != 1 else ''} without a known time left out (no effectiveDateTime).")
    if target is not None:
        say(f"Exported {len(rows)} sets of {len(who)} patient{'s' if len(who) != 1 else ''} to {out}.")


@fhir_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="A FHIR Bundle (or one Observation) in JSON.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Recompute every stated TOBS total in a bundle with the chart and report each disagreement, parameter by
    parameter, with the chart's reason. Exit code 0 when all agree, 1 when any disagrees or cannot be recomputed."""
    import json

    from tobs.exchange import check as checking
    from tobs.exchange.files import read_json

    with exchange_failures():
        result = checking.check_bundle(read_json(file))
    if as_json:
        print(json.dumps({"agrees": result.agrees, "sets": [s.as_dict() for s in result.sets],
                          "structural_problems": result.structural}, ensure_ascii=False))
    else:
        for line in checking.report_lines(result):
            print(line)
    if not result.agrees:
        raise typer.Exit(1)
