"""Payouts exactly once per order, under real races (duplicate-payout runbook, desync postmortem)."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_parallel
from ledger_state import bypassing_triggers, violations
from ledgerguard import errors
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
    # lock (the order's keyed key), nothing else.
    db.execute("INSERT INTO ledger.payout_orders (order_ref) VALUES (%s)", (first,))
    db.commit()
    holder = connect(None, autocommit=False)
    holder.execute("SELECT pg_advisory_xact_lock(ledger_private.payout_lock_key(lock_key)) FROM ledger.payout_orders"
                   " WHERE order_ref = %s", (first,))
    holder.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (first,))  # what a 32-bit-hash scheme would hold
    other = connect("lg_app", autocommit=False)
    other.execute("SET LOCAL lock_timeout = '2s'")
    payout_id, created, _ = other.execute("SELECT * FROM ledger.payout_once(%s, 'vendor:2', 5.00)", (second,)).fetchone()
    assert created, "the second order is paid, not skipped, while the first order's lock is held"
    other.commit()
    holder.rollback()
    assert live_payouts(db, second) == 1


def test_a_held_payout_lock_with_lock_timeout_fails_fast_with_lg206_and_writes_nothing(vendors, connect, db):
    failed = vendors.rows("ledger.payout_once", "order:L", "vendor:1", Decimal("5.00"))[0][0]
    vendors.call("ledger.fail_payout", failed, "bank rejected")  # the order's lock key exists now
    holder = connect("lg_app", autocommit=False)
    holder.execute("SELECT * FROM ledger.payout_once('order:L', 'vendor:1', 5.00, 'RETRY')")
    waiter = connect("lg_app", autocommit=False)
    waiter.execute("SET LOCAL lock_timeout = '200ms'")
    before = db.execute("SELECT count(*) FROM ledger.entries").fetchone()[0]
    started = time.monotonic()
    with pytest.raises(psycopg.Error) as busy:
        waiter.execute("SELECT * FROM ledger.payout_once('order:L', 'vendor:1', 5.00, 'MANUAL')")
    assert busy.value.sqlstate == "LG206" and "200ms" in busy.value.diag.message_detail
    assert time.monotonic() - started < 5, "the caller's shorter lock_timeout bounds the wait"
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


def _record(app: Ledger, *event) -> str:
    return app.call("ledger.record_provider_event", *event)


@pytest.mark.parametrize("reports", [
    [(1, "succeeded", "5000.00"), (2, "failed", "5000.00")],   # the reported attack: 10.00 paid, 5,000.00 returned
    [(1, "failed", "900.00")],                                  # one failure report above the payout
    [(1, "succeeded", "5000.00"), (2, "succeeded", "8.00"), (3, "failed", "0")],
    [(1, "succeeded", "4.00"), (2, "succeeded", "5000.00"), (3, "failed", "1.00")],
], ids=["over-reported-then-failed", "failure-over-the-payout", "up-down-failed", "down-up-failed"])
def test_a_failed_payout_gives_back_exactly_what_it_took_whatever_the_provider_reports(reports, vendors, db):
    payout_id = vendors.rows("ledger.payout_once", "order:M", "vendor:1", Decimal("10.00"))[0][0]
    for seq, state, amount in reports:
        assert _record(vendors, *_event(payout_id, f"m-{seq}", seq, state, amount)) == "APPLIED"
    assert vendors.wallet_balance("vendor:1") == Decimal("100000.00")
    for system in ("SUSPENSE", "PAYOUTS_IN_TRANSIT", "PAYOUT_PROVIDER"):
        assert vendors.wallet_balance(system) == 0, system
    db.rollback()
    assert violations(db) == []
    assert db.execute("SELECT count(*) FROM ledger_check.run_all(NULL) WHERE check_name = 'payout_overreturns'").fetchone()[0] == 0


def test_a_downward_correction_returns_the_advance_before_the_beneficiarys_money(vendors, db):
    payout_id = vendors.rows("ledger.payout_once", "order:D", "vendor:1", Decimal("10.00"))[0][0]
    _record(vendors, *_event(payout_id, "d-1", 1, "succeeded", "5000.00"))  # SUSPENSE advances 4,990.00
    assert vendors.wallet_balance("SUSPENSE") == Decimal("-4990.00")
    _record(vendors, *_event(payout_id, "d-2", 2, "succeeded", "8.00"))     # 4,992.00 comes back
    assert vendors.wallet_balance("SUSPENSE") == 0
    assert vendors.wallet_balance("vendor:1") == Decimal("99992.00")     # 2.00 of its own 10.00, not 4,992.00
    assert vendors.wallet_balance("PAYOUT_PROVIDER") == Decimal("8.00")


def test_the_check_finds_a_beneficiary_credited_back_beyond_its_payout(vendors, db):
    """A return of 50.00 on a payout of 10.00, written with the triggers off (the way the incident got in)."""
    payout_id = vendors.rows("ledger.payout_once", "order:X", "vendor:1", Decimal("10.00"))[0][0]
    db.execute("SET session_replication_role = replica")
    txn = db.execute("INSERT INTO ledger.transactions (kind, reference, payout_id) VALUES ('PAYOUT_RETURN', 'order:X', %s)"
                     " RETURNING id", (payout_id,)).fetchone()[0]
    db.execute("""INSERT INTO ledger.entries (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after)
                  SELECT %s, w.id, 'USD', v.amount, 0, 1000 + v.n, 0
                    FROM (VALUES ('vendor:1', 50.00, 1), ('SUSPENSE', -50.00, 2)) AS v (code, amount, n)
                    JOIN ledger.wallets w ON w.code = v.code""", (txn,))
    db.execute("RESET session_replication_role")
    found = db.execute("SELECT severity, subject, amount, detail ->> 'debited' FROM ledger_check.run_all(NULL)"
                       " WHERE check_name = 'payout_overreturns'").fetchall()
    assert found == [("CRITICAL", f"payout {payout_id}", Decimal("40.00"), "10.00")]


PROVIDER_AMOUNTS = st.sampled_from(["0", "0.01", "9.99", "10.00", "10.01", "900.00", "5000.00"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reports=st.lists(st.tuples(st.sampled_from(["created", "submitted", "succeeded", "failed"]), PROVIDER_AMOUNTS),
                        min_size=1, max_size=6))
def test_no_sequence_of_provider_reports_credits_a_beneficiary_beyond_its_payout(reports, vendors, db):
    """Whatever a provider claims, in whatever order: the beneficiary never ends above where it was before the
    payout, ends exactly there when the payout failed, and SUSPENSE never gains."""
    order = f"order:P{next(ORDER_NUMBERS)}"
    before = vendors.wallet_balance("vendor:1")
    payout_id = vendors.rows("ledger.payout_once", order, "vendor:1", Decimal("10.00"))[0][0]
    for seq, (state, amount) in enumerate(reports, start=1):
        if amount == "0" and state != "failed":
            continue  # a zero amount is refused outside failure reports (LG001)
        _record(vendors, *_event(payout_id, f"{order}-{seq}", seq, state, amount, ref=None))
    after = vendors.wallet_balance("vendor:1")
    db.rollback()
    status = db.execute("SELECT status FROM ledger.payouts WHERE id = %s", (payout_id,)).fetchone()[0]
    assert after <= before
    if status == "FAILED":
        assert after == before
    assert db.execute("SELECT coalesce(sum(e.amount), 0) FROM ledger.entries e JOIN ledger.transactions t ON t.id = e.transaction_id"
                      " JOIN ledger.wallets w ON w.id = e.wallet_id WHERE t.payout_id = %s AND w.code = 'SUSPENSE'",
                      (payout_id,)).fetchone()[0] <= 0
    assert db.execute("SELECT count(*) FROM ledger_check.payout_overreturns(NULL)").fetchone()[0] == 0
    db.rollback()


def test_a_payout_waits_at_most_the_lock_wait_setting_then_refuses_with_lg206(vendors, connect, db):
    """Whoever holds an order's lock (here the owner, who can compute its key), payout_once waits a bounded time."""
    db.execute("UPDATE ledger.settings SET value = '300 milliseconds' WHERE name = 'payouts.lock_wait'")
    db.execute("INSERT INTO ledger.payout_orders (order_ref) VALUES ('order:B')")
    db.commit()
    holder = connect(None, autocommit=False)
    holder.execute("SELECT pg_advisory_xact_lock(ledger_private.payout_lock_key(lock_key)) FROM ledger.payout_orders"
                   " WHERE order_ref = 'order:B'")
    caller = connect("lg_app")  # no lock_timeout of its own: the setting bounds the wait
    started = time.monotonic()
    with pytest.raises(psycopg.Error) as busy:
        caller.execute("SELECT * FROM ledger.payout_once('order:B', 'vendor:1', 5.00)")
    assert busy.value.sqlstate == "LG206"
    assert 0.25 < time.monotonic() - started < 5
    holder.rollback()
    assert caller.execute("SELECT created FROM ledger.payout_once('order:B', 'vendor:1', 5.00)").fetchone()[0]
    assert caller.execute("SHOW lock_timeout").fetchone()[0] == "0", "the bound is the call's own, not left behind"


