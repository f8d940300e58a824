"""The `tobs` command's last line of defence: whatever a command did not turn into a sentence ends as one here.

Usage errors are one line, a closed or full standard output and Ctrl-C are named, and any unexpected exception
becomes "tobs: internal error" with its traceback in an owner-only log file instead of on the terminal (a traceback
can hold a patient's data: SQL parameters, file contents)."""

from __future__ import annotations

import errno
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import platformdirs

# typer carries its own click; these are the exceptions its commands raise.
from typer._click.exceptions import ClickException, UsageError
from typer.core import TyperGroup
from typer.exceptions import Abort

from tobs.cli.options import EXIT_UNAVAILABLE, EXIT_USAGE, err
from tobs.files import owner_only_folder

# Exit codes besides options.EXIT_USAGE (2) and EXIT_UNAVAILABLE (1): 130 after Ctrl-C as shells use, 70 (sysexits'
# EX_SOFTWARE) for a fault in this program.
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70
INTERNAL_ERROR_LOG = "internal-errors.log"


class OutputFailed(Exception):
    """Writing standard output failed (a full disk, a reader that closed the pipe). Not an OSError, so that no
    command's own `except OSError` around its files mistakes it for a failure of the file it writes."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(str(cause))
        self.cause = cause


class GuardedOutput:
    """Standard output for one command: every write failure becomes OutputFailed; everything else is the stream's."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as e:
            raise OutputFailed(e) from e

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as e:
            raise OutputFailed(e) from e

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def log_folder() -> Path:
    """Where the internal-error log lives: the user's log folder for tobs (TOBS_LOG_DIR overrides it)."""
    return Path(os.environ.get("TOBS_LOG_DIR") or platformdirs.user_log_dir("tobs"))


def _command_words(args: Sequence[str]) -> str:
    """The subcommand as typed, without option values: those can be a CPR number, a name or a PIN."""
    words = []
    for arg in args:
        if arg.startswith("-"):
            break
        words.append(arg)
    return " ".join(["tobs", *words[:3]])


def log_internal_error(error: BaseException, args: Sequence[str]) -> Path:
    """Append the traceback to the owner-only internal-error log; returns the log's path, or raises OSError."""
    path = owner_only_folder(log_folder()) / INTERNAL_ERROR_LOG
    entry = (
        f"--- {datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')} {_command_words(args)}\n"
        + "".join(traceback.format_exception(type(error), error, error.__traceback__))
    )
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a log made by hand or by an older version may have been readable by others
        os.write(fd, entry.encode("utf-8", "backslashreplace"))
    finally:
        os.close(fd)
    return path


def _say(line: str) -> None:
    from rich.markup import escape

    err.print("[bold red]Error:[/] " + escape(line), highlight=False, soft_wrap=True)


def _silence_stdout() -> None:
    """After a broken pipe, the interpreter's own flush at exit must not fail again with a second message."""
    try:
        fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else None
    except (OSError, ValueError):
        return  # no file descriptor behind standard output (tests capture it): nothing is flushed at exit
    if fd is None:
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _output_failed(cause: OSError) -> int:
    if cause.errno == errno.EPIPE:
        _silence_stdout()
        _say("the program reading tobs' standard output closed it (broken pipe); the rest was not written.")
    else:
        _say(f"standard output cannot be written ({cause.strerror or cause}); the output is incomplete.")
    return EXIT_UNAVAILABLE


def _usage_error(e: ClickException) -> int:
    if type(e).__name__ == "NoArgsIsHelpError":
        # The help has been printed already (that is what the error is for).
        return e.exit_code
    message = " ".join(e.format_message().split())
    ctx = getattr(e, "ctx", None)
    if isinstance(e, UsageError) and ctx is not None:
        message = message.rstrip(".") + f" (see {ctx.command_path} --help)."
    _say(message)
    return e.exit_code


def run_guarded(call: Callable[[], Any], args: Sequence[str]) -> int:
    """Run the command line (click in non-standalone mode) and turn every way it can end into an exit code."""
    real_stdout = sys.stdout
    sys.stdout = GuardedOutput(real_stdout)  # type: ignore[assignment]
    try:
        try:
            returned = call()
            sys.stdout.flush()
        finally:
            sys.stdout = real_stdout
    except OutputFailed as e:
        return _output_failed(e.cause)
    except ClickException as e:
        return _usage_error(e)
    except Abort:
        # click raises Abort for end of input at a prompt (Ctrl-D).
        _say("stopped: the input ended before an answer was typed.")
        return EXIT_USAGE
    except OSError as e:
        if e.errno == errno.EPIPE:  # written past our wrapper (click writes help through the binary buffer)
            return _output_failed(e)
        return _internal_error(e, args)
    except Exception as e:  # the last resort: logged in full, one sentence on the terminal
        return _internal_error(e, args)
    if returned == EXIT_INTERRUPTED:
        # typer turns Ctrl-C into exit code 130 without a word; no command returns 130 of its own.
        _say("stopped by Ctrl-C.")
        return EXIT_INTERRUPTED
    return returned if isinstance(returned, int) else 0


def _internal_error(error: BaseException, args: Sequence[str]) -> int:
    try:
        where = f"details logged to {log_internal_error(error, args)}"
    except OSError as e:
        where = f"the details could not be logged ({e.strerror or e})"
    _say(f"tobs: internal error ({type(error).__name__}), a fault in tobs, not in what you typed; {where}.")
    return EXIT_INTERNAL


class GuardedGroup(TyperGroup):
    """The top `tobs` group: its main() is what the entry point and the tests' CliRunner both call."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        given = list(sys.argv[1:] if args is None else args)
        code = run_guarded(
            lambda: super(GuardedGroup, self).main(args=given, prog_name=prog_name or "tobs",
                                                   complete_var=complete_var, standalone_mode=False, **extra),
            given,
        )
        if standalone_mode:
            sys.exit(code)
        return code
