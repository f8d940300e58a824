# A fuzzer for both ends of the sync link, on CPython and MicroPython alike: generated and mutated command lines
# for the handheld's command handler (handheld.commands on a stand-in board, a real RecordStore), and mutated frame
# streams for the PC's FrameReader. Its own small PRNG makes a seed give the same inputs on both runtimes, so a
# failure found by the bench on one is replayed by the test on the other.
# What counts as a failure: an exception leaving poll() (on the device that ends the app), an answer that is not
# frames, more than one answer to one line, a line that is neither answered nor blank, and any change to what the
# handheld stores that no well-formed command asked for.
import os
from binascii import crc32

from link_support import DEVICE_ID, KEY, frames, handheld, line

import tobs_protocol

_VERBS = ("HELLO", "PULL", "ACK", "TIME", "ENROLL", "PUT", "DATA", "COMMIT", "REPL", "KEY", "SCREEN", "hello", "")
_NUMBERS = ("0", "1", "3", "-1", "+3", "03", "4294967295", "4294967296", "99999999999999999999999", "1e3", "0x10",
            "1577836800", "4102444800", "1000000000000", "1.5", "", " ", "\u0663", "nan")
_WORDS = ("site.json", "link.json", "../site.json", "records.bin", "test", "x" * 65, "AAAA", "AAA=", "****", "00",
          "00" * 16, "00" * 32, "zz" * 16, "ff" * 33, "\xff", "\x00", "\x03", "*", " *", "*00000000")
# Commands that may change what the handheld stores today, and only when every argument is well formed. The trust
# issue's authenticated commands will add a proof to each; until then the fuzzer holds them to their checks.
_CHANGERS = ("TIME", "ENROLL", "PUT", "DATA", "COMMIT", "ACK", "REPL")


class Random:
    """xorshift32: the same numbers from the same seed on every runtime (MicroPython's random differs)."""

    def __init__(self, seed):
        self.state = (seed * 2654435761 + 1) & 0xFFFFFFFF or 1

    def next(self):
        x = self.state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.state = x
        return x

    def below(self, n):
        return self.next() % n

    def pick(self, items):
        return items[self.below(len(items))]

    def data(self, n):
        return bytes(self.below(256) for _ in range(n))


def _valid_lines(link, store):
    """Well-formed commands, as the PC sends them: the seeds the mutations start from."""
    ack = tobs_protocol.to_hex(tobs_protocol.ack_tag(KEY, DEVICE_ID, 1, store.epoch))
    return [
        tobs_protocol.command("HELLO"),
        tobs_protocol.command("PULL", 0, 5),
        tobs_protocol.command("ACK", 1, ack),
        tobs_protocol.command("TIME", 1790000000),
        tobs_protocol.command("PUT", "site.json", 4),
        tobs_protocol.command("DATA", "AAAA"),
        tobs_protocol.command("COMMIT", "2144df1c"),
        tobs_protocol.command("ENROLL", "test", KEY.hex()),
    ]


def _generated(rng):
    # A command with a correct CRC around any verb and arguments: what passes the CRC check and tests the rest.
    words = [rng.pick(_VERBS)]
    for _ in range(rng.below(4)):
        words.append(rng.pick(_NUMBERS) if rng.below(2) else rng.pick(_WORDS))
    return line(" ".join(words).encode("utf-8"))


def _mutated(rng, seed):
    # Built by slicing and joining bytes: MicroPython's bytearray takes no deletion or inserting slice assignment.
    data = bytes(seed)
    for _ in range(1 + rng.below(4)):
        how = rng.below(6)
        at = rng.below(len(data) + 1)
        if how == 0 and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes((data[at] ^ (1 << rng.below(8)),)) + data[at + 1 :]  # flip a bit
        elif how == 1:
            data = data[:at] + rng.data(1 + rng.below(8)) + data[at:]  # insert bytes
        elif how == 2:
            data = data[:at] + data[at + 1 + rng.below(8) :]  # delete bytes
        elif how == 3:
            data = data[:at]  # cut short (the rest of a cable pull)
        elif how == 4:
            data = data[:at] + data[: rng.below(len(data) + 1)] + data[at:]  # repeat a part
        else:
            data = data[:at] + b"\n" + data[at:]  # a line break in the middle
    if rng.below(3) == 0:
        # Mend the CRC so the damage gets past the check into the argument parsing.
        body = data.split(b"\n")[0]
        cut = body.rfind(b" *")
        if cut > 0:
            body = body[:cut]
        data = line(body)
    return data


def _input(rng, seeds):
    kind = rng.below(10)
    if kind < 4:
        return _mutated(rng, rng.pick(seeds))
    if kind < 8:
        return _generated(rng)
    if kind == 8:
        return rng.data(1 + rng.below(64)) + b"\n"
    return b"z" * (1000 + rng.below(100)) + rng.pick(seeds)  # around the 1,024-byte line limit