def test_locks_a_stranger_can_take_never_stall_a_payout(vendors, connect, db):
    """The attack: a login took advisory keys 1..5000 in every form it could guess. The payouts go through."""
    for n in range(20):  # orders 1..20 exist, so their dense keys are taken
        vendors.rows("ledger.payout_once", f"order:G{n}", "vendor:1", Decimal("1.00"))
    squatter = connect("lg_app", autocommit=False)  # any login that can connect; only ledger roles can (below)
    squatter.execute("""SELECT pg_advisory_xact_lock(1279721473, k), pg_advisory_xact_lock(k::bigint),
                               pg_advisory_xact_lock(k, 0), pg_advisory_xact_lock(hashtext('order:G' || k))
                          FROM generate_series(1, 5000) AS k""")
    payer = connect("lg_app")
    payer.execute("SET lock_timeout = '1s'")
    for n in range(20, 40):
        assert payer.execute("SELECT created FROM ledger.payout_once(%s, 'vendor:1', 1.00)", (f"order:G{n}",)).fetchone()[0]
    assert payer.execute("SELECT count(*) FROM ledger.payout_once('order:G3', 'vendor:1', 1.00)").fetchone()[0] == 1
    squatter.rollback()


def test_a_login_with_no_ledger_role_cannot_connect_to_a_migrated_database(empty_database):
    from ledgerguard import migrate

    dsn = empty_database()
    migrate.upgrade(dsn)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS lg_stranger")
        admin.execute("CREATE ROLE lg_stranger LOGIN")
        admin.execute("DROP ROLE IF EXISTS lg_stranger_app")
        admin.execute("CREATE ROLE lg_stranger_app LOGIN IN ROLE ledger_app")
    stranger = psycopg.conninfo.make_conninfo(dsn, user="lg_stranger")
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(stranger).close()
    with psycopg.connect(psycopg.conninfo.make_conninfo(dsn, user="lg_stranger_app")) as app:
        assert app.execute("SELECT ledger.wallet_balance('PLATFORM_MAIN')").fetchone()[0] == 0
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("DROP OWNED BY lg_stranger_app")
        admin.execute("DROP ROLE lg_stranger, lg_stranger_app")


