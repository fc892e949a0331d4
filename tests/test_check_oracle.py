"""The integrity checks against a plain Python reading of the same rows, under random damage.

broken_balance_chains, unbalanced_transactions and orphaned_entries prove
the healthy part of a ledger with one hashed or bitmapped pass and read
row by row only the buckets, ranges and blocks that fail it (revision 0014).
Here each of them must report exactly what the oracle below finds, entry
for entry, after each of many seeded kinds of damage, over all history and
over a window that starts in the middle of the ledger.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest

from ledgerguard.client import Ledger

from ledger_state import bypassing_triggers

WALLETS = ["alice", "bob", "carol", "dave"]
ROUNDS = 40


@pytest.fixture
def busy(app: Ledger, db: psycopg.Connection) -> psycopg.Connection:
    """A ledger of ~150 postings over four users and the 16-bucket PLATFORM_MAIN; the first half posted 'three days ago'."""
    app.conn.execute("SELECT setseed(0.42)")  # the buckets PLATFORM_MAIN's credits draw: the same ledger every run
    app.create_wallet("card", "EXTERNAL", "USD", True)
    for code in WALLETS:
        app.create_wallet(code, "USER", "USD")
        app.post_transaction(f"fund-{code}", "TRANSFER", [("card", "-10000.00"), (code, "10000.00")])
    rnd = random.Random(7)
    for n in range(150):
        payer, payee = rnd.sample(WALLETS, 2)
        app.post_transaction(f"t{n}", "TRANSFER", [(payer, "-10.00"), (payee, "9.00"), ("PLATFORM_MAIN", "1.00")])
    with bypassing_triggers(db):  # backdate the first half: created_at is not part of any chain or sum
        for table, column in (("transactions", "id"), ("entries", "transaction_id")):
            db.execute(f"UPDATE ledger.{table} SET created_at = now() - interval '3 days'"
                       f" WHERE {column} <= (SELECT max(id) / 2 FROM ledger.transactions)")
    db.commit()
    return db


def oracle(db: psycopg.Connection, check: str, window: bool) -> set[str]:
    """What a check must report, computed from the rows in Python."""
    entries = db.execute("SELECT e.id, e.transaction_id, e.wallet_id, w.code, e.bucket, e.bucket_seq, e.amount, e.balance_after,"
                         " e.currency, e.created_at >= now() - interval '24 hours' FROM ledger.entries e"
                         " JOIN ledger.wallets w ON w.id = e.wallet_id").fetchall()
    headers = {i: recent for i, recent in
               db.execute("SELECT id, created_at >= now() - interval '24 hours' FROM ledger.transactions").fetchall()}
    in_scope = [e for e in entries if e[9] or not window]
    if check == "broken_balance_chains":
        buckets: dict[tuple, list] = defaultdict(list)
        for e in entries:
            buckets[(e[2], e[4])].append(e)
        found = set()
        for key, rows in buckets.items():
            scoped = [e[5] for e in rows if e[9] or not window]
            if not scoped:
                continue
            first, last = min(scoped), max(scoped)
            chain = sorted((e for e in rows if first - 1 <= e[5] <= last), key=lambda e: (e[5], e[0]))
            for prev, e in zip([None, *chain], chain):
                broken = (e[5] != 1 or e[7] != e[6]) if prev is None else (e[5] != prev[5] + 1 or e[7] != prev[7] + e[6])
                if e[5] >= first and broken:
                    found.add(f"{e[3]} bucket {e[4]} #{e[5]}")
        return found
    if check == "unbalanced_transactions":
        sums: dict[tuple, Decimal] = defaultdict(Decimal)
        for e in in_scope:
            sums[(e[1], e[8])] += e[6]
        return {f"transaction {t}" for (t, _), total in sums.items() if total != 0}
    if check == "orphaned_entries":
        referenced = {e[1] for e in entries}
        return ({f"entry {e[0]}" for e in in_scope if e[1] not in headers}
                | {f"transaction {t}" for t, recent in headers.items() if (recent or not window) and t not in referenced})
    raise ValueError(check)


def reported(db: psycopg.Connection, check: str, window: bool) -> set[str]:
    return {s for (s,) in db.execute(f"SELECT subject FROM ledger_check.{check}(%s::interval)",
                                     ("24 hours" if window else None,))}


def damage(db: psycopg.Connection, rnd: random.Random) -> str:
    """One kind of harm the runbooks saw, written with the triggers off; returns what it did.

    Harm a remaining constraint refuses (a position already taken) is not
    damage: it is undone and another is drawn.
    """
    while True:
        try:
            with db.transaction():
                return _harm(db, rnd)
        except psycopg.errors.UniqueViolation:
            continue


def _harm(db: psycopg.Connection, rnd: random.Random) -> str:
    pick = lambda sql: db.execute(sql + " ORDER BY id").fetchall()  # noqa: E731
    entry = rnd.choice(pick("SELECT id, transaction_id, wallet_id, bucket, bucket_seq FROM ledger.entries"))
    kind = rnd.choice(["balance", "amount", "delete", "repeat", "reseq", "swap", "rewallet", "repoint", "dangling",
                       "drop_header", "bare_header", "drop_legs"])
    if kind == "balance":
        db.execute("UPDATE ledger.entries SET balance_after = balance_after + %s WHERE id = %s", (rnd.choice([1, -1, "0.01"]), entry[0]))
    elif kind == "amount":
        db.execute("UPDATE ledger.entries SET amount = amount + 1 WHERE id = %s", (entry[0],))
    elif kind == "delete":
        db.execute("DELETE FROM ledger.entries WHERE id = %s", (entry[0],))
    elif kind == "repeat":  # the same position twice: possible only with the unique constraint gone
        db.execute("ALTER TABLE ledger.entries DROP CONSTRAINT IF EXISTS entries_one_position_per_bucket")
        db.execute("""INSERT INTO ledger.entries (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after, created_at)
                      SELECT transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after, created_at
                        FROM ledger.entries WHERE id = %s""", (entry[0],))
    elif kind == "reseq":
        db.execute("UPDATE ledger.entries SET bucket_seq = bucket_seq + 1000 WHERE id = %s", (entry[0],))
    elif kind == "swap":  # two neighbours trade balances: the multiset of balances is unchanged
        db.execute("""UPDATE ledger.entries e SET balance_after = o.balance_after
                        FROM ledger.entries o, ledger.entries a
                       WHERE a.id = %s AND o.wallet_id = a.wallet_id AND o.bucket = a.bucket
                         AND e.wallet_id = a.wallet_id AND e.bucket = a.bucket
                         AND ((e.bucket_seq = a.bucket_seq AND o.bucket_seq = a.bucket_seq + 1)
                           OR (e.bucket_seq = a.bucket_seq + 1 AND o.bucket_seq = a.bucket_seq))""", (entry[0],))
    elif kind == "rewallet":
        db.execute("UPDATE ledger.entries SET wallet_id = (SELECT id FROM ledger.wallets WHERE code = 'card') WHERE id = %s", (entry[0],))
    elif kind == "repoint":  # a leg moved to the neighbouring transaction: a plain sum per range would cancel out
        db.execute("UPDATE ledger.entries SET transaction_id = transaction_id + 1 WHERE id = %s", (entry[0],))
    elif kind == "dangling":
        db.execute("UPDATE ledger.entries SET transaction_id = 987654321 WHERE id = %s", (entry[0],))
    elif kind == "drop_header":
        db.execute("DELETE FROM ledger.transactions WHERE id = %s", (entry[1],))
    elif kind == "bare_header":
        db.execute("INSERT INTO ledger.transactions (kind, created_at) VALUES ('TRANSFER', now() - %s * interval '1 day')", (rnd.choice([0, 3]),))
    elif kind == "drop_legs":
        db.execute("DELETE FROM ledger.entries WHERE transaction_id = %s", (entry[1],))
    return f"{kind} at entry {entry[0]}"


def test_each_check_reports_exactly_what_the_rows_say_after_random_damage(busy):
    db = busy
    rnd = random.Random(20261121)
    checks = ("broken_balance_chains", "unbalanced_transactions", "orphaned_entries")
    seen = defaultdict(int)
    for _ in range(ROUNDS):
        with db.transaction(), bypassing_triggers(db):
            harm = [damage(db, rnd) for _ in range(rnd.choice([1, 1, 2, 3]))]
            for check in checks:
                for window in (False, True):
                    expected = oracle(db, check, window)
                    assert reported(db, check, window) == expected, (check, "24 hours" if window else "all history", harm)
                    seen[check, window] += bool(expected)
            raise psycopg.Rollback()
    assert all(seen[check, window] >= 5 for check in checks for window in (False, True)), dict(seen)
    for check in checks:  # and the undamaged ledger is quiet again
        assert reported(db, check, False) == reported(db, check, True) == set()


def test_a_posting_that_began_before_the_window_and_committed_inside_it_is_no_broken_chain(app, connect, db):
    """Positions follow the bucket lock, created_at the start of the transaction: a posting that began first
    can take a later position. A window starting between the two must read the chain across it, not call it broken."""
    app.create_wallet("card", "EXTERNAL", "USD", True)
    app.create_wallet("alice", "USER", "USD")
    app.post_transaction("fund", "TRANSFER", [("card", "-100.00"), ("alice", "100.00")])
    early = connect("lg_app", autocommit=False)
    early.execute("SELECT now()")  # its transaction, and its created_at, start here
    time.sleep(1.0)
    app.post_transaction("late-start", "TRANSFER", [("card", "-1.00"), ("alice", "1.00")])
    Ledger(early).post_transaction("early-start", "TRANSFER", [("card", "-2.00"), ("alice", "2.00")])
    early.commit()
    app.post_transaction("after", "TRANSFER", [("card", "-3.00"), ("alice", "3.00")])
    rows = db.execute("""SELECT e.bucket_seq, e.created_at FROM ledger.entries e JOIN ledger.wallets w ON w.id = e.wallet_id
                          WHERE w.code = 'alice' ORDER BY e.bucket_seq""").fetchall()
    assert rows[2][1] < rows[1][1], "the early posting holds the later position"
    since = db.execute("SELECT now() - %s::timestamptz", (rows[2][1] + (rows[1][1] - rows[2][1]) / 2,)).fetchone()[0]
    assert since < timedelta(hours=1)
    window = db.execute("SELECT e.bucket_seq FROM ledger.entries e JOIN ledger.wallets w ON w.id = e.wallet_id"
                        " WHERE w.code = 'alice' AND e.created_at >= now() - %s ORDER BY 1", (since,)).fetchall()
    assert [s for (s,) in window] == [2, 4], "the window holds positions 2 and 4, not 3"
    assert db.execute("SELECT * FROM ledger_check.broken_balance_chains(%s)", (since,)).fetchall() == []
