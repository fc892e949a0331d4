"""The ledger against a Python model of it, step by step (Hypothesis stateful testing).

The model knows the money rules of PRODUCT.md and nothing of the SQL: who is
debited and credited by a transfer, a capture, a refund, a payout and its
provider events, an adjustment and a reversal; that a FULL freeze takes no
entry and a DEBITS freeze no debit (LG008); that a wallet that may not go
negative refuses the debit that would take it below zero (LG010); that a key
or a payment or an order repeated returns the first result and moves nothing.
After every step each wallet's balance must be the model's, and the whole
ledger must pass the consistency checks of ``ledger_state``.

Examples share one database: each runs on wallets of its own prefix, and the
platform's wallets (shared) are followed as deltas from their balance when
the example started. Seeded (derandomize), so a failure reproduces.
"""

from __future__ import annotations

import collections
import itertools
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from ledger_state import violations
from ledgerguard.client import Ops
from ledgerguard.errors import LedgerError

CENT = Decimal("0.01")
SYSTEM = ("PLATFORM_MAIN", "SUSPENSE", "PAYOUTS_IN_TRANSIT", "PAYOUT_PROVIDER")
USERS = ("u0", "u1", "u2")            # may not go negative
MERCHANTS = ("m0", "m1")              # may not go negative; payees and payout beneficiaries
OVERDRAFT = "world"                   # an EXTERNAL wallet that may go negative
OWN = (*USERS, *MERCHANTS, OVERDRAFT)

amounts = st.integers(min_value=1, max_value=40_00).map(lambda cents: Decimal(cents) / 100)


@dataclass
class Wallet:
    balance: Decimal
    may_go_negative: bool
    freeze: str | None = None  # FULL or DEBITS

    def refusal(self, amount: Decimal) -> str | None:
        """The SQLSTATE the ledger must raise for this entry, or None when the wallet takes it."""
        if self.freeze == "FULL" or (self.freeze == "DEBITS" and amount < 0):
            return "LG008"
        if amount < 0 and not self.may_go_negative and self.balance + amount < 0:
            return "LG010"
        return None


@dataclass
class Payment:
    id: int
    payer: str
    payee: str
    amount: Decimal
    fee: Decimal
    capture: int | None = None            # the capture transaction, once captured
    reserved: Decimal = Decimal(0)        # refunds requested and not failed
    refunded: Decimal = Decimal(0)        # refunds completed
    fee_base: Decimal = Decimal(0)        # completed refunds that refunded the fee share


@dataclass
class Payout:
    id: int
    order: str
    beneficiary: str
    provider_amount: Decimal
    status: str = "PENDING"
    seq: int | None = None
    events: list[str] = field(default_factory=list)


def leg_refusals(wallets: dict[str, Wallet], legs: list[tuple[str, Decimal]]) -> set[str]:
    """What the ledger must refuse these legs with, taken in order (a call may post twice to one wallet)."""
    running = {name: Wallet(w.balance, w.may_go_negative, w.freeze) for name, w in wallets.items()}
    refused = set()
    for wallet, amount in legs:
        if code := running[wallet].refusal(amount):
            refused.add(code)
        running[wallet].balance += amount
    return refused


