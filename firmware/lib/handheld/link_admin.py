# The link commands a technician's PC sends now and then (enrol, push a site file, open the REPL), apart from the
# sync's own HELLO, PULL, ACK and TIME. commands.py loads this module for one command (or one file upload)
# and unloads it after: a nurse may type while the link is loaded, and in a 128 KB heap every resident byte of
# link code is a byte the flow's next save may not find.
import json
import os
from binascii import a2b_base64, crc32

from tobs_protocol import hex_arg, number_arg

_PUT_ALLOWED = ("site.json",)
_PUT_MAX = 16384


def run(link, verb, args):
    """Carry out one of COMMANDS for the SerialCommands `link`; ValueError for anything malformed or refused.
    Each command checks all of its arguments before it changes anything."""
    if verb == "ENROLL":
        _enroll(link, args)
    elif verb == "PUT":
        _put(link, args)
    elif verb == "DATA":
        _data(link, args)
    elif verb == "COMMIT":
        _commit(link, args)
    else:
        if args:
            raise ValueError("takes no arguments")
        link.wants_repl = True
        link.send("A", {"repl": True})


def _write_atomically(path, data):
    # Temp file then rename: a power cut leaves the old file or the new one, never half of one.
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def _enroll(link, args):
    site, key_hex = args
    key = hex_arg(key_hex, 32)
    if not 0 < len(site) <= 64:
        raise ValueError("site must be 1..64 characters")
    if link.enrolment and link.enrolment["key"] != key and link.store.pending_count():
        raise ValueError("enrolled with another key and records are not synced yet: sync first")
    _write_atomically(link.link_file, json.dumps({"site": site, "key": key_hex}).encode())
    link.enrolment = {"site": site, "key": key}
    link.send("A", {"enrolled_site": site})


# A pushed file goes straight to a ".part" file as it arrives, never whole into the heap; COMMIT checks its size
# and CRC-32 and renames it over the old one (atomic on LittleFS), so a cut push changes nothing.
def _put(link, args):
    name, size = args
    if name not in _PUT_ALLOWED:
        raise ValueError("only site.json can be written")
    size = number_arg(size, _PUT_MAX, 1)
    with open(link.path(name) + ".part", "wb"):
        pass  # start empty: a part left by an earlier, cut push is not continued
    link.upload = [name, size, 0, 0]  # name, announced size, received, running CRC-32
    link.send("A", {"put": name})


def _data(link, args):
    put = link.upload
    if put is None:
        raise ValueError("DATA without PUT")
    (text,) = args
    chunk = a2b_base64(text)
    # a2b_base64 skips what is not base64; then fewer bytes come out than the text's length promises. Checked by
    # length, because a second copy of the chunk may not fit the heap.
    pad = text.find("=")
    pad = len(text) - pad if pad >= 0 else 0  # no slice of the text: that would be a copy as well
    if len(text) % 4 or pad > 2 or text.count("=") != pad or len(chunk) != len(text) // 4 * 3 - pad:
        raise ValueError("not base64")
    if put[2] + len(chunk) > put[1]:
        link.upload = None
        raise ValueError("more data than announced")
    with open(link.path(put[0]) + ".part", "ab") as f:
        f.write(chunk)
    put[2] += len(chunk)
    put[3] = crc32(chunk, put[3])
    link.send("A", {"received": put[2]})


def _commit(link, args):
    if link.upload is None:
        raise ValueError("COMMIT without PUT")
    (expected,) = args
    name, size, received, crc = link.upload
    link.upload = None
    path = link.path(name)
    if received != size or "%08x" % (crc & 0xFFFFFFFF) != expected:
        os.remove(path + ".part")
        raise ValueError("file arrived damaged; the old one is kept")
    os.rename(path + ".part", path)
    link.config_pushed = True
    if link.config_changed:
        link.config_changed()
    link.send("A", {"written": name, "size": size})
