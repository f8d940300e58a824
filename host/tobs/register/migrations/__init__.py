"""Alembic migrations of the register, packaged with tobs so an installed wheel can create and upgrade its database.

`tobs.register.db.open_register` applies them to head on every open. To add a revision, write
`versions/NNNN_what.py` by hand (or generate it with Alembic's `revision --autogenerate` against a register at
head, using `script.py.mako`), then run the register tests: they check that models and migrations agree."""
