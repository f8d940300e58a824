"""Writing exchange files: health data, so owner-only, written beside the target and renamed so that a gateway
picking files up never sees half a file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tobs import files


class ExchangeError(Exception):
    """Something the user can correct; str() is one sentence naming the field or the file."""


def dumps(resource: dict[str, Any]) -> str:
    """The one serialisation of a resource or bundle: the same content always gives the same bytes."""
    return json.dumps(resource, ensure_ascii=False, indent=2) + "\n"


def owner_only_folder(folder: Path) -> Path:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as e:
        raise ExchangeError(f"Cannot make the folder {folder}: {e.strerror or e}.") from None
    if not folder.is_dir():
        raise ExchangeError(f"{folder} is not a folder.")
    return folder


def write_owner_only(target: Path, text: str) -> Path:
    """Write text to target with mode 0600 (an existing file is replaced, never widened)."""
    partial = target.with_name(target.name + ".part")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # an old .part left by a crash may have had other bits
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, target)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise ExchangeError(f"Cannot write {target}: {e.strerror or e}.") from None
    return target


def read_json(path: Path) -> dict[str, Any]:
    """A FHIR resource from a JSON file the user named, read with tobs.files' limits (size, UTF-8, depth)."""
    try:
        data = files.read_json(path)
    except files.InputFileError as e:
        raise ExchangeError(str(e)) from None
    if not isinstance(data, dict):
        raise ExchangeError(f"{path} does not hold a FHIR resource (a JSON object).")
    return data
