"""What every `tobs` command shares: the consoles, the options that mean the same everywhere (`--db` with
`TOBS_DB`, `--port`, `--json`) and the one way to fail: one sentence on standard error and a non-zero exit code,
never a traceback. Commands import these; none declares its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from tobs.device.link import LinkError
from tobs.firmware import FirmwareError
from tobs.register.db import Register, RegisterError, RegisterUnavailable, open_register
from tobs.register.keys import checked_site_code

out = Console()
err = Console(stderr=True)

# Exit codes: 2 for anything the user can correct (input, a refused handheld, a missing file), 1 when the register
# itself cannot be reached or used.
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 1

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="TOBS_DB",
        show_envvar=True,
        help="The register: postgresql://user@host/db for a shared one, or an SQLite file. "
        "Default: tobs' SQLite file in your user data folder.",
    ),
]
Port = Annotated[
    str | None,
    typer.Option("--port", help="The handheld's serial port (a virtual one's too); found by its USB IDs if left out."),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

# A local patient number is what the handheld records: an unsigned 32-bit number.
PATIENT_MAX = 0xFFFFFFFF
# Counts (--limit and the like): far above any register, far below what a database's integers hold.
COUNT_MAX = 2**31 - 1


def site_code(value: str | None) -> str | None:
    """--site: a site code as the register stores it; anything else can match nothing and is refused by name."""
    if value is None:
        return None
    try:
        return checked_site_code(value)
    except RegisterError as e:
        raise typer.BadParameter(str(e)) from None


def file_name(value: str | None) -> str | None:
    """An output file option: an empty name is refused here (it would otherwise be the current folder)."""
    if value is not None and not value.strip():
        raise typer.BadParameter("give a file name (or - for standard output), not an empty string.")
    return value


def heap_size(value: str | None) -> str | None:
    """--heap: a size as MicroPython's -X heapsize takes it (128k, 2m, 200000); anything else makes it exit."""
    if value is not None and not re.fullmatch(r"[1-9][0-9]{0,8}[km]?", value):
        raise typer.BadParameter(f"give a heap size such as 128k or 2m, not {value!r}.")
    return value


def folder(value: Path | None) -> Path | None:
    """A folder option the command creates if needed: refused by name when it, or a folder above it, is a file."""
    if value is None:
        return None
    for path in (value, *value.parents):
        if path.exists():
            if not path.is_dir():
                raise typer.BadParameter(f"{path} is a file, not a folder.")
            break
    return value


Site = Annotated[str | None, typer.Option("--site", callback=site_code, help="Only this site (its code).")]
SiteRequired = Annotated[str, typer.Option("--site", callback=site_code, help="The site (its code).")]
Patient = Annotated[
    int | None, typer.Option("--patient", min=0, max=PATIENT_MAX, help="Only this local patient number.")
]
PatientRequired = Annotated[
    int, typer.Option("--patient", min=0, max=PATIENT_MAX, help="The local patient number.")
]
ShowCpr = Annotated[
    bool,
    typer.Option("--show-cpr", help="Show whole CPR numbers (otherwise only the birth date part, DDMMYY-****); "
                 "the audit log records that they were shown."),
]


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """End the command with one sentence and a non-zero exit code."""
    err.print("[bold red]Error:[/] " + escape(message), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def say(message: str) -> None:
    """A line for the user on standard error (progress, where files went), keeping standard output for results."""
    err.print(escape(message), highlight=False, soft_wrap=True)


@contextmanager
def failures(keep: str = "") -> Iterator[None]:
    """Turn the errors a user can act on into fail(): the register unavailable (exit 1), anything else the user can
    fix (exit 2). keep is added to link failures: what the handheld keeps meanwhile (e.g. its records)."""
    try:
        yield
    except RegisterUnavailable as e:
        fail(str(e), EXIT_UNAVAILABLE)
    except RegisterError as e:
        fail(str(e))
    except LinkError as e:
        fail(f"{e} {keep}".strip())
    except FirmwareError as e:
        fail(str(e))


@contextmanager
def using_register(db: str | None) -> Iterator[Register]:
    """The register for one command, closed afterwards; its failures end the command with one sentence."""
    opened: Register | None = None
    with failures():
        try:
            opened = open_register(db, announce=say)
            yield opened
        finally:
            if opened is not None:
                opened.close()
