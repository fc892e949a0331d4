"""A managed-style server (issue 18, item 2): the master user of a managed service is a login with CREATEDB and
CREATEROLE that is not a superuser and owns its database. It runs the first migration, online and as offline
SQL; a login that is only a member of ledger_migrator runs the later ones; the API works for the app."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import psycopg
import pytest

from ledgerguard import migrate
from ledgerguard.client import Ledger
from ledgerguard.cluster import EmbeddedCluster, find_bindir


@pytest.fixture(scope="module")
def managed():
    """A cluster of its own: nothing of ledgerguard in it, a master user, and a database the master owns."""
    cluster = EmbeddedCluster("managed").start()
    with psycopg.connect(cluster.dsn(), autocommit=True) as su:
        su.execute("CREATE ROLE master LOGIN CREATEDB CREATEROLE")
    yield cluster
    cluster.stop()


def _database_of_master(cluster: EmbeddedCluster, name: str) -> str:
    with psycopg.connect(cluster.dsn(user="master"), autocommit=True) as master:
        master.execute(f"CREATE DATABASE {name}")
    return cluster.dsn(name, user="master")


def _cli(dsn: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ledgerguard", "--dsn", dsn, *args], capture_output=True, text=True,
                          timeout=600)


def test_the_master_user_of_a_managed_service_runs_the_first_migration(managed, later_release):
    """It failed with `must be member of role "ledger_owner"` (ALTER DEFAULT PRIVILEGES FOR ROLE ledger_owner in
    0001): in PostgreSQL 15 the creator of a role is not its member. The migration makes it a ledger_migrator."""
    dsn = _database_of_master(managed, "payments")
    first = _cli(dsn, "migrate")
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout.strip() == f"revision base -> {migrate.head()}"
    doctor = _cli(dsn, "doctor")
    assert doctor.returncode == 0 and "FAIL" not in doctor.stdout and "WARN" not in doctor.stdout, doctor.stdout

    with psycopg.connect(managed.dsn(), autocommit=True) as su:
        assert not su.execute("SELECT rolsuper FROM pg_roles WHERE rolname = 'master'").fetchone()[0]
        su.execute("CREATE ROLE shop LOGIN IN ROLE ledger_app")
        su.execute("CREATE ROLE dba LOGIN IN ROLE ledger_migrator")
    with Ledger.connect(managed.dsn("payments", user="shop")) as app:
        app.create_wallet("card", "EXTERNAL", "USD", True)
        app.create_wallet("alice", "USER", "USD")
        app.post_transaction("fund", "TRANSFER", [("card", "-5.00"), ("alice", "5.00")])
        assert app.wallet_balance("alice") == Decimal("5.00")

    later = managed.dsn("payments", user="dba")  # only a member of ledger_migrator, with the next release
    baseline = migrate.head()
    later_release()
    up = _cli(later, "migrate")
    assert up.returncode == 0 and up.stdout.strip() == f"revision {baseline} -> 9000", up.stderr[-3000:]
    down = _cli(later, "migrate", "--downgrade", "-1")
    assert down.returncode == 0 and down.stdout.strip() == f"revision 9000 -> {baseline}", down.stderr[-3000:]


def test_the_master_user_applies_the_offline_sql_with_psql(managed, tmp_path):
    dsn = _database_of_master(managed, "payments_offline")
    offline = _cli(dsn, "migrate", "--sql")
    assert offline.returncode == 0, offline.stderr[-2000:]
    script = tmp_path / "ledger.sql"
    script.write_text(offline.stdout)
    applied = subprocess.run([str(find_bindir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(script)],
                             capture_output=True, text=True, timeout=600)
    assert applied.returncode == 0, applied.stderr[-3000:]
    doctor = _cli(dsn, "doctor")
    assert doctor.returncode == 0 and "FAIL" not in doctor.stdout, doctor.stdout


def test_the_master_user_dumps_the_roles_as_the_readme_says(managed):
    """README, "Backup and restore": the master user may not read pg_authid, so `pg_dumpall --roles-only` fails
    unless given --no-role-passwords; with it, the dump carries every ledger role and their memberships."""
    dsn = _database_of_master(managed, "payments_dump")
    assert _cli(dsn, "migrate").returncode == 0
    dumpall = str(find_bindir() / "pg_dumpall")
    refused = subprocess.run([dumpall, "--roles-only", "-d", dsn], capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "permission denied for table pg_authid" in refused.stderr, refused.stderr
    roles = subprocess.run([dumpall, "--roles-only", "--no-role-passwords", "-d", dsn], capture_output=True, text=True,
                           timeout=120)
    assert roles.returncode == 0, roles.stderr
    for role in ("ledger_owner", "ledger_migrator", "ledger_app", "ledger_oncall", "ledger_auditor"):
        assert f"CREATE ROLE {role};" in roles.stdout, roles.stdout
    assert "GRANT ledger_migrator TO master" in roles.stdout, roles.stdout
