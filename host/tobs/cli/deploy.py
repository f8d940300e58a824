"""`tobs deploy`: install the firmware on a handheld (a Pico, or `tobs sim --from-flash`) and check that it
answers with this PC's chart."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tobs.cli.options import Json, Port, err, fail, out
from tobs.device.link import LinkError
from tobs.device.ports import find_port
from tobs.firmware import FirmwareError
from tobs.ops.deploy import DeployError
from tobs.ops.deploy import deploy as run_deploy


def deploy(
    port: Port = None,
    full: Annotated[bool, typer.Option("--full", help="Copy every file, even those already identical.")] = False,
    as_json: Json = False,
) -> None:
    """Install the firmware on the handheld with mpremote, then check it answers with this PC's chart.

    Records and settings on the handheld are kept. Files already identical on it are not copied again."""
    try:
        port_name = find_port(port)
        with Progress(
            TextColumn("Deploying"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
            disable=as_json or not err.is_terminal,
        ) as bar:
            task = bar.add_task("", total=None)

            def progress(done: int, total: int, path: str) -> None:
                bar.update(task, completed=done, total=total, description=escape(path))

            result = run_deploy(port_name, progress=progress, full=full)
    except (DeployError, LinkError, FirmwareError) as e:
        if as_json:
            print(json.dumps({"error": str(e)}))
        fail(str(e))
    if as_json:
        print(json.dumps(result.as_dict()))
        return
    out.print(
        f"Firmware {result.firmware} (chart {result.core_id}) is running on handheld {result.device_id} "
        f"({result.board}, {port_name}): {len(result.copied)} of {result.files} files copied "
        f"({result.bytes_copied / 1024:.1f} KB in {result.copy_seconds:.1f} s), {len(result.removed)} stale removed, "
        f"{result.seconds:.1f} s in all.",
        highlight=False,
    )
    if result.pending:
        out.print(f"{result.pending} unsynced records stay on the handheld; sync them as usual.")
