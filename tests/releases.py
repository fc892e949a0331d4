"""ledgerguard as it was at a git commit: its tree checked out beside this one, its own code run on a database.

For what only history still holds: the migration chain before the baseline (tests/test_baseline.py) and the
two arms of `bench --ab`. Nothing here is mocked: the old tree's own `ledgerguard migrate` runs, in a process
of its own, with its own sql/ and migrations/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from devtools.refs import run_cli_at, tree_at  # noqa: F401  (the trees at other commits, shared with --ab)

ROOT = Path(__file__).resolve().parents[1]

# The last commit whose migrations are the chain 0001 … 0021 (and s001) that the baseline 0022 replaces.
CHAIN_BEFORE_THE_BASELINE = "032107296d619c5ba0b14835d57efb20a81d660b"


def this_tree_with(into: Path, revisions: dict[str, str]) -> Path:
    """This checkout's src/, sql/ and migrations/ under `into`, with revisions added on top (file name -> source):
    a later release, as a deployment would receive it."""
    for part in ("src", "sql", "migrations"):
        shutil.copytree(ROOT / part, into / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name, source in revisions.items():
        (into / "migrations" / "versions" / name).write_text(source)
    return into
