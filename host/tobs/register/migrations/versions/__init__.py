"""Migration scripts, applied in order by Alembic (this file is skipped by Alembic)."""
