"""Alembic environment of ledgerguard.

Guarantees:
- online, a session-level advisory lock in ledgerguard's own key space is
  taken before Alembic reads the current revision, so two concurrent
  `migrate` runs serialize: the second sees what the first applied;
- lock_timeout and statement_timeout are set after that lock is held: a DDL
  step that would queue behind a long transaction fails fast instead of
  blocking every query behind it;
- each revision runs in its own transaction (a revision that builds an
  index CONCURRENTLY steps out of it, see ledgerguard.online); a revision
  that times out on a lock is retried by ledgerguard.migrate.upgrade.
"""

from __future__ import annotations

import os
import time

from alembic import context
from sqlalchemy import create_engine, pool, text

from ledgerguard.db import MIGRATION_LOCK, sqlalchemy_url

config = context.config
dsn = config.attributes.get("dsn") or config.get_main_option("sqlalchemy.url") or os.environ.get("LEDGERGUARD_DSN")
lock_timeout = config.attributes.get("lock_timeout") or os.environ.get("LEDGERGUARD_LOCK_TIMEOUT", "5s")
statement_timeout = config.attributes.get("statement_timeout") or os.environ.get("LEDGERGUARD_STATEMENT_TIMEOUT", "30min")

SESSION_SETUP = [
    f"SET lock_timeout = '{lock_timeout}'",
    f"SET statement_timeout = '{statement_timeout}'",
]


def run_migrations_offline() -> None:
    context.configure(
        url=sqlalchemy_url(dsn) if dsn else "postgresql+psycopg://",
        literal_binds=True,
        transaction_per_migration=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        for statement in SESSION_SETUP:
            context.execute(statement)
        context.run_migrations()


def run_migrations_online() -> None:
    if not dsn:
        raise SystemExit("no database: pass --dsn or set LEDGERGUARD_DSN")
    engine = create_engine(sqlalchemy_url(dsn), poolclass=pool.NullPool)
    with engine.connect() as connection:
        # Poll, not wait: a session blocked in pg_advisory_lock holds a
        # snapshot, and a CREATE INDEX CONCURRENTLY of the run holding the
        # lock would wait for that snapshot (a deadlock).
        while not connection.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"), MIGRATION_LOCK).scalar():
            connection.commit()
            time.sleep(0.2)
        connection.commit()
        try:
            for statement in SESSION_SETUP:
                connection.execute(text(statement))
            connection.commit()
            context.configure(connection=connection, transaction_per_migration=True)
            # Read under the lock: what this run started from (a retry of the
            # same upgrade keeps what the first attempt found).
            config.attributes.setdefault("heads_before", context.get_context().get_current_heads())
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), MIGRATION_LOCK)
            connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
