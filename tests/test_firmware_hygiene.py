"""Firmware hygiene: it cross-compiles for the Pico, type-checks against the Pico stubs, lints clean,
and the chart's numbers live in exactly one source file."""

import ast
import io
import json
import subprocess
import sys
import tokenize
from importlib import metadata
from pathlib import Path

from tools_support import ROOT, tool

FIRMWARE = sorted((ROOT / "firmware").rglob("*.py"))


def test_every_firmware_file_cross_compiles_for_the_pico(tmp_path):
    assert FIRMWARE, "no firmware files found"
    failures = []
    for source in FIRMWARE:
        out = tmp_path / (source.stem + ".mpy")
        result = subprocess.run(
            [tool("mpy-cross"), "-march=armv6m", "-o", str(out), str(source)], capture_output=True, text=True
        )
        if result.returncode or not out.exists():
            failures.append(f"{source.relative_to(ROOT)}: {result.stderr.strip()}")
    assert not failures, "\n".join(failures)


def pico_stub_root() -> Path:
    # micropython-stdlib-stubs installs a MicroPython `stdlib` folder beside the Pico's machine.pyi.
    dist = metadata.distribution("micropython-rp2-rpi-pico-stubs")
    return Path(dist.locate_file("machine.pyi")).parent


def test_firmware_type_checks_against_the_pico_stubs(tmp_path):
    stubs = pico_stub_root()
    assert (stubs / "stdlib").is_dir() and (stubs / "time.pyi").exists() and (stubs / "machine.pyi").exists()
    config = {
        "typeshedPath": str(stubs),
        # The Pico stubs come before the interpreter's own library, so `hashlib` is MicroPython's.
        "extraPaths": [str(ROOT / "firmware" / "lib"), str(ROOT / "firmware"), str(stubs)],
        "pythonPath": sys.executable,
        "pythonPlatform": "Linux",
        "typeCheckingMode": "standard",
        "reportMissingModuleSource": False,
    }
    config_file = tmp_path / "pyrightconfig.json"
    config_file.write_text(json.dumps(config))
    files = [str(f) for f in FIRMWARE if "board_sim" not in f.name]
    result = subprocess.run(
        [tool("pyright"), "-p", str(config_file), "--outputjson", *files], capture_output=True, text=True
    )
    report = json.loads(result.stdout)
    problems = [
        f"{Path(d['file']).relative_to(ROOT)}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert report["summary"]["filesAnalyzed"] == len(files)
    assert not problems, "\n".join(problems)


def test_ruff_is_clean():
    result = subprocess.run([tool("ruff"), "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# Band edges that only a copy of the chart would spell out as literals.
CHART_EDGES = {39, 49, 89, 109, 129, 11, 24, 339, 359, 379, 389, 399, 69, 79, 99, 199, 33.9, 35.9, 37.9, 38.9, 39.9}


def chart_literals(path: Path) -> set:
    found = set()
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    for token in tokens:
        if token.type == tokenize.NUMBER:
            value = ast.literal_eval(token.string)
            if value in CHART_EDGES:
                found.add(value)
    return found


def test_the_charts_numbers_are_in_exactly_one_source_file():
    sources = [p for top in ("firmware", "host", "bench") for p in (ROOT / top).rglob("*.py")]
    holders = [str(p.relative_to(ROOT)) for p in sources if len(chart_literals(p)) >= 4]
    assert holders == ["firmware/lib/tobs_core.py"]
