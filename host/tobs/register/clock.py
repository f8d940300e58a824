"""Placing records in time: a record taken before the handheld's clock was set gets its time from the PC's clock
where its uptime allows, and is marked as repaired or unknown otherwise."""

from __future__ import annotations

from tobs.register.models import CLOCK_DEVICE, CLOCK_REPAIRED, CLOCK_UNKNOWN


def repair_times(
    records: list[dict],
    device_now_unix: int,
    device_boot_count: int,
    device_ms_since_boot: int,
    host_now_unix: int,
) -> list[dict]:
    """Give each record a trustworthy measured_at where possible, in place (and return the list).

    clock_valid records keep the device's time ("device"). Records from the current boot taken before the clock
    was set are placed by their ms_since_boot against the device's uptime now, on the PC's clock ("repaired").
    Records from earlier boots without a clock cannot be placed ("unknown", flagged). The device's own time is
    kept in "device_measured_at". device_now_unix is what the device's clock says; the PC's clock is the reference
    for repairs, so it only matters in that it was taken at the same moment as device_ms_since_boot."""
    del device_now_unix  # deliberately unused: see the docstring
    for record in records:
        if "rejected_reason" in record or not all(
            k in record for k in ("measured_at", "clock_valid", "boot_count", "ms_since_boot")
        ):
            continue
        record.setdefault("device_measured_at", record["measured_at"])
        if record["clock_valid"]:
            record["clock_quality"] = CLOCK_DEVICE
            record["measured_at"] = record["device_measured_at"]
        elif record["boot_count"] == device_boot_count and 0 <= record["ms_since_boot"] <= device_ms_since_boot:
            age_ms = device_ms_since_boot - record["ms_since_boot"]
            record["measured_at"] = host_now_unix - (age_ms + 500) // 1000
            record["clock_quality"] = CLOCK_REPAIRED
        else:
            # An earlier boot, or an uptime that went backwards (a wrapped counter): no honest time to give.
            record["measured_at"] = record["device_measured_at"]
            record["clock_quality"] = CLOCK_UNKNOWN
    return records
