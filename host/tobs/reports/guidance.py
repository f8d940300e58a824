"""Which of its site's guidance bands each set fell in: the site configurations the handhelds used (the register's
copies, found by the config_id every record carries, and the example configuration shipped with the firmware),
and the rules table the quality queries join against."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tobs import files, firmware
from tobs.register.db import Register, RegisterError
from tobs.register.models import SiteConfiguration

TOTALS = range(0, 16)


def example_config_path() -> Path:
    """The example site configuration the firmware ships (used by a handheld that has no site.json)."""
    return firmware.tree() / "site_default.json"


def config_id(data: bytes) -> str:
    """The handheld's name for a configuration: eight hex digits of SHA-256 over the file's bytes."""
    return hashlib.sha256(data).hexdigest()[:8]


def levels(body: dict[str, Any]) -> list[dict[str, Any]]:
    """A configuration's guidance levels in rising urgency ("guidance"; files from before that name say "bands")."""
    found = body.get("guidance", body.get("bands"))
    return found if isinstance(found, list) else []


@dataclass(frozen=True)
class Band:
    index: int  # 0 = least urgent
    of: int  # how many bands the configuration has
    id: str
    escalate: bool
    document: bool
    remeasure_min: int
    text: dict[str, str]

    @property
    def level(self) -> int:
        """0..4 for the colour: the least urgent band is 0, the most urgent 4, the rest spread between."""
        return 0 if self.of <= 1 else round(4 * self.index / (self.of - 1))


@dataclass(frozen=True)
class Guidance:
    config_id: str
    site_code: str | None
    body: dict[str, Any]
    example: bool
    known: bool = True  # False: a stand-in for a configuration the register does not have

    def band_for(self, total: int, any_three: bool) -> Band:
        """The last (most urgent) band matching the total, or the any_three band when a parameter scores 3; the
        handheld's own rule (siteconfig.band_for)."""
        bands = levels(self.body)
        found = None
        for index, band in enumerate(bands):
            if band.get("any_three"):
                if any_three:
                    found = index
            else:
                low, high = band["total"]
                if total >= low and (high is None or total <= high):
                    found = index
        if found is None:
            raise RegisterError(f"Site configuration {self.config_id} has no band for total {total}.")
        band = bands[found]
        return Band(found, len(bands), str(band["id"]), bool(band["escalate"]), bool(band["document"]),
                    int(band["remeasure_min"]), dict(band["text"]))

    def action_label(self, code: int, lang: str) -> str:
        for action in self.body.get("actions", []):
            if action["code"] == code:
                return action[lang]
        return "" if code == 0 else f"#{code}"

    def reason_label(self, code: int, lang: str) -> str:
        for reason in self.body.get("reasons", []):
            if reason["code"] == code:
                return reason[lang]
        return "" if code == 0 else f"#{code}"


def _check(body: Any, where: str) -> dict[str, Any]:
    """The parts of a site configuration the register relies on; RegisterError naming the first problem."""
    if not isinstance(body, dict) or not levels(body):
        raise RegisterError(f"{where} has no list of guidance levels.")
    for number, band in enumerate(levels(body), 1):
        if not isinstance(band, dict):
            raise RegisterError(f"{where}: band {number} is not an object.")
        for name in ("id", "escalate", "document", "remeasure_min", "text"):
            if name not in band:
                raise RegisterError(f"{where}: band {number} has no '{name}'.")
        if not band.get("any_three"):
            total = band.get("total")
            if not (isinstance(total, list) and len(total) == 2 and isinstance(total[0], int)
                    and (total[1] is None or isinstance(total[1], int))):
                raise RegisterError(f"{where}: band {number} needs 'total': [low, high or null].")
    for name in ("actions", "reasons"):
        if not isinstance(body.get(name, []), list):
            raise RegisterError(f"{where}: '{name}' is not a list.")
    return body


def load_example() -> Guidance:
    data = example_config_path().read_bytes()
    body = _check(json.loads(data), "The example site configuration")
    return Guidance(config_id(data), None, body, example=True)


def add_configuration(register: Register, path: Path, site: str | None = None) -> str:
    """Keep a site configuration file (as pushed to handhelds) in the register; returns its config_id."""
    try:
        data = files.read_limited(path)
        body = files.parse_json(data, str(path))
    except files.InputFileError as e:
        raise RegisterError(str(e)) from None
    _check(body, str(path))
    cid = config_id(data)

    def work(session) -> None:
        row = session.get(SiteConfiguration, cid)
        if row is None:
            session.add(SiteConfiguration(config_id=cid, site_code=site or body.get("site_id"), body=body,
                                          added_at=datetime.now(timezone.utc)))

    register.run_write(work)
    return cid


class GuidanceBook:
    """Every configuration the register knows, by config_id. A set scored under a configuration the register
    has not been given is judged by the shipped example and marked as such (`known` False)."""

    def __init__(self, configs: dict[str, Guidance], example: Guidance):
        self.configs = configs
        self.example = example

    @classmethod
    def load(cls, register: Register) -> GuidanceBook:
        example = load_example()
        configs = {example.config_id: example}
        with register.read() as session:
            for row in session.scalars(select(SiteConfiguration)):
                configs[row.config_id] = Guidance(row.config_id, row.site_code, row.body,
                                                  example=bool(row.body.get("example")))
        return cls(configs, example)

    def get(self, cid: str) -> Guidance:
        found = self.configs.get(cid)
        if found is not None:
            return found
        return Guidance(cid, None, self.example.body, example=True, known=False)

    def rule_strings(self) -> tuple[dict[str, tuple[str, str]], tuple[str, str]]:
        """Each configuration's bands as two strings indexed by k = 2 * total + any_three: escalate flags ('0'/'1',
        one character per k) and re-measure minutes (four digits per k), so that SQL can look a set's band up
        with substr() on any backend, with no join. Also the example's pair, for configurations not known."""

        def strings(guidance: Guidance) -> tuple[str, str]:
            flags, minutes = [], []
            for total in TOTALS:
                for any_three in (False, True):
                    band = guidance.band_for(total, any_three and total >= 3)
                    flags.append("1" if band.escalate else "0")
                    minutes.append("%04d" % min(band.remeasure_min, 9999))
            return "".join(flags), "".join(minutes)

        return {cid: strings(g) for cid, g in sorted(self.configs.items())}, strings(self.example)

    def rules(self) -> list[tuple[str, int, int, int, int]]:
        """(config_id, total, any_three 0/1, escalate 0/1, remeasure_min) for every configuration and score; the
        empty config_id holds the example's rules, the fallback for configurations the register lacks."""
        rows = []
        for cid, guidance in sorted(self.configs.items()):
            for key in ([cid, ""] if guidance is self.example else [cid]):
                for total in TOTALS:
                    for any_three in (0, 1):
                        if any_three and total < 3:
                            continue  # a parameter at 3 makes the total at least 3
                        band = guidance.band_for(total, bool(any_three))
                        rows.append((key, total, any_three, int(band.escalate), band.remeasure_min))
        return rows
