# Register ingest speed: rows per second that `tobs sync` can store in one transaction, into an SQLite file and
# into PostgreSQL (a throwaway server started here the way the tests start one, fsync on; or --pg URL), for
# batches of 1,000 and 10,000 records; and the same batch sent again (all "already had").
#   .venv/bin/python bench/register.py [--pg postgresql://user@host/db] [--sizes 1000,10000] [--json]
# Record building is not timed: each batch is made (encoded and decoded as sync would) before the clock starts.
from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "support"), str(ROOT / "firmware" / "lib")]

from postgres_support import PostgresServer  # noqa: E402
from register_support import record  # noqa: E402

from tobs.register.db import open_register  # noqa: E402
from tobs.register.ingest import ingest  # noqa: E402
from tobs.register.keys import enroll_device  # noqa: E402


def measure(url: str, size: int) -> dict:
    register = open_register(url, announce=None)
    try:
        device = secrets.token_hex(8)  # a new device each run: a shared --pg register may hold earlier runs
        enroll_device(register, device, "bench")
        records = [record(seq, device) for seq in range(size)]
        figures = {}
        for label in ("new", "again"):
            start = time.perf_counter()
            outcome = ingest(register, device, records, pc_user="bench", pc_host="bench",
                             started_at=datetime.now(timezone.utc))
            seconds = time.perf_counter() - start
            expected = (size, 0) if label == "new" else (0, size)
            if (outcome.new, outcome.already_had) != expected:
                raise SystemExit(f"ingest stored {outcome} for a {label} batch of {size}: the benchmark is wrong")
            figures[label] = {"seconds": round(seconds, 4), "rows_per_s": round(size / seconds)}
        return figures
    finally:
        register.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", help="an existing PostgreSQL register instead of a throwaway server")
    parser.add_argument("--sizes", default="1000,10000", help="batch sizes, comma-separated")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    results: dict[str, dict] = {"sqlite": {}, "postgresql": {}}
    server = None
    with tempfile.TemporaryDirectory(prefix="tobs-bench-") as folder:
        try:
            if args.pg:
                pg_urls = {size: args.pg for size in sizes}
            else:
                server = PostgresServer(durable=True)
                server.start()
                pg_urls = {size: server.database() for size in sizes}
            for size in sizes:
                results["sqlite"][str(size)] = measure(f"sqlite:///{folder}/register-{size}.sqlite3", size)
                results["postgresql"][str(size)] = measure(pg_urls[size], size)
        finally:
            if server is not None:
                server.stop()

    if args.json:
        print(json.dumps(results))
        return
    print("Register ingest, one transaction per batch (rows/s; seconds)")
    print("%-11s %7s %22s %22s" % ("backend", "records", "new", "sent again"))
    for backend, by_size in results.items():
        for size, f in by_size.items():
            print("%-11s %7s %13d (%6.3f s) %13d (%6.3f s)" % (
                backend, size, f["new"]["rows_per_s"], f["new"]["seconds"], f["again"]["rows_per_s"],
                f["again"]["seconds"]))


if __name__ == "__main__":
    main()
