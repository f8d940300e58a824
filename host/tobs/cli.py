"""The one `tobs` command: every subcommand a nurse or an IT technician runs on the PC."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

import tobs_core

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="TOBS early-warning score: decision support, not diagnosis.",
)
out = Console()
err = Console(stderr=True)


class UserError(Exception):
    """A mistake the user can fix; shown as one sentence, never as a traceback."""


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]Error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def parse_number(field: str, text: str) -> int | float:
    """A number as typed: '92', '38.7' or Danish '38,7'; the core decides whether it is acceptable."""
    cleaned = text.strip().replace(",", ".")
    try:
        return int(cleaned)
    except ValueError:
        pass  # not a whole number as typed; try a decimal next
    try:
        return float(cleaned)
    except ValueError:
        raise tobs_core.VitalError(field, "number") from None


@app.callback()
def _group() -> None:
    """TOBS early-warning score: decision support, not diagnosis."""


Lang = Annotated[str, typer.Option("--lang", help="Label language: da or en.")]


@app.command()
def score(
    pulse: Annotated[str, typer.Option(help="Pulse, beats per minute.")],
    resp: Annotated[str, typer.Option(help="Respiration, breaths per minute.")],
    temp: Annotated[str, typer.Option(help="Temperature in °C as read, one decimal.")],
    sys_bp: Annotated[str, typer.Option("--sys-bp", help="Systolic blood pressure, mmHg.")],
    awareness: Annotated[str, typer.Option(help="habitual, agitated, voice, pain or unresponsive.")],
    temp_site: Annotated[str, typer.Option("--temp-site", help="rectal, oral (+0.5) or axillary (+1.0).")] = "rectal",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    lang: Lang = "en",
) -> None:
    """Score one set of vital values on the TOBS chart and show each parameter's points."""
    if lang not in tobs_core.LABELS:
        fail("--lang must be da or en.")
    try:
        values = {
            "pulse": parse_number("pulse", pulse),
            "resp": parse_number("resp", resp),
            "temp": parse_number("temp", temp),
            "sys_bp": parse_number("sys_bp", sys_bp),
        }
        result = tobs_core.score(awareness=awareness, temp_site=temp_site, **values)
    except tobs_core.VitalError as e:
        fail(e.message(lang))
        return
    if as_json:
        print(json.dumps({"total": result.total, "points": result.points, "core_id": tobs_core.CORE_ID}))
        return
    labels = tobs_core.LABELS[lang]
    shown = {
        "pulse": f"{values['pulse']} /min",
        "resp": f"{values['resp']} /min",
        "temp": f"{tobs_core.format_tenths(tobs_core.temp_tenths(values['temp']), lang)} °C {labels[temp_site]}"
        + (
            f" (= {tobs_core.format_tenths(result.temp_scored_tenths, lang)} {labels['rectal']})"
            if temp_site != "rectal"
            else ""
        ),
        "sys_bp": f"{values['sys_bp']} mmHg",
        "awareness": labels[awareness],
    }
    table = Table(title=f"TOBS score  (chart {tobs_core.CORE_ID})", title_justify="left")
    table.add_column("Parameter")
    table.add_column("Value")
    table.add_column("Points", justify="right")
    for field in tobs_core.PARAMETERS:
        points = result.points[field]
        table.add_row(labels[field], shown[field], f"[bold red]{points}[/]" if points == 3 else str(points))
    table.add_section()
    table.add_row("[bold]Total[/]", "", f"[bold]{result.total}[/]")
    out.print(table)
    if result.any_three:
        out.print("A single parameter scores 3: most sites escalate regardless of the total.")
    out.print("Decision support, not diagnosis: follow your site's action guidance.", style="dim")


@app.command()
def demo(
    run_dir: Annotated[Path, typer.Option("--run-dir", help="Keeps the virtual handheld between runs.")] = Path(
        "run/demo"
    ),
    db: Annotated[str | None, typer.Option("--db", help="Register URL; default: your SQLite register.")] = None,
    heap: Annotated[str, typer.Option(help="MicroPython heap limit for the virtual handheld.")] = "128k",
) -> None:
    """The main job: a shift on the virtual handheld, then a shift-end sync into the register."""
    from tobs import demo as demo_module

    demo_module.run(out, run_dir, db, heap)


# Commands from their own modules, mounted once the app object exists.
from tobs import cli_deploy, cli_device, sim  # noqa: E402
from tobs.cli_register import register_app  # noqa: E402

cli_device.register_commands(app)
cli_deploy.register_commands(app)
sim.register_commands(app)
app.add_typer(register_app)


def main() -> None:
    try:
        app()
    except UserError as e:
        err.print(f"[bold red]Error:[/] {e}", highlight=False)
        sys.exit(2)
