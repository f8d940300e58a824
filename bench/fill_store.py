# MicroPython, run by bench/sync.py: appends N scored records to the store on the virtual Pico's flash image
# through the real board file and RecordStore, as if a nurse had entered them.
import sys

import board_sim
import tobs_core
from handheld.store import RecordStore

n = int(sys.argv[1])
store = RecordStore(board_sim.storage_root())
awareness = [a for a, _ in tobs_core.AWARENESS]
for i in range(n):
    pulse, resp, temp, bp, aw = 50 + i % 90, 10 + i % 20, 360 + i % 40, 90 + i % 100, awareness[i % 5]
    s = tobs_core.score(pulse, resp, temp / 10, bp, aw)
    store.append({"measured_at": 1790000000 + i * 60, "clock_valid": True, "boot_count": store.boot_count,
        "ms_since_boot": i, "device_id": board_sim.unique_id(), "staff": 1001, "patient": 1 + i % 40,
        "pulse": pulse, "resp": resp, "temp_raw": temp, "temp_site": "rectal", "sys_bp": bp, "awareness": aw,
        "points": s.points, "total": s.total, "core_id": tobs_core.CORE_ID, "config_id": "00000000",
        "action": 1, "reason": 0})
print(store.count())
