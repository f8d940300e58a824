"""The main job shown to a newcomer: example patients through the TOBS chart."""

from rich.console import Console
from rich.table import Table

import tobs_core

# Example bedside rounds at a rehabilitation centre (local patient numbers, no names).
EXAMPLE_PATIENTS = [
    ("1001", dict(pulse=72, resp=14, temp=36.8, temp_site="rectal", sys_bp=132, awareness="habitual")),
    ("1002", dict(pulse=92, resp=19, temp=38.7, temp_site="rectal", sys_bp=147, awareness="pain")),
    ("1003", dict(pulse=112, resp=23, temp=38.1, temp_site="oral", sys_bp=96, awareness="agitated")),
    ("1004", dict(pulse=64, resp=17, temp=36.4, temp_site="axillary", sys_bp=205, awareness="habitual")),
    ("1005", dict(pulse=134, resp=27, temp=39.6, temp_site="rectal", sys_bp=68, awareness="voice")),
]


def run(console: Console) -> None:
    labels = tobs_core.LABELS["en"]
    table = Table(title=f"Example round, TOBS chart {tobs_core.CORE_ID}", title_justify="left")
    for column in ("Patient", "Pulse", "Resp", "Temp (site)", "Sys BP", "Awareness", "Total"):
        table.add_column(column, justify="left" if column in ("Patient", "Awareness", "Temp (site)") else "right")
    for patient, vitals in EXAMPLE_PATIENTS:
        result = tobs_core.score(**vitals)
        p = result.points
        table.add_row(
            patient,
            f"{vitals['pulse']} ({p['pulse']})",
            f"{vitals['resp']} ({p['resp']})",
            f"{vitals['temp']} {labels[vitals['temp_site']]} ({p['temp']})",
            f"{vitals['sys_bp']} ({p['sys_bp']})",
            f"{labels[vitals['awareness']]} ({p['awareness']})",
            f"[bold{' red' if result.total >= 5 or result.any_three else ''}]{result.total}[/]",
        )
    console.print(table)
    console.print("Points in brackets. Decision support, not diagnosis.", style="dim")
