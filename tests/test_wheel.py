"""The wheel is the product a technician installs: built from the repository, installed into a fresh virtual
environment outside the checkout, it scores a set and runs the whole handheld (its firmware is package data)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

from tools_support import ROOT

# A whole calm set, the way a nurse types it: log in, new measurement, patient 101, the values, awareness
# "habitual" (one key), save, action "Observeres" (one key).
WHOLE_SET = "1001#1234# # 101# 72#14#368#132#1 # 5"


def run(command: list[str], cwd, timeout: float = 600) -> subprocess.CompletedProcess:
    # Nothing of the checkout or of this test run's environment may leak in: no PYTHONPATH, no venv on PATH.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8", "COLUMNS": "200"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_wheel_installs_in_a_fresh_venv_and_runs_a_whole_set(tmp_path):
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("tobs-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    # One top-level package: nothing of the device's lands among the PC's top-level module names.
    assert {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")} == {"tobs"}
    for shipped in ("tobs/_firmware/main.py", "tobs/_firmware/lib/tobs_core.py", "tobs/_firmware/site_default.json",
                    "tobs/_firmware/drivers.txt", "tobs/_firmware/tools/deploy_probe.py",
                    "tobs/web/templates/base.html", "tobs/register/migrations/script.py.mako"):
        assert shipped in names, shipped

    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    installed = run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    tobs = str(venv / "bin" / "tobs")

    scored = run(
        [tobs, "score", "--pulse", "92", "--resp", "19", "--temp", "38.7", "--sys-bp", "147", "--awareness", "pain",
         "--json"],
        cwd=tmp_path,
    )
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["total"] == 4

    shift = run([tobs, "sim", "--run-dir", str(tmp_path / "sim"), "--keys", WHOLE_SET], cwd=tmp_path, timeout=300)
    assert shift.returncode == 0, shift.stdout + shift.stderr
    screen = [line.strip() for line in shift.stdout.splitlines()]
    assert "Gemt" in screen and "Pt 101" in screen and "TOBS 0" in screen, shift.stdout
    # The firmware it ran is the one inside the installed package, not the checkout's.
    where = run([str(venv / "bin" / "python"), "-c", "from tobs import firmware; print(firmware.tree())"], cwd=tmp_path)
    assert where.returncode == 0 and where.stdout.strip().startswith(str(venv)), where.stdout + where.stderr
