"""Where the shipped SQL and migrations live.

A wheel carries them under ``ledgerguard/_shipped``; an editable install (the
checkout) reads the top-level ``sql/`` and ``migrations/`` directly, so that a
developer's edit is what the tests see.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def checkout() -> Path | None:
    """The source checkout this ledgerguard runs from (an editable install), None for an installed wheel. Only a
    checkout has the development tooling: bench/ and devtools/."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "sql").is_dir() and (root / "migrations").is_dir() else None


def _root() -> Path:
    shipped = Path(str(resources.files("ledgerguard"))) / "_shipped"
    if shipped.is_dir():
        return shipped
    if checkout() is not None:
        return checkout()
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
