"""ledgerguard as it was at another git commit of this checkout: its tree written beside this one, its own
`ledgerguard` run on a database. For the two arms of `bench --ab` and for what only history still holds (the
migration chain before the baseline, tests/test_baseline.py). Development tooling: not in the wheel."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

THIS_TREE = "."  # as a git ref of --ab: this checkout as it is, uncommitted changes included
CHECKOUT = Path(__file__).resolve().parents[1]


def tree_at(ref: str, into: Path) -> Path:
    """src/, sql/ and migrations/ of git `ref` of this checkout, written under `into`; `into` is returned."""
    archive = subprocess.run(["git", "-C", str(CHECKOUT), "archive", "--format=tar", ref, "src", "sql", "migrations"],
                             capture_output=True, check=True, timeout=120).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def run_cli_at(tree: Path, dsn: str, *args: str) -> subprocess.CompletedProcess:
    """`ledgerguard --dsn DSN ARGS` as the tree at that commit runs it: its code, its SQL, its revisions."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run([sys.executable, "-m", "ledgerguard", "--dsn", dsn, *args], env=env, cwd=tree,
                          capture_output=True, text=True, timeout=900)
