"""`tobs score`: one set of vital values scored on the chart, with each parameter's points."""

from __future__ import annotations

import json
import re
from typing import Annotated

import typer
from rich.table import Table

from tobs.cli.options import Json, fail, out
from tobs.shared import tobs_core, tobs_labels

_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def parse_number(field: str, text: str) -> int | float:
    """A number as typed: '92', '38.7' or Danish '38,7'; the core decides whether it is acceptable."""
    cleaned = text.strip().replace(",", ".")
    # int() and float() also take "٧٢", "7_2", "nan" and "1e3": none of them is a value read off a monitor.
    if not _NUMBER.fullmatch(cleaned):
        raise tobs_core.VitalError(field, "number")
    try:
        return int(cleaned)
    except ValueError:
        pass  # not a whole number as typed; try a decimal next
    try:
        return float(cleaned)
    except ValueError:
        raise tobs_core.VitalError(field, "number") from None


Lang = Annotated[str, typer.Option("--lang", help="Label language: da or en.")]


def score(
    pulse: Annotated[str, typer.Option(help="Pulse, beats per minute.")],
    resp: Annotated[str, typer.Option(help="Respiration, breaths per minute.")],
    temp: Annotated[str, typer.Option(help="Temperature in °C as read, one decimal.")],
    sys_bp: Annotated[str, typer.Option("--sys-bp", help="Systolic blood pressure, mmHg.")],
    awareness: Annotated[str, typer.Option(help="habitual, agitated, voice, pain or unresponsive.")],
    temp_site: Annotated[str, typer.Option("--temp-site", help="rectal, oral (+0.5) or axillary (+1.0).")] = "rectal",
    as_json: Json = False,
    lang: Lang = "en",
) -> None:
    """Score one set of vital values on the TOBS chart and show each parameter's points."""
    if lang not in tobs_labels.LANGUAGES:
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
        fail(tobs_labels.message(e, lang))
    if as_json:
        print(json.dumps({"total": result.total, "points": result.points, "core_id": tobs_core.CORE_ID}))
        return
    labels = tobs_labels.LABELS[lang]
    shown = {
        "pulse": f"{values['pulse']} /min",
        "resp": f"{values['resp']} /min",
        "temp": f"{tobs_labels.format_tenths(tobs_core.temp_tenths(values['temp']), lang)} °C {labels[temp_site]}"
        + (
            f" (= {tobs_labels.format_tenths(result.temp_scored_tenths, lang)} {labels['rectal']})"
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
