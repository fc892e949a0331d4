"""A seeded, time-bounded payments workload over real parallel connections.

Used by the bank test, the kill-under-load test and the crash test. Each
worker draws operations from its own seeded random stream: multi-leg
transfers in USD and EUR, captures, refunds, payouts with provider
callbacks, and (worker 0, acting as on-call) freezes and unfreezes. A
request that ends in a documented refusal (frozen wallet, insufficient
funds, a refund of a refunded payment or over the captured amount) is counted; any other error fails
the run.

Every request carries its idempotency key (or its payment, refund, order).
When a connection is lost mid-request the outcome is unknown: the worker
reconnects and repeats the same request, which must take effect at most
once. Every acknowledged result is recorded, so a test can prove after a
crash that each one is there.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg

from ledger_state import advisory_locks, violations
from ledgerguard.client import Ledger, Ops
from ledgerguard.errors import LedgerError

# Documented refusals: frozen, insufficient funds, payment refunded in full already, refund over the captured
# amount, and (an on-call action repeated after its reply was lost) the wallet is in that state already.
REFUSALS = frozenset({"LG008", "LG010", "LG101", "LG103", "LG302"})
POOLS = {"USD": [f"bank.u{i}" for i in range(12)], "EUR": [f"bank.e{i}" for i in range(6)]}
MERCHANTS = [f"bank.m{i}" for i in range(4)]
OPENING = {"user": Decimal("300.00"), "merchant": Decimal("100000.00")}


def cents(rng: random.Random, low: int = 1, high: int = 2000) -> Decimal:
    return Decimal(rng.randint(low, high)) / 100


def open_books(ledger: Ledger) -> None:
    """The workload's wallets, each user and merchant funded from an EXTERNAL wallet of its currency."""
    for currency, users in POOLS.items():
        world = f"bank.world.{currency}"
        ledger.create_wallet(world, "EXTERNAL", currency, True)
        for code in users + (MERCHANTS if currency == "USD" else []):
            opening = OPENING["merchant" if code in MERCHANTS else "user"]
            ledger.create_wallet(code, "MERCHANT" if code in MERCHANTS else "USER", currency)
            ledger.post_transaction(f"open-{code}", "TRANSFER", [(world, -opening), (code, opening)])


@dataclass
class Tally:
    """What one run did: acknowledged results by kind, refusals, lost replies, repeats."""
    acknowledged: dict[str, list] = field(default_factory=lambda: collections.defaultdict(list))
    counts: collections.Counter = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, kind: str, value: object) -> None:
        with self.lock:
            self.acknowledged[kind].append(value)
            self.counts[kind] += 1

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    @property
    def operations(self) -> int:
        return sum(len(v) for v in self.acknowledged.values()) + self.counts["refused"]


@dataclass
class ProviderStory:
    """What the provider will say about one payout, in order (event seq = position + 1)."""
    payout_id: int
    beneficiary: str
    amount: Decimal
    states: list[str]
    sent: int = 0
    late: int | None = None  # a callback that was overtaken and arrives now

    def next_event(self, rng: random.Random) -> tuple[int | None, str | None]:
        if self.late is not None:
            seq, self.late = self.late, None
        elif self.sent and rng.random() < 0.2:  # a replay of a callback already delivered
            seq = rng.randint(1, self.sent)
        elif self.sent == len(self.states):
            return None, None
        elif self.sent + 2 <= len(self.states) and rng.random() < 0.2:  # the next one overtakes this one
            self.late, seq = self.sent + 1, self.sent + 2
            self.sent += 2
        else:
            self.sent += 1
            seq = self.sent
        return seq, self.states[seq - 1]


