"""Runs each pgTAP file under tests/pgtap with pg_prove, in its own database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

PGTAP_FILES = sorted((Path(__file__).parent / "pgtap").glob("*.sql"))


@pytest.mark.parametrize("path", PGTAP_FILES, ids=[p.stem for p in PGTAP_FILES])
def test_pgtap_file(path: Path, dsn: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    result = subprocess.run(
        ["pg_prove", "--verbose", "--failures", "-h", info["host"], "-p", str(info["port"]), "-U", info["user"],
         "-d", info["dbname"], str(path)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"pg_prove {path.name} failed:\n{result.stdout}\n{result.stderr}"
    assert "Result: PASS" in result.stdout
