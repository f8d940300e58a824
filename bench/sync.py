"""Sync throughput over the virtual Pico's USB serial (a pty), side by side with `mpremote cp` of the same store
file over the same link, in the same run.

    .venv/bin/python bench/sync.py                 # 1,000 and 10,000 records
    .venv/bin/python bench/sync.py --records 10000 --json

The sync figure includes everything a real sync does: HELLO, PULL, checking every record's CRC and HMAC tag,
re-scoring, one database transaction (SQLite) and the authenticated ACK. `mpremote cp` only copies bytes."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tobs import firmware
from tobs.device.link import Link
from tobs.device.virtual_pico import VirtualPico
from tobs.ops.sync import sync_port as sync
from tobs.register import keys
from tobs.register.db import open_register

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FIRMWARE = firmware.tree()

def fill(run_dir: Path, count: int) -> None:
    script = ROOT / "bench" / "fill_store.py"
    env = dict(
        os.environ,
        TOBS_SIM_FLASH=str(run_dir / "flash.img"),
        TOBS_SIM_UID=(run_dir / "uid").read_text().strip(),
        MICROPYPATH=firmware.micropypath([FIRMWARE / "lib", FIRMWARE, firmware.driver_folder(run_dir)]),
    )
    out = subprocess.run([str(BIN / "micropython"), "-X", "heapsize=4M", str(script), str(count)], env=env,
                         capture_output=True, text=True, check=True)
    assert int(out.stdout.split()[-1]) == count, out.stdout + out.stderr


# The virtual Pico runs in a process of its own (its serial bridge is a thread there), so neither the sync nor
# mpremote shares an interpreter with it: the same arrangement for both, as with a real Pico on USB.
SERVE = """
import sys
from pathlib import Path
from tobs.device.virtual_pico import VirtualPico
pico = VirtualPico(Path(sys.argv[1]), heap=sys.argv[2], repl=sys.argv[3] == "repl").start()
print(pico.port, flush=True)
sys.stdin.read()
pico.stop()
"""


class ServedPico:
    def __init__(self, run_dir: Path, heap: str, repl: bool = False):
        self.proc = subprocess.Popen([sys.executable, "-c", SERVE, str(run_dir), heap, "repl" if repl else "app"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = self.proc.stdout.readline().strip()
        if not self.port:
            raise RuntimeError("the virtual Pico did not start")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def time_mpremote_cp(run_dir: Path) -> tuple[float, int]:
    """Leave the app for the REPL (as `tobs deploy` does) and copy the store file with mpremote."""
    with ServedPico(run_dir, "4M", repl=True) as pico:
        with Link(pico.port) as link:
            link.request("REPL", expect="A")
        time.sleep(0.3)
        target = run_dir / "records-copy.bin"
        start = time.perf_counter()
        subprocess.run([str(BIN / "mpremote"), "connect", pico.port, "resume", "fs", "cp", ":/flash/records.bin",
                        str(target)], check=True, capture_output=True, timeout=3600)
        return time.perf_counter() - start, target.stat().st_size


def time_sync(run_dir: Path, db_url: str) -> tuple[float, int]:
    with ServedPico(run_dir, "128k") as pico:
        register = open_register(db_url, announce=None)
        with Link(pico.port) as link:
            device_id = link.request("HELLO", expect="H").json()["device_id"]
            link.request("ENROLL", "bench", keys.enroll_device(register, device_id, "bench").hex(), expect="A")
        start = time.perf_counter()
        result = sync(pico.port, db_url)
        elapsed = time.perf_counter() - start
        assert result.new == result.pulled, result
        return elapsed, result.new


def bench(count: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "pico"
        VirtualPico(run_dir, heap="128k").start().stop()  # makes the flash image and the device id
        fill(run_dir, count)
        cp_s, size = time_mpremote_cp(run_dir)
        sync_s, synced = time_sync(run_dir, f"sqlite:///{tmp}/register.db")
    return {
        "records": synced,
        "store_bytes": size,
        "sync_s": round(sync_s, 3),
        "sync_records_per_s": round(synced / sync_s),
        "mpremote_cp_s": round(cp_s, 3),
        "mpremote_cp_bytes_per_s": round(size / cp_s),
        "ratio_vs_mpremote": round(cp_s / sync_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, action="append", help="record count (repeatable)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    results = [bench(n) for n in (args.records or [1000, 10000])]
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results))
        return
    for r in results:
        print(f"{r['records']:>6} records ({r['store_bytes']} bytes): sync {r['sync_s']:.2f} s "
              f"({r['sync_records_per_s']} records/s) vs mpremote cp {r['mpremote_cp_s']:.2f} s "
              f"({r['mpremote_cp_bytes_per_s']} B/s): {r['ratio_vs_mpremote']}x faster")


if __name__ == "__main__":
    main()
