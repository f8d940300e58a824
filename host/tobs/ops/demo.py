"""The main job shown to a newcomer: a shift on the virtual handheld, then a shift-end sync into the register.

The virtual handheld keeps its flash and identity in run/demo between runs, so running the demo again syncs
the same device again: the register recognises what it already has and nothing is duplicated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tobs.device.keyscript import Screenshots, parse_script, run_script
from tobs.device.link import Link
from tobs.device.virtual_pico import VirtualPico
from tobs.ops.enroll import enroll
from tobs.ops.sync import SyncResult, sync
from tobs.register.db import open_register
from tobs.register.queries import ObservationRow, list_observations

# Staff 1001 with PIN 1234 is in the firmware's example site configuration.
LOGIN = "1001# 1234#"
# One bedside round: patient number, then the keys a nurse presses (a value's # after a field that filled up and
# moved on by itself is only its OK; awareness and action are one key each). Comments say what the chart makes of it.
SHIFT = [
    # 72 /min, 14 /min, 36,8 rectal, 132 mmHg, habitual: total 0; # saves, action "Observeres".
    ("101", "72# 14# 368# 132# 1 # 5"),
    # 92, 19, 38,7 rectal, 147, responds only to pain: total 4; contacted the nurse.
    ("102", "92# 19# 387# 147# 4 # 1"),
    # 112, 23, 38,1 ORAL (A switches the site; scored as 38,6), 96, agitated: total 7; contacted the doctor.
    ("103", "112# 23# A 381# 96# 2 # 2"),
    # 134, 27, 39,6, 68, voice: three parameters score 3, each confirmed with a # of its own: total 12; 112 called.
    ("104", "134## 27## 396# 68## 3 # 4"),
]


def shift_script() -> str:
    keys = [LOGIN, "#"]  # log in, then "new measurement" on the home screen
    for patient, vitals in SHIFT:
        keys += [patient + "#", vitals, "#"]  # "#" on the saved screen goes to the next patient
    keys.append("*")  # back to the home screen with its reminders
    return " ".join(keys)


@dataclass
class DemoResult:
    port: str  # the virtual handheld's USB serial port while it ran
    typed: bool  # False when this virtual handheld already held its shift (a second run only syncs again)
    sync: SyncResult
    observations: list[ObservationRow]
    register_where: str
    screenshots: Path


def run(
    run_dir: Path, db: str | None, heap: str = "128k", report: Callable[[str], None] = lambda _: None
) -> DemoResult:
    """Type the shift on a virtual handheld kept in run_dir (unless it already holds it), enrol it at site 'demo',
    sync it into the register `db` and read back the demo site's observations. report(line) tells what happens."""
    shots = Screenshots(run_dir / "screenshots")
    register = open_register(db, announce=report)
    try:
        with VirtualPico(run_dir / "pico", heap=heap, clock="host") as pico:
            report(f"Virtual handheld running; its USB serial port is {pico.port}")
            typed = not _ever_stored(pico)
            if typed:
                report(f"Entering a shift of {len(SHIFT)} patients by keypad ...")
                run_script(pico, parse_script(shift_script()), shots, _Quiet())
                report("\n".join(line.rstrip() for line in pico.screen.text_lines()).rstrip())
            else:
                report("This virtual handheld already holds its shift; syncing it again.")
            report("Enrolling the handheld at site 'demo' and syncing it into the register ...")
            with Link(pico.port) as link:
                enroll(link, register, "demo")
                synced = sync(link, register)
            port = pico.port
        rows = list_observations(register, site="demo")
        return DemoResult(port, typed, synced, rows, register.where, shots.folder or run_dir)
    finally:
        register.close()


def _ever_stored(pico: VirtualPico) -> bool:
    """Whether this virtual handheld has stored records before (a sync frees their flash, not their numbers)."""
    with Link(pico.port) as link:
        return int(link.request("HELLO", expect="H").json()["next_seq"]) > 1


class _Quiet:
    def write(self, text: str) -> None:
        del text  # the demo reports its own summary instead of the script's final screen art
