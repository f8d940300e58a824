# The names the flow and its screen groups share: the states of the nurse's flow, the order of the entry steps,
# and how a row of the 16-column screen is laid out. The flow routes keys to the screens; the screens import this
# small module, never the flow itself.
from handheld import text

START = "start"
PIN = "pin"
HOME = "home"
PATIENT = "patient"
AWARENESS = "awareness"
REVIEW = "review"
ACTION = "action"
REASON = "reason"
SAVED = "saved"

FIELDS = ("pulse", "resp", "temp", "sys_bp")
# The entry steps in order; * on an empty field goes one to the left, # one to the right.
STEPS = (PATIENT,) + FIELDS + (AWARENESS, REVIEW)
MEASURING = STEPS + (ACTION, REASON)
def fit(s):
    return s[: text.WIDTH]


def header(left, right):
    """One row with left at the start and right at the end."""
    return left + " " * (text.WIDTH - len(left) - len(right)) + right
