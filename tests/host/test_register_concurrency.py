"""Two PCs syncing two handhelds into one register at the same time lose and duplicate nothing: two processes,
each with its own engine, ingest overlapping batches of both devices at once."""

from __future__ import annotations

import multiprocessing
import queue
import time

from register_support import DEVICE_A, DEVICE_B, SITE, ingest_worker
from sqlalchemy import func, select

from tobs.register.db import open_register
from tobs.register.keys import enroll_device
from tobs.register.models import Observation, Patient, SyncLog

SEQS = 400
# Each (device, first, last) range overlaps the other process's ranges of the same device.
JOBS = (
    [(DEVICE_A, 0, 249), (DEVICE_B, 150, 399), (DEVICE_A, 200, 399)],
    [(DEVICE_B, 0, 249), (DEVICE_A, 100, 349), (DEVICE_B, 200, 399)],
)


def test_two_processes_ingesting_overlapping_batches_store_every_record_exactly_once(register_url):
    register = open_register(register_url, announce=None)
    enroll_device(register, DEVICE_A, SITE)
    enroll_device(register, DEVICE_B, SITE)  # the same site: both write the same patients and staff
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(len(JOBS))  # both start writing only when both have their batches in hand
    results = context.Queue()
    workers = [context.Process(target=ingest_worker, args=(register_url, jobs, ready, results)) for jobs in JOBS]
    for worker in workers:
        worker.start()
    outcomes = []
    expected = sum(len(jobs) for jobs in JOBS)
    deadline = time.monotonic() + 120
    while len(outcomes) < expected and time.monotonic() < deadline:
        try:
            outcomes.append(results.get(timeout=1))
        except queue.Empty:
            if not any(worker.is_alive() for worker in workers) and results.empty():
                break  # a worker died: what it reported (or did not) is asserted on below
        if outcomes and outcomes[-1][0] == "error":
            break
    for worker in workers:
        worker.join(60)
        if worker.is_alive():
            worker.kill()
    assert [o for o in outcomes if o[0] == "error"] == []
    assert len(outcomes) == expected, "a worker stopped without reporting"
    assert [w.exitcode for w in workers] == [0, 0]

    sent = sum(last - first + 1 for jobs in JOBS for _, first, last in jobs)
    assert sum(o[1] for o in outcomes) == 2 * SEQS  # new: each record exactly once
    assert sum(o[1] + o[2] for o in outcomes) == sent  # the rest were recognised as already there
    assert sum(o[3] + o[4] for o in outcomes) == 0  # no conflicts, no rejects
    with register.read() as session:
        stored = session.execute(select(Observation.device_id, Observation.seq)).all()
        assert sorted(stored) == sorted((d, s) for d in (DEVICE_A, DEVICE_B) for s in range(SEQS))
        assert session.scalar(select(func.count()).select_from(Patient)) == 25
        assert session.scalar(select(func.sum(SyncLog.new))) == 2 * SEQS
        assert session.scalar(select(func.count()).select_from(SyncLog)) == 6
    register.close()
