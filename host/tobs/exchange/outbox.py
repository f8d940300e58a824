"""The outbox: MedCom messages written where the municipality's gateway picks files up, each recorded in the
register with its thread (the versions of one report: new, modified, retracted) and, once it comes, the
receiver's Acknowledgement. Messages still unacknowledged after the site's time are listed as problems."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from tobs.exchange import codes, invariants, message, parties, sets, validate
from tobs.exchange.files import ExchangeError, dumps, owner_only_folder, read_json, write_owner_only
from tobs.register.audit import record_cli_views
from tobs.register.db import Register
from tobs.register.models import FHIR_DELIVERED, FHIR_FAILED, FHIR_SENT, FhirMessage


@dataclass(frozen=True)
class Sent:
    bundle_id: str
    header_id: str
    thread_id: str
    version: int
    activity: str
    path: Path
    bundle: dict[str, Any]


def _problems(bundle: dict[str, Any]) -> list[str]:
    return validate.bundle_problems(bundle) + invariants.message_problems(bundle)


def _put(register: Register, outbox: Path, *, site: str, patient: int, receiver_sor: str, rows, thread_id: str,
         version: int, activity: str, history: list[message.Version], comment: str | None,
         now: datetime | None) -> Sent:
    exchange = parties.of_site(register, site)
    receiver = exchange.gp(receiver_sor)
    who = sets.patient_identity(register, site, patient)
    sent_at = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    bundle = message.build(exchange=exchange, receiver=receiver, who=who, rows=rows, thread_id=thread_id,
                           version=version, activity=activity, history=history, sent_at=sent_at, comment=comment)
    problems = _problems(bundle)
    if problems:
        raise ExchangeError(f"The message did not validate, nothing was sent: {problems[0]}")
    folder = owner_only_folder(outbox)
    target = folder / f"HomeCareObservation-{bundle['id']}.json"
    header_id = bundle["entry"][0]["resource"]["id"]
    record_cli_views(register, "fhir_message", [(site, patient)], identity_shown=True)

    def record(session) -> None:
        session.add(FhirMessage(
            bundle_id=bundle["id"], header_id=header_id, thread_id=thread_id, version=version, activity=activity,
            site_code=site, patient_number=patient, receiver_sor=receiver_sor, sets=sets.keys(rows),
            comment=comment, file_name=str(target), sent_at=sent_at, status=FHIR_SENT,
        ))

    register.run_write(record)
    try:
        write_owner_only(target, dumps(bundle))
    except ExchangeError:
        register.run_write(lambda session: session.delete(session.get(FhirMessage, bundle["id"])))
        raise
    return Sent(bundle["id"], header_id, thread_id, version, activity, target, bundle)


def send_new(register: Register, outbox: Path, *, site: str, patient: int, receiver_sor: str,
             chosen: list[tuple[str, int | None, int]] | None, comment: str | None = None,
             now: datetime | None = None) -> Sent:
    """A new message; without `chosen` it carries the patient's latest set."""
    sets.patient_identity(register, site, patient)
    rows = sets.sets_of(register, site, patient, chosen, latest=None if chosen else 1)
    return _put(register, outbox, site=site, patient=patient, receiver_sor=receiver_sor, rows=rows,
                thread_id=str(uuid.uuid4()), version=1, activity=codes.NEW, history=[], comment=comment, now=now)


def thread_of(register: Register, message_id: str) -> list[FhirMessage]:
    """Every version of the report a bundle id, MessageHeader id or thread id names, oldest first."""
    with register.read() as session:
        named = session.scalars(select(FhirMessage).where(or_(
            FhirMessage.bundle_id == message_id, FhirMessage.header_id == message_id,
            FhirMessage.thread_id == message_id))).first()
        if named is None:
            raise ExchangeError(f"No message {message_id} is in the register's outbox.")
        return list(session.scalars(select(FhirMessage).where(FhirMessage.thread_id == named.thread_id)
                                    .order_by(FhirMessage.version)))


def _history(versions: list[FhirMessage]) -> list[message.Version]:
    out, previous = [], None
    for v in versions:
        out.append(message.Version(v.header_id, v.activity, v.sent_at, previous))
        previous = v.header_id
    return out


def _follow_up(register: Register, outbox: Path, message_id: str, activity: str, *, comment: str | None,
               chosen: list[tuple[str, int | None, int]] | None, now: datetime | None) -> Sent:
    versions = thread_of(register, message_id)
    latest = versions[-1]
    if latest.activity == codes.RETRACTED:
        raise ExchangeError(f"The report of message {message_id} was retracted on "
                            f"{latest.sent_at:%Y-%m-%d %H:%M} UTC; send a new message instead.")
    if chosen is None:
        chosen = [(d, epoch, s) for d, epoch, s in latest.sets]
    rows = sets.sets_of(register, latest.site_code, latest.patient_number, chosen)
    return _put(register, outbox, site=latest.site_code, patient=latest.patient_number,
                receiver_sor=latest.receiver_sor, rows=rows, thread_id=latest.thread_id,
                version=latest.version + 1, activity=activity, history=_history(versions),
                comment=comment if comment is not None else latest.comment, now=now)