def _state(root, link, store):
    files = {}
    for name in os.listdir(root):
        if name.endswith(".part"):
            continue  # a PUT's scratch file: what arrives is kept apart until COMMIT checks it
        with open(root + "/" + name, "rb") as f:
            files[name] = crc32(f.read())
    return files, store.pending_count(), store.acked, link.board.now(), link.wants_repl


def _well_formed(data, verbs):
    # A line of the input (each ends at the newline the fuzzer sends after it) parses as one of `verbs`; whether its
    # arguments hold is the handler's to judge.
    for text in bytes(data).split(b"\n"):
        try:
            verb, _ = tobs_protocol.parse_command(text)
        except (ValueError, UnicodeError):
            continue
        if verb in verbs:
            return True
    return False


def fuzz_device(root, count, seed=1):
    """Feed `count` inputs to one handheld's command handler; returns the figures, raises AssertionError on a
    failure (with the input that caused it)."""
    rng = Random(seed)
    link, board, store = handheld(root, records=3)
    seeds = _valid_lines(link, store)
    answered = refused = changed = freed = 0
    for _ in range(count):
        data = _input(rng, seeds)
        before = _state(root, link, store)
        board.port_in.feed(b"\n" + data + b"\n")  # each input on a fresh line, as a PC starts a session
        try:
            for _ in range(len(data) + 4):
                if not board.port_in.waiting() or link.wants_repl or link.config_pushed:
                    break
                link.poll()
        except Exception as e:  # noqa: BLE001 - any exception is the failure being searched for
            raise AssertionError("poll() raised %r for %r" % (e, data)) from e
        got = frames(board.port_out.take())  # raises if anything but whole frames came out
        # One answer to each line that is not blank (records come as R frames before PULL's answer); a handler
        # about to leave for the REPL or a new site file leaves the rest for whoever reads next.
        lines = [t for t in data.split(b"\n") if t.strip()]
        answers = [k for k, _ in got if k != "R"]
        if link.wants_repl or link.config_pushed:
            assert len(answers) <= len(lines), (data, got)
        else:
            assert len(answers) == len(lines), (data, got)
        answered += len(answers)
        refused += len([k for k, _ in got if k == "X"])
        after = _state(root, link, store)
        if after != before:
            changed += 1
            assert _well_formed(data, _CHANGERS), ("state changed by", data, before, after)
            if after[1] != before[1]:
                # Only the register's own acknowledgement (the fuzzer's seed, the one input with a valid tag) frees.
                assert seeds[2].split(b" *")[0] in data, ("records forgotten without a valid acknowledgement", data)
                freed += 1
        if link.wants_repl or link.config_pushed:
            # The app would leave or restart here; the fuzz goes on with a handler as it is after such a start.
            link, board, store = handheld(root, records=0)
            seeds = _valid_lines(link, store)
    return {"inputs": count, "answers": answered, "refused": refused, "state_changes": changed,
            "freed_by_valid_ack": freed}


def _frame_inputs(rng):
    good = [tobs_protocol.frame("H", b'{"proto": 1}'), tobs_protocol.frame("R", rng.data(100)),
            tobs_protocol.frame("E", b"{}"), tobs_protocol.frame("X", b"")]
    data = bytearray()
    for _ in range(1 + rng.below(4)):
        data += rng.pick(good)
    return _mutated(rng, bytes(data)) if rng.below(4) else bytes(data) + rng.data(rng.below(20))


def fuzz_frames(count, seed=1):
    """Feed `count` mutated frame streams to the PC's FrameReader, in random pieces: it gives frames whose CRC holds
    or raises ValueError, never another exception, and holds no more than one frame's bytes while it waits."""
    rng = Random(seed)
    taken = damaged = 0
    for _ in range(count):
        data = _frame_inputs(rng)
        reader = tobs_protocol.FrameReader()
        at = 0
        try:
            while at < len(data):
                step = 1 + rng.below(64)
                reader.feed(data[at : at + step])
                at += step
                while True:
                    got = reader.next_frame()
                    if got is None:
                        break
                    taken += 1
                    assert len(got[1]) <= tobs_protocol.MAX_PAYLOAD, len(got[1])
                assert len(reader._buf) <= tobs_protocol.HEADER + tobs_protocol.MAX_PAYLOAD + 4
        except ValueError:
            damaged += 1  # what the reader must say about a damaged stream
        except Exception as e:  # noqa: BLE001 - any other exception is the failure being searched for
            raise AssertionError("FrameReader raised %r for %r" % (e, data)) from e
    return {"streams": count, "frames": taken, "damaged": damaged}
