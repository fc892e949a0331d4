"""Payouts exactly once per order, under real races (duplicate-payout runbook, desync postmortem)."""

from __future__ import annotations

import itertools
import threading
from datetime import date, timedelta
from decimal import Decimal

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_parallel
from ledger_state import violations
from ledgerguard.client import Ledger

ROUNDS = 200
RETRYABLE = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)


def retrying(conn: psycopg.Connection, work):
    """Run work(conn) in a transaction; retry 40001 / 40P01 as a client must."""
    while True:
        try:
            with conn.transaction():
                return work(conn)
        except RETRYABLE:
            continue


@pytest.fixture
def vendors(app: Ledger) -> Ledger:
    app.create_wallet("card", "EXTERNAL", "USD", True)
    for n in (1, 2):
        app.create_wallet(f"vendor:{n}", "VENDOR", "USD")
        app.post_transaction(f"fund-{n}", "TRANSFER", [("card", "-100000.00"), (f"vendor:{n}", "100000.00")])
    return app


def live_payouts(db: psycopg.Connection, order: str) -> int:
    return db.execute("SELECT count(*) FROM ledger.payouts WHERE order_ref = %s AND status NOT IN ('FAILED', 'CANCELLED')",
                      (order,)).fetchone()[0]


@pytest.mark.parametrize("isolation", [psycopg.IsolationLevel.READ_COMMITTED, psycopg.IsolationLevel.REPEATABLE_READ,
                                       psycopg.IsolationLevel.SERIALIZABLE],
                         ids=["read-committed", "repeatable-read", "serializable"])
def test_the_settlement_batch_racing_a_manual_payout_never_pays_an_order_twice(isolation, vendors, owner, connect, db):
    """The runbook's race, 200 rounds: the nightly batch and on-call pay the same order at once."""
    day0 = date(2020, 1, 1)
    for n in range(ROUNDS):
        payment = vendors.create_payment(f"p{n}", f"order:{n}", "card", "vendor:1", "10.00", "USD", "1.00", "PREPAID")
        vendors.capture_payment(payment)
        # one captured order per run date, so each round's batch pays exactly that order
        owner.execute("UPDATE ledger.payments SET captured_at = %s WHERE id = %s", (day0 + timedelta(days=n), payment))

    def worker(i: int, barrier: threading.Barrier) -> int:
        conn = connect("lg_app")
        conn.isolation_level = isolation
        for n in range(ROUNDS):
            barrier.wait()
            if i == 0:
                retrying(conn, lambda c: c.execute("SELECT ledger.run_settlement_batch(%s)", (day0 + timedelta(days=n),)))
            else:
                retrying(conn, lambda c: c.execute("SELECT * FROM ledger.payout_once(%s, 'vendor:1', 9.00)", (f"order:{n}",)))
        return ROUNDS

    run_parallel(2, worker)
    doubled = db.execute("""SELECT order_ref FROM ledger.payouts WHERE status NOT IN ('FAILED', 'CANCELLED')
                             GROUP BY order_ref HAVING count(*) > 1""").fetchall()
    assert doubled == []
    assert db.execute("SELECT count(DISTINCT order_ref) FROM ledger.payouts").fetchone()[0] == ROUNDS
    assert vendors.wallet_balance("PAYOUTS_IN_TRANSIT") == Decimal("9.00") * ROUNDS
    assert violations(db) == []


def _colliding_orders(db: psycopg.Connection) -> tuple[str, str]:
    """Two order refs whose 32-bit hashtext() collide."""
    return tuple(db.execute(
        """SELECT (array_agg('order:' || i ORDER BY i))[1:2] FROM generate_series(1, 300000) AS i
            GROUP BY hashtext('order:' || i) HAVING count(*) > 1 LIMIT 1""").fetchone()[0])


def test_orders_whose_refs_collide_under_a_32_bit_hash_neither_wait_nor_skip(vendors, connect, db):
    first, second = _colliding_orders(db)
    assert db.execute("SELECT hashtext(%s) = hashtext(%s)", (first, second)).fetchone()[0]
    # Hold exactly what payout_once holds for the first order: its advisory
    # lock (namespace 0x4C470001, the order's dense key), nothing else.
    db.execute("INSERT INTO ledger.payout_orders (order_ref) VALUES (%s)", (first,))
    db.commit()
    key = db.execute("SELECT lock_key FROM ledger.payout_orders WHERE order_ref = %s", (first,)).fetchone()[0]
    holder = connect(None, autocommit=False)
    holder.execute("SELECT pg_advisory_xact_lock(1279721473, %s)", (key,))
    holder.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (first,))  # what a 32-bit-hash scheme would hold
    other = connect("lg_app", autocommit=False)
    other.execute("SET LOCAL lock_timeout = '2s'")
    payout_id, created, _ = other.execute("SELECT * FROM ledger.payout_once(%s, 'vendor:2', 5.00)", (second,)).fetchone()
    assert created, "the second order is paid, not skipped, while the first order's lock is held"
    other.commit()
    holder.rollback()
    assert live_payouts(db, second) == 1


