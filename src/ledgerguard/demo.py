"""`ledgerguard demo`: the runbooks' incidents, refused by the database itself.

Each scenario does what an application, a retry storm or an on-call
engineer did in the incident, and prints what the ledger answered. The
scenarios run as ledger_app where the connection may take that role.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from ledgerguard.client import Ledger, translated_errors
from ledgerguard.errors import LedgerError

Echo = Callable[[str], None]


def _attempt(echo: Echo, what: str, action: Callable[[], object]) -> None:
    try:
        with translated_errors():
            result = action()
    except LedgerError as error:
        echo(f"  refused   {what}\n            {error.sqlstate} {error.message}")
        if error.hint:
            echo(f"            HINT: {error.hint}")
        return
    echo(f"  accepted  {what} -> {result}")


def _as_app(conn: psycopg.Connection) -> str:
    """Act as ledger_app when this login may; returns the role in use."""
    may = conn.execute("SELECT pg_has_role(current_user, 'ledger_app', 'MEMBER')").fetchone()[0]
    if may:
        conn.execute("SET ROLE ledger_app")
    return conn.execute("SELECT current_user").fetchone()[0]


def balances(conn: psycopg.Connection, echo: Echo, codes: list[str]) -> None:
    rows = conn.execute(
        "SELECT code, currency, status, balance FROM ledger.wallet_balances WHERE code = ANY(%s) ORDER BY code",
        (codes,)).fetchall()
    echo(f"  {'wallet':<18} {'cur':<4} {'status':<7} {'balance':>10}")
    for code, currency, status, balance in rows:
        echo(f"  {code:<18} {currency:<4} {status:<7} {balance:>10}")


def run(dsn: str, echo: Echo = print) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        role = _as_app(conn)
        ledger = Ledger(conn)
        echo(f"== ledgerguard demo (API calls as {role})")

        echo("\n-- wallets")
        for code, kind, allow_negative in [("card:funding", "EXTERNAL", True), ("customer:alice", "USER", False),
                                           ("vendor:42", "VENDOR", False), ("courier:7", "COURIER", False)]:
            ledger.create_wallet(code, kind, "USD", allow_negative)
            echo(f"  created   {code} ({kind})")

        echo("\n-- postings")
        _attempt(echo, "fund customer:alice with 100.00 USD", lambda: ledger.post_transaction(
            "demo-fund-alice", "TRANSFER", [("card:funding", "-100.00"), ("customer:alice", "100.00")]))
        order = [("customer:alice", "-40.00"), ("vendor:42", "34.00"), ("courier:7", "2.00"), ("PLATFORM_MAIN", "4.00")]
        _attempt(echo, "order 1001: alice pays vendor, courier and platform fee (4 legs)",
                 lambda: ledger.post_transaction("demo-order-1001", "TRANSFER", order, "order:1001"))
        _attempt(echo, "the same request retried with its idempotency key (returns the first id)",
                 lambda: ledger.post_transaction("demo-order-1001", "TRANSFER", order, "order:1001"))

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

        echo("\n-- a frozen wallet takes no entries")
        with psycopg.connect(dsn, autocommit=True) as owner:
            owner.execute("SET ROLE ledger_owner")
            # ledger_ops.freeze_wallet is the audited way; the trigger guards both.
            owner.execute("UPDATE ledger.wallets SET status = 'FROZEN', freeze_mode = 'FULL' WHERE code = 'vendor:42'")
        echo("  froze     vendor:42 (mode FULL)")
        _attempt(echo, "pay vendor:42 while it is frozen", lambda: ledger.post_transaction(
            "demo-frozen", "TRANSFER", [("customer:alice", "-5.00"), ("vendor:42", "5.00")]))

        echo("\n-- direct writes, even by the owner")
        with psycopg.connect(dsn, autocommit=True) as owner:
            owner.execute("SET ROLE ledger_owner")
            _attempt(echo, "UPDATE ledger.entries (history is append-only)",
                     lambda: owner.execute("UPDATE ledger.entries SET amount = amount * 2").rowcount)

        echo("\n-- balances (each is the sum of the wallet's entries)")
        balances(conn, echo, ["card:funding", "customer:alice", "vendor:42", "courier:7", "PLATFORM_MAIN"])
