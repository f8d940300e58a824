# The record store's identity, its epoch: read once per start, or made with the store. Sequence numbers start again
# at 1 in a store made anew (a wiped or reformatted flash): the epoch tells the register that seq 1 of this store is
# not seq 1 of the one before, so new records are never taken for conflicts, and the register can say which records
# of the old store never arrived. A module of its own, loaded with handheld.once(), so its code leaves the heap.
import os

from handheld.store import EPOCH, LOG, SYNCED, _join, _size


def new_epoch():
    """A random, non-zero 31-bit store identity (0 is the legacy store, below)."""
    while True:
        epoch = int.from_bytes(os.urandom(4), "big") & 0x7FFFFFFF
        if epoch:
            return epoch


def open_epoch(store):
    path = _join(store.root, EPOCH)
    exists = _size(path) is not None
    epoch = store._read_state(EPOCH) if exists else None
    if epoch is not None:
        return epoch
    if not exists and (_size(_join(store.root, LOG)) is not None or _size(_join(store.root, SYNCED)) is not None):
        # Records from firmware older than store epochs: they are this store's, and the register holds the ones
        # already synced as epoch 0; keep numbering them so.
        epoch = 0
    else:
        # A new store, or one whose identity is unreadable (flash damage): a fresh identity. In the second case the
        # register sees a reset and reports it, rather than mixing two stores' numbers.
        epoch = new_epoch()
        if exists:
            store.problems.append("store identity unreadable: a new one (%08x) was made" % epoch)
    try:
        store._write_state(EPOCH, epoch)
    except OSError as e:
        # Only a full flash gets here; the app must still start so the records can be synced. The next start tries
        # again (a legacy store gets 0 again; a new one another identity, which the register reports).
        store.problems.append("store identity not saved: %r" % (e,))
    return epoch
