"""The main job shown to a newcomer: a shift on the virtual handheld, then a shift-end sync into the register.

The virtual handheld keeps its flash and identity in run/demo between runs, so running the demo again syncs
the same device again: the register recognises what it already has and nothing is duplicated."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tobs.sim import Screenshots, parse_script, run_script

# Staff 1001 with PIN 1234 is in the firmware's example site configuration.
LOGIN = "1001# 1234#"
# One bedside round: patient number, then the keys a nurse presses. Comments say what the chart makes of it.
SHIFT = [
    # 72 /min, 14 /min, 36,8 rectal, 132 mmHg, habitual: total 0; action "Observeres".
    ("101", "72# 14# 368# 132# 1# # 5#"),
    # 92, 19, 38,7 rectal, 147, responds only to pain: total 4; contacted the nurse.
    ("102", "92# 19# 387# 147# 4# # 1#"),
    # 112, 23, 38,1 ORAL (A switches the site; scored as 38,6), 96, agitated: total 7; contacted the doctor.
    ("103", "112# 23# A 381# 96# 2# # 2#"),
    # 134, 27, 39,6, 68, voice: three parameters score 3, each confirmed with a second #: total 12; 112 called.
    ("104", "134## 27## 396# 68## 3# # 4#"),
]


def shift_script() -> str:
    keys = [LOGIN, "#"]  # log in, then "new measurement" on the home screen
    for patient, vitals in SHIFT:
        keys += [patient + "#", vitals, "#"]  # "#" on the saved screen goes to the next patient
    keys.append("*")  # back to the home screen with its reminders
    return " ".join(keys)


def run(console: Console, run_dir: Path, db: str | None, heap: str = "128k") -> int:
    from tobs.cli_device import enroll, sync
    from tobs.register.db import open_register
    from tobs.register.queries import list_observations
    from tobs.virtual_pico import VirtualPico

    shots = Screenshots(run_dir / "screenshots")
    with VirtualPico(run_dir / "pico", heap=heap, clock="host") as pico:
        console.print(f"Virtual handheld running; its USB serial port is {pico.port}")
        if not _ever_stored(pico):
            console.print(f"Entering a shift of {len(SHIFT)} patients by keypad ...")
            run_script(pico, parse_script(shift_script()), shots, _Quiet())
            console.print("\n".join(line.rstrip() for line in pico.screen.text_lines()).rstrip())
        else:
            console.print("This virtual handheld already holds its shift; syncing it again.")
        console.print("Enrolling the handheld at site 'demo' and syncing it into the register ...")
        enroll(site="demo", port=pico.port, db=db)
        time.sleep(0.1)
        sync(port=pico.port, db=db)
    register = open_register(db, announce=None)
    rows = list_observations(register, site="demo")
    # Narrow enough for an 80-column terminal; `tobs observations` shows every column.
    table = Table(title=f"The register ({register.where})", title_justify="left")
    for column in ("Measured (UTC)", "Patient", "Pulse", "Resp", "Temp °C", "Sys BP", "Awareness", "Total"):
        table.add_column(column, justify="left" if column in ("Measured (UTC)", "Awareness") else "right")
    for row in rows:
        temp = f"{row.temp_raw / 10:.1f}" + ("" if row.temp_site == "rectal" else f" {row.temp_site}")
        when = row.measured_at.strftime("%d-%m %H:%M") if row.measured_at else "unknown"
        total = f"[bold red]{row.total}[/]" if row.total >= 5 or 3 in row.points.values() else str(row.total)
        table.add_row(when, str(row.patient), str(row.pulse), str(row.resp), temp, str(row.sys_bp), row.awareness,
                      total)
    console.print(table)
    console.print(f"{len(rows)} observations from the demo site; screenshots of every screen in {shots.folder}")
    return len(rows)


def _ever_stored(pico) -> bool:
    """Whether this virtual handheld has stored records before (a sync frees their flash, not their numbers)."""
    from tobs.link import Link

    with Link(pico.port) as link:
        return int(link.request("HELLO", expect="H").json()["next_seq"]) > 1


class _Quiet:
    def write(self, text: str) -> None:
        del text  # the demo prints its own summary instead of the script's final screen art
