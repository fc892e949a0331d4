"""ledger_private.post_one_transaction: the posting engine of every API, the entry trigger's rules applied once per leg.

The API tests show what callers see; these show what the engine guarantees
on its own (called as its owner, the way every API calls it) and what a
posting writes.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from ledger_state import violations
from ledgerguard.client import Ledger


@pytest.fixture
def wallets(app: Ledger, db: psycopg.Connection) -> dict[str, int]:
    app.create_wallet("world", "EXTERNAL", "USD", True)
    app.create_wallet("alice", "USER", "USD")
    app.create_wallet("bob", "USER", "USD")
    app.create_wallet("yen", "USER", "JPY")
    app.post_transaction("fund", "TRANSFER", [("world", "-100.00"), ("alice", "100.00")])
    return dict(db.execute("SELECT code, id FROM ledger.wallets").fetchall())


def post(owner: psycopg.Connection, wallet_ids: list[int], amounts: list[str]) -> int:
    return owner.execute("SELECT ledger_private.post(nextval('ledger.transactions_id_seq'), 'TRANSFER', NULL, NULL, %s, %s::numeric[])",
                         [wallet_ids, amounts]).fetchone()[0]


def counts(db: psycopg.Connection) -> tuple[int, int]:
    return db.execute("SELECT (SELECT count(*) FROM ledger.transactions), (SELECT count(*) FROM ledger.entries)").fetchone()


@pytest.mark.parametrize("legs,sqlstate", [
    ([("alice", "-1.00"), ("bob", "2.00")], "LG011"),          # does not sum to zero
    ([("alice", "-1.00"), ("yen", "1")], "LG011"),             # sums to zero only across currencies
    ([("alice", "-1.001"), ("bob", "1.001")], "LG003"),        # more decimals than USD has
    ([("alice", "-1000.00"), ("bob", "1000.00")], "LG010"),    # alice holds 100.00
    ([("alice", "-1.00"), (None, "1.00")], "LG006"),           # a wallet id that does not exist
], ids=["unbalanced", "across-currencies", "scale", "overdraft", "unknown-wallet"])
def test_the_engine_refuses_what_the_entry_trigger_refuses_and_writes_nothing(legs, sqlstate, wallets, owner, db):
    before = counts(db)
    with pytest.raises(psycopg.Error) as refused:
        post(owner, [wallets[code] if code else 999_999 for code, _ in legs], [amount for _, amount in legs])
    assert refused.value.sqlstate == sqlstate
    assert counts(db) == before
    assert violations(db) == []


def test_the_engine_merges_the_legs_of_one_wallet_and_drops_zero_legs(wallets, owner, db):
    txn = post(owner, [wallets["bob"], wallets["alice"], wallets["bob"], wallets["world"]], ["0.40", "-1.00", "0.60", "0"])
    rows = db.execute("SELECT w.code, e.amount FROM ledger.entries AS e JOIN ledger.wallets AS w ON w.id = e.wallet_id"
                      " WHERE e.transaction_id = %s ORDER BY e.wallet_id", [txn]).fetchall()
    assert rows == [("alice", Decimal("-1.00")), ("bob", Decimal("1.00"))]
    lone_zero = post(owner, [wallets["bob"]], ["0"])  # a single leg is checked for zero too
    assert db.execute("SELECT count(*) FROM ledger.entries WHERE transaction_id = %s", [lone_zero]).fetchone()[0] == 0
    assert violations(db) == []


def test_a_posting_writes_no_row_lock_and_moves_each_bucket_in_place(app, wallets, db):
    """What a 3-leg posting writes to the WAL: a BEFORE row trigger on wallet_buckets would lock every
    bucket before moving it (one more record each), and a non-partial index on reverses_transaction_id
    would take an entry from every posting."""
    db.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
    app.conn.execute("BEGIN")
    xid = app.conn.execute("SELECT pg_current_xact_id()::text").fetchone()[0]
    start = db.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
    app.post_transaction("walk", "TRANSFER", [("alice", "-1.10"), ("bob", "1.00"), ("PLATFORM_MAIN", "0.10")])
    app.conn.execute("COMMIT")  # synchronous_commit is on: every record of the posting is flushed now
    # Read up to the flush position: the insert position may run ahead of it (autovacuum, other sessions),
    # and pg_walinspect refuses an end it cannot read yet ("cannot accept future end LSN").
    records = db.execute("""
        SELECT r.resource_manager, r.record_type, c.relname
          FROM pg_get_wal_records_info(%s, pg_current_wal_flush_lsn()) AS r
          LEFT JOIN pg_class AS c ON c.relfilenode = substring(r.block_ref FROM 'rel \\d+/\\d+/(\\d+)')::oid
         WHERE r.xid::text = %s""", [start, xid]).fetchall()
    assert records, "the posting's WAL records were not found"
    assert [r for r in records if r[1] == "LOCK"] == []
    assert sorted(r[2] for r in records if r[1] in ("HOT_UPDATE", "UPDATE")) == ["wallet_buckets"] * 3
    assert [r for r in records if r[1] == "UPDATE"] == []  # HOT: no index entry for a moved balance
    indexed = {r[2] for r in records if r[0] == "Btree"}
    assert "transactions_one_reversal_per_transaction" not in indexed
    assert {"entries_one_position_per_bucket", "transactions_pkey", "idempotency_keys_pkey"} <= indexed
