"""Invariants under real parallel connections (PRODUCT invariants 1, 3, 5, 6, 11)."""

from __future__ import annotations

import random
import threading
from decimal import Decimal

import psycopg
import pytest
from psycopg.types.json import Jsonb

from conftest import run_parallel
from ledger_state import violations
from ledgerguard.client import Ledger
from ledgerguard.errors import InsufficientFunds, UnknownWallet, WalletFrozen

WORKERS = 8


def _fund(app: Ledger, code: str, amount: str, kind: str = "USER") -> None:
    app.create_wallet("world", "EXTERNAL", "USD", True)
    app.create_wallet(code, kind, "USD")
    app.post_transaction(f"fund-{code}", "TRANSFER", [("world", f"-{amount}"), (code, amount)])


@pytest.mark.parametrize("wallet_kind", ["USER", "PLATFORM"], ids=["one-bucket", "hot-wallet-16-buckets"])
def test_a_wallet_that_may_not_go_negative_never_does(wallet_kind, app, connect, db):
    """8 connections debit 30.00 from a 100.00 wallet at once: exactly 3 win."""
    _fund(app, "payer", "100.00", wallet_kind)
    app.create_wallet("shop", "MERCHANT", "USD")

    def debit(i: int, barrier: threading.Barrier) -> str:
        ledger = Ledger(connect("lg_app"))
        barrier.wait()
        try:
            ledger.post_transaction(f"debit-{i}", "TRANSFER", [("payer", "-30.00"), ("shop", "30.00")])
            return "posted"
        except InsufficientFunds:
            return "refused"

    outcomes = run_parallel(WORKERS, debit)
    assert outcomes.count("posted") == 3 and outcomes.count("refused") == 5
    assert app.wallet_balance("payer") == Decimal("10.00")
    assert violations(db) == []


def test_concurrent_calls_with_one_idempotency_key_write_one_transaction(app, connect, db):
    _fund(app, "alice", "50.00")
    app.create_wallet("bob", "USER", "USD")

    def post(_i: int, barrier: threading.Barrier) -> int:
        ledger = Ledger(connect("lg_app"))
        barrier.wait()
        return ledger.post_transaction("same-key", "TRANSFER", [("alice", "-5.00"), ("bob", "5.00")])

    ids = run_parallel(WORKERS, post)
    assert len(set(ids)) == 1
    assert db.execute("SELECT count(*) FROM ledger.transactions WHERE idempotency_key = 'same-key'").fetchone()[0] == 1
    assert app.wallet_balance("bob") == Decimal("5.00")
    assert violations(db) == []


def test_a_thousand_crossing_transfers_end_without_deadlock_and_conserve_money(app, connect, db):
    """A->B and B->A postings from 8 connections: legs lock in wallet order."""
    _fund(app, "a", "10000.00")
    _fund(app, "b", "10000.00")
    per_worker = 1000 // WORKERS

    def transfer(i: int, barrier: threading.Barrier) -> int:
        ledger = Ledger(connect("lg_app"))
        rng = random.Random(i)
        barrier.wait()
        for n in range(per_worker):
            source, target = ("a", "b") if (i + n) % 2 == 0 else ("b", "a")
            amount = f"{rng.randint(1, 500)}.{rng.randint(0, 99):02d}"
            ledger.post_transaction(f"x-{i}-{n}", "TRANSFER", [(source, f"-{amount}"), (target, amount)])
        return per_worker

    assert sum(run_parallel(WORKERS, transfer)) == 1000
    assert app.wallet_balance("a") + app.wallet_balance("b") == Decimal("20000.00")
    assert db.execute("SELECT count(*) FROM ledger.transactions WHERE idempotency_key LIKE 'x-%'").fetchone()[0] == 1000
    assert violations(db) == []


def test_transactions_of_several_postings_to_hot_wallets_never_deadlock(app, connect, db):
    """4 connections × 40 database transactions of 4 postings each, all between the same two multi-bucket wallets:
    each transaction moves one bucket per wallet (ledger_private.transaction_bucket), so its locks never come in two
    orders. With a random bucket per posting this met 54 deadlocks."""
    app.create_wallet("world", "EXTERNAL", "USD", True)  # 16 buckets, may go negative
    app.create_wallet("hot", "PLATFORM", "USD")  # 16 buckets

    def work(i: int, barrier: threading.Barrier) -> int:
        conn = connect("lg_app", autocommit=False)
        barrier.wait()
        deadlocks = 0
        for n in range(40):
            try:
                for k in range(4):
                    conn.execute("SELECT ledger.post_transaction(%s, 'TRANSFER', %s)",
                                 [f"multi-{i}-{n}-{k}", Jsonb([{"wallet": "world", "amount": "-1.00"},
                                                             {"wallet": "hot", "amount": "1.00"}])])
                conn.commit()
            except psycopg.errors.DeadlockDetected:
                conn.rollback()
                deadlocks += 1
        return deadlocks

    assert run_parallel(4, work) == [0, 0, 0, 0]
    assert app.wallet_balance("hot") == Decimal("640.00")
    buckets = db.execute("""SELECT count(DISTINCT e.bucket), count(DISTINCT (e.bucket, t.created_xid))
                              FROM ledger.entries AS e JOIN ledger.transactions AS t ON t.id = e.transaction_id
                              JOIN ledger.wallets AS w ON w.id = e.wallet_id
                             WHERE w.code = 'hot'""").fetchone()
    assert buckets[0] == 16, "consecutive transactions spread over the hot wallet's buckets"
    assert buckets[1] == 160, "and each database transaction kept to one of them"
    assert violations(db) == []