def test_the_payouts_kill_switch_stops_new_money_but_not_what_the_provider_reports(vendors, connect, db):
    """Decided (issue 17, item 12): while payouts are off, no payout is made, but a completion or failure the
    provider reports is still recorded; refusing it would desync the ledger from the provider."""
    done, failed = (vendors.rows("ledger.payout_once", f"order:K{n}", "vendor:1", Decimal("3.00"))[0][0] for n in (1, 2))
    connect("lg_oncall").execute("SELECT ledger_ops.set_kill_switch('payouts', false, 'provider outage', 'INC-K')")
    with pytest.raises(psycopg.Error) as off:
        connect("lg_app").execute("SELECT * FROM ledger.payout_once('order:K3', 'vendor:1', 3.00)")
    assert off.value.sqlstate == "LG108"
    assert vendors.call("ledger.complete_payout", done, "prov-k1")
    assert vendors.call("ledger.fail_payout", failed, "bank rejected")
    assert db.execute("SELECT array_agg(status ORDER BY id) FROM ledger.payouts WHERE id IN (%s, %s)",
                      (done, failed)).fetchone()[0] == ["COMPLETED", "FAILED"]


def test_one_vendor_short_of_funds_is_skipped_and_everyone_else_is_paid(vendors, db):
    """Issue 17, item 9: the batch pays everyone it can; the short one gets a row in the batch's report and a finding."""
    vendors.create_wallet("vendor:3", "VENDOR", "USD")
    for n, payee in ((1, "vendor:1"), (3, "vendor:3"), (2, "vendor:2")):
        payment = vendors.create_payment(f"pay-s{n}", f"order:s{n}", "card", payee, "40.00", "USD", "4.00", "PREPAID")
        vendors.capture_payment(payment)
    vendors.post_transaction("spent", "TRANSFER", [("vendor:3", "-30.00"), ("card", "30.00")])  # 6.00 left of 36.00 due
    today = db.execute("SELECT (now() AT TIME ZONE 'UTC')::date").fetchone()[0]
    batch = vendors.run_settlement_batch(today)
    db.rollback()
    paid = db.execute("SELECT array_agg(order_ref ORDER BY order_ref) FROM ledger.settlement_batch_items WHERE batch_id = %s",
                      (batch,)).fetchone()[0]
    assert paid == ["order:s1", "order:s2"]
    assert db.execute("SELECT order_ref, sqlstate FROM ledger.settlement_batch_refusals WHERE batch_id = %s",
                      (batch,)).fetchall() == [("order:s3", "LG010")]
    assert db.execute("SELECT payouts_created, payouts_refused FROM ledger.settlement_batches WHERE id = %s",
                      (batch,)).fetchone() == (2, 1)
    found = db.execute("SELECT severity, subject, detail ->> 'sqlstate' FROM ledger_check.run_all()"
                       " WHERE check_name = 'settlement_refusals'").fetchall()
    assert found == [("HIGH", "order order:s3", "LG010")]
    db.rollback()
    vendors.post_transaction("refund-spent", "TRANSFER", [("card", "-30.00"), ("vendor:3", "30.00")])
    again = vendors.run_settlement_batch(today)  # the rerun pays only what is unpaid
    db.rollback()
    assert db.execute("SELECT payouts_created, payouts_existing, payouts_refused FROM ledger.settlement_batches WHERE id = %s",
                      (again,)).fetchone() == (1, 2, 0)
    assert db.execute("SELECT count(*) FROM ledger_check.run_all() WHERE check_name = 'settlement_refusals'").fetchone()[0] == 0
    assert violations(db) == []


