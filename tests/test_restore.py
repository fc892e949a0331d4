"""Backup and restore as a DBA runs them (issue 18, item 5): the roles, a custom-format dump, pg_restore into a
new cluster, then doctor and check; the restored copy enforces every invariant."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from ledger_state import violations
from ledgerguard.client import Ledger
from ledgerguard.cluster import EmbeddedCluster, find_bindir
from ledgerguard.errors import AppendOnly, InsufficientFunds, UnbalancedTransaction


def _run(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture
def elsewhere():
    cluster = EmbeddedCluster("restore").start()
    yield cluster
    cluster.stop()


def test_a_restored_copy_passes_doctor_and_check_and_enforces_every_invariant(app, db, dsn, elsewhere, tmp_path):
    app.create_wallet("world", "EXTERNAL", "USD", True)
    app.create_wallet("alice", "USER", "USD")
    app.post_transaction("fund", "TRANSFER", [("world", "-50.00"), ("alice", "50.00")])
    app.payout_once("order:before", "alice", "10.00")
    bindir = find_bindir()
    dbname = db.info.dbname
    # As a migration by the database's owner leaves it (a test database is a clone, and a clone has the default).
    db.execute(f'GRANT CONNECT ON DATABASE "{dbname}" TO ledger_migrator, ledger_app, ledger_oncall, ledger_auditor')
    db.execute(f'REVOKE CONNECT ON DATABASE "{dbname}" FROM PUBLIC')
    db.commit()

    roles = tmp_path / "roles.sql"
    roles.write_text(_run(bindir / "pg_dumpall", "--roles-only", "-d", dsn).stdout)
    dump = tmp_path / "ledger.dump"
    _run(bindir / "pg_dump", "-Fc", "-f", dump, "-d", dsn)
    # The roles first: every CREATE ROLE but the bootstrap superuser's, which exists already.
    roles_sql = "\n".join(line for line in roles.read_text().splitlines()
                          if not line.startswith(("CREATE ROLE postgres;", "ALTER ROLE postgres ")))
    roles.write_text(roles_sql)
    _run(bindir / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", elsewhere.dsn(), "-f", roles)
    _run(bindir / "pg_restore", "--create", "--exit-on-error", "-d", elsewhere.dsn(), dump)  # the database, its grants too

    restored = elsewhere.dsn(dbname)
    doctor = subprocess.run([sys.executable, "-m", "ledgerguard", "--dsn", restored, "doctor"], capture_output=True, text=True)
    assert doctor.returncode == 0 and "FAIL" not in doctor.stdout and "WARN" not in doctor.stdout, doctor.stdout
    check = subprocess.run([sys.executable, "-m", "ledgerguard", "--dsn", restored, "check", "--since", "all"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    with psycopg.connect(elsewhere.dsn(dbname, user="lg_app"), autocommit=True) as conn:
        copy = Ledger(conn)
        assert copy.wallet_balance("alice") == Decimal("40.00")
        assert copy.payout_once("order:before", "alice", "10.00")[1] is False  # the order's payout came along
        assert copy.payout_once("order:after", "alice", "5.00")[1] is True
        with pytest.raises(InsufficientFunds):
            copy.post_transaction("overdraft", "TRANSFER", [("alice", "-100.00"), ("world", "100.00")])
        with pytest.raises(UnbalancedTransaction):
            copy.post_transaction("unbalanced", "TRANSFER", [("alice", "-1.00"), ("world", "2.00")])
    with psycopg.connect(restored, autocommit=True) as owner:
        owner.execute("SET ROLE ledger_owner")
        with pytest.raises(psycopg.Error) as refused:
            owner.execute("UPDATE ledger.entries SET amount = amount * 2")
        assert refused.value.sqlstate == AppendOnly.sqlstate
        with pytest.raises(psycopg.Error) as outsider:  # CONNECT came back revoked from PUBLIC
            owner.execute("RESET ROLE; CREATE ROLE lg_stranger LOGIN")
            psycopg.connect(elsewhere.dsn(dbname, user="lg_stranger")).close()
        assert "permission denied for database" in str(outsider.value)
    with psycopg.connect(restored) as conn:
        assert violations(conn) == []
