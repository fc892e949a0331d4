"""The SQLSTATE registry of ledgerguard, and the Python exception of each code.

Every error the ledger raises on purpose has a code in the private class
``LG``. The code is the contract (application code branches on it); the
message names the object, DETAIL says what happened, HINT says what to do.
``docs/errors.md`` is generated from this table (a test keeps it current),
and another test fails when sql/ raises a code that is not registered here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    sqlstate: str
    name: str
    meaning: str
    action: str


REGISTRY: tuple[Code, ...] = (
    Code("LG001", "NullArgument", "A required argument of an API function is NULL.",
         "Pass every argument; omit one that has a default rather than passing NULL."),
    Code("LG002", "InvalidAmount", "An amount is not a finite, non-zero decimal below 10^15 (NaN, Infinity, 0, malformed, or negative where a magnitude is required).",
         "Send decimal strings such as \"12.50\"."),
    Code("LG003", "AmountPrecision", "An amount has more decimals than its currency's minor units (10.005 USD, 1.5 JPY); the ledger never rounds.",
         "Round explicitly before calling and decide where the remainder goes."),
    Code("LG004", "UnknownCurrency", "The currency is not in ledger.currencies.",
         "Use an ISO 4217 code; a DBA adds currencies by migration."),
    Code("LG005", "CurrencyMismatch", "An entry's currency differs from its wallet's.",
         "Post each currency to wallets of that currency."),
    Code("LG006", "UnknownWallet", "No wallet has this code (or id).",
         "Create the wallet first, or fix the code."),
    Code("LG007", "WalletConflict", "A wallet with this code exists with a different kind, currency or overdraft rule.",
         "Choose another code, or request the existing definition."),
    Code("LG008", "WalletFrozen", "The wallet is FROZEN: mode FULL takes no entries, mode DEBITS takes credits only.",
         "Wait for on-call to unfreeze it (see the audit log for the ticket)."),
    Code("LG009", "WalletClosed", "The wallet is CLOSED for good.",
         "Post to the wallet that replaced it."),
    Code("LG010", "InsufficientFunds", "The debit would take a wallet that may not go negative below zero.",
         "Fund the wallet first, or debit less."),
    Code("LG011", "UnbalancedTransaction", "The legs of a ledger transaction do not sum to zero in every currency (checked at COMMIT).",
         "Add the missing leg or fix the amounts."),
    Code("LG012", "AppendOnly", "UPDATE, DELETE or TRUNCATE of an append-only table (entries, transactions, audit log) or DELETE of a wallet.",
         "Correct with a new transaction: a reversal or an adjustment."),
    Code("LG013", "IdempotencyConflict", "The idempotency key was already used for a different request.",
         "Repeat the original request exactly, or use a new key for a new request."),
    Code("LG014", "InvalidLegs", "The legs are not a JSON array of 2..max_legs objects {\"wallet\", \"amount\"}, or repeat a wallet.",
         "Send [{\"wallet\": \"code\", \"amount\": \"-1.00\"}, …] with one leg per wallet."),
    Code("LG015", "InvalidArgument", "An argument is out of its domain (unknown kind, malformed code, oversized text).",
         "Check the argument against the function's comment (\\df+)."),
    Code("LG016", "ProtectedColumn", "A write tried to set a value the ledger maintains itself (balance, bucket, balance_after) or to change an immutable column.",
         "Leave ledger-maintained columns alone; post a transaction instead."),
    Code("LG017", "WalletNotEmpty", "A wallet cannot be closed while its balance is not zero.",
         "Move the balance out first."),
    Code("LG018", "UnknownTransaction", "No ledger transaction has this id.",
         "Find it by reference in ledger.transactions."),
    Code("LG019", "BatchTooLarge", "A call of ledger.post_transactions sends more than batches.max_bytes of JSON (refused before it is parsed) or more than batches.max_items transfers.",
         "Split the batch; a loader commits each batch of about 1,000 transfers."),
    Code("LG101", "PaymentStateConflict", "The payment's state does not allow this: capture after FAILED, refund before capture, an illegal transition written directly.",
         "Ask ledger.retry_advice('payment', id); a failed payment is final."),
    Code("LG102", "RefundStateConflict", "The refund's state does not allow this: process a PENDING refund, fail a COMPLETED one, an illegal transition.",
         "Ask ledger.retry_advice('refund', id); approve before processing; a failed refund is final."),
    Code("LG103", "RefundExceedsCaptured", "Refunds requested, in flight and completed would exceed the captured amount of the payment.",
         "Refund at most what the HINT says is left."),
    Code("LG104", "UnknownPayment", "No payment has this id.",
         "Use the id ledger.create_payment returned."),
    Code("LG105", "UnknownRefund", "No refund has this id.",
         "Use the id ledger.request_refund returned."),
    Code("LG106", "RefundInProgress", "The refund is PROCESSING, or another session is processing it right now.",
         "Do not retry yet: wait a minute, then ask ledger.retry_advice."),
    Code("LG107", "FeeExceedsAmount", "The platform fee is larger than the payment amount.",
         "Pass 0 <= fee <= amount."),
    Code("LG108", "Maintenance", "The kill switch of this scope (payments, refunds, payouts) is off; DETAIL starts with 'retry-after: <UTC time>'.",
         "Retry after that time with the same idempotency key."),
    Code("LG109", "DuplicateGatewayTransaction", "Another payment already holds this gateway transaction id: one gateway charge captured twice.",
         "Ask the gateway which payment the charge belongs to; capture the other with its own gateway transaction id."),
    Code("LG201", "PayoutsSuspended", "The beneficiary's payout account is SUSPENDED: no new payouts.",
         "On-call suspended it (audit log); ledger_ops.resume_payouts when the incident is closed."),
    Code("LG202", "PayoutStateConflict", "The payout's state does not allow this: fail a COMPLETED payout, complete a FAILED one, an illegal transition.",
         "A failed payout is over: pay the order again; a completed one fails only when the provider returns it."),
    Code("LG203", "UnknownPayout", "No payout has this id.",
         "Use the payout_id ledger.payout_once returned."),
    Code("LG204", "DuplicateProviderRef", "Another payout of the same merchant already holds this provider ref.",
         "Ask the provider which payout the transfer really belongs to."),
    Code("LG205", "ProviderEventMismatch", "A provider event names a payout of another merchant or currency.",
         "Quarantine the callback and ask the provider."),
    Code("LG206", "PayoutBusy", "payout_once waited payouts.lock_wait (or the caller's shorter lock_timeout) for the lock of its order, held by another call; nothing was written.",
         "Retry the call with the same arguments: it returns the payout the other call made, or makes it. ledger_check.lock_waits shows who holds the lock."),
    Code("LG207", "InvalidBeneficiary", "A payout names a wallet that cannot receive one: a system wallet (PLATFORM, SUSPENSE, PROVIDER kinds, the reserved codes) or a wallet allowed to go negative.",
         "Pay out to the wallet of the merchant, vendor, courier or user that earned the money."),
    Code("LG208", "PaidByProvider", "The provider's latest report on an earlier payout of the order, which the ledger failed or cancelled, is succeeded: a new payout would pay the order twice.",
         "Ask the provider; its later report that the payout failed lets the order be paid again."),
    Code("LG301", "TicketRequired", "An on-call procedure was called without a ticket or a reason.",
         "Pass the incident ticket and the reason; both go to the audit log."),
    Code("LG302", "AlreadyInState", "The on-call action would change nothing: the wallet is already frozen / not frozen, payouts already suspended / active.",
         "Nothing to do; the audit log has the ticket of the earlier change."),
    Code("LG303", "NotReversible", "The transaction was reversed already, or it is a payment, refund or payout whose money follows its own lifecycle.",
         "Reverse at most once; refund payments, fail or recover payouts."),
    Code("LG304", "FourEyesRequired", "An adjustment or a reversal that needs a second person (the approval threshold) was repeated by its maker, or approved under another ticket; a second on-call user must execute it.",
         "Ask another on-call engineer to repeat the same call."),
    Code("LG305", "NothingToDo", "No overpayment is left to recover, or no balance discrepancy to repair.",
         "Nothing to do; the matching check confirms."),
)

BY_SQLSTATE: dict[str, Code] = {code.sqlstate: code for code in REGISTRY}


class LedgerError(Exception):
    """An error the ledger raised on purpose; ``sqlstate`` is the stable contract."""

    sqlstate = "LG000"

    def __init__(self, message: str, *, detail: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.hint = hint

    def __str__(self) -> str:
        parts = [f"{self.sqlstate}: {self.message}"]
        if self.detail:
            parts.append(f"DETAIL: {self.detail}")
        if self.hint:
            parts.append(f"HINT: {self.hint}")
        return "\n".join(parts)


# One exception class per registered code, e.g. ledgerguard.errors.WalletFrozen.
EXCEPTIONS: dict[str, type[LedgerError]] = {
    code.sqlstate: type(code.name, (LedgerError,), {"sqlstate": code.sqlstate, "__doc__": code.meaning,
                                                    "__module__": __name__})
    for code in REGISTRY
}
globals().update({cls.__name__: cls for cls in EXCEPTIONS.values()})


def from_psycopg(error: Exception) -> Exception:
    """The registered exception for a psycopg error with an LG SQLSTATE, else the error itself."""
    sqlstate = getattr(error, "sqlstate", None)
    cls = EXCEPTIONS.get(sqlstate or "")
    if cls is None:
        return error
    diag = error.diag  # type: ignore[attr-defined]
    return cls(diag.message_primary or str(error), detail=diag.message_detail, hint=diag.message_hint)


def markdown() -> str:
    """docs/errors.md, generated from REGISTRY."""
    lines = [
        "# ledgerguard error codes",
        "",
        "Generated from `src/ledgerguard/errors.py` (`python -m ledgerguard.errors > docs/errors.md`).",
        "Every deliberate error uses SQLSTATE class `LG`; the message names the object, DETAIL says",
        "what happened, HINT what to do. `ledgerguard.client` raises `ledgerguard.errors.<Name>`.",
        "",
        "| SQLSTATE | Python exception | meaning | what to do |",
        "|---|---|---|---|",
    ]
    for code in REGISTRY:
        lines.append(f"| `{code.sqlstate}` | `{code.name}` | {code.meaning} | {code.action} |")
    lines += [
        "",
        "Standard SQLSTATEs a client should also expect: `40001` (serialization failure) and `40P01`",
        "(deadlock): retry the whole transaction with the same idempotency key; `55P03`",
        "(lock_not_available, after `lock_timeout`): retry later.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