@pytest.mark.parametrize("held", ["a new order's first payout", "the beneficiary's balance"])
def test_every_wait_of_a_payout_is_bounded_by_the_lock_wait(held, vendors, connect, db):
    """Found by the attack: only the advisory lock was bounded; an open transaction that had just made a new
    order's payout, or that holds the beneficiary's balance row, stalled payout_once (and the batch) without limit."""
    db.execute("UPDATE ledger.settings SET value = '300 milliseconds' WHERE name = 'payouts.lock_wait'")
    db.commit()
    vendors.rows("ledger.payout_once", "order:W0", "vendor:1", Decimal("1.00"))  # vendor:1's payout account exists
    holder = connect("lg_app", autocommit=False)
    if held == "a new order's first payout":
        holder.execute("SELECT * FROM ledger.payout_once('order:W1', 'vendor:1', 1.00)")
        order = "order:W1"
    else:
        holder.execute("""SELECT ledger.post_transaction('hold', 'TRANSFER',
                              '[{"wallet": "vendor:1", "amount": "-1.00"}, {"wallet": "card", "amount": "1.00"}]')""")
        order = "order:W2"
    started = time.monotonic()
    with pytest.raises(psycopg.Error) as busy:
        connect("lg_app").execute("SELECT * FROM ledger.payout_once(%s, 'vendor:1', 1.00)", (order,))
    assert busy.value.sqlstate == "LG206" and time.monotonic() - started < 5
    holder.rollback()
    assert connect("lg_app").execute("SELECT created FROM ledger.payout_once(%s, 'vendor:1', 1.00)", (order,)).fetchone()[0]


def test_an_order_the_provider_reports_paid_after_the_ledger_failed_it_is_never_paid_again(vendors, db):
    """Found by the review of issue 18: the ledger failed a payout (bank rejected), the provider then reported it
    succeeded, and a retry paid the order a second time; no alert called it a payout anomaly. The retry is refused
    (LG208, nothing written) while the provider's latest word is "paid", the check calls the payout HIGH, and the
    provider's later failure report lets the order be paid again."""
    first = vendors.payout_once("order:P", "vendor:1", "27.00")[0]
    vendors.fail_payout(first, "bank rejected")
    assert _record(vendors, *_event(first, "p-1", 1, "succeeded", "27.00", "acme-tx-1")) == "APPLIED"
    before = db.execute("SELECT count(*) FROM ledger.payouts").fetchone()[0], vendors.wallet_balance("vendor:1")
    db.rollback()
    with pytest.raises(errors.PaidByProvider, match="order order:P may be paid already") as refused:
        vendors.payout_once("order:P", "vendor:1", "27.00", "RETRY")
    assert f"Payout {first} of 27.00 USD is FAILED in the ledger" in refused.value.detail
    assert (db.execute("SELECT count(*) FROM ledger.payouts").fetchone()[0], vendors.wallet_balance("vendor:1")) == before
    db.rollback()
    assert db.execute("SELECT severity FROM ledger_check.provider_vs_internal(NULL) WHERE subject = %s",
                      (f"payout {first}",)).fetchone() == ("HIGH",)
    with bypassing_triggers(db):  # the report is days old: the block is a state, so the 24-hour check still has it
        db.execute("UPDATE ledger.provider_events SET received_at = now() - interval '3 days' WHERE payout_id = %s", (first,))
    db.commit()
    assert db.execute("SELECT severity FROM ledger_check.provider_vs_internal() WHERE subject = %s",
                      (f"payout {first}",)).fetchone() == ("HIGH",)
    db.rollback()

    assert _record(vendors, *_event(first, "p-2", 2, "failed", "27.00", "acme-tx-1")) == "APPLIED"
    second, created, _ = vendors.payout_once("order:P", "vendor:1", "27.00", "RETRY")
    assert created and second != first and vendors.wallet_balance("vendor:1") == Decimal("100000.00") - Decimal("27.00")


