"""A thin Python client of the ledger API.

Each method calls one SQL function by name and returns what it returns; an
error with an ``LG`` SQLSTATE comes back as its ``ledgerguard.errors``
exception (the psycopg error is chained as ``__cause__``). On an autocommit
connection every call is its own transaction, so the COMMIT-time zero-sum
check is reported by the call itself; otherwise call :meth:`Ledger.commit`.

On an autocommit connection a call that fails with a serialization failure
(40001) or a deadlock (40P01) is run again, up to ``retries`` times: those
two errors roll the whole transaction back, so the request has not taken
effect, and the repeat carries the same arguments (the same idempotency
key). No other error is retried. Inside a caller's transaction nothing is
retried: the caller must repeat the whole transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import random
import re
import time

import psycopg
import psycopg.rows
from psycopg.types.json import Jsonb

from ledgerguard.errors import from_psycopg

Leg = Mapping[str, Any] | tuple[str, Decimal | int | str]

RETRYABLE = frozenset({"40001", "40P01"})  # serialization failure, deadlock: rolled back whole


@contextmanager
def translated_errors() -> Iterator[None]:
    """Re-raise psycopg errors with an LG SQLSTATE as ledgerguard exceptions."""
    try:
        yield
    except psycopg.Error as error:
        mapped = from_psycopg(error)
        if mapped is error:
            raise
        raise mapped from error


def _legs(legs: Iterable[Leg]) -> list[dict[str, str]]:
    out = []
    for leg in legs:
        wallet, amount = (leg["wallet"], leg["amount"]) if isinstance(leg, Mapping) else leg
        out.append({"wallet": wallet, "amount": str(amount)})
    return out


class Ledger:
    """The application API (role ledger_app) over one psycopg connection."""

    def __init__(self, conn: psycopg.Connection, retries: int = 5, prepare: bool = False):
        """`prepare`: let psycopg prepare statements on the server (after five executions). Off by default: behind
        PgBouncer in transaction pooling a prepared statement lives on one server connection and the next call may
        run on another (`prepared statement "_pg3_3" does not exist`)."""
        self.conn = conn
        self.retries = retries
        self.prepare = None if prepare else False
        self.retried = 0  # how many times a call was run again (40001 / 40P01)

    @classmethod
    def connect(cls, dsn: str, **kwargs: Any) -> "Ledger":
        return cls(psycopg.connect(dsn, autocommit=True, **kwargs))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, function: str, *args: Any, **named: Any) -> Any:
        """SELECT function(args…, p_name => value…) and return the single value."""
        arguments, values = _arguments(args, named)
        return self._run(f"SELECT {function}({arguments})", values)[0][0]

    def rows(self, function: str, *args: Any, **named: Any) -> list[tuple]:
        """SELECT * FROM function(args…, p_name => value…)."""
        arguments, values = _arguments(args, named)
        return self._run(f"SELECT * FROM {function}({arguments})", values)

    def _run(self, sql: str, args: tuple) -> list[tuple]:
        attempt = 0
        while True:
            try:
                with translated_errors():
                    return self.conn.execute(sql, args, prepare=self.prepare).fetchall()
            except psycopg.Error as error:
                if error.sqlstate not in RETRYABLE or not self.conn.autocommit or attempt == self.retries:
                    raise
            self.retried += 1
            time.sleep(random.uniform(0, 0.01 * 2 ** attempt))  # jitter: the racers do not meet again
            attempt += 1

    def commit(self) -> None:
        with translated_errors():
            self.conn.commit()

    # -- wallets and postings ------------------------------------------------------

    def create_wallet(self, code: str, kind: str, currency: str, allow_negative: bool = False) -> int:
        return self.call("ledger.create_wallet", p_code=code, p_kind=kind, p_currency=currency, p_allow_negative=allow_negative)

    def post_transaction(self, idempotency_key: str, kind: str, legs: Iterable[Leg],
                         reference: str | None = None) -> int:
        return self.call("ledger.post_transaction", p_idempotency_key=idempotency_key, p_kind=kind,
                         p_legs=Jsonb(_legs(legs)), p_reference=reference)

    def wallet_balance(self, wallet: str) -> Decimal:
        return self.call("ledger.wallet_balance", p_wallet=wallet)

    # -- payments and refunds --------------------------------------------------------

    def create_payment(self, idempotency_key: str, order_ref: str, payer: str, payee: str,
                       amount: Decimal | int | str, currency: str, platform_fee: Decimal | int | str,
                       method: str) -> int:
        return self.call("ledger.create_payment", p_idempotency_key=idempotency_key, p_order_ref=order_ref, p_payer=payer,
                         p_payee=payee, p_amount=Decimal(amount), p_currency=currency,
                         p_platform_fee=Decimal(platform_fee), p_method=method)

    def authorize_payment(self, payment_id: int, gateway_txn_id: str | None = None) -> int:
        return self.call("ledger.authorize_payment", p_payment_id=payment_id, p_gateway_txn_id=gateway_txn_id)

    def capture_payment(self, payment_id: int, gateway_txn_id: str | None = None) -> int:
        return self.call("ledger.capture_payment", p_payment_id=payment_id, p_gateway_txn_id=gateway_txn_id)

    def fail_payment(self, payment_id: int, reason: str) -> int:
        return self.call("ledger.fail_payment", p_payment_id=payment_id, p_reason=reason)

    def request_refund(self, idempotency_key: str, payment_id: int, amount: Decimal | int | str,
                       refund_platform_fee: bool = False) -> int:
        return self.call("ledger.request_refund", p_idempotency_key=idempotency_key, p_payment_id=payment_id,
                         p_amount=Decimal(amount), p_refund_platform_fee=refund_platform_fee)

    def approve_refund(self, refund_id: int, approved_by: str) -> int:
        return self.call("ledger.approve_refund", p_refund_id=refund_id, p_approved_by=approved_by)

    def process_refund(self, refund_id: int) -> int:
        return self.call("ledger.process_refund", p_refund_id=refund_id)

    def fail_refund(self, refund_id: int, reason: str) -> int:
        return self.call("ledger.fail_refund", p_refund_id=refund_id, p_reason=reason)

    def retry_advice(self, kind: str, id_: int) -> tuple[str, str]:
        """(action, reason): RETRY, ALREADY_DONE, WAIT or INVESTIGATE."""
        return self.rows("ledger.retry_advice", p_kind=kind, p_id=id_)[0]

    # -- payouts -----------------------------------------------------------------------

    def payout_once(self, order_ref: str, beneficiary: str, amount: Decimal | int | str,
                    source: str = "MANUAL") -> tuple[int, bool, str]:
        """(payout_id, created, status): at most one live payout per order."""
        return self.rows("ledger.payout_once", p_order_ref=order_ref, p_beneficiary=beneficiary,
                         p_amount=Decimal(amount), p_source=source)[0]

    def complete_payout(self, payout_id: int, provider_ref: str) -> int:
        return self.call("ledger.complete_payout", p_payout_id=payout_id, p_provider_ref=provider_ref)

    def fail_payout(self, payout_id: int, reason: str) -> int:
        return self.call("ledger.fail_payout", p_payout_id=payout_id, p_reason=reason)

    def run_settlement_batch(self, run_date: Any) -> int:
        return self.call("ledger.run_settlement_batch", p_run_date=run_date)

    def record_provider_event(self, provider: str, merchant_ref: str, source_event_id: str, event_seq: int,
                              payout_id: int, provider_ref: str | None, state: str, amount: Decimal | int | str,
                              currency: str, payload: Mapping[str, Any] | None = None) -> str:
        """APPLIED, DUPLICATE or STALE."""
        return self.call("ledger.record_provider_event", p_provider=provider, p_merchant_ref=merchant_ref,
                         p_source_event_id=source_event_id, p_event_seq=event_seq, p_payout_id=payout_id,
                         p_provider_ref=provider_ref, p_state=state, p_amount=Decimal(amount), p_currency=currency,
                         p_payload=Jsonb(dict(payload or {})))


def _arguments(args: tuple, named: Mapping[str, Any]) -> tuple[str, tuple]:
    """The argument list of a call, positional first, then in named notation (p_wallet => %s): a named argument
    cannot land in the wrong parameter when a function gains one."""
    for name in named:
        if not re.fullmatch(r"p_[a-z0-9_]+", name):
            raise ValueError(f"{name!r} is not a parameter name of a ledger function (p_…)")
    return ", ".join(["%s"] * len(args) + [f"{name} => %s" for name in named]), (*args, *named.values())


class Ops(Ledger):
    """The audited on-call procedures (role ledger_oncall); each returns its audit row as a dict."""

    def audited(self, function: str, *args: Any, **named: Any) -> dict[str, Any]:
        arguments, values = _arguments(args, named)
        with translated_errors(), self.conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            # never prepared on the server: on-call runs through the same pooler as everyone
            return cur.execute(f"SELECT * FROM {function}({arguments})", values, prepare=False).fetchone()

    def set_kill_switch(self, scope: str, enabled: bool, reason: str, ticket: str,
                        retry_after: Any = None) -> dict[str, Any]:
        return self.audited("ledger_ops.set_kill_switch", p_scope=scope, p_enabled=enabled, p_reason=reason,
                            p_ticket=ticket, p_retry_after=retry_after)
