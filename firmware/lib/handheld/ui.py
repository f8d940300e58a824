# The names the flow and its screen groups share: the states of the nurse's flow, the order of the entry steps,
# and how a row of the 16-column screen is laid out. The flow routes keys to the screens; the screens import this
# small module, never the flow itself.
from handheld import text

START = "start"
PIN = "pin"
RESUME = "resume"  # after the log-in: a measurement this nurse left unfinished is offered back
HOME = "home"
PATIENT = "patient"
AWARENESS = "awareness"
REVIEW = "review"
ACTION = "action"
REASON = "reason"
SAVED = "saved"
FOLLOW_UP = "follow_up"  # the action for a saved set that still lacks it, chosen from the home screen
FOLLOW_WHY = "follow_why"  # and its reason

FIELDS = ("pulse", "resp", "temp", "sys_bp")
# The entry steps in order; * on an empty field goes one to the left, # one to the right.
STEPS = (PATIENT,) + FIELDS + (AWARENESS, REVIEW)
MEASURING = STEPS + (ACTION, REASON)
# States whose screen belongs to screen_review (every other state after the log-in has its own group).
AFTER_REVIEW = (REVIEW, ACTION, REASON, SAVED, FOLLOW_UP, FOLLOW_WHY)


def fit(s):
    return s[: text.WIDTH]


def header(left, right, short=None):
    """One row with left at the start and right at the end; `short` instead of right when right would leave no
    space between them (a long patient number)."""
    if short is not None and len(left) + 1 + len(right) > text.WIDTH:
        right = short
    return left + " " * (text.WIDTH - len(left) - len(right)) + right

