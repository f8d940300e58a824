"""Files tobs makes and files it is given. What holds health data (the register, exports, logs) is made owner-only;
a JSON file given by the user is read with limits, so that no file can crash a command (or, pushed on, a handheld)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

# Far deeper than any site configuration (5 levels) or FHIR bundle (about 10); a file nested deeper is not one of
# them, and refusing it keeps every recursive reader (json, validators, the handheld's parser) far from its limit.
MAX_JSON_DEPTH = 64
# Larger than any file a command reads (a whole site's FHIR export included); /dev/zero given as a file stops here.
MAX_INPUT_BYTES = 64 * 1024 * 1024

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_FOLDER = 0o700


class InputFileError(ValueError):
    """A file given to a command cannot be used; str() is one sentence naming the file."""


def read_limited(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a file the user named, or InputFileError saying why not (missing, a folder, unreadable, too big)."""
    try:
        if path.is_dir():
            raise InputFileError(f"{path} is a folder, not a file.")
        with open(path, "rb") as stream:
            data = stream.read(limit + 1)
    except FileNotFoundError:
        raise InputFileError(f"There is no file {path}.") from None
    except OSError as e:
        raise InputFileError(f"{path} cannot be read ({e.strerror or e}).") from None
    if len(data) > limit:
        raise InputFileError(f"{path} is larger than {limit // (1024 * 1024)} MB: it is not a file for this command.")
    return data


def _deepest(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def parse_json(data: bytes, where: str) -> Any:
    """Parsed JSON from a file's bytes; InputFileError naming `where` if they are not UTF-8 JSON of sane depth."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputFileError(f"{where} is not UTF-8 text (byte {e.start} cannot be read).") from None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputFileError(f"{where} is not JSON (line {e.lineno}: {e.msg}).") from None
    except RecursionError:
        # Python's parser gives up near its recursion limit, far beyond MAX_JSON_DEPTH: the same answer.
        raise InputFileError(f"{where} nests lists or objects deeper than {MAX_JSON_DEPTH} levels.") from None
    if _deepest(parsed) > MAX_JSON_DEPTH:
        raise InputFileError(f"{where} nests lists or objects deeper than {MAX_JSON_DEPTH} levels.")
    return parsed


def read_json(path: Path) -> Any:
    return parse_json(read_limited(path), str(path))


def owner_only_folder(folder: Path, *, tighten: bool = False) -> Path:
    """Make folder (and its parents) if missing, the folder itself 0700. tighten: an existing folder of this user's
    that others can enter is made 0700 too (for folders that are tobs' own; a folder the user chose is left alone).
    Raises OSError."""
    existed = folder.is_dir()
    folder.mkdir(mode=OWNER_ONLY_FOLDER, parents=True, exist_ok=True)
    if not existed or (tighten and folder.stat().st_uid == os.getuid()):
        # mkdir's mode passes through the umask, which may leave bits a looser umask would not; chmod is exact.
        os.chmod(folder, OWNER_ONLY_FOLDER)
    return folder


def open_owner_only(path: Path) -> int:
    """A new or truncated file for writing with mode 0600 (an old file's looser bits are removed); returns its fd."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY_FILE)
    try:
        os.fchmod(fd, OWNER_ONLY_FILE)
    except OSError:
        os.close(fd)
        raise
    return fd


def open_owner_only_new(path: Path) -> int:
    """A file that must not exist yet, created with mode 0600; returns its fd. FileExistsError if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE)
    try:
        os.fchmod(fd, OWNER_ONLY_FILE)  # a umask cannot widen, but an unusual one could leave the owner no rights
    except OSError:
        os.close(fd)
        raise
    return fd


def others_can_read(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