def test_a_held_payout_lock_with_lock_timeout_fails_fast_and_writes_nothing(vendors, connect, db):
    failed = vendors.rows("ledger.payout_once", "order:L", "vendor:1", Decimal("5.00"))[0][0]
    vendors.call("ledger.fail_payout", failed, "bank rejected")  # the order's lock key exists now
    holder = connect("lg_app", autocommit=False)
    holder.execute("SELECT * FROM ledger.payout_once('order:L', 'vendor:1', 5.00, 'RETRY')")
    waiter = connect("lg_app", autocommit=False)
    waiter.execute("SET LOCAL lock_timeout = '200ms'")
    before = db.execute("SELECT count(*) FROM ledger.entries").fetchone()[0]
    with pytest.raises(psycopg.errors.LockNotAvailable):
        waiter.execute("SELECT * FROM ledger.payout_once('order:L', 'vendor:1', 5.00, 'MANUAL')")
    waiter.rollback()
    holder.commit()
    assert live_payouts(db, "order:L") == 1
    assert db.execute("SELECT count(*) FROM ledger.entries").fetchone()[0] == before + 2  # the holder's two legs only


def test_eight_callers_storming_one_order_get_one_payout(vendors, connect, db):
    def pay(i: int, barrier: threading.Barrier) -> tuple:
        conn = connect("lg_app")
        barrier.wait()
        return conn.execute("SELECT * FROM ledger.payout_once('order:S', 'vendor:1', 7.00)").fetchone()

    results = run_parallel(8, pay)
    assert len({payout_id for payout_id, _, _ in results}) == 1
    assert sum(created for _, created, _ in results) == 1
    assert vendors.wallet_balance("PAYOUTS_IN_TRANSIT") == Decimal("7.00")


def _event(payout_id: int, source_event_id: str, seq: int, state: str, amount: str, ref: str | None = "prov-1") -> tuple:
    return ("acme", "vendor:1", source_event_id, seq, payout_id, ref, state, Decimal(amount), "USD")


def test_a_callback_storm_of_fifty_copies_is_one_event_one_change_one_posting(vendors, connect, db):
    payout_id = vendors.rows("ledger.payout_once", "order:T", "vendor:1", Decimal("20.00"))[0][0]
    event = _event(payout_id, "ev-storm", 1, "succeeded", "20.00")

    def deliver(_i: int, barrier: threading.Barrier) -> str:
        conn = connect("lg_app")
        barrier.wait()
        return conn.execute("SELECT ledger.record_provider_event(%s, %s, %s, %s, %s, %s, %s, %s, %s)", event).fetchone()[0]

    outcomes = run_parallel(50, deliver)
    assert outcomes.count("APPLIED") == 1 and outcomes.count("DUPLICATE") == 49
    assert db.execute("SELECT count(*) FROM ledger.provider_events").fetchone()[0] == 1
    assert db.execute("SELECT status FROM ledger.payouts WHERE id = %s", (payout_id,)).fetchone()[0] == "COMPLETED"
    assert db.execute("SELECT count(*) FROM ledger.transactions WHERE payout_id = %s AND kind = 'PAYOUT_COMPLETION'",
                      (payout_id,)).fetchone()[0] == 1


# A provider's life of one payout, by sequence: created, submitted, succeeded
# (maybe at a corrected amount), maybe failed afterwards (returned).
LIVES = st.builds(
    lambda corrected, returned: [(1, "created", "20.00"), (2, "submitted", "20.00"),
                                 (3, "succeeded", "19.50" if corrected else "20.00")]
    + ([(4, "failed", "0")] if returned else []),
    st.booleans(), st.booleans())
ORDER_NUMBERS = itertools.count()
STATUS = {"created": "PENDING", "submitted": "SUBMITTED", "succeeded": "COMPLETED", "failed": "FAILED"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(life=LIVES, data=st.data())
def test_out_of_order_duplicated_callbacks_end_in_the_state_of_the_highest_sequence(life, data, vendors, db):
    order = f"order:H{next(ORDER_NUMBERS)}"  # fresh per example (drawn values repeat across examples)
    payout_id = vendors.rows("ledger.payout_once", order, "vendor:1", Decimal("20.00"))[0][0]
    events = [_event(payout_id, f"{order}-ev{seq}", seq, state, amount, ref=data.draw(st.sampled_from(["prov-" + order, None])))
              for seq, state, amount in life]
    stream = data.draw(st.lists(st.sampled_from(events), min_size=len(events), max_size=3 * len(events)))
    stream = data.draw(st.permutations(stream + events))  # every event at least once, some many times, any order
    for event in stream:
        vendors.call("ledger.record_provider_event", *event)
    highest_seq, highest_state, _ = life[-1]
    db.rollback()
    status, state, seq, stored = db.execute(
        "SELECT status, provider_state, provider_event_seq, (SELECT count(*) FROM ledger.provider_events e WHERE e.payout_id = p.id)"
        " FROM ledger.payouts p WHERE id = %s", (payout_id,)).fetchone()
    assert (state, seq) == (highest_state, highest_seq)
    assert status == STATUS[highest_state]
    assert stored == len(life), "each distinct event is stored once"
    db.rollback()
    assert violations(db) == []
