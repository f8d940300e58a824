"""docs/threat-model.md names a test for every control it claims: each named test file exists and defines each named
test, so a renamed or deleted test cannot leave a claim standing without one."""

import re

from tools_support import ROOT

_CLAIM = re.compile(r"^- (tests/[\w/]+\.py)(?:::(\w+))?", re.MULTILINE)


def test_every_test_the_threat_model_names_exists():
    text = (ROOT / "docs" / "threat-model.md").read_text(encoding="utf-8")
    claims = _CLAIM.findall(text)
    assert len(claims) >= 15, claims
    for path, name in claims:
        source = ROOT / path
        assert source.is_file(), path
        if name:
            assert re.search(r"^def %s\(" % name, source.read_text(encoding="utf-8"), re.MULTILINE), (path, name)
