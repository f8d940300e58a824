# Reading a site configuration file into a SiteConfig: streamed hashing and parsing, the checks, and the
# reduction to the site's own language. site.json in the storage folder wins; only a handheld that never had one
# starts with the example shipped with the firmware (a demo, or a bench before the site's file is pushed). A broken
# site.json is refused, never replaced by the example, whose staff and PINs are published: the app then lets
# nobody log in, keeps its records and waits for a good file (app.py). Used through handheld.once(), so neither
# this code nor the checks stay in the heap.
import json
import os
from binascii import hexlify

from handheld import siteconfig, siteconfig_check
from handheld.siteconfig import DEFAULT_PATH, MAX_FILE_BYTES, SITE_FILE, ConfigError, SiteConfig

try:
    from hashlib import sha256
except ImportError:  # pragma: no cover - very small MicroPython builds name it uhashlib
    from uhashlib import sha256  # type: ignore

_ENOENT = 2


def _level(level, lang):
    # A new dict of exactly these keys is smaller than the parsed one (whose table grew key by key, with a string
    # object for every long key), and all levels share one set of key strings.
    call = level.get("call")
    return {
        "id": level["id"], "total": level.get("total"), "any_three": level.get("any_three", False),
        "text": level["text"][lang],
        "call": None if call is None else {"who": call["who"][lang], "number": call["number"]},
        "remeasure_min": level["remeasure_min"], "document": level["document"], "escalate": level["escalate"],
    }


def _in_language(data):
    # What the device keeps: the texts of the site's language only, menus as tuples, staff as pairs. The
    # other language has been checked and would only take heap; a new file is read again from scratch.
    lang = data["language"]
    data["guidance"] = [_level(level, lang) for level in data["guidance"]]
    data["actions"] = [(a["code"], a[lang], a.get("observe", False)) for a in data["actions"]]
    data["reasons"] = [(r["code"], r[lang], r.get("observe", False)) for r in data.get("reasons", ())]
    data["staff"] = [(p["number"], p["pin_sha256"]) for p in data["staff"]]
    return data


def _config(parsed, cid, path, warning):
    siteconfig_check.validate(parsed)
    return SiteConfig(_in_language(parsed), cid, path, warning)


def parse(data, path=SITE_FILE, warning=None):
    """A SiteConfig from a file's bytes; ConfigError (or ValueError from JSON) when unusable."""
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError("file is %d bytes, at most %d" % (len(data), MAX_FILE_BYTES))
    return _config(json.loads(data.decode("utf-8")), siteconfig.config_id(data), path, warning)


def read_file(path, warning=None):
    """parse() for a file, streamed: neither the bytes nor the text of the file is held whole in the heap.
    None when the file does not exist."""
    try:
        size = os.stat(path)[6]
    except OSError as e:
        if e.args and e.args[0] == _ENOENT:
            return None
        raise
    if size > MAX_FILE_BYTES:
        raise ConfigError("%s is %d bytes, at most %d" % (path, size, MAX_FILE_BYTES))
    digest = sha256()
    buf = bytearray(256)
    view = memoryview(buf)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            digest.update(view[:n])
        f.seek(0)
        parsed = json.load(f)
    return _config(parsed, hexlify(digest.digest()[:4]).decode(), path, warning)


def load(root, default_path=None):
    """storage_root/site.json; the shipped example only if there is no site.json at all. ConfigError naming the
    problem if site.json is there but unusable."""
    default_path = default_path or DEFAULT_PATH
    site_path = root.rstrip("/") + "/" + SITE_FILE
    try:
        site = read_file(site_path)
    except Exception as e:  # noqa: BLE001 - whatever the fault in the site's file, it is refused as a whole
        raise ConfigError("%s not used: %s" % (SITE_FILE, e)) from None
    if site is not None:
        return site
    site = read_file(default_path)
    if site is None:
        raise ConfigError("no %s and no default configuration at %s" % (SITE_FILE, default_path))
    return site