@pytest.mark.timeout(1200)  # the --soak variant runs for minutes
def test_the_ledger_follows_its_model_step_by_step(app, connect, pytestconfig):
    soak = pytestconfig.getoption("--soak")
    checker = connect(None)
    app_ledger = app
    ops = Ops(connect("lg_oncall"))
    counter = itertools.count()
    steps = collections.Counter()

    class LedgerModel(RuleBasedStateMachine):
        @initialize()
        def open_wallets(self) -> None:
            self.prefix = f"x{uuid.uuid4().hex[:8]}"
            self.wallets: dict[str, Wallet] = {}
            for name, kind, negative in [*((u, "USER", False) for u in USERS), *((m, "MERCHANT", False) for m in MERCHANTS),
                                         (OVERDRAFT, "EXTERNAL", True)]:
                app_ledger.create_wallet(self.code(name), kind, "USD", negative)
                self.wallets[name] = Wallet(Decimal(0), negative)
            for name in SYSTEM:
                may = name in ("SUSPENSE", "PAYOUT_PROVIDER")
                self.wallets[name] = Wallet(self.stored(name), may)
            self.posted: dict[str, tuple[list[tuple[str, Decimal]], int]] = {}  # key -> (legs, transaction)
            self.reversible: dict[int, list[tuple[str, Decimal]]] = {}        # transaction -> legs
            self.reversed: set[int] = set()
            self.payments: list[Payment] = []
            self.payouts: list[Payout] = []
            for name in (*USERS, *MERCHANTS):  # money to move: most steps should go through, some refused
                self.transfer(OVERDRAFT, name, Decimal("60.00"))

        # -- helpers ---------------------------------------------------------------------

        def code(self, name: str) -> str:
            return name if name in SYSTEM else f"{self.prefix}.{name}"

        def stored(self, name: str) -> Decimal:
            return checker.execute(
                "SELECT coalesce(sum(b.balance), 0) FROM ledger.wallet_buckets b JOIN ledger.wallets w ON w.id = b.wallet_id "
                "WHERE w.code = %s", (self.code(name),)).fetchone()[0]

        def key(self, what: str) -> str:
            return f"{self.prefix}-{what}-{next(counter)}"

        def attempt(self, what: str, legs: list[tuple[str, Decimal]], call) -> object | None:
            """Run call() (counted under `what`); when the model predicts a refusal it must fail with one of the predicted codes
            and move nothing. Returns call()'s result, or None when refused."""
            expected = leg_refusals(self.wallets, legs)
            steps["steps"] += 1
            if expected:
                with pytest.raises(LedgerError) as refused:
                    call()
                assert refused.value.sqlstate in expected, f"{legs}: expected {expected}, got {refused.value!r}"
                steps["refused as predicted"] += 1
                return None
            result = call()
            steps[what] += 1
            for wallet, amount in legs:
                self.wallets[wallet].balance += amount
            return result

        # -- postings ----------------------------------------------------------------------

        @rule(source=st.sampled_from(OWN), recipient=st.sampled_from(OWN), amount=amounts)
        def transfer(self, source: str, recipient: str, amount: Decimal) -> None:
            if source == recipient:
                return
            legs = [(source, -amount), (recipient, amount)]
            key = self.key("t")
            txn = self.attempt("transfer", legs, lambda: app_ledger.post_transaction(
                key, "TRANSFER", [(self.code(w), a) for w, a in legs]))
            if txn is not None:
                self.posted[key] = (legs, txn)
                self.reversible[txn] = legs

        @precondition(lambda self: self.posted)
        @rule(data=st.data())
        def repeat_a_posting(self, data: st.DataObject) -> None:
            """The same key and request: the first transaction, nothing moves. Another request: LG013."""
            key = data.draw(st.sampled_from(sorted(self.posted)))
            legs, txn = self.posted[key]
            assert app_ledger.post_transaction(key, "TRANSFER", [(self.code(w), a) for w, a in legs]) == txn
            with pytest.raises(LedgerError) as conflict:
                app_ledger.post_transaction(key, "TRANSFER", [(self.code(w), a + CENT if a > 0 else a - CENT) for w, a in legs])
            assert conflict.value.sqlstate == "LG013"

        # -- payments and refunds ------------------------------------------------------------

        @rule(payer=st.sampled_from(USERS), payee=st.sampled_from(MERCHANTS), amount=amounts,
              fee_share=st.integers(min_value=0, max_value=30))
        def pay(self, payer: str, payee: str, amount: Decimal, fee_share: int) -> None:
            fee = (amount * fee_share / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            if fee >= amount:
                fee = Decimal(0)
            payment_id = app_ledger.create_payment(self.key("p"), self.key("order"), self.code(payer), self.code(payee),
                                                   amount, "USD", fee, "PREPAID")
            self.payments.append(Payment(payment_id, payer, payee, amount, fee))
            self.capture(self.payments[-1])

        def capture(self, payment: Payment) -> None:
            legs = [(payment.payer, -payment.amount), (payment.payee, payment.amount - payment.fee)]
            if payment.fee:
                legs.append(("PLATFORM_MAIN", payment.fee))
            payment.capture = self.attempt("capture", legs, lambda: app_ledger.capture_payment(payment.id))

        @precondition(lambda self: self.payments)
        @rule(data=st.data())
        def capture_again(self, data: st.DataObject) -> None:
            """A captured payment returns its transaction and moves nothing; one refused before may go through now."""
            payment = data.draw(st.sampled_from(self.payments))
            if payment.capture is not None:
                assert app_ledger.capture_payment(payment.id) == payment.capture
            else:
                self.capture(payment)

        @precondition(lambda self: any(p.capture for p in self.payments))
        @rule(data=st.data(), fraction=st.integers(min_value=1, max_value=50), with_fee=st.booleans())
        def refund(self, data: st.DataObject, fraction: int, with_fee: bool) -> None:
            payment = data.draw(st.sampled_from([p for p in self.payments if p.capture]))
            amount = max(CENT, (payment.amount * fraction / 100).quantize(CENT))
            steps["steps"] += 1
            if payment.reserved + amount > payment.amount:  # refunded in full: LG101; else over the captured: LG103
                with pytest.raises(LedgerError) as over:
                    app_ledger.request_refund(self.key("r"), payment.id, amount, with_fee)
                assert over.value.sqlstate == ("LG101" if payment.refunded == payment.amount else "LG103")
                steps["refused as predicted"] += 1
                return
            refund_id = app_ledger.request_refund(self.key("r"), payment.id, amount, with_fee)
            payment.reserved += amount
            app_ledger.approve_refund(refund_id, "model")
            share = Decimal(0)
            if with_fee:
                share = (self.fee_of(payment, payment.fee_base + amount) - self.fee_of(payment, payment.fee_base))
            legs = [(payment.payer, amount), (payment.payee, -(amount - share))]
            if share:
                legs.append(("PLATFORM_MAIN", -share))
            txn = self.attempt("refund", legs, lambda: app_ledger.process_refund(refund_id))
            if txn is None:  # refused: fail it, which frees its amount for another request
                app_ledger.fail_refund(refund_id, "model: refused")
                payment.reserved -= amount
                return
            assert app_ledger.process_refund(refund_id) == txn  # processed once
            payment.refunded += amount
            if with_fee:
                payment.fee_base += amount

        @staticmethod
        def fee_of(payment: Payment, refunded: Decimal) -> Decimal:
            return (payment.fee * refunded / payment.amount).quantize(CENT, rounding=ROUND_HALF_UP)

        # -- payouts and the provider's callbacks --------------------------------------------------

        @rule(beneficiary=st.sampled_from(MERCHANTS), amount=amounts)
        def payout(self, beneficiary: str, amount: Decimal) -> None:
            order = self.key("order")
            legs = [(beneficiary, -amount), ("PAYOUTS_IN_TRANSIT", amount)]
            result = self.attempt("payout", legs, lambda: app_ledger.payout_once(order, self.code(beneficiary), amount))
            if result is not None:
                payout_id, created, status = result
                assert created and status == "PENDING"
                self.payouts.append(Payout(payout_id, order, beneficiary, amount))
                assert app_ledger.payout_once(order, self.code(beneficiary), amount) == (payout_id, False, "PENDING")

        @precondition(lambda self: self.payouts)
        @rule(data=st.data(), state=st.sampled_from(["submitted", "succeeded", "failed"]),
              seq=st.integers(min_value=1, max_value=6), paid_less=st.integers(min_value=0, max_value=3), replay=st.booleans())
        def provider_event(self, data: st.DataObject, state: str, seq: int, paid_less: int, replay: bool) -> None:
            payout = data.draw(st.sampled_from(self.payouts))
            steps["steps"] += 1
            if replay and payout.events:
                event = data.draw(st.sampled_from(payout.events))
                assert self.report(payout, event, seq, state, payout.provider_amount) == "DUPLICATE"
                return
            amount = max(CENT, payout.provider_amount - paid_less * CENT)
            event = self.key("event")
            if payout.seq is not None and seq <= payout.seq:
                assert self.report(payout, event, seq, state, amount) == "STALE"
                payout.events.append(event)
                return
            legs: list[tuple[str, Decimal]] = []
            held = "PAYOUT_PROVIDER" if payout.status == "COMPLETED" else "PAYOUTS_IN_TRANSIT"
            delta = amount - payout.provider_amount
            if delta and payout.status != "FAILED":  # paid less: the beneficiary gets the rest back
                legs += [(held, delta), (payout.beneficiary, -delta)]
            after = payout.provider_amount + (delta if payout.status != "FAILED" else 0)
            target = {("submitted", "PENDING"): "SUBMITTED", ("succeeded", "PENDING"): "COMPLETED",
                      ("succeeded", "SUBMITTED"): "COMPLETED", ("failed", "PENDING"): "FAILED",
                      ("failed", "SUBMITTED"): "FAILED", ("failed", "COMPLETED"): "FAILED"}.get((state, payout.status))
            if target == "COMPLETED":
                legs += [("PAYOUTS_IN_TRANSIT", -after), ("PAYOUT_PROVIDER", after)]
            elif target == "FAILED":
                legs += [(held, -after), (payout.beneficiary, after)]
            outcome = self.attempt("provider event", legs, lambda: self.report(payout, event, seq, state, amount))
            if outcome is None:
                return
            assert outcome == "APPLIED"
            payout.events.append(event)
            payout.seq = seq
            payout.provider_amount = after
            payout.status = target or payout.status

        def report(self, payout: Payout, event: str, seq: int, state: str, amount: Decimal) -> str:
            return app_ledger.record_provider_event("acme", self.code(payout.beneficiary), event, seq, payout.id,
                                                    None, state, amount, "USD")

        # -- on-call -------------------------------------------------------------------------

        @rule(wallet=st.sampled_from(OWN), mode=st.sampled_from(["FULL", "DEBITS", None]))
        def freeze(self, wallet: str, mode: str | None) -> None:
            current = self.wallets[wallet].freeze
            steps["steps"] += 1
            if mode == current:
                with pytest.raises(LedgerError) as same:
                    self.freeze_call(wallet, mode)
                assert same.value.sqlstate == "LG302"
                return
            self.freeze_call(wallet, mode)
            self.wallets[wallet].freeze = mode

        def freeze_call(self, wallet: str, mode: str | None) -> None:
            if mode is None:
                ops.audited("ledger_ops.unfreeze_wallet", self.code(wallet), "model", "MODEL-1")
            else:
                ops.audited("ledger_ops.freeze_wallet", self.code(wallet), "model", "MODEL-1", mode)

        @rule(wallet=st.sampled_from(OWN), amount=amounts, credit=st.booleans())
        def adjust(self, wallet: str, amount: Decimal, credit: bool) -> None:
            amount = amount if credit else -amount
            legs = [(wallet, amount), ("SUSPENSE", -amount)]
            audit = self.attempt("adjustment", legs, lambda: ops.audited("ledger_ops.post_adjustment", self.code(wallet), amount,
                                                           "model", "MODEL-2"))
            if audit is not None:
                self.reversible[audit["after_state"]["transaction_id"]] = legs

        @precondition(lambda self: self.reversible)
        @rule(data=st.data())
        def reverse(self, data: st.DataObject) -> None:
            txn = data.draw(st.sampled_from(sorted(self.reversible)))
            steps["steps"] += 1
            if txn in self.reversed:
                with pytest.raises(LedgerError) as twice:
                    ops.audited("ledger_ops.reverse_transaction", txn, "model", "MODEL-3")
                assert twice.value.sqlstate == "LG303"
                return
            mirror = [(wallet, -amount) for wallet, amount in self.reversible[txn]]
            if self.attempt("reversal", mirror, lambda: ops.audited("ledger_ops.reverse_transaction", txn, "model", "MODEL-3")):
                self.reversed.add(txn)

        # -- after every step ------------------------------------------------------------------

        @invariant()
        def balances_are_the_models(self) -> None:
            if not hasattr(self, "wallets"):
                return
            actual = {name: self.stored(name) for name in self.wallets}
            assert actual == {name: w.balance for name, w in self.wallets.items()}
            assert violations(checker) == []

    LedgerModel.TestCase.settings = settings(
        max_examples=300 if soak else 60, stateful_step_count=80 if soak else 50, deadline=None,
        derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
    run_state_machine_as_test(LedgerModel, settings=LedgerModel.TestCase.settings)
    print(f"\nmodel: {dict(steps)}, violations: 0")
    for what in ("transfer", "capture", "refund", "payout", "provider event", "adjustment", "reversal", "refused as predicted"):
        assert steps[what] > 0, f"no {what} went through: that part of the model went untested"
