"""Connection strings and the advisory-lock key spaces of ledgerguard."""

from __future__ import annotations

import re

# Two-int advisory lock keys: (namespace, key). ledgerguard owns namespace
# 0x4C47 ("LG") for its own session locks, so they never meet an
# application's single-bigint locks or another tool's.
LOCK_NAMESPACE = 0x4C47
MIGRATION_LOCK = {"ns": LOCK_NAMESPACE, "key": 1}


def libpq_dsn(dsn: str) -> str:
    """A DSN libpq takes: a SQLAlchemy URL as a DBA writes it in alembic.ini (postgresql+psycopg://…) loses its
    driver; a libpq URL or key=value DSN is returned as it is."""
    return re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", dsn)


def sqlalchemy_url(dsn: str) -> str:
    """A libpq URL or key=value DSN as a SQLAlchemy URL for psycopg 3."""
    if re.match(r"^postgres(ql)?(\+\w+)?://", dsn):
        return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", dsn)
    # key=value form: hand it to libpq untouched.
    from urllib.parse import quote

    return "postgresql+psycopg:///?" + "&".join(
        f"{k}={quote(v)}" for k, v in (part.split("=", 1) for part in dsn.split())
    )


def shared_server_process(dsn: str, rounds: int = 3) -> int | None:
    """The server process two live client connections to `dsn` were both given, or None.

    Directly, every connection has a server process of its own for as long as it lives. A pooler in
    transaction (or statement) mode hands a server connection to whichever client runs the next transaction:
    two connections, each between transactions, get the same one (PgBouncer reuses the last one freed), and
    one connection moves between server connections. Either is a pooler, and session state (a session
    advisory lock, SET, SET ROLE) set there would be met by its next client.
    """
    import psycopg

    with psycopg.connect(dsn, autocommit=True, prepare_threshold=None) as one, \
            psycopg.connect(dsn, autocommit=True, prepare_threshold=None) as other:
        pid = "SELECT pg_backend_pid()"
        first = one.execute(pid).fetchone()[0]
        for _ in range(rounds):
            mine, theirs = one.execute(pid).fetchone()[0], other.execute(pid).fetchone()[0]
            if mine != first or theirs == mine:
                return mine
    return None


class PoolerRefused(RuntimeError):
    """A migration was pointed at a transaction pooler (see direct_connection_only)."""


def direct_connection_only(dsn: str) -> None:
    """Raise PoolerRefused when `dsn` leads to a transaction pooler, before a migration touches anything.

    A migration serializes on a session advisory lock and builds indexes CONCURRENTLY outside any transaction,
    with its timeouts set for the session: through a transaction pooler that state would land on server
    connections other clients then use (a client once ran as ledger_owner)."""
    shared = shared_server_process(dsn)
    if shared is not None:
        raise PoolerRefused(f"refusing to migrate through a connection pooler: two connections to this DSN shared "
                            f"server process {shared}. Migrate over a direct connection to PostgreSQL (the pooler's "
                            "host and port bypassed); applications keep using the pooler.")


def cause_and_message(error: BaseException) -> tuple[BaseException, str]:
    """The database error under a SQLAlchemy one (in migrations it wraps psycopg's), and its message in one line:
    what a command that could not run prints."""
    cause = getattr(error, "orig", None) or error
    primary = getattr(getattr(cause, "diag", None), "message_primary", None) or str(cause).strip().splitlines()[0]
    return cause, primary