class Workload:
    """workers × seeded operations until `stop` is set or the deadline passes.

    connect(login) opens an autocommit connection. on_lost decides what a
    worker does when its connection dies: "retry" reconnects and repeats the
    request; "stop" records it as in doubt and ends the worker (the server is gone).
    """

    def __init__(self, connect: Callable[[str], psycopg.Connection], seed: int, on_lost: str = "retry"):
        self.connect = connect
        self.seed = seed
        self.on_lost = on_lost
        self.tally = Tally()
        self.in_doubt: list[tuple[int, str, Callable[[Ledger], object]]] = []  # (worker, name, request)
        self.stop = threading.Event()
        self.errors: list[BaseException] = []

    # -- running -------------------------------------------------------------------------

    def run(self, workers: int, seconds: float, during: Callable[[], None] | None = None) -> Tally:
        """Run the workers for `seconds` (or until stop); `during` runs in this thread meanwhile."""
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=self._worker, args=(i, deadline), name=f"worker-{i}") for i in range(workers)]
        for thread in threads:
            thread.start()
        try:
            if during is not None:
                during()
        except BaseException:
            self.stop.set()  # the workers end now, not at their deadline
            raise
        finally:
            for thread in threads:
                thread.join(timeout=seconds + 120)
            self.stop.set()
        if self.errors:
            raise self.errors[0]
        return self.tally

    def _worker(self, index: int, deadline: float) -> None:
        rng = random.Random(self.seed * 1000 + index)
        state = {"payments": [], "payouts": [], "frozen": None, "n": 0}
        ledger: Ledger | None = None
        try:
            ledger = self._session(index)
            while not self.stop.is_set() and time.monotonic() < deadline:
                name, request = self._draw(rng, index, state)
                ledger = self._perform(index, ledger, name, request)
                if ledger is None:
                    return
        except BaseException as error:  # noqa: BLE001 - re-raised by run()
            self.errors.append(error)
            self.stop.set()
        finally:
            if ledger is not None:
                ledger.close()

    def _session(self, index: int) -> Ledger:
        login = "lg_oncall" if index == 0 else "lg_app"
        return (Ops if index == 0 else Ledger)(self.connect(login))

    def repeat_in_doubt(self, other: "Workload") -> None:
        """Repeat every request other lost its reply to, as the worker that sent it, to an answer."""
        for index, name, request in other.in_doubt:
            if (ledger := self._perform(index, self._session(index), name, request)) is not None:
                ledger.close()

    def _perform(self, index: int, ledger: Ledger, name: str,
                 request: Callable[[Ledger], object]) -> Ledger | None:
        """Run one request to an answer; repeat it on a new connection while the reply is lost."""
        while True:
            try:
                result = request(ledger)
            except LedgerError as refused:
                if refused.sqlstate not in REFUSALS:
                    raise
                self.tally.count("refused")
                self.tally.count(f"refused {name} {refused.sqlstate}")
                return ledger
            except psycopg.OperationalError:
                self.tally.count("lost replies")
                if self.on_lost == "stop":
                    self.in_doubt.append((index, name, request))
                    return None
                ledger = self._reconnect(index)
                self.tally.count("repeated")
                continue
            if result is not None:
                self.tally.ack(name, result)
            return ledger

    def _reconnect(self, index: int) -> Ledger:
        for _ in range(100):
            try:
                return self._session(index)
            except psycopg.OperationalError:
                time.sleep(0.05)
        raise RuntimeError("could not reconnect")

    # -- the operations --------------------------------------------------------------------

    def _draw(self, rng: random.Random, index: int, state: dict) -> tuple[str, Callable[[Ledger], object]]:
        state["n"] += 1
        key = f"w{self.seed}.{index}.{state['n']}"
        if index == 0:
            return self._oncall(rng, state)
        choice = rng.choices(["transfer", "capture", "refund", "payout", "event", "top-up"], weights=[6, 3, 1, 1, 1, 1])[0]
        if choice == "top-up":  # money comes in from outside as fast as captures and payouts take it out
            return "transfer", self._top_up(rng, key)
        if choice == "refund" and state["payments"]:
            return "refund", self._refund(rng, key, state)
        if choice == "event" and state["payouts"]:
            return "provider event", self._provider_event(rng, key, state)
        if choice == "payout":
            return "payout", self._payout(rng, key, state)
        if choice == "capture":
            return "capture", self._capture(rng, key, state)
        return "transfer", self._transfer(rng, key)

    @staticmethod
    def _transfer(rng: random.Random, key: str) -> Callable[[Ledger], object]:
        """2 to 4 legs in one currency: one side pays, the others receive (or the other way round)."""
        currency = rng.choice(["USD", "USD", "EUR"])
        wallets = rng.sample(POOLS[currency] + [f"bank.world.{currency}"], rng.randint(2, 4))  # the world tops users up
        sign = rng.choice([1, -1])
        amounts = [sign * cents(rng) for _ in wallets[1:]]
        legs = [(wallets[0], -sum(amounts)), *zip(wallets[1:], amounts)]
        return lambda ledger: ledger.post_transaction(key, "TRANSFER", legs)

    @staticmethod
    def _top_up(rng: random.Random, key: str) -> Callable[[Ledger], object]:
        currency = rng.choice(["USD", "USD", "EUR"])
        user, amount = rng.choice(POOLS[currency]), cents(rng, 500, 3000)
        return lambda ledger: ledger.post_transaction(key, "TRANSFER", [(f"bank.world.{currency}", -amount), (user, amount)])

    @staticmethod
    def _capture(rng: random.Random, key: str, state: dict) -> Callable[[Ledger], object]:
        payer, payee = rng.choice(POOLS["USD"]), rng.choice(MERCHANTS)
        amount = cents(rng, 100, 2000)
        fee = (amount * rng.randint(0, 10) / 100).quantize(Decimal("0.01"))

        def capture(ledger: Ledger) -> int:
            payment = ledger.create_payment(key, f"order-{key}", payer, payee, amount, "USD", fee, "PREPAID")
            txn = ledger.capture_payment(payment)
            state["payments"].append((payment, amount))
            return txn
        return capture

    @staticmethod
    def _refund(rng: random.Random, key: str, state: dict) -> Callable[[Ledger], object]:
        payment, amount = rng.choice(state["payments"])
        part = max(Decimal("0.01"), (amount * rng.randint(10, 60) / 100).quantize(Decimal("0.01")))
        with_fee = rng.random() < 0.5

        def refund(ledger: Ledger) -> int:
            refund_id = ledger.request_refund(key, payment, part, with_fee)
            try:
                ledger.approve_refund(refund_id, "workload")
            except LedgerError as done:  # repeated after a lost reply: it got further than APPROVED
                if done.sqlstate != "LG102":
                    raise
            return ledger.process_refund(refund_id)  # refused (payee short, a wallet frozen): it stays APPROVED
        return refund

    @staticmethod
    def _payout(rng: random.Random, key: str, state: dict) -> Callable[[Ledger], object]:
        beneficiary, amount = rng.choice(MERCHANTS), cents(rng, 100, 3000)

        story = rng.choice([["submitted", "succeeded"], ["submitted", "failed"], ["submitted", "succeeded", "failed"]])

        def payout(ledger: Ledger) -> int:
            payout_id, _created, _status = ledger.payout_once(f"order-{key}", beneficiary, amount)
            state["payouts"].append(ProviderStory(payout_id, beneficiary, amount, story))
            return payout_id
        return payout

    @staticmethod
    def _provider_event(rng: random.Random, key: str, state: dict) -> Callable[[Ledger], object]:
        """The provider's next callback for a payout; some arrive twice, some overtake the one before."""
        story = rng.choice(state["payouts"])
        seq, status = story.next_event(rng)
        if seq is None:
            state["payouts"].remove(story)
            return lambda ledger: None
        return lambda ledger: ledger.record_provider_event("acme", story.beneficiary, f"evt-{story.payout_id}-{seq}",
                                                           seq, story.payout_id, None, status, story.amount, "USD")

    @staticmethod
    def _oncall(rng: random.Random, state: dict) -> tuple[str, Callable[[Ledger], object]]:
        """Worker 0 is on-call: it freezes one user wallet at a time and unfreezes it a little later."""
        time.sleep(rng.uniform(0.05, 0.2))
        if state["frozen"] is None:
            wallet, mode = rng.choice(POOLS["USD"] + POOLS["EUR"]), rng.choice(["FULL", "DEBITS"])
            state["frozen"] = wallet
            return "freeze", lambda ops: ops.audited("ledger_ops.freeze_wallet", wallet, "workload", "LOAD-1", mode)["id"]
        wallet, state["frozen"] = state["frozen"], None
        return "unfreeze", lambda ops: ops.audited("ledger_ops.unfreeze_wallet", wallet, "workload", "LOAD-1")["id"]


