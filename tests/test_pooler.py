"""Behind a real PgBouncer in transaction pooling (issue 18, item 3): the client, payout_once and on-call."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from conftest import run_parallel
from ledger_state import violations
from ledgerguard import migrate
from ledgerguard.cli import main
from ledgerguard.client import Ledger
from ledgerguard.errors import InvalidAmount, UnknownWallet
from pooler import PgBouncer, pgbouncer_binary

pytestmark = pytest.mark.skipif(not pgbouncer_binary(), reason="pgbouncer is not installed: `make deps` installs it")

ROOT = Path(__file__).resolve().parents[1]
LOGINS = ["lg_app", "lg_app2", "lg_oncall", "lg_auditor", "postgres"]


@pytest.fixture
def bouncer(db: psycopg.Connection, pytestconfig: pytest.Config):
    pooler = PgBouncer(pytestconfig.option.postgresql_host, pytestconfig.option.postgresql_port, LOGINS, pool_size=3)
    try:
        yield pooler.wait_ready(db.info.dbname)
    finally:
        pooler.stop()


@pytest.fixture
def pooled(bouncer: PgBouncer, db: psycopg.Connection):
    """pooled(login) -> a DSN through PgBouncer to this test's database."""
    return lambda login="lg_app": bouncer.dsn(db.info.dbname, login)


def test_the_client_works_from_eight_threads_through_a_transaction_pooler(app, pooled, db):
    """Through PgBouncer, 74 of 160 calls from 8 threads failed: psycopg prepared each statement after five
    executions, on one server connection, and the next call ran on another (`prepared statement "_pg3_3" does
    not exist`, DuplicatePreparedStatement). The client prepares nothing on the server unless asked."""
    app.create_wallet("world", "EXTERNAL", "USD", True)
    app.create_wallet("alice", "USER", "USD")

    def post(i: int, barrier: threading.Barrier) -> int:
        with Ledger.connect(pooled()) as ledger:
            barrier.wait()
            for n in range(20):
                ledger.post_transaction(f"pooled-{i}-{n}", "TRANSFER", [("world", "-1.00"), ("alice", "1.00")])
                ledger.wallet_balance("alice")
            return 20

    assert run_parallel(8, post) == [20] * 8
    assert app.wallet_balance("alice") == Decimal("160.00")
    assert violations(db) == []


def test_one_order_from_eight_pooled_connections_is_paid_once(app, pooled, db):
    app.create_wallet("world", "EXTERNAL", "USD", True)
    app.create_wallet("vendor:1", "VENDOR", "USD")
    app.post_transaction("fund", "TRANSFER", [("world", "-100.00"), ("vendor:1", "100.00")])

    def pay(i: int, barrier: threading.Barrier) -> bool:
        with Ledger.connect(pooled()) as ledger:
            barrier.wait()
            return ledger.payout_once("order:pooled", "vendor:1", "40.00")[1]

    assert sorted(run_parallel(8, pay)) == [False] * 7 + [True]
    assert db.execute("SELECT count(*) FROM ledger.payouts WHERE order_ref = 'order:pooled'").fetchone()[0] == 1
    assert app.wallet_balance("vendor:1") == Decimal("60.00")
    assert violations(db) == []


def test_bad_input_keeps_its_sqlstate_through_the_pooler(app, pooled):
    app.create_wallet("world", "EXTERNAL", "USD", True)
    with Ledger.connect(pooled()) as ledger:
        for _ in range(7):  # beyond psycopg's prepare threshold
            with pytest.raises(InvalidAmount):
                ledger.post_transaction("bad", "TRANSFER", [("world", "NaN"), ("world", "1.00")])
            with pytest.raises(UnknownWallet):
                ledger.post_transaction("bad2", "TRANSFER", [("nobody", "-1.00"), ("world", "1.00")])


def test_oncall_runs_the_cli_through_the_pooler(app, pooled):
    app.create_wallet("vendor:9", "VENDOR", "USD")
    runner = CliRunner()
    check = runner.invoke(main, ["--dsn", pooled("lg_oncall"), "check", "--since", "all"], catch_exceptions=False)
    assert check.exit_code == 0, check.output
    freeze = runner.invoke(main, ["--dsn", pooled("lg_oncall"), "freeze", "vendor:9", "--ticket", "INC-P", "--reason", "pooled"],
                           catch_exceptions=False)
    assert freeze.exit_code == 0 and "freeze_wallet" in freeze.output, freeze.output
    doctor = runner.invoke(main, ["--dsn", pooled("lg_auditor"), "doctor"], catch_exceptions=False)
    assert doctor.exit_code == 0, doctor.output


def test_a_migration_through_the_pooler_is_refused_and_no_client_ever_runs_as_the_owner(pooled, db, dsn):
    """`ledgerguard migrate` through PgBouncer left `SET ROLE ledger_owner`, its timeouts and a session advisory
    lock on server connections other clients then used: 262 of about 1,200 transactions ran as ledger_owner.
    A migration now finds out it is behind a transaction pooler and refuses before it sets anything, through
    `ledgerguard migrate` and plain `alembic` alike, while the pooled clients keep working as themselves."""
    seen: set[tuple[str, str, str]] = set()
    stop = threading.Event()

    def client() -> None:
        with psycopg.connect(pooled("lg_app"), autocommit=True, prepare_threshold=None) as conn:
            while not stop.is_set():
                seen.add(conn.execute("SELECT current_user, current_setting('lock_timeout'),"
                                      " current_setting('statement_timeout')").fetchone())

    workers = [threading.Thread(target=client) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        runner = CliRunner()
        for args in (["migrate", "--downgrade", "-1"], ["migrate"]):
            result = runner.invoke(main, ["--dsn", pooled("postgres"), *args])
            # refused first, in one line, exit 3: before the invariant gate reads all history through the pooler
            lines = [line for line in result.output.splitlines() if line.strip()]
            assert result.exit_code == 3 and len(lines) == 1, result.output
            assert lines[0].startswith("Error: ledgerguard migrate: refusing to migrate through a connection pooler"), lines
        alembic = subprocess.run([sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "downgrade", "-1"],
                                 env={**os.environ, "LEDGERGUARD_DSN": pooled("postgres")}, capture_output=True, text=True)
        assert alembic.returncode != 0 and "refusing to migrate through a connection pooler" in alembic.stderr, alembic.stderr
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert seen == {("lg_app", "0", "0")}, seen
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == migrate.head()