def modify(register: Register, outbox: Path, message_id: str, *, comment: str | None = None,
           chosen: list[tuple[str, int | None, int]] | None = None, now: datetime | None = None) -> Sent:
    """A correction of a sent report (modified-message): the same report and observations, a new version."""
    return _follow_up(register, outbox, message_id, codes.MODIFIED, comment=comment, chosen=chosen, now=now)


def retract(register: Register, outbox: Path, message_id: str, *, reason: str, now: datetime | None = None) -> Sent:
    """A cancellation (retract-message); MedCom wants the reason in the report's conclusion."""
    if not reason.strip():
        raise ExchangeError("--reason: a cancellation says why (MedCom puts it in the report's conclusion).")
    return _follow_up(register, outbox, message_id, codes.RETRACTED, comment=reason.strip(), chosen=None, now=now)


@dataclass(frozen=True)
class AckOutcome:
    bundle_id: str
    header_id: str
    code: str
    status: str
    detail: str | None


def _operation_outcome_text(bundle: dict[str, Any], header: dict[str, Any]) -> str | None:
    outcomes = [e.get("resource") for e in bundle.get("entry") or []
                if isinstance(e, dict) and isinstance(e.get("resource"), dict)
                and e["resource"].get("resourceType") == "OperationOutcome"]
    issues = []
    for outcome in outcomes:
        for issue in outcome.get("issue") or []:
            details = issue.get("details") or {}
            words = details.get("text") or ", ".join(
                c.get("display") or c.get("code") or "" for c in details.get("coding") or [])
            issues.append(f"{issue.get('severity', '?')} {issue.get('code', '?')}" + (f": {words}" if words else ""))
    return "; ".join(issues)[:2000] if issues else None


def acknowledge(register: Register, path: Path, now: datetime | None = None) -> AckOutcome:
    """Read a MedCom Acknowledgement and mark the message it answers delivered (ok) or failed (with the
    OperationOutcome's issues)."""
    bundle = read_json(path)
    entries = bundle.get("entry") or []
    header = entries[0].get("resource") if entries and isinstance(entries[0], dict) else None
    if bundle.get("type") != "message" or not isinstance(header, dict) or header.get("resourceType") != "MessageHeader":
        raise ExchangeError(f"{path} is not a FHIR message (a Bundle of type message with a MessageHeader first).")
    event = (header.get("eventCoding") or {}).get("code")
    if event != codes.EVENT_ACKNOWLEDGEMENT:
        raise ExchangeError(f"{path} is a {event or 'message without an event'}, not an acknowledgement-message.")
    response = header.get("response") or {}
    answered, code = response.get("identifier"), response.get("code")
    if code not in ("ok", "transient-error", "fatal-error"):
        raise ExchangeError(f"{path}: MessageHeader.response.code must be ok, transient-error or fatal-error.")
    detail = _operation_outcome_text(bundle, header)
    if code != "ok" and detail is None:
        detail = "no OperationOutcome in the acknowledgement (medcom-acknowledgement-1 wants one)"
    status = FHIR_DELIVERED if code == "ok" else FHIR_FAILED
    at = now or datetime.now(timezone.utc)

    def work(session) -> AckOutcome:
        found = session.scalars(select(FhirMessage).where(or_(
            FhirMessage.header_id == answered, FhirMessage.bundle_id == answered))).first()
        if found is None:
            raise ExchangeError(f"{path} answers message {answered}, which is not in the register's outbox.")
        found.status, found.ack_at, found.ack_code, found.ack_detail = status, at, code, detail
        return AckOutcome(found.bundle_id, found.header_id, code, status, detail)

    return register.run_write(work)


@dataclass(frozen=True)
class OutboxRow:
    bundle_id: str
    header_id: str
    thread_id: str
    version: int
    activity: str
    site: str
    patient: int
    receiver_sor: str
    sent_at: datetime
    status: str
    ack_code: str | None
    ack_detail: str | None
    overdue: bool

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(v, datetime) else v)
                for k, v in self.__dict__.items()}


def listing(register: Register, *, sites: list[str] | None = None, now: datetime | None = None) -> list[OutboxRow]:
    """Every message, newest first; `overdue` when still unacknowledged after the site's ack_within_min."""
    now = now or datetime.now(timezone.utc)
    limits = {site: timedelta(minutes=d.ack_within_min) for site, d in parties.all_sites(register).items()}
    query = select(FhirMessage).order_by(FhirMessage.sent_at.desc(), FhirMessage.version.desc())
    if sites is not None:
        query = query.where(FhirMessage.site_code.in_(sites))
    default = timedelta(minutes=parties.DEFAULT_ACK_WITHIN_MIN)
    with register.read() as session:
        return [OutboxRow(m.bundle_id, m.header_id, m.thread_id, m.version, m.activity, m.site_code,
                          m.patient_number, m.receiver_sor, m.sent_at, m.status, m.ack_code, m.ack_detail,
                          m.status == FHIR_SENT and now - m.sent_at > limits.get(m.site_code, default))
                for m in session.scalars(query)]


def problems(register: Register, *, sites: list[str] | None = None, now: datetime | None = None) -> list[OutboxRow]:
    """Messages that need someone: unacknowledged past the site's time, or refused by the receiver."""
    return [m for m in listing(register, sites=sites, now=now) if m.overdue or m.status == FHIR_FAILED]
