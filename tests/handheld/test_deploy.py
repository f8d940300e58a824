"""`tobs deploy` against the virtual Pico booting from its flash, as a Pico does: a blank flash gets the whole image
and then runs it, a running app hands over and gets only what changed, and ports that are no handheld are refused."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
import tty
from pathlib import Path
from types import SimpleNamespace

import pytest

import tobs_core
from tobs.device.link import Link
from tobs.device.virtual_pico import FirmwareDied, VirtualPico
from tobs.firmware import identity
from tobs.ops import deploy as deploy_module
from tobs.ops.deploy import DeployError, build, deploy

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"
MPREMOTE = str(Path(sys.executable).parent / "mpremote")
# About the Pico's free heap (its 32-bit objects are smaller): the app's own 128k budget is tested elsewhere.
HEAP = "200k"
TOBS = str(Path(sys.executable).parent / "tobs")  # what a technician's PC runs


def hello(port: str) -> dict:
    with Link(port) as link:
        return link.request("HELLO", expect="H").json()


def leave_app(port: str) -> None:
    with Link(port) as link:
        link.request("REPL", expect="A")
    time.sleep(0.3)


def mpremote(port: str, *args: str) -> str:
    result = subprocess.run([MPREMOTE, "connect", port, "resume", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def start_copy(template: Path, run_dir: Path, **options) -> VirtualPico:
    """A virtual Pico booting from a copy of the template's flash (same identity), the app up and drawn."""
    run_dir.mkdir(parents=True)
    for name in ("flash.img", "uid"):
        shutil.copyfile(template / name, run_dir / name)
    return VirtualPico(run_dir, boot="flash", heap=HEAP, **options).start()


