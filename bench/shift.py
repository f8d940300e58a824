"""The observation sets the handheld benchmarks type on the virtual Pico (heap.py, i2c.py, keystrokes.py): one shift's
mix, written as a nurse who knows the keypad types it (a value field that fills up moves on by itself; awareness and
action are one key each). "~" marks where she reads the screen or the monitor before the next key, the
keystroke-level model's mental operator: the benchmarks let the virtual clock run for it."""

LOGIN = "1001#1234#"  # the example site configuration's staff 1001, PIN 1234
READ = "~"
READ_MS = 1350  # the keystroke-level model's M (Card, Moran and Newell): to read and decide before a key
KEY_S = 0.28  # the model's K for an average typist, seconds a keystroke

# (what, keys after the patient number's "#" through the key that saves). A mix of the paths a shift takes:
# calm sets with no action, a set that must document an action, an oral temperature, a confirmed 3 that
# escalates and needs a reason, and an urgent set whose values are looked at before saving.
OBSERVATIONS = (
    ("calm", "~72#~16~375~120~1~#~#"),
    ("action required", "~72#~22~375~120~1~#~1"),
    ("oral temperature", "~72#~16~A376~120~1~#~#"),
    ("single 3, reason", "~135~#~16~375~120~1~8~#~5~2"),
    ("urgent, values looked at", "~115~22~390~90#~2~8~8~#~2"),
)


def set_keys(patient: int, keys: str, from_home: bool) -> str:
    """One set's keys: # first on the home screen (on the saved screen the patient's number starts the next set),
    the patient number with its #, then the set's keys."""
    return ("#" if from_home else "") + READ + str(patient) + "#" + keys


def keystrokes(keys: str) -> int:
    return len(keys.replace(READ, ""))


def klm_seconds(keys: str) -> float:
    """The keystroke-level model's time for keys: K per keystroke, M per read."""
    return keystrokes(keys) * KEY_S + keys.count(READ) * READ_MS / 1000


def type_keys(pico, keys: str, each=None) -> None:
    """Press keys on a virtual Pico, the clock running READ_MS at each READ; each(key) after every keystroke."""
    for i, part in enumerate(keys.split(READ)):
        if i:
            pico.advance(READ_MS)
        if each is None:
            if part:
                pico.press(part)
        else:
            for k in part:
                each(k)


class BenchError(RuntimeError):
    """The app did not do what a nurse or the sync expected; the message says what."""