def test_the_settlement_batch_skips_an_order_the_provider_reports_paid_and_pays_the_rest(vendors, db):
    vendors.create_wallet("buyer", "USER", "USD")
    vendors.post_transaction("fund-buyer", "TRANSFER", [("card", "-500.00"), ("buyer", "500.00")])
    for order in ("order:B1", "order:B2"):
        vendors.capture_payment(vendors.create_payment(f"pay-{order}", order, "buyer", "vendor:1", "50.00", "USD", "5.00", "PREPAID"))
    paid = vendors.payout_once("order:B1", "vendor:1", "45.00")[0]
    vendors.fail_payout(paid, "bank rejected")
    assert _record(vendors, *_event(paid, "b-1", 1, "succeeded", "45.00", "acme-b1")) == "APPLIED"
    db.execute("SELECT ledger.run_settlement_batch(current_date)")
    assert db.execute("SELECT order_ref, sqlstate FROM ledger.settlement_batch_refusals").fetchall() == [("order:B1", "LG208")]
    assert live_payouts(db, "order:B1") == 0 and live_payouts(db, "order:B2") == 1


def _failed_payout_with_a_succeeded_report_in_flight(vendors, connect, order: str) -> tuple[int, psycopg.Connection]:
    """A failed payout of `order`, and an open transaction (not committed) that records the provider's report
    that it succeeded."""
    failed = vendors.payout_once(order, "vendor:1", "9.00")[0]
    vendors.fail_payout(failed, "bank rejected")
    reporter = connect("lg_app2", autocommit=False)
    reporter.execute("SELECT ledger.record_provider_event(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                     _event(failed, f"{order}-ev", 1, "succeeded", "9.00", f"{order}-tx"))
    return failed, reporter


def test_a_payout_waits_for_a_provider_report_in_flight_on_the_orders_failed_payout(vendors, connect, db):
    """Review of 0023: while a `succeeded` report on the failed payout was still open, a new payout of the order
    did not wait and paid it again (READ COMMITTED). It now waits on the failed payout's row and, once the report
    commits, refuses with LG208."""
    failed, reporter = _failed_payout_with_a_succeeded_report_in_flight(vendors, connect, "order:R1")
    caller = Ledger(connect("lg_app"))
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(_outcome(caller, "order:R1")))
    worker.start()
    time.sleep(0.5)
    assert worker.is_alive() and outcome == [], "the payout must wait for the report in flight"
    reporter.commit()
    worker.join(timeout=30)
    assert outcome == ["LG208"] and live_payouts(db, "order:R1") == 0


def test_under_repeatable_read_a_report_committed_after_the_snapshot_fails_the_payout_to_serialize(vendors, connect, db):
    """Review of 0023: a REPEATABLE READ caller whose snapshot predates the committed report paid the order
    again. Locking the failed payout now fails it with 40001; its retry sees the report and refuses (LG208)."""
    failed, reporter = _failed_payout_with_a_succeeded_report_in_flight(vendors, connect, "order:R2")
    caller = connect("lg_app", autocommit=False)
    caller.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    caller.execute("SELECT 1")  # the snapshot
    reporter.commit()
    with pytest.raises(psycopg.errors.SerializationFailure):
        caller.execute("SELECT * FROM ledger.payout_once('order:R2', 'vendor:1', 9.00, 'RETRY')")
    caller.rollback()
    with pytest.raises(psycopg.Error, match="may be paid already"):
        caller.execute("SELECT * FROM ledger.payout_once('order:R2', 'vendor:1', 9.00, 'RETRY')")
    caller.rollback()
    assert live_payouts(db, "order:R2") == 0


def _outcome(app: Ledger, order: str) -> str:
    try:
        app.payout_once(order, "vendor:1", "9.00", "RETRY")
        return "PAID"
    except errors.LedgerError as error:
        return error.sqlstate
