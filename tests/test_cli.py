"""The command line, against a given DSN and against its own embedded cluster."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from ledgerguard import migrate
from ledgerguard.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_migrate_sql_prints_the_offline_sql_without_a_database():
    result = invoke("migrate", "--sql")
    assert result.exit_code == 0
    assert "CREATE SCHEMA ledger;" in result.output and "INSERT INTO alembic_version" in result.output


def test_migrate_then_doctor_on_a_given_database(empty_database):
    dsn = empty_database()
    result = invoke("--dsn", dsn, "migrate")
    assert result.exit_code == 0 and result.output.strip() == f"revision base -> {migrate.head()}"
    doctor = invoke("--dsn", dsn, "doctor")
    assert doctor.exit_code == 0 and "FAIL" not in doctor.output


def test_doctor_fails_on_a_disabled_ledger_trigger(dsn, db):
    db.execute("ALTER TABLE ledger.entries DISABLE TRIGGER _900_zero_sum")
    db.commit()
    result = invoke("--dsn", dsn, "doctor")
    assert result.exit_code == 1
    assert "FAIL  trigger _900_zero_sum on ledger.entries is disabled" in result.output


def test_demo_shows_each_incident_refused_with_its_sqlstate(dsn):
    result = invoke("--dsn", dsn, "demo")
    assert result.exit_code == 0, result.output
    for code in ("LG013", "LG011", "LG003", "LG010", "LG002", "LG008", "LG012", "LG103", "LG108"):
        assert code in result.output
    assert "customer:alice     USD  ACTIVE       60.00" in result.output
    # the capture retried three times and the refund processed twice took effect once each
    assert result.output.count("capture_payment(1), attempt") == 3 and "vendor:42          USD  ACTIVE       35.00" in result.output
    assert "DETAIL: retry-after: " in result.output
    # batch and manual payout raced for one order: one payout; the callback burst ended at the highest sequence
    assert "created=False: one live payout per order" in result.output
    assert "['APPLIED', 'STALE', 'DUPLICATE', 'STALE', 'DUPLICATE', 'DUPLICATE', 'DUPLICATE', 'DUPLICATE']" in result.output
    assert "PAYOUT_PROVIDER    USD  ACTIVE       26.00" in result.output


def _cluster_dir(stderr: str) -> Path:
    """The cluster directory the CLI reported ("  <dsn> in <dir>")."""
    match = re.search(r"^  postgresql://\S+ in (\S+)$", stderr, re.M)
    assert match, stderr
    return Path(match.group(1))


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "LEDGERGUARD_DSN"}


def test_without_a_dsn_the_cli_runs_on_a_throwaway_cluster_and_removes_it(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ledgerguard", "demo"], cwd=tmp_path, env=_clean_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Embedded PostgreSQL stopped and removed." in result.stderr
    assert "LG011" in result.stdout
    assert not _cluster_dir(result.stderr).exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_stops_and_removes_its_cluster_on_a_signal(sig, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "ledgerguard", "serve"], cwd=tmp_path, env=_clean_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("LEDGERGUARD_DSN="), proc.stderr.read()
        dsn = line.strip().split("=", 1)[1]
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT ledger.wallet_balance('PLATFORM_MAIN')").fetchone()[0] == 0
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=3)
    assert "Embedded PostgreSQL stopped and removed." in err
    assert not _cluster_dir(err).exists()
