"""The README's main job: a shift on the virtual handheld synced into a register; run twice, nothing doubles."""

import subprocess

from tools_support import tool

from tobs.register.db import open_register
from tobs.register.queries import list_observations

# The demo's four patients and the totals the chart gives them (tobs.demo.SHIFT).
EXPECTED = {101: 0, 102: 4, 103: 7, 104: 12}


def run_demo(tmp_path):
    result = subprocess.run(
        [tool("tobs"), "demo", "--run-dir", str(tmp_path / "demo"), "--db", f"sqlite:///{tmp_path / 'register.db'}"],
        capture_output=True, text=True, timeout=300, env={"COLUMNS": "160", "PATH": ""},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_main_job_runs_a_shift_and_twice_duplicates_nothing(tmp_path):
    first = run_demo(tmp_path)
    assert "4 new" in first
    assert "tobs serve" in first  # it ends by saying how to look at the shift in the web view
    second = run_demo(tmp_path)
    assert "already holds its shift" in second and "0 new" in second
    rows = list_observations(open_register(f"sqlite:///{tmp_path / 'register.db'}", announce=None), site="demo")
    assert {r.patient: r.total for r in rows} == EXPECTED
    assert len(rows) == len({(r.device_id, r.seq) for r in rows}) == 4
    oral = [r for r in rows if r.temp_site == "oral"]
    assert len(oral) == 1 and oral[0].temp_scored == oral[0].temp_raw + 5
    shots = sorted((tmp_path / "demo" / "screenshots").glob("*.png"))
    assert len(shots) > 20
