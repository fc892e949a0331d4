"""What a run of ledgerguard is told from outside, read once: the database, and how long a migration may wait.

The command line builds one from --dsn and the environment; `ledgerguard.migrate` hands it to the Alembic
environment (migrations/env.py), which builds its own from alembic.ini and the environment when plain
`alembic` runs. Nothing else reads LEDGERGUARD_* variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    dsn: str | None = None            # LEDGERGUARD_DSN or --dsn (plain alembic: sqlalchemy.url first)
    lock_timeout: str = "5s"          # LEDGERGUARD_LOCK_TIMEOUT: how long a migration's DDL waits for a lock
    statement_timeout: str = "30min"  # LEDGERGUARD_STATEMENT_TIMEOUT: how long one migration statement may run
    lock_retries: int = 5             # LEDGERGUARD_LOCK_RETRIES: tries again of a revision that timed out on a lock

    @classmethod
    def from_environment(cls, dsn: str | None = None, environ: Mapping[str, str] = os.environ) -> Settings:
        """`dsn` when given, else LEDGERGUARD_DSN; the timeouts and retries from the environment or their defaults."""
        retries = environ.get("LEDGERGUARD_LOCK_RETRIES", str(cls.lock_retries))
        if not retries.isdigit():
            raise ValueError(f"LEDGERGUARD_LOCK_RETRIES={retries!r} is not a whole number of retries")
        return cls(dsn=dsn or environ.get("LEDGERGUARD_DSN") or None,
                   lock_timeout=environ.get("LEDGERGUARD_LOCK_TIMEOUT", cls.lock_timeout),
                   statement_timeout=environ.get("LEDGERGUARD_STATEMENT_TIMEOUT", cls.statement_timeout),
                   lock_retries=int(retries))
