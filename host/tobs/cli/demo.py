"""`tobs demo`: the main job shown to a newcomer, a shift on the virtual handheld synced into the register."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tobs.cli.device import print_sync_summary
from tobs.cli.options import Db, fail, failures, folder, heap_size, out
from tobs.device.virtual_pico import FirmwareDied
from tobs.ops import demo as demo_ops


def demo(
    run_dir: Annotated[
        Path, typer.Option("--run-dir", callback=folder, help="Keeps the virtual handheld between runs.")
    ] = Path(
        "run/demo"
    ),
    db: Db = None,
    heap: Annotated[
        str, typer.Option(callback=heap_size, help="MicroPython heap limit for the virtual handheld.")
    ] = "128k",
) -> None:
    """The main job: a shift on the virtual handheld, then a shift-end sync into the register."""
    with failures():
        try:
            result = demo_ops.run(run_dir, db, heap, report=lambda line: out.print(line, highlight=False))
        except (FirmwareDied, TimeoutError) as e:
            fail(f"The virtual handheld stopped: {e}", 1)
    print_sync_summary(result.sync)
    # Narrow enough for an 80-column terminal; `tobs observations` shows every column.
    table = Table(title=f"The register ({result.register_where})", title_justify="left")
    for column in ("Measured (UTC)", "Patient", "Pulse", "Resp", "Temp °C", "Sys BP", "Awareness", "Total"):
        table.add_column(column, justify="left" if column in ("Measured (UTC)", "Awareness") else "right")
    for row in result.observations:
        temp = f"{row.temp_raw / 10:.1f}" + ("" if row.temp_site == "rectal" else f" {row.temp_site}")
        when = row.measured_at.strftime("%d-%m %H:%M") if row.measured_at else "unknown"
        total = f"[bold red]{row.total}[/]" if row.total >= 5 or 3 in row.points.values() else str(row.total)
        table.add_row(when, str(row.patient), str(row.pulse), str(row.resp), temp, str(row.sys_bp), row.awareness,
                      total)
    out.print(table)
    out.print(
        f"{len(result.observations)} observations from the demo site; screenshots of every screen in "
        f"{result.screenshots}",
        highlight=False,
    )
    from tobs.cli.web import tell_how_to_look

    tell_how_to_look(out, db)
