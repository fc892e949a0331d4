"""Faults: a backend killed mid-posting or inside payout_once, a lost reply, a deadlock, a server crash.

- A posting whose backend is killed after it wrote its first leg and while
  it waits for the next leaves no row, and the same key posts afterwards.
- A payout_once whose backend is killed while it holds the order's advisory
  lock leaves no payout and no lock: the caller waiting on that lock goes on.
- A reply lost after COMMIT (a proxy drops the server's answer once it has
  seen ReadyForQuery): the same call repeated returns the original result.
- A deadlock (40P01) is retried by the client with the same arguments.
- ``pg_ctl stop -m immediate`` under load, then a restart: every
  acknowledged result is there, the check catalog is clean, and every
  request in doubt repeated with its key takes effect once.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest

import conftest
from ledger_state import advisory_locks, violations
from ledgerguard.client import Ledger
from ledgerguard.cluster import EmbeddedCluster, wait_until_ready
from workload import Workload, aftermath, open_books



@pytest.fixture
def books(app: Ledger) -> Ledger:
    app.create_wallet("world", "EXTERNAL", "USD", True)
    for code, kind in [("alice", "USER"), ("bob", "USER"), ("carol", "USER"), ("shop", "MERCHANT")]:
        app.create_wallet(code, kind, "USD")
        app.post_transaction(f"fund-{code}", "TRANSFER", [("world", "-100.00"), (code, "100.00")])
    return app


def wallet_id(db: psycopg.Connection, code: str) -> int:
    return db.execute("SELECT id FROM ledger.wallets WHERE code = %s", (code,)).fetchone()[0]


def hold_buckets(holder: psycopg.Connection, db: psycopg.Connection, code: str) -> None:
    """Lock every balance bucket of a wallet in holder's open transaction."""
    holder.execute("SELECT 1 FROM ledger.wallet_buckets WHERE wallet_id = %s FOR UPDATE", (wallet_id(db, code),))


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def blocked_by(db: psycopg.Connection, holder: psycopg.Connection) -> int | None:
    """pid of the session waiting on a lock that holder holds."""
    row = db.execute("SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", (holder.info.backend_pid,)
                     ).fetchone()
    return row and row[0]