def test_a_posting_waiting_on_a_freeze_sees_it(app, connect, owner):
    """READ COMMITTED: the posting blocks on the freeze's bucket lock, then is refused."""
    _fund(app, "vendor", "10.00", "VENDOR")
    owner.execute("BEGIN")
    owner.execute("UPDATE ledger.wallets SET status = 'FROZEN', freeze_mode = 'FULL' WHERE code = 'vendor'")
    outcome: list[object] = []

    def post() -> None:
        try:
            Ledger(connect("lg_app")).post_transaction("late", "TRANSFER", [("world", "-1.00"), ("vendor", "1.00")])
            outcome.append("posted")
        except WalletFrozen:
            outcome.append("frozen")

    thread = threading.Thread(target=post)
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive(), "the posting should wait for the freeze to commit"
    owner.execute("COMMIT")
    thread.join(timeout=30)
    assert outcome == ["frozen"]


def test_a_repeatable_read_posting_that_raced_a_freeze_fails_to_serialize(app, connect, owner):
    """The snapshot predates the freeze: the bucket row changed under it, so 40001."""
    _fund(app, "vendor", "10.00", "VENDOR")
    conn = connect("lg_app", autocommit=False)
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.execute("SELECT 1")  # the snapshot is taken here
    owner.execute("UPDATE ledger.wallets SET status = 'FROZEN', freeze_mode = 'FULL' WHERE code = 'vendor'")
    with pytest.raises(psycopg.errors.SerializationFailure):
        Ledger(conn).post_transaction("rr", "TRANSFER", [("world", "-1.00"), ("vendor", "1.00")])
    conn.rollback()


def test_credits_land_in_any_bucket_of_a_hot_wallet_after_debits_took_one_below_zero(app, db):
    """Debits of a multi-bucket wallet use bucket 0, which may go below zero while
    the total does not; a later credit landing there is still a credit."""
    app.create_wallet("world", "EXTERNAL", "USD", True)
    app.create_wallet("hot", "PLATFORM", "USD")  # 16 buckets, may not go negative
    for n in range(40):
        app.post_transaction(f"in-{n}", "TRANSFER", [("world", "-10.00"), ("hot", "10.00")])
    app.post_transaction("out", "TRANSFER", [("hot", "-350.00"), ("world", "350.00")])
    assert db.execute("SELECT min(balance) FROM ledger.wallet_buckets b JOIN ledger.wallets w ON w.id = b.wallet_id"
                      " WHERE w.code = 'hot'").fetchone()[0] < 0
    for n in range(40):
        app.post_transaction(f"again-{n}", "TRANSFER", [("world", "-1.00"), ("hot", "1.00")])
    assert app.wallet_balance("hot") == Decimal("90.00")
    assert violations(db) == []


def test_repeatable_read_clients_retry_only_40001_with_the_same_key_and_each_request_takes_effect_once(app, connect, db):
    """8 REPEATABLE READ clients post to the same two wallets: the bucket rows they share give 40001,
    the client runs the same call again (same key), and every request is posted exactly once."""
    _fund(app, "alice", "1000.00")
    app.create_wallet("bob", "USER", "USD")

    def work(i: int, barrier: threading.Barrier) -> tuple[int, list[int]]:
        conn = connect("lg_app")
        conn.execute("SET default_transaction_isolation = 'repeatable read'")
        ledger = Ledger(conn, retries=50)
        barrier.wait()
        ids = [ledger.post_transaction(f"rr-{i}-{n}", "TRANSFER", [("alice", "-1.00"), ("bob", "1.00")]) for n in range(30)]
        assert ledger.post_transaction(f"rr-{i}-0", "TRANSFER", [("alice", "-1.00"), ("bob", "1.00")]) == ids[0]
        return ledger.retried, ids

    results = run_parallel(8, work)
    ids = [i for _, batch in results for i in batch]
    assert sum(retried for retried, _ in results) > 0, "the race should have produced serialization failures"
    assert len(ids) == len(set(ids)) == 240
    assert db.execute("SELECT count(*) FROM ledger.transactions WHERE idempotency_key LIKE 'rr-%'").fetchone()[0] == 240
    assert app.wallet_balance("bob") == Decimal("240.00")
    assert violations(db) == []