def firmware_copy(source: Path, folder: Path) -> Path:
    return Path(shutil.copytree(source, folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")))


def with_version(firmware: Path, version: str) -> None:
    link = firmware / "lib" / "handheld" / "commands.py"
    text = link.read_text(encoding="utf-8")
    old = 'FIRMWARE_VERSION = "%s"' % identity(firmware).version
    assert old in text
    link.write_text(text.replace(old, 'FIRMWARE_VERSION = "%s"' % version), encoding="utf-8")


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """One deploy to a virtual Pico with a blank flash; its flash image is the template the other tests copy.

    The firmware is deployed from a snapshot, so that every deploy in this module builds the same image even
    while someone edits the working tree."""
    folder = tmp_path_factory.mktemp("deployed")
    firmware = firmware_copy(FIRMWARE, folder / "firmware")
    pico = VirtualPico(folder / "pico", boot="flash", heap=HEAP)
    calls = []
    try:
        pico.start()
        was_repl = pico.in_repl
        result = deploy(pico.port, progress=lambda *call: calls.append(call), firmware=firmware)
        boots = pico.boots
        screen = [line.strip() for line in pico.screen.text_lines() if line.strip()]
    finally:
        pico.stop()
    image = build(folder / "image", firmware)
    return SimpleNamespace(
        firmware=firmware,
        template=folder / "pico",
        was_repl=was_repl,
        result=result,
        calls=calls,
        boots=boots,
        screen=screen,
        hashes={f.device_path: hashlib.sha256(f.local.read_bytes()).hexdigest() for f in image},
    )


def test_a_blank_virtual_pico_gets_the_whole_image_and_boots_it(deployed, tmp_path):
    result = deployed.result
    assert deployed.was_repl  # a blank flash: no main.py, the REPL has the port, as on a freshly flashed Pico
    assert result.board == "sim" and result.root == "/flash"
    assert result.core_id == tobs_core.CORE_ID and result.firmware == identity(deployed.firmware).version
    assert sorted(result.copied) == sorted(deployed.hashes) and result.removed == []
    assert result.files == len(deployed.hashes) and result.pending is None
    # One progress call per file, counting up to the total.
    assert [c[0] for c in deployed.calls] == list(range(1, result.files + 1))
    assert {c[1] for c in deployed.calls} == {result.files}
    assert sorted(c[2] for c in deployed.calls) == sorted(deployed.hashes)
    assert deployed.boots == 2 and deployed.screen  # rebooted once, into the app, which drew its screen
    print(
        "deploy of the full image (%d files, %d bytes) to the virtual Pico: mpremote %.2f s, %.2f s in all"
        % (result.files, result.bytes_copied, result.copy_seconds, result.seconds)
    )

    pico = start_copy(deployed.template, tmp_path / "pico")
    try:
        info = hello(pico.port)
        expected = (tobs_core.CORE_ID, identity(deployed.firmware).version, "sim")
        assert (info["core_id"], info["firmware"], info["board"]) == expected
        # Read the files back with mpremote's own hashing, and list what lib/ holds: exactly the image.
        leave_app(pico.port)
        out = mpremote(pico.port, "fs", "sha256sum", *(":/flash/" + path for path in sorted(deployed.hashes)))
        lines = out.split()
        read_back = {lines[i][len(":/flash/") :]: lines[i + 1] for i in range(1, len(lines), 3)}
        assert read_back == deployed.hashes
        listing = mpremote(
            pico.port,
            "exec",
            "import os\ndef w(d):\n for e in os.ilistdir(d):\n  p = d + '/' + e[0]\n"
            "  w(p) if e[1] == 0x4000 else print(p)\nw('/flash/lib')",
        )
        on_flash = sorted(line[len("/flash/") :] for line in listing.split())
        assert on_flash == sorted(p for p in deployed.hashes if p.startswith("lib/"))
        # A Pico reboots on machine.reset(); the virtual one starts again on the same serial port.
        mpremote(pico.port, "reset")
        deadline = time.monotonic() + 15
        while pico.boots < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        pico.wait_ready()
        assert pico.boots == 2 and hello(pico.port)["core_id"] == tobs_core.CORE_ID
        # Pulling the power is not a reset: it stays off.
        pico.kill()
        time.sleep(0.5)
        assert not pico.running
        with pytest.raises(FirmwareDied):
            pico.check()
    finally:
        pico.stop()


def put_site(port: str, data: bytes) -> dict:
    with Link(port) as link:
        link.request("PUT", "site.json", len(data), expect="A")
        for i in range(0, len(data), 384):
            link.request("DATA", base64.b64encode(data[i : i + 384]).decode(), expect="A")
        link.request("COMMIT", "%08x" % (binascii.crc32(data) & 0xFFFFFFFF), expect="A")
        return link.request("HELLO", expect="H").json()


def test_deploy_over_the_running_app_copies_what_changed_keeps_settings_and_removes_shadows(deployed, tmp_path):
    pico = start_copy(deployed.template, tmp_path / "pico")
    try:
        site = json.loads((deployed.firmware / "site_default.json").read_text(encoding="utf-8"))
        site["comment"] = list(site["comment"]) + ["Written by the deploy test."]
        before = hello(pico.port)["config_id"]
        mine = put_site(pico.port, json.dumps(site, ensure_ascii=False, indent=1).encode())
        assert mine["config_id"] != before  # the app runs the pushed configuration now

        marked = firmware_copy(deployed.firmware, tmp_path / "firmware")
        with_version(marked, "0.0.0-deploy-test")
        result = deploy(pico.port, firmware=marked)
        assert result.firmware == "0.0.0-deploy-test" and result.copied == ["lib/handheld/commands.mpy"]
        assert result.pending == 0
        after = hello(pico.port)
        assert after["firmware"] == "0.0.0-deploy-test" and after["core_id"] == tobs_core.CORE_ID
        assert after["config_id"] == mine["config_id"]  # site.json on the device was left alone

        # A stray link.py beside link.mpy would run instead of it (MicroPython prefers source).
        leave_app(pico.port)
        shadow = tmp_path / "link.py"
        shadow.write_text((marked / "lib" / "handheld" / "commands.py").read_text().replace("0.0.0-deploy-test", "x"))
        mpremote(pico.port, "fs", "cp", str(shadow), ":/flash/lib/handheld/commands.py")
        # The REPL has the port now: deploy finds no app and goes straight to it.
        result = deploy(pico.port, firmware=deployed.firmware)
        assert result.removed == ["lib/handheld/commands.py"] and result.copied == ["lib/handheld/commands.mpy"]
        assert result.pending is None
        after = hello(pico.port)
        assert after["firmware"] == identity(deployed.firmware).version and after["config_id"] == mine["config_id"]
    finally:
        pico.stop()


def test_deploy_refuses_ports_that_are_not_a_handheld(tmp_path, monkeypatch):
    with pytest.raises(DeployError, match="There is no serial port /dev/no-such-tty"):
        deploy("/dev/no-such-tty")

    # A virtual Pico running the firmware from the repository: what would run after a reset is not the flash.
    pico = VirtualPico(tmp_path / "repo", boot="repo", repl=True, heap=HEAP).start()
    try:
        with pytest.raises(DeployError, match="runs the firmware from the repository"):
            deploy(pico.port)
    finally:
        pico.stop()

    # Silence from here on: no need to wait the full time for an answer that cannot come.
    monkeypatch.setattr(deploy_module, "_REPL_ANSWER_S", 1.5)
    master, slave = pty.openpty()
    try:
        tty.setraw(slave)
        with pytest.raises(DeployError, match="Neither the TOBS app nor a MicroPython REPL answered"):
            deploy(os.ttyname(slave))
    finally:
        os.close(master)
        os.close(slave)

    # Plain `tobs sim`: the process ends when the app leaves, as no REPL follows.
    pico = VirtualPico(tmp_path / "plain", heap=HEAP).start()
    try:
        with pytest.raises(DeployError, match="start it with `tobs sim --from-flash`"):
            deploy(pico.port)
    finally:
        pico.stop()


def read_until(stream, needle: str, timeout: float) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError("no %r within %g s; got %r" % (needle, timeout, seen))
        chunk = os.read(stream.fileno(), 4096).decode()
        if not chunk:
            raise AssertionError("the stream ended before %r; got %r" % (needle, seen))
        seen += chunk
    return seen


def test_tobs_sim_from_flash_takes_a_tobs_deploy_from_another_terminal(tmp_path):
    sim = subprocess.Popen(
        [
            TOBS,
            "sim",
            "--from-flash",
            "--heap",
            HEAP,
            "--run-dir",
            str(tmp_path / "sim"),
            "--keys",
            "[wait 120s]",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, COLUMNS="200"),
    )
    try:
        said = read_until(sim.stderr, "tobs deploy --port", timeout=30)
        port = said.split("Serial port: ", 1)[1].split()[0]
        assert "The flash holds no firmware" in said

        result = subprocess.run(
            [TOBS, "deploy", "--port", port, "--json"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        report = json.loads(result.stdout)
        assert report["board"] == "sim" and report["core_id"] == tobs_core.CORE_ID
        assert report["files"] == len(report["copied"])
        assert hello(port)["firmware"] == identity().version

        wrong = subprocess.run(
            [TOBS, "deploy", "--port", str(tmp_path / "nothing")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert wrong.returncode == 2 and wrong.stderr.startswith("Error: There is no serial port")
        assert len(wrong.stderr.strip().splitlines()) == 1
    finally:
        sim.send_signal(signal.SIGINT)  # like Ctrl-C in its terminal: it powers the virtual Pico off
        sim.wait(timeout=30)
    assert sim.returncode == 0