def in_thread(call: Callable[[], object]) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = call()
        except BaseException as error:  # noqa: BLE001 - inspected by the test
            outcome["error"] = error
    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_posting_killed_between_its_legs_leaves_nothing(books, connect, db):
    """The first leg's bucket is updated by the victim (its xid on the row), the second waits: kill."""
    holder, probe = connect(None, autocommit=False), connect(None)
    first, second = sorted(["alice", "bob"], key=lambda code: wallet_id(db, code))  # legs lock in wallet-id order
    hold_buckets(holder, db, second)
    entries_before = db.execute("SELECT count(*) FROM ledger.entries").fetchone()[0]
    victim = Ledger(connect("lg_app"))
    legs = [(first, "-30.00"), (second, "20.00"), ("carol", "10.00")]
    thread, outcome = in_thread(lambda: victim.post_transaction("killed", "TRANSFER", legs))

    wait_for(lambda: blocked_by(probe, holder) is not None, "the posting to wait for the second leg")
    pid = blocked_by(probe, holder)
    victim_xid = probe.execute("SELECT backend_xid::text FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0]
    first_leg_writer = probe.execute("SELECT DISTINCT xmax::text FROM ledger.wallet_buckets WHERE wallet_id = %s AND xmax <> '0'",
                                     (wallet_id(db, first),)).fetchall()
    assert first_leg_writer == [(victim_xid,)], "the first leg should be written when the kill comes"
    assert probe.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    thread.join(30)
    holder.rollback()

    assert isinstance(outcome.get("error"), psycopg.OperationalError)
    assert db.execute("SELECT count(*) FROM ledger.entries").fetchone()[0] == entries_before
    assert db.execute("SELECT count(*) FROM ledger.transactions WHERE idempotency_key = 'killed'").fetchone()[0] == 0
    assert [books.wallet_balance(code) for code in (first, second, "carol")] == [Decimal("100.00")] * 3
    txn = books.post_transaction("killed", "TRANSFER", legs)  # the key was never claimed
    assert books.post_transaction("killed", "TRANSFER", legs) == txn
    assert books.wallet_balance("carol") == Decimal("110.00")
    assert violations(db) == []


def test_a_payout_killed_inside_payout_once_leaves_no_payout_and_no_lock(books, connect, db):
    """The victim holds the order's advisory lock and waits on the beneficiary's bucket; a second caller
    of the same order waits on the victim. Killing the victim frees its locks: the second caller makes the
    one payout."""
    holder, probe = connect(None, autocommit=False), connect(None)
    hold_buckets(holder, db, "shop")
    victim = Ledger(connect("lg_app"))
    victim_thread, victim_outcome = in_thread(lambda: victim.payout_once("order-k", "shop", "25.00"))
    wait_for(lambda: blocked_by(probe, holder) is not None, "payout_once to wait for the beneficiary")
    pid = blocked_by(probe, holder)
    assert advisory_locks(probe, pid) == 1
    second = Ledger(connect("lg_app"))
    second_thread, second_outcome = in_thread(lambda: second.payout_once("order-k", "shop", "25.00"))
    wait_for(lambda: probe.execute("SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", (pid,)
                                   ).fetchone()[0] == 1, "the second caller to wait for the victim")

    assert probe.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    victim_thread.join(30)
    assert isinstance(victim_outcome.get("error"), psycopg.OperationalError)
    wait_for(lambda: advisory_locks(probe, pid) == 0, "the victim's advisory lock to go")
    holder.rollback()
    second_thread.join(30)
    payout_id, created, status = second_outcome["result"]
    assert (created, status) == (True, "PENDING")
    assert db.execute("SELECT count(*), min(id) FROM ledger.payouts WHERE order_ref = 'order-k'").fetchone() == (1, payout_id)
    assert books.wallet_balance("shop") == Decimal("75.00")
    assert advisory_locks(db) == 0
    assert violations(db) == []


class LossyProxy:
    """A TCP proxy in front of the server that, once armed, swallows the server's next answer.

    It reads the server's messages (type byte, length); while armed it holds
    them back, and on ReadyForQuery (sent after the transaction committed) it
    closes both sides: the client sees a dead connection, never the result.
    """

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.armed = threading.Event()
        self.swallowed = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._answers, args=(server, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def _answers(self, server: socket.socket, client: socket.socket) -> None:
        buffer, held = b"", []
        try:
            while data := server.recv(65536):
                buffer += data
                while len(buffer) >= 5 and len(buffer) >= 1 + int.from_bytes(buffer[1:5], "big"):
                    size = 1 + int.from_bytes(buffer[1:5], "big")
                    message, buffer = buffer[:size], buffer[size:]
                    if not self.armed.is_set():
                        client.sendall(message)
                    elif message[:1] != b"Z":
                        held.append(message)
                    else:  # committed and answered: lose the answer
                        self.armed.clear()
                        self.swallowed += 1
                        raise ConnectionAbortedError
        except OSError:
            pass
        for side in (client, server):  # shutdown wakes the other pump and sends the client its EOF
            try:
                side.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            side.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def proxy(pytestconfig):
    o = pytestconfig.option
    lossy = LossyProxy(o.postgresql_host, int(o.postgresql_port))
    yield lossy
    lossy.close()


def _captured_payment(books: Ledger) -> int:
    payment = books.create_payment("pay-1", "order-1", "alice", "shop", "40.00", "USD", "4.00", "PREPAID")
    books.capture_payment(payment)
    return payment


LOST_REPLIES = {
    # name: (prepare(books) -> args, call(ledger, args) -> result, count(db, args) -> rows the call wrote)
    "post_transaction": (
        lambda books: ("lost-1",),
        lambda ledger, a: ledger.post_transaction(a[0], "TRANSFER", [("alice", "-5.00"), ("bob", "5.00")]),
        "SELECT count(*) FROM ledger.transactions WHERE idempotency_key = 'lost-1'"),
    "capture_payment": (
        lambda books: (books.create_payment("pay-1", "order-1", "alice", "shop", "40.00", "USD", "4.00", "PREPAID"),),
        lambda ledger, a: ledger.capture_payment(a[0]),
        "SELECT count(*) FROM ledger.transactions WHERE kind = 'PAYMENT_CAPTURE'"),
    "process_refund": (
        lambda books: (books.approve_refund(books.request_refund("ref-1", _captured_payment(books), "10.00"), "me"),),
        lambda ledger, a: ledger.process_refund(a[0]),
        "SELECT count(*) FROM ledger.transactions WHERE kind = 'REFUND'"),
    "payout_once": (
        lambda books: ("order-p",),
        lambda ledger, a: ledger.payout_once(a[0], "shop", "15.00")[0],
        "SELECT count(*) FROM ledger.payouts WHERE order_ref = 'order-p'"),
    "request_refund": (
        lambda books: (_captured_payment(books),),
        lambda ledger, a: ledger.request_refund("ref-2", a[0], "10.00"),
        "SELECT count(*) FROM ledger.refunds"),
}


@pytest.mark.parametrize("name", LOST_REPLIES)
def test_a_reply_lost_after_commit_is_repeated_with_its_key_and_gets_the_original_result(name, books, proxy, db, pytestconfig):
    prepare, call, written = LOST_REPLIES[name]
    args = prepare(books)
    through_proxy = Ledger(psycopg.connect(f"postgresql://lg_app@127.0.0.1:{proxy.port}/{db.info.dbname}",
                                           autocommit=True, sslmode="disable", gssencmode="disable"))
    balances = {code: books.wallet_balance(code) for code in ("alice", "bob", "shop")}
    proxy.armed.set()
    with pytest.raises(psycopg.OperationalError):
        call(through_proxy, args)
    assert proxy.swallowed == 1
    assert db.execute(written).fetchone()[0] == 1, "the call should have committed before its reply was lost"
    moved = {code: books.wallet_balance(code) for code in balances}

    again = Ledger(psycopg.connect(conftest.server_dsn(pytestconfig, db.info.dbname, "lg_app"), autocommit=True))
    original = call(again, args)
    assert call(again, args) == original
    assert db.execute(written).fetchone()[0] == 1, "the repeat must not write again"
    assert {code: books.wallet_balance(code) for code in balances} == moved
    again.close()
    through_proxy.close()
    assert violations(db) == []


def test_a_deadlock_is_retried_with_the_same_arguments_and_posts_once(books, connect, db):
    """The posting holds alice's bucket and waits on bob's, held by another session that then asks for
    alice's: PostgreSQL aborts the posting with 40P01, the client runs it again, and it posts once."""
    first, second = sorted(["alice", "bob"], key=lambda code: wallet_id(db, code))
    holder, probe = connect(None, autocommit=False), connect(None)
    holder.execute("SET deadlock_timeout = '10s'")  # the posting, waiting first, detects the cycle
    hold_buckets(holder, db, second)
    client = Ledger(connect("lg_app"), retries=3)
    thread, outcome = in_thread(lambda: client.post_transaction("dl-1", "TRANSFER", [(first, "-7.00"), (second, "7.00")]))
    wait_for(lambda: blocked_by(probe, holder) is not None, "the posting to wait on the held bucket")
    hold_buckets(holder, db, first)  # closes the cycle; returns once the posting was aborted
    time.sleep(0.2)
    holder.commit()
    thread.join(30)
    assert "error" not in outcome, outcome
    assert client.retried >= 1
    assert db.execute("SELECT count(*) FROM ledger.transactions WHERE idempotency_key = 'dl-1'").fetchone()[0] == 1
    assert books.wallet_balance(second) == Decimal("107.00")
    assert violations(db) == []


@pytest.fixture
def crash_cluster():
    """A cluster of its own, durable (fsync on), that the test crashes and restarts."""
    cluster = EmbeddedCluster("crash").start()
    try:
        conftest.prepare_template("127.0.0.1", cluster.port, cluster.superuser, "postgres")
        yield cluster
    finally:
        cluster.stop("immediate")


@pytest.mark.timeout(1200)  # the --soak variant runs for minutes
def test_an_immediate_shutdown_under_load_keeps_every_acknowledged_result(crash_cluster, pytestconfig):
    seconds = 60 if pytestconfig.getoption("--soak") else 4
    dsn = crash_cluster.dsn
    with Ledger(psycopg.connect(dsn(user="lg_app"), autocommit=True)) as ledger:
        open_books(ledger)
    workload = Workload(lambda login: psycopg.connect(dsn(user=login), autocommit=True), seed=8, on_lost="stop")

    def crash() -> None:
        time.sleep(seconds)
        stopped = crash_cluster.pg_ctl("stop", "-m", "immediate", "-w")
        assert stopped.returncode == 0, stopped.stderr

    tally = workload.run(9, seconds + 60, during=crash)
    started = crash_cluster.pg_ctl("start", "-w", "-t", "60")
    assert started.returncode == 0, started.stderr
    wait_until_ready(dsn())
    assert "automatic recovery in progress" in crash_cluster.logfile.read_text(), "the restart should have replayed WAL"
    print(f"\ncrash: {tally.operations} operations acknowledged or refused, {len(workload.in_doubt)} in doubt, "
          f"{dict(tally.counts)}")

    with psycopg.connect(dsn(), autocommit=True) as db:
        assert tally.operations > 100 and workload.in_doubt, "the crash should have hit requests in flight"
        assert aftermath(db, tally) == []

        retry = Workload(lambda login: psycopg.connect(dsn(user=login), autocommit=True), seed=8)
        retry.repeat_in_doubt(workload)
        keys = db.execute("SELECT idempotency_key, count(*) FROM ledger.transactions WHERE idempotency_key LIKE 'w8.%' "
                          "GROUP BY 1 HAVING count(*) > 1").fetchall()
        assert keys == []
        assert aftermath(db, retry.tally) == []
