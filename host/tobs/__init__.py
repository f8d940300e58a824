"""The PC side of TOBS: scoring, the virtual handheld, sync into the central register."""

__version__ = "0.1.0"
