"""`tobs problems`: everything in the register that needs someone, in one list: records quarantined with their reason,
conflicting records, numbers missing from a handheld's store, stores that were reset (a wiped flash) and what of them
never arrived, and MedCom messages without an acknowledgement in the site's time or refused by the receiver."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tobs.cli.options import Db, Json, Site, out, using_register
from tobs.exchange import outbox
from tobs.register import problems as register_problems
from tobs.register.problems import Problem

MESSAGE = "message"


def _message_problems(register, sites) -> list[Problem]:
    found = []
    for m in outbox.problems(register, sites=sites):
        if m.status == "failed":
            why = f"was refused by the receiver ({m.ack_code}{': ' + m.ack_detail if m.ack_detail else ''})"
        else:
            why = "has no acknowledgement in the site's time"
        found.append(Problem(
            MESSAGE, m.site, None, None, None, None, 1,
            f"MedCom message {m.header_id} ({m.activity}, to SOR {m.receiver_sor}) {why}.", m.sent_at,
        ))
    return found


def problems(
    db: Db = None,
    site: Site = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only these kinds: quarantined, conflict, gap, store_reset, message."),
    ] = None,
    as_json: Json = False,
) -> None:
    """What in the register needs someone: quarantined and conflicting records, gaps, reset stores, messages."""
    known = (*register_problems.KINDS, MESSAGE)
    kinds = set(kind or known)
    unknown = sorted(kinds - set(known))
    if unknown:
        raise typer.BadParameter(f"'{unknown[0]}' is not one of {', '.join(known)}.", param_hint="--kind")
    sites = None if site is None else [site]
    with using_register(db) as register:
        found = register_problems.problems(register, sites=sites, kinds=kinds & set(register_problems.KINDS))
        if MESSAGE in kinds:
            found += _message_problems(register, sites)
    if as_json:
        print(json.dumps([p.as_dict() for p in found], ensure_ascii=False))
        return
    if not found:
        out.print("No problems: nothing quarantined, no conflicts, no gaps, no reset stores, every message "
                  "acknowledged.")
        return
    out.print(f"{len(found)} problems:", highlight=False)
    for p in found:
        where = p.site or "-"
        out.print(f"[bold]{p.kind}[/] [{where}] {p.reason}", highlight=False)