def missing_acknowledged(conn: psycopg.Connection, tally: Tally) -> list[str]:
    """Acknowledged results the database does not hold (empty when every one is there)."""
    missing: list[str] = []
    txns = [t for kind in ("transfer", "capture", "refund") for t in tally.acknowledged[kind]]
    found = {row[0] for row in conn.execute("SELECT id FROM ledger.transactions WHERE id = ANY(%s)", (txns,))}
    missing += [f"transaction {t}" for t in txns if t not in found]
    payouts = tally.acknowledged["payout"]
    found = {row[0] for row in conn.execute("SELECT id FROM ledger.payouts WHERE id = ANY(%s)", (payouts,))}
    missing += [f"payout {p}" for p in payouts if p not in found]
    audits = tally.acknowledged["freeze"] + tally.acknowledged["unfreeze"]
    found = {row[0] for row in conn.execute("SELECT id FROM ledger.audit_log WHERE id = ANY(%s)", (audits,))}
    missing += [f"audit row {a}" for a in audits if a not in found]
    return missing


def aftermath(conn: psycopg.Connection, tally: Tally) -> list[str]:
    """What must be empty after a run, whatever was killed or crashed during it: acknowledged results
    missing, broken invariants, advisory locks left behind, findings of the whole check catalog."""
    found = missing_acknowledged(conn, tally) + violations(conn)
    if locks := advisory_locks(conn):
        found.append(f"{locks} advisory lock(s) left")
    found += [f"{name}: {subject}" for name, subject in
              conn.execute("SELECT check_name, subject FROM ledger_check.run_all(NULL)")]
    return found
