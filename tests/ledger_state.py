"""Whole-ledger consistency, computed from the tables (superuser view).

Used after every concurrency test: whatever the interleaving, these must
hold. Each function returns the list of violations (empty when healthy).
bypassing_triggers writes damage the way incidents did, for the checks to find.
"""

from __future__ import annotations

from contextlib import contextmanager

import psycopg


@contextmanager
def bypassing_triggers(db: psycopg.Connection):
    """Write as a superuser with every trigger off, the way the runbooks' incidents got in."""
    db.execute("SET session_replication_role = replica")
    try:
        yield db
    finally:
        db.execute("RESET session_replication_role")


def violations(conn: psycopg.Connection) -> list[str]:
    found = [f"{currency} sums to {total}" for currency, total in conn.execute(
        """SELECT currency, sum(amount) FROM ledger.entries GROUP BY 1 HAVING sum(amount) <> 0""")]
    for txn, currency, total in conn.execute(
        """SELECT transaction_id, currency, sum(amount) FROM ledger.entries
            GROUP BY 1, 2 HAVING sum(amount) <> 0"""):
        found.append(f"transaction {txn} sums to {total} {currency}")
    for code, stored, entries in conn.execute(
        """SELECT w.code, b.stored, coalesce(e.total, 0)
             FROM ledger.wallets w
             JOIN (SELECT wallet_id, sum(balance) AS stored FROM ledger.wallet_buckets GROUP BY 1) b ON b.wallet_id = w.id
             LEFT JOIN (SELECT wallet_id, sum(amount) AS total FROM ledger.entries GROUP BY 1) e ON e.wallet_id = w.id
            WHERE b.stored <> coalesce(e.total, 0)"""):
        found.append(f"wallet {code}: stored {stored} <> entries {entries}")
    for entry_id, code in conn.execute(
        """SELECT e.id, w.code FROM (
               SELECT id, wallet_id, bucket_seq, balance_after, amount,
                      lag(balance_after, 1, 0::numeric) OVER w AS previous,
                      row_number() OVER w AS position
                 FROM ledger.entries WINDOW w AS (PARTITION BY wallet_id, bucket ORDER BY bucket_seq)) e
             JOIN ledger.wallets w ON w.id = e.wallet_id
            WHERE e.balance_after <> e.previous + e.amount OR e.bucket_seq <> e.position"""):
        found.append(f"entry {entry_id} of wallet {code} breaks its balance-after chain")
    for (txn,) in conn.execute(
        """SELECT DISTINCT e.transaction_id FROM ledger.entries e
            WHERE NOT EXISTS (SELECT FROM ledger.transactions t WHERE t.id = e.transaction_id)"""):
        found.append(f"entries of transaction {txn}, which has no header")
    for code, balance in conn.execute(
        """SELECT w.code, sum(b.balance) FROM ledger.wallets w JOIN ledger.wallet_buckets b ON b.wallet_id = w.id
            WHERE NOT w.allow_negative GROUP BY w.code HAVING sum(b.balance) < 0"""):
        found.append(f"wallet {code} may not go negative but holds {balance}")
    return found


def advisory_locks(conn: psycopg.Connection, pid: int | None = None) -> int:
    """Advisory locks held or awaited in this database (by one backend when pid is given)."""
    return conn.execute(
        """SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND (%(pid)s::int IS NULL OR pid = %(pid)s::int)""", {"pid": pid}).fetchone()[0]
