"""Who may do what: tests run as the login roles users have."""

from __future__ import annotations

import psycopg
import pytest

WRITES = [
    "INSERT INTO ledger.entries (transaction_id, wallet_id, amount) VALUES (1, 1, 1)",
    "UPDATE ledger.wallets SET status = 'FROZEN', freeze_mode = 'FULL'",
    "DELETE FROM ledger.idempotency_keys",
    "TRUNCATE ledger.entries",
    "INSERT INTO ledger.transactions (kind) VALUES ('TRANSFER')",
    "UPDATE ledger.wallet_buckets SET balance = 0",
]
ESCALATIONS = [
    "SET session_replication_role = replica",
    "ALTER TABLE ledger.entries DISABLE TRIGGER _900_zero_sum",
    "SET ROLE ledger_owner",
    "SELECT ledger_private.post(1, 'TRANSFER', NULL, NULL, ARRAY[1, 2]::bigint[], ARRAY[-1, 1]::numeric[])",
    "CREATE TABLE ledger.sneaky (id int)",
]


@pytest.mark.parametrize("login", ["lg_app", "lg_oncall", "lg_auditor"])
@pytest.mark.parametrize("statement", WRITES + ESCALATIONS)
def test_no_user_role_writes_a_table_or_escalates(login, statement, connect):
    conn = connect(login)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


@pytest.mark.parametrize("login", ["lg_oncall", "lg_auditor"])
def test_oncall_and_auditor_read_the_ledger(login, connect):
    conn = connect(login)
    assert conn.execute("SELECT count(*) FROM ledger.wallets WHERE code = 'PLATFORM_MAIN'").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM ledger.entries").fetchone()[0] == 0


def test_the_app_reads_through_functions_and_views_only(connect):
    conn = connect("lg_app")
    assert conn.execute("SELECT ledger.wallet_balance('PLATFORM_MAIN')").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM ledger.wallet_balances").fetchone()[0] >= 2
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT * FROM ledger.entries")


def test_the_auditor_cannot_call_the_write_api(connect):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        connect("lg_auditor").execute("SELECT ledger.create_wallet('x', 'USER', 'USD')")


def test_the_api_records_the_session_user_not_the_definer(app, db):
    app.create_wallet("world", "EXTERNAL", "USD", True)
    app.create_wallet("alice", "USER", "USD")
    txn = app.post_transaction("k", "TRANSFER", [("world", "-1.00"), ("alice", "1.00")])
    assert db.execute("SELECT created_by FROM ledger.transactions WHERE id = %s", (txn,)).fetchone()[0] == "lg_app"
    assert db.execute("SELECT created_by FROM ledger.wallets WHERE code = 'alice'").fetchone()[0] == "lg_app"
