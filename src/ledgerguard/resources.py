"""Where the shipped SQL and migrations live.

A wheel carries them under ``ledgerguard/_shipped``; an editable install (the
checkout) reads the top-level ``sql/`` and ``migrations/`` directly, so that a
developer's edit is what the tests see.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _root() -> Path:
    shipped = Path(str(resources.files("ledgerguard"))) / "_shipped"
    if shipped.is_dir():
        return shipped
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "sql").is_dir() and (checkout / "migrations").is_dir():
        return checkout
    raise RuntimeError("ledgerguard is installed without its sql/ and migrations/ directories")


def sql_dir() -> Path:
    """The current definition of every database object, one object per file."""
    return _root() / "sql"


def migrations_dir() -> Path:
    """The Alembic environment and its revisions with their frozen SQL."""
    return _root() / "migrations"


def manifest(root: Path | None = None) -> list[str]:
    """The files of sql/ (or of a frozen copy of it, `root`) in the order a database is built from scratch."""
    lines = ((root or sql_dir()) / "manifest.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