def test_an_error_other_than_40001_or_40p01_is_never_retried(app, connect):
    ledger = Ledger(connect("lg_app"), retries=5)
    with pytest.raises(UnknownWallet):
        ledger.post_transaction("x", "TRANSFER", [("nobody", "-1.00"), ("nobody2", "1.00")])
    assert ledger.retried == 0


@pytest.mark.parametrize("path", ["single posting", "batch"])
def test_an_open_debit_of_a_hot_wallet_holds_one_bucket_and_credits_to_the_others_never_wait(path, app, connect, db):
    """Issue 17, item 5: an application transaction that debits PLATFORM_MAIN (16 buckets, may not go negative)
    locked all 16 buckets until it committed, and every capture crediting a fee waited behind it. A debit now
    holds bucket 0 alone: the other buckets only ever take credits, so what it reads of them unlocked can only
    grow. While the debit stays open, 15 buckets are free and credits from other transactions land."""
    app.create_wallet("world", "EXTERNAL", "USD", True)
    app.create_wallet("alice", "USER", "USD")
    for n in range(16):  # money in several buckets, none of it in bucket 0 alone
        app.post_transaction(f"fee-{n}", "TRANSFER", [("world", "-10.00"), ("PLATFORM_MAIN", "10.00")])
    debit = connect("lg_app", autocommit=False)
    if path == "single posting":
        Ledger(debit).post_transaction("payout", "TRANSFER", [("PLATFORM_MAIN", "-150.00"), ("alice", "150.00")])
    else:  # two items debiting PLATFORM_MAIN: the batch's row-by-row path
        items = [{"idempotency_key": f"out-{n}", "kind": "TRANSFER", "reference": None,
                  "legs": [{"wallet": "PLATFORM_MAIN", "amount": "-75.00"}, {"wallet": "alice", "amount": "75.00"}]}
                 for n in range(2)]
        debit.execute("SELECT ledger.post_transactions(%s)", (Jsonb(items),))
    free = db.execute("SELECT count(*) FROM (SELECT FROM ledger.wallet_buckets AS b JOIN ledger.wallets AS w"
                      " ON w.id = b.wallet_id WHERE w.code = 'PLATFORM_MAIN' FOR UPDATE OF b SKIP LOCKED) AS s").fetchone()[0]
    db.rollback()
    assert free == 15

    credits = connect("lg_app2")
    credits.execute("SET lock_timeout = '1s'")
    landed, waited = 0, 0
    for n in range(16):  # each its own transaction, so each takes the next bucket
        try:
            Ledger(credits).post_transaction(f"capture-fee-{n}", "TRANSFER", [("world", "-1.00"), ("PLATFORM_MAIN", "1.00")])
            landed += 1
        except psycopg.errors.LockNotAvailable:
            waited += 1  # its bucket was bucket 0
    assert landed >= 12 and landed + waited == 16, (landed, waited)
    debit.commit()
    assert app.wallet_balance("PLATFORM_MAIN") == Decimal("10.00") + landed
    assert violations(db) == []


def test_a_debit_of_a_hot_wallet_beyond_its_whole_balance_is_refused_while_credits_are_open(app, connect, db):
    """The unlocked read of the other buckets misses a credit still open in another transaction: the debit is
    judged on what has committed, never on money that may yet roll back."""
    app.create_wallet("world", "EXTERNAL", "USD", True)
    app.create_wallet("alice", "USER", "USD")
    app.post_transaction("fee", "TRANSFER", [("world", "-10.00"), ("PLATFORM_MAIN", "10.00")])
    hot = db.execute("SELECT id FROM ledger.wallets WHERE code = 'PLATFORM_MAIN'").fetchone()[0]
    pending = connect("lg_app2", autocommit=False)
    while (int(pending.execute("SELECT pg_current_xact_id()::text").fetchone()[0]) + hot) % 16 == 0:
        pending.rollback()  # its credit would take bucket 0, and the debit would wait for it instead
    Ledger(pending).post_transaction("open-fee", "TRANSFER", [("world", "-90.00"), ("PLATFORM_MAIN", "90.00")])
    with pytest.raises(InsufficientFunds):
        app.post_transaction("too-much", "TRANSFER", [("PLATFORM_MAIN", "-50.00"), ("alice", "50.00")])
    pending.rollback()
    app.post_transaction("enough", "TRANSFER", [("PLATFORM_MAIN", "-10.00"), ("alice", "10.00")])
    assert app.wallet_balance("PLATFORM_MAIN") == 0
    assert violations(db) == []
