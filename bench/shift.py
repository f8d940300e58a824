"""The observation sets the handheld benchmarks type on the virtual Pico (heap.py, i2c.py): one shift's mix."""

LOGIN = "1001#1234#"  # the example site configuration's staff 1001, PIN 1234
# (what, keys after the patient number's "#" through the key that saves). A mix of the paths a shift takes:
# calm sets with no action, a set that must document an action, an oral temperature, a confirmed 3 that
# escalates and needs a reason, and an urgent set whose guidance is scrolled through before saving.
OBSERVATIONS = (
    ("calm", "72#16#375#120#1#" "#" "#"),
    ("action required", "72#22#375#120#1#" "#" "1#"),
    ("oral temperature", "72#16#A376#120#1#" "#" "#"),
    ("single 3, reason", "135##16#375#120#1#" "8" "#" "5#" "2#"),
    ("urgent, scrolled", "115#22#390#90#2#" "88" "#" "2#"),
)


class BenchError(RuntimeError):
    """The app did not do what a nurse or the sync expected; the message says what."""
