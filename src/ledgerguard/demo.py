"""`ledgerguard demo`: the runbooks' incidents, refused by the database itself.

Each scenario does what an application, a retry storm or an on-call
engineer did in the incident, and prints what the ledger answered. API calls
run as ledger_app and on-call calls as ledger_oncall, where the connection
may take those roles.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator

import psycopg

from ledgerguard.client import Ledger, Ops, translated_errors
from ledgerguard.errors import LedgerError

Echo = Callable[[str], None]


def _attempt(echo: Echo, what: str, action: Callable[[], object]) -> object:
    try:
        with translated_errors():
            result = action()
    except LedgerError as error:
        echo(f"  refused   {what}\n            {error.sqlstate} {error.message}")
        if error.detail:
            echo(f"            DETAIL: {error.detail}")
        if error.hint:
            echo(f"            HINT: {error.hint}")
        return None
    echo(f"  accepted  {what} -> {result}")
    return result


@contextmanager
def _session(dsn: str, role: str) -> Iterator[psycopg.Connection]:
    """A connection acting as `role` when this login may take it."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", (role,)).fetchone()[0]:
            conn.execute(f"SET ROLE {role}")
        yield conn


def postings(ledger: Ledger, echo: Echo) -> None:
    echo("\n-- wallets and postings")
    for code, kind, allow_negative in [("card:funding", "EXTERNAL", True), ("customer:alice", "USER", False),
                                       ("vendor:42", "VENDOR", False), ("courier:7", "COURIER", False)]:
        ledger.create_wallet(code, kind, "USD", allow_negative)
        echo(f"  created   {code} ({kind})")
    _attempt(echo, "fund customer:alice with 100.00 USD", lambda: ledger.post_transaction(
        "demo-fund-alice", "TRANSFER", [("card:funding", "-100.00"), ("customer:alice", "100.00")]))
    order = [("customer:alice", "-40.00"), ("vendor:42", "34.00"), ("courier:7", "2.00"), ("PLATFORM_MAIN", "4.00")]
    _attempt(echo, "order 1001: alice pays vendor, courier and platform fee (4 legs)",
             lambda: ledger.post_transaction("demo-order-1001", "TRANSFER", order, "order:1001"))
    _attempt(echo, "the same request retried with its idempotency key (returns the first id)",
             lambda: ledger.post_transaction("demo-order-1001", "TRANSFER", order, "order:1001"))


def refused(ledger: Ledger, echo: Echo) -> None:
    echo("\n-- incidents the database refuses")
    _attempt(echo, "same idempotency key, different amount", lambda: ledger.post_transaction(
        "demo-order-1001", "TRANSFER", [("customer:alice", "-41.00"), ("vendor:42", "41.00")], "order:1001"))
    _attempt(echo, "unbalanced transaction (a leg is missing)", lambda: ledger.post_transaction(
        "demo-unbalanced", "TRANSFER", [("customer:alice", "-10.00"), ("vendor:42", "9.00")]))
    _attempt(echo, "10.005 USD (more decimals than USD has; never rounded)", lambda: ledger.post_transaction(
        "demo-precision", "TRANSFER", [("customer:alice", "-10.005"), ("vendor:42", "10.005")]))
    _attempt(echo, "alice spends more than she has", lambda: ledger.post_transaction(
        "demo-overdraft", "TRANSFER", [("customer:alice", "-500.00"), ("vendor:42", "500.00")]))
    _attempt(echo, "NaN amount", lambda: ledger.post_transaction(
        "demo-nan", "TRANSFER", [("customer:alice", "NaN"), ("vendor:42", "1.00")]))


def retries(ledger: Ledger, echo: Echo) -> None:
    """Runbook 'safe retries': a capture retried three times, a refund processed twice."""
    echo("\n-- unsafe retries made safe (payments and refunds runbook)")
    ledger.create_wallet("customer:bob", "USER", "USD")
    ledger.post_transaction("demo-fund-bob", "TRANSFER", [("card:funding", "-80.00"), ("customer:bob", "80.00")])
    payment = ledger.create_payment("demo-pay-2001", "order:2001", "customer:bob", "vendor:42", "50.00", "USD",
                                    "5.00", "PREPAID")
    echo(f"  created   payment {payment} for order:2001, 50.00 USD with a 5.00 platform fee")
    for attempt in range(1, 4):
        _attempt(echo, f"capture_payment({payment}), attempt {attempt}", lambda: ledger.capture_payment(payment))
    refund = ledger.approve_refund(ledger.request_refund("demo-refund-2001", payment, "20.00", True), "ops:kim")
    echo(f"  approved  refund {refund}: 20.00 USD, platform fee refunded in proportion")
    for attempt in range(1, 3):
        _attempt(echo, f"process_refund({refund}), attempt {attempt}", lambda: ledger.process_refund(refund))
    _attempt(echo, "a refund of 30.01 more (only 30.00 is left of the 50.00)",
             lambda: ledger.request_refund("demo-refund-2001b", payment, "30.01"))
    action, reason = ledger.retry_advice("refund", refund)
    echo(f"  advice    retry_advice('refund', {refund}) -> {action}: {reason}")


