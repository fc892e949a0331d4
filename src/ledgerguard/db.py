"""Connection strings and the advisory-lock key spaces of ledgerguard."""

from __future__ import annotations

import re

# Two-int advisory lock keys: (namespace, key). ledgerguard owns namespace
# 0x4C47 ("LG") for its own session locks, so they never meet an
# application's single-bigint locks or another tool's.
LOCK_NAMESPACE = 0x4C47
MIGRATION_LOCK = {"ns": LOCK_NAMESPACE, "key": 1}


def sqlalchemy_url(dsn: str) -> str:
    """A libpq URL or key=value DSN as a SQLAlchemy URL for psycopg 3."""
    if re.match(r"^postgres(ql)?(\+\w+)?://", dsn):
        return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", dsn)
    # key=value form: hand it to libpq untouched.
    from urllib.parse import quote

    return "postgresql+psycopg:///?" + "&".join(
        f"{k}={quote(v)}" for k, v in (part.split("=", 1) for part in dsn.split())
    )
