"""Payments and refunds under real parallel connections; the kill switch as on-call uses it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import psycopg
import pytest

from conftest import run_parallel
from ledger_state import violations
from ledgerguard.client import Ledger, Ops
from ledgerguard.errors import (LedgerError, Maintenance, PaymentStateConflict, RefundExceedsCaptured,
                                RefundInProgress, TicketRequired)

WORKERS = 8


def _captured(shop: Ledger, key: str, amount: str = "100.00", fee: str = "10.00") -> int:
    payment = shop.create_payment(key, f"order:{key}", "buyer", "seller", amount, "USD", fee, "PREPAID")
    shop.capture_payment(payment)
    return payment


def test_eight_concurrent_captures_write_one_transaction(shop, connect, db):
    payment = shop.create_payment("p", "order:1", "buyer", "seller", "100.00", "USD", "10.00", "PREPAID")

    def capture(_i: int, barrier: threading.Barrier) -> int:
        ledger = Ledger(connect("lg_app"))
        barrier.wait()
        return ledger.capture_payment(payment)

    assert len(set(run_parallel(WORKERS, capture))) == 1
    assert db.execute("SELECT count(*) FROM ledger.transactions WHERE payment_id = %s", (payment,)).fetchone()[0] == 1
    assert shop.wallet_balance("seller") == Decimal("90.00")
    assert violations(db) == []


@pytest.mark.parametrize("isolation", [psycopg.IsolationLevel.READ_COMMITTED, psycopg.IsolationLevel.REPEATABLE_READ],
                         ids=["read-committed", "repeatable-read"])
def test_refunds_racing_past_the_captured_amount_are_refused(isolation, shop, connect, db):
    """8 requests of 30.00 against 100.00 captured: exactly 3 are accepted."""
    payment = _captured(shop, "p")

    def request(i: int, barrier: threading.Barrier) -> str:
        conn = connect("lg_app")
        conn.isolation_level = isolation
        ledger = Ledger(conn)
        barrier.wait()
        while True:  # the client retries serialization failures with the same key
            try:
                ledger.request_refund(f"refund-{i}", payment, "30.00")
                return "accepted"
            except RefundExceedsCaptured:
                return "refused"
            except psycopg.errors.SerializationFailure:
                continue

    outcomes = run_parallel(WORKERS, request)
    assert outcomes.count("accepted") == 3 and outcomes.count("refused") == 5
    reserved = db.execute("SELECT refunds_reserved FROM ledger.payments WHERE id = %s", (payment,)).fetchone()[0]
    assert reserved == Decimal("90.00")


def test_a_capture_racing_a_failure_has_one_outcome(shop, connect, db):
    for round_ in range(20):
        payment = shop.create_payment(f"p{round_}", f"order:{round_}", "buyer", "seller", "10.00", "USD", "1.00", "COD")

        def act(i: int, barrier: threading.Barrier) -> str:
            ledger = Ledger(connect("lg_app"))
            barrier.wait()
            try:
                if i == 0:
                    ledger.capture_payment(payment)
                    return "captured"
                ledger.fail_payment(payment, "gateway timeout")
                return "failed"
            except PaymentStateConflict:
                return "refused"

        outcomes = sorted(run_parallel(2, act))
        status, capture = db.execute("SELECT status, capture_transaction_id FROM ledger.payments WHERE id = %s",
                                     (payment,)).fetchone()
        assert outcomes in (["captured", "refused"], ["failed", "refused"])
        assert (status == "CAPTURED") == (capture is not None) == ("captured" in outcomes)
    assert violations(db) == []


def test_processing_a_refund_twice_at_once_posts_once(shop, connect, db):
    payment = _captured(shop, "p")
    refund = shop.approve_refund(shop.request_refund("r", payment, "40.00"), "ops")

    def process(_i: int, barrier: threading.Barrier) -> object:
        ledger = Ledger(connect("lg_app"))
        barrier.wait()
        try:
            return ledger.process_refund(refund)
        except RefundInProgress:
            return "in progress"

    outcomes = run_parallel(WORKERS, process)
    transactions = {o for o in outcomes if o != "in progress"}
    assert len(transactions) == 1
    assert db.execute("SELECT count(*) FROM ledger.transactions WHERE refund_id = %s", (refund,)).fetchone()[0] == 1
    assert shop.wallet_balance("buyer") == Decimal("99940.00")
    assert violations(db) == []


def test_a_refund_left_processing_is_reported_in_progress(shop, owner):
    payment = _captured(shop, "p")
    refund = shop.approve_refund(shop.request_refund("r", payment, "40.00"), "ops")
    owner.execute("UPDATE ledger.refunds SET status = 'PROCESSING', processing_started_at = now() - interval '2 minutes'"
                  " WHERE id = %s", (refund,))
    with pytest.raises(RefundInProgress):
        shop.process_refund(refund)
    assert shop.retry_advice("refund", refund)[0] == "INVESTIGATE"


def test_the_kill_switch_stops_the_scope_keeps_reads_and_is_audited(shop, connect, db):
    ops = Ops(connect("lg_oncall"))
    payment = shop.create_payment("p", "order:1", "buyer", "seller", "10.00", "USD", "0", "COD")
    captured = _captured(shop, "p0")
    retry_after = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
    audit = ops.set_kill_switch("payments", False, "ledger invariant alert", "INC-7", retry_after)
    assert audit["performed_by"] == "lg_oncall" and audit["after_state"]["enabled"] is False

    with pytest.raises(Maintenance) as caught:
        shop.create_payment("p2", "order:2", "buyer", "seller", "10.00", "USD", "0", "COD")
    assert caught.value.detail.startswith(f"retry-after: {retry_after:%Y-%m-%dT%H:%M:%SZ}")
    with pytest.raises(Maintenance):
        shop.capture_payment(payment)
    assert shop.retry_advice("payment", payment)[0] == "WAIT"
    assert shop.wallet_balance("buyer") == Decimal("99900.00")  # reads keep working
    assert shop.request_refund("r0", captured, "1.00") > 0  # the refunds scope is untouched

    ops.set_kill_switch("payments", True, "fixed", "INC-7")
    assert shop.capture_payment(payment) > 0
    actions = db.execute("SELECT action, target, ticket, performed_by FROM ledger.audit_log ORDER BY id").fetchall()
    assert actions == [("set_kill_switch", "payments", "INC-7", "lg_oncall")] * 2


def test_the_kill_switch_needs_a_ticket_and_the_oncall_role(connect):
    ops = Ops(connect("lg_oncall"))
    with pytest.raises(TicketRequired):
        ops.set_kill_switch("refunds", False, "reason", "  ")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        Ops(connect("lg_app")).set_kill_switch("refunds", False, "reason", "INC-1")


BAD_CALLS = [
    ("create_payment", ("k", "o", "buyer", "seller", "NaN", "USD", "0", "COD")),
    ("create_payment", ("k", "o", "buyer", "seller", "-1", "USD", "0", "COD")),
    ("create_payment", ("k", "o", "buyer", "seller", "1.001", "USD", "0", "COD")),
    ("create_payment", ("k", "o", "buyer", "seller", "1", "USD", "2", "COD")),
    ("create_payment", ("k", "o", "buyer", "seller", "1", "XXX", "0", "COD")),
    ("create_payment", ("k", "o", "buyer", "buyer", "1", "USD", "0", "COD")),
    ("create_payment", ("k", None, "buyer", "seller", "1", "USD", "0", "COD")),
    ("capture_payment", (424242,)),
    ("request_refund", ("k", 424242, "1")),
    ("approve_refund", (424242, "ops")),
    ("process_refund", (424242,)),
    ("fail_refund", (424242, "x")),
]


@pytest.mark.parametrize("method,args", BAD_CALLS, ids=[f"{m}-{i}" for i, (m, _) in enumerate(BAD_CALLS)])
def test_bad_input_gets_its_sqlstate_and_writes_nothing(method, args, shop, db):
    counts = "SELECT (SELECT count(*) FROM ledger.payments), (SELECT count(*) FROM ledger.refunds), " \
             "(SELECT count(*) FROM ledger.idempotency_keys), (SELECT count(*) FROM ledger.entries)"
    before = db.execute(counts).fetchone()
    db.commit()
    with pytest.raises(LedgerError) as caught:
        getattr(shop, method)(*args)
    assert caught.value.sqlstate.startswith("LG") and caught.value.detail and caught.value.hint
    assert db.execute(counts).fetchone() == before