def double_payout(dsn: str, ledger: Ledger, echo: Echo) -> int:
    """Duplicate-payout runbook: the nightly batch and a manual payout race for one order."""
    echo("\n-- the settlement batch and a manual payout race for order:2001 (duplicate-payout runbook)")
    results: dict[str, object] = {}

    def batch() -> None:
        with _session(dsn, "ledger_app") as conn:
            results["batch"] = Ledger(conn).run_settlement_batch(datetime.now(timezone.utc).date())

    def manual() -> None:
        with _session(dsn, "ledger_app") as conn:
            results["manual"] = Ledger(conn).payout_once("order:2001", "vendor:42", "27.00", "MANUAL")

    threads = [threading.Thread(target=batch), threading.Thread(target=manual)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    payout_id, created, status = results["manual"]
    echo(f"  manual    payout_once('order:2001') -> payout {payout_id}, created={created}, {status}")
    echo(f"  batch     run_settlement_batch(today) -> batch {results['batch']}")
    again = ledger.payout_once("order:2001", "vendor:42", "27.00", "RETRY")
    echo(f"  retry     payout_once('order:2001') -> payout {again[0]}, created={again[1]}: one live payout per order")
    return payout_id


def callback_burst(ledger: Ledger, echo: Echo, payout_id: int) -> None:
    """Ledger-desync postmortem: duplicated, out-of-order callbacks with a corrected amount."""
    echo(f"\n-- a burst of duplicated, out-of-order provider callbacks for payout {payout_id} (desync postmortem)")
    events = {1: ("submitted", "27.00", None), 2: ("succeeded", "27.00", "acme-tx-1"), 3: ("succeeded", "26.00", "acme-tx-1")}
    burst = [3, 1, 3, 2, 1, 3, 2, 2]
    outcomes = []
    for seq in burst:
        state, amount, ref = events[seq]
        outcomes.append(ledger.record_provider_event("acme", "vendor:42", f"acme-ev-{seq}", seq, payout_id, ref,
                                                     state, amount, "USD"))
    echo(f"  arrivals  seq {burst}")
    echo(f"  outcomes  {outcomes}")
    echo("  result    seq 3 won: COMPLETED at the corrected 26.00; the 1.00 the provider kept back is a"
         " PAYOUT_CORRECTION back to vendor:42")


def kill_switch(dsn: str, ledger: Ledger, echo: Echo) -> None:
    """Runbook 'emergency: stop all payment processing', audited."""
    echo("\n-- kill switch (on-call, with a ticket)")
    with _session(dsn, "ledger_oncall") as conn:
        ops = Ops(conn)
        retry_after = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=30)
        row = ops.set_kill_switch("payments", False, "ledger invariant alert", "INC-PAY-001", retry_after)
        echo(f"  audited   #{row['id']} {row['action']} {row['target']} by {row['performed_by']} ({row['ticket']})")
        _attempt(echo, "a new payment while payments are off", lambda: ledger.create_payment(
            "demo-pay-2002", "order:2002", "customer:bob", "vendor:42", "1.00", "USD", "0", "COD"))
        ops.set_kill_switch("payments", True, "alert resolved", "INC-PAY-001")
        echo("  audited   payments back on")


def direct_writes(dsn: str, echo: Echo) -> None:
    echo("\n-- a frozen wallet (on-call, audited), and direct writes by the owner")
    with _session(dsn, "ledger_oncall") as conn:
        row = Ops(conn).audited("ledger_ops.freeze_wallet", p_wallet="courier:7", p_reason="suspicious activity",
                                p_ticket="INC-FRAUD-3")
        echo(f"  audited   #{row['id']} {row['action']} {row['target']} by {row['performed_by']} ({row['ticket']}):"
             f" {row['after_state']}")
    with _session(dsn, "ledger_owner") as owner:
        _attempt(echo, "UPDATE ledger.entries (history is append-only)",
                 lambda: owner.execute("UPDATE ledger.entries SET amount = amount * 2").rowcount)


def balances(conn: psycopg.Connection, echo: Echo, codes: list[str]) -> None:
    echo("\n-- balances (each is the sum of the wallet's entries)")
    rows = conn.execute(
        "SELECT code, currency, status, balance FROM ledger.wallet_balances WHERE code = ANY(%s) ORDER BY code",
        (codes,)).fetchall()
    echo(f"  {'wallet':<18} {'cur':<4} {'status':<7} {'balance':>10}")
    for code, currency, status, balance in rows:
        echo(f"  {code:<18} {currency:<4} {status:<7} {balance:>10}")


def report(dsn: str, echo: Echo) -> None:
    """What on-call would run first: every check, over all history."""
    from ledgerguard import checks

    echo("\n-- the check catalog over all history (SELECT * FROM ledger_check.run_all(NULL))")
    with _session(dsn, "ledger_auditor") as conn:
        echo(checks.as_table(checks.run(conn, since=None)).rstrip("\n"))


def run(dsn: str, echo: Echo = print) -> None:
    with _session(dsn, "ledger_app") as conn:
        ledger = Ledger(conn)
        echo(f"== ledgerguard demo (API calls as {conn.execute('SELECT current_user').fetchone()[0]})")
        postings(ledger, echo)
        refused(ledger, echo)
        retries(ledger, echo)
        callback_burst(ledger, echo, double_payout(dsn, ledger, echo))
        kill_switch(dsn, ledger, echo)
        direct_writes(dsn, echo)
        _attempt(echo, "pay courier:7 while it is frozen", lambda: ledger.post_transaction(
            "demo-frozen", "TRANSFER", [("customer:alice", "-5.00"), ("courier:7", "5.00")]))
        balances(conn, echo, ["card:funding", "customer:alice", "customer:bob", "vendor:42", "courier:7",
                              "PLATFORM_MAIN", "PAYOUTS_IN_TRANSIT", "PAYOUT_PROVIDER"])
    report(dsn, echo)
