# Alembic environment for the register: always run from tobs.register.db with an open connection whose
# transaction (and, on PostgreSQL, migration lock) the caller holds.
from alembic import context

from tobs.register.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("register migrations run through tobs.register.db.open_register, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place: batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
