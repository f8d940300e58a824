"""`tobs fhir …`: TOBS sets to other sectors. Thin wrappers over tobs.exchange; every command that puts a patient
into a file writes the register's audit log first."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from tobs.cli.options import Db, Patient, PatientRequired, fail, file_name, say, using_register

fhir_app = typer.Typer(no_args_is_help=True, help="FHIR exchange: MedCom messages to the GP, vital-signs exports, "
                                                   "acknowledgements and a check of stated TOBS totals.")

Out = Annotated[str, typer.Option("--out", callback=file_name, help="File to write, or - for standard output.")]
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


Outbox = Annotated[Path, typer.Option("--out", help="The outbox folder the municipality's gateway picks up.")]
MessageId = Annotated[str, typer.Argument(help="The message: its bundle id, MessageHeader id or thread id.")]


@fhir_app.command("setup")
def setup(
    file: Annotated[Path, typer.Argument(help="The site's exchange file (JSON; docs/exchange.md shows one).")],
    db: Db = None,
) -> None:
    """A site's exchange details: the sending organisation (SOR, EAN, producent ID), the phone and staff names that
    sign a message, the GP practices it sends to, and how long an acknowledgement may take."""
    from tobs.exchange import parties
    from tobs.exchange.files import read_json

    with using_register(db) as register, exchange_failures():
        details = parties.add(register, read_json(file))
    say(f"Site {details.site} sends as {details.sender.name} (SOR {details.sender.sor}) to "
        f"{len(details.gps)} GP practice{'s' if len(details.gps) != 1 else ''}.")


def _sent(sent) -> None:
    print(sent.path)
    say(f"{sent.activity} {sent.bundle_id} (MessageHeader {sent.header_id}, version {sent.version}) is in the "
        "outbox.")


@fhir_app.command("message")
def message(
    site: SiteRequired,
    patient: PatientRequired,
    to: Annotated[str, typer.Option("--to", help="The GP practice's SOR number (from the site's exchange file).")],
    out: Outbox,
    chosen: Annotated[str | None, typer.Option("--sets", help="DEVICE:SEQ[,…] (default: the latest set).")] = None,
    comment: Annotated[str | None, typer.Option("--comment", help="Clinical comment (the report's conclusion).")] = (
        None
    ),
    db: Db = None,
) -> None:
    """A MedCom HomeCareObservation message to the GP, put in the outbox. The patient is identified by CPR."""
    from tobs.exchange import outbox, sets

    with using_register(db) as register, exchange_failures():
        sent = outbox.send_new(register, out, site=site, patient=patient, receiver_sor=to,
                               chosen=sets.parse_sets(chosen), comment=comment)
    _sent(sent)


@fhir_app.command("modify")
def modify(
    message_id: MessageId,
    out: Outbox,
    chosen: Annotated[str | None, typer.Option("--sets", help="DEVICE:SEQ[,…] (default: those sent).")] = None,
    comment: Annotated[str | None, typer.Option("--comment", help="The corrected clinical comment.")] = None,
    db: Db = None,
) -> None:
    """A correction of a sent message (modified-message): same report and observations, a new version."""
    from tobs.exchange import outbox, sets

    with using_register(db) as register, exchange_failures():
        sent = outbox.modify(register, out, message_id, comment=comment, chosen=sets.parse_sets(chosen))
    _sent(sent)


@fhir_app.command("retract")
def retract(
    message_id: MessageId,
    out: Outbox,
    reason: Annotated[str, typer.Option("--reason", help="Why (e.g. wrong CPR number, wrong receiver).")],
    db: Db = None,
) -> None:
    """A cancellation of a sent message (retract-message), the reason in the report's conclusion."""
    from tobs.exchange import outbox

    with using_register(db) as register, exchange_failures():
        sent = outbox.retract(register, out, message_id, reason=reason)
    _sent(sent)


@fhir_app.command("ack")
def ack(
    file: Annotated[Path, typer.Argument(help="A MedCom Acknowledgement message (JSON).")],
    db: Db = None,
) -> None:
    """Read a MedCom Acknowledgement: the message it answers is marked delivered, or failed with the issues of its
    OperationOutcome."""
    from tobs.exchange import outbox

    with using_register(db) as register, exchange_failures():
        outcome = outbox.acknowledge(register, file)
    say(f"Message {outcome.bundle_id}: {outcome.code}, {outcome.status}"
        + (f" ({outcome.detail})." if outcome.detail else "."))


@fhir_app.command("outbox")
def outbox_listing(
    site: Annotated[str | None, typer.Option("--site", help="Only this site (its code).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    db: Db = None,
) -> None:
    """The messages sent, newest first, with their acknowledgements; overdue ones marked."""
    import json

    from rich.table import Table

    from tobs.cli.options import out as console
    from tobs.exchange import outbox

    with using_register(db) as register:
        rows = outbox.listing(register, sites=[site] if site else None)
    if as_json:
        print(json.dumps([r.as_dict() for r in rows], ensure_ascii=False))
        return
    table = Table(title=f"FHIR outbox ({len(rows)})", title_justify="left")
    for column in ("Sent (UTC)", "Site", "Patient", "To SOR", "Activity", "Status", "Bundle"):
        table.add_column(column)
    for r in rows:
        status = "[bold red]no ack, overdue[/]" if r.overdue else (
            f"[bold red]{r.status}: {r.ack_code}[/]" if r.status == "failed" else r.status)
        table.add_row(f"{r.sent_at:%Y-%m-%d %H:%M}", r.site, str(r.patient), r.receiver_sor,
                      f"{r.activity} v{r.version}", status, r.bundle_id)
    console.print(table)
