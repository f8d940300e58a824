"""The central register: every observation synced from the handhelds, in SQLite or a shared PostgreSQL.

`db` opens it (and is the only module that reaches the database), `models` and `migrations` are its schema,
`keys` holds sites and enrolled devices, `clock` places records in time, `checks` checks and re-scores each record,
`ingest` stores a sync's records exactly once, `queries` lists and exports them."""

from tobs.register.db import Register, RegisterError, RegisterUnavailable, open_register

__all__ = ["Register", "RegisterError", "RegisterUnavailable", "open_register"]
