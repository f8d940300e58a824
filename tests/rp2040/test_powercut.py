"""Power cuts on the Pico's real filesystem: the record store on the official rp2 port's LittleFS, the power
pulled at instants spread over a record save and over a compaction (inside LittleFS's own erases and programs),
then booted again: the filesystem mounts without a reformat (a marker file survives), the earlier records are
intact, the record being saved is whole or gone, a compaction leaves the whole old log or only the unacknowledged
records, and the synced marker holds. CI runs 15 cuts per operation; bench/rp2040_powercut.py runs >= 200."""

from __future__ import annotations

import pytest
from powercut_support import (
    MARKER,
    UID,
    cut_and_check,
    cut_instants,
    measure,
    mpremote,
    prepare,
    trial_pico,
    verdict,
)

from tobs.device.rp2040_pico import FS_BLOCK, RP2040Pico, flash_files

# 7 spread evenly over the window + 7 halfway through one of its erases or programs + 1 just after it: 30 cuts in
# all, each two boots of the emulated chip (the second checks the store and prints what it found).
SPREAD, AT_EVENTS = 7, 7


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    work = tmp_path_factory.mktemp("powercut")
    return work, prepare(work)


@pytest.mark.parametrize("op", ["save", "compact"])
def test_a_cut_anywhere_in_an_operation_loses_nothing_and_never_reformats(prepared, op):
    work, images = prepared
    window = measure(work, op, images[op])
    # Both program pages; a save also erases a block for the log's copied tail (a compaction of six records
    # here fits in blocks LittleFS had erased before).
    kinds = {e["kind"] for e in window.ops}
    assert "P" in kinds and (op != "save" or "E" in kinds), kinds
    outcomes = set()
    inside = 0
    pico = trial_pico(work)
    try:
        for i, nanos in enumerate(cut_instants(window, SPREAD, AT_EVENTS)):
            found = cut_and_check(pico, op, images[op], nanos, i)
            assert verdict(found) == [], (i, nanos, found)
            outcomes.add(len(found["seqs"]))
            inside += found["cut"] is not None
    finally:
        pico.stop()
    # The spread reaches both sides of the operation's commit point, and half the cuts tore an erase or program.
    assert len(outcomes) == 2, outcomes
    assert inside >= AT_EVENTS, inside


def test_a_damaged_superblock_makes_boot_py_reformat_the_flash_and_the_store_starts_empty(prepared):
    """What the official _boot.py does when both LittleFS superblock blocks (the root metadata pair, blocks 0 and
    1) are unreadable: mounting fails, so it formats the whole filesystem and mounts that. The records, the synced
    marker, main.py and everything else are gone; the device boots with an empty store (docs/firmware.md)."""
    work, images = prepared
    trial = work / "damaged.img"
    image = bytearray(images["save"].read_bytes())
    assert flash_files(images["save"])["/marker"] == MARKER  # a sound filesystem before the damage
    for block in (0, 1):
        image[block * FS_BLOCK : (block + 1) * FS_BLOCK] = bytes([0x5A]) * FS_BLOCK  # neither erased nor valid
    trial.write_bytes(bytes(image))
    pico = RP2040Pico(work / "damaged", uid=UID, paced=False, flash_image=trial)
    pico.start()
    try:
        out = mpremote(
            pico.port, "exec", "import os; s = os.statvfs('/'); print('LIST', len(os.listdir('/')), s[2], s[3])"
        )
    finally:
        pico.stop()
    listing = next(line for line in out.splitlines() if line.startswith("LIST"))
    _, names, blocks, free = listing.split()
    assert (names, blocks) == ("0", "352") and int(free) >= 345  # an empty filesystem on all 352 blocks
    # The image itself is a fresh LittleFS: no records.bin, no synced marker, so the app's store opens empty
    # and numbers from seq 1 again.
    assert flash_files(trial) == {}
