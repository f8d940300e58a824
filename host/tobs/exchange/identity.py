"""Every FHIR id the exchange gives a resource, derived in one place. A set's resources derive from the record's
identity in the register: (device, store epoch, seq). Deriving rather than drawing them makes an export idempotent
(the same set exported twice is the same resource) and a corrected message carry the same observations."""

from __future__ import annotations

import hashlib
import uuid
from typing import Protocol

# Changing this changes every id ever exported: never, once a receiver holds them.
_NAMESPACE = "tobs-fhir/1"


class RecordRow(Protocol):
    device_id: str
    seq: int


def store_epoch(row: RecordRow) -> int:
    """The store epoch the record was written in (0 for a store from before stores had an identity). This is the one
    place that reads it."""
    return int(getattr(row, "store_epoch", 0) or 0)


def record_key(row: RecordRow) -> tuple[str, int, int]:
    """(device, store epoch, seq): what names one observation set for as long as the register keeps it."""
    return (row.device_id, store_epoch(row), row.seq)


def derived_uuid(kind: str, *parts: object) -> str:
    """A UUID in version-4 form (MedCom's medcom-uuidv4 invariant wants that shape) taken from a SHA-256 of the kind
    and the parts: the same parts always give the same id, different parts practically never the same one."""
    text = "|".join([_NAMESPACE, kind, *(str(p) for p in parts)])
    return str(uuid.UUID(bytes=hashlib.sha256(text.encode("utf-8")).digest()[:16], version=4))


def observation_id(kind: str, parameter: str, key: tuple[str, int, int]) -> str:
    """One parameter of one set, as `kind` shows it (the vital-signs export and the MedCom message give different
    resources for the same value, so their ids differ too)."""
    return derived_uuid(kind, parameter, *key)


def patient_id(kind: str, site: str, patient: int) -> str:
    return derived_uuid(kind + "-patient", site, patient)
