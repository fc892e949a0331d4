"""ledger.post_transactions: the batch entry point, set-based, with the same guarantees as one posting."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import psycopg
import pytest
from psycopg.types.json import Jsonb

from conftest import run_parallel
from ledger_state import violations
from ledgerguard.client import Ledger
from ledgerguard.errors import (AmountPrecision, IdempotencyConflict, InsufficientFunds, InvalidLegs, UnknownWallet,
                               WalletFrozen)


def transfers(prefix: str, count: int, source: str = "world", target: str = "alice", amount: str = "1.00",
              fee: str | None = "0.10") -> list[dict]:
    items = []
    for n in range(count):
        legs = [{"wallet": source, "amount": f"-{amount}"}, {"wallet": target, "amount": amount}]
        if fee:
            legs = [{"wallet": source, "amount": f"-{Decimal(amount) + Decimal(fee)}"},
                    {"wallet": target, "amount": amount}, {"wallet": "PLATFORM_MAIN", "amount": fee}]
        items.append({"idempotency_key": f"{prefix}-{n}", "kind": "TRANSFER", "legs": legs, "reference": f"{prefix}:{n}"})
    return items


@pytest.fixture
def world(app: Ledger) -> Ledger:
    app.create_wallet("world", "EXTERNAL", "USD", True)
    app.create_wallet("alice", "USER", "USD")
    app.create_wallet("bob", "USER", "USD")
    return app


def post(app: Ledger, items: list[dict]) -> list[int]:
    return app.call("ledger.post_transactions", Jsonb(items))


def test_a_batch_posts_every_transfer_with_chains_and_balances_intact(world, db):
    ids = post(world, transfers("b", 500))
    assert len(ids) == 500 and len(set(ids)) == 500
    assert world.wallet_balance("alice") == Decimal("500.00")
    assert world.wallet_balance("PLATFORM_MAIN") == Decimal("50.00")
    assert violations(db) == []
    assert db.execute("SELECT count(*) FROM ledger_check.run_all(NULL)").fetchone()[0] == 0


def test_a_repeated_batch_returns_the_first_ids_and_writes_nothing(world, db):
    first = post(world, transfers("r", 20))
    entries = db.execute("SELECT count(*) FROM ledger.entries").fetchone()[0]
    assert post(world, transfers("r", 20)) == first
    assert db.execute("SELECT count(*) FROM ledger.entries").fetchone()[0] == entries
    # and the keys are the same keys ledger.post_transaction uses
    item = transfers("r", 1)[0]
    assert world.post_transaction(item["idempotency_key"], "TRANSFER", item["legs"], item["reference"]) == first[0]


@pytest.mark.parametrize("bad,error", [
    ({"legs": [{"wallet": "alice", "amount": "-1.001"}, {"wallet": "bob", "amount": "1.001"}]}, AmountPrecision),
    ({"legs": [{"wallet": "nobody", "amount": "-1"}, {"wallet": "bob", "amount": "1"}]}, UnknownWallet),
    ({"legs": [{"wallet": "alice", "amount": "-100"}, {"wallet": "bob", "amount": "100"}]}, InsufficientFunds),
], ids=["precision", "unknown-wallet", "overdraft"])
def test_one_bad_transfer_fails_the_whole_batch_with_its_sqlstate(bad, error, world, db):
    items = transfers("x", 10)
    items[7] = {"idempotency_key": "x-bad", "kind": "TRANSFER", **bad}
    before = db.execute("SELECT count(*) FROM ledger.entries").fetchone()[0]
    with pytest.raises(error):
        post(world, items)
    assert db.execute("SELECT count(*) FROM ledger.entries").fetchone()[0] == before
    assert db.execute("SELECT count(*) FROM ledger.idempotency_keys WHERE idempotency_key LIKE 'x-%'").fetchone()[0] == 0


@pytest.mark.parametrize("field", ["item", "leg"])
def test_a_key_beyond_the_batch_form_fails_the_batch(field, world, db):
    """An item is exactly {idempotency_key, kind, legs, reference} and a leg exactly {wallet, amount}."""
    items = transfers("extra", 3)
    if field == "item":
        items[1]["memo"] = "not part of the form"
    else:
        items[1]["legs"][0]["memo"] = "not part of the form"
    with pytest.raises(InvalidLegs) as refused:
        post(world, items)
    assert refused.value.sqlstate == "LG014" and "item 2" in str(refused.value)
    assert db.execute("SELECT count(*) FROM ledger.idempotency_keys WHERE idempotency_key LIKE 'extra-%'").fetchone()[0] == 0


@pytest.mark.parametrize("order,posts", [(["in", "out"], True), (["out", "in"], False)], ids=["credit-first", "debit-first"])
def test_a_batch_spends_in_item_order(order, posts, world, db):
    """bob holds nothing: an item may spend what an earlier item of the batch credited him, never what a later one will."""
    legs = {"in": [{"wallet": "world", "amount": "-5.00"}, {"wallet": "bob", "amount": "5.00"}],
            "out": [{"wallet": "bob", "amount": "-5.00"}, {"wallet": "alice", "amount": "5.00"}]}
    items = [{"idempotency_key": f"o-{name}", "kind": "TRANSFER", "legs": legs[name]} for name in order]
    if posts:
        assert len(post(world, items)) == 2
        assert world.wallet_balance("bob") == Decimal("0.00")
    else:
        with pytest.raises(InsufficientFunds):
            post(world, items)
        assert db.execute("SELECT count(*) FROM ledger.entries WHERE transaction_id IN "
                          "(SELECT id FROM ledger.transactions WHERE idempotency_key LIKE 'o-%')").fetchone()[0] == 0
    assert violations(db) == []


def test_a_batch_of_new_and_repeated_items_returns_each_items_id_in_order(world, db):
    """New keys and keys already used in one batch: the repeats return their first ids, the new ones post."""
    first = post(world, transfers("m", 4))
    items = transfers("m", 8)  # m-0 .. m-3 repeat, m-4 .. m-7 are new
    items = [items[4], items[0], items[5], items[1], items[6], items[2], items[7], items[3]]
    ids = post(world, items)
    assert [ids[1], ids[3], ids[5], ids[7]] == first
    new = [ids[0], ids[2], ids[4], ids[6]]
    assert len(set(new)) == 4 and not set(new) & set(first)
    keys = dict(db.execute("SELECT idempotency_key, id FROM ledger.transactions WHERE idempotency_key LIKE 'm-%'").fetchall())
    assert [keys[i["idempotency_key"]] for i in items] == ids
    assert world.wallet_balance("alice") == Decimal("8.00")  # eight transfers of 1.00, none posted twice
    assert violations(db) == []


def test_two_items_with_one_key_fail_the_batch(world, db):
    items = transfers("d", 3)
    items[2]["idempotency_key"] = items[0]["idempotency_key"]
    items[2]["legs"][1]["amount"], items[2]["legs"][0]["amount"] = "2.00", "-2.10"
    with pytest.raises(IdempotencyConflict):
        post(world, items)
    assert db.execute("SELECT count(*) FROM ledger.idempotency_keys WHERE idempotency_key LIKE 'd-%'").fetchone()[0] == 0


# Request fingerprints taken before revision 0015: (reference, wallet codes, amounts) -> SHA-256.
PINNED_FINGERPRINTS = {
    ("order:7", ("seller", "buyer", "PLATFORM_MAIN"), ("9.50", "-10.000", "0.5")):
        "630c922d8e5404d4cf98a6db54ed92e37ceb5d824bb11c68346ca4765663888d",
    (None, ("a", "b"), ("-1", "1")): "54b28db229cf2795340bb50956cd21503eae61e27a6a51411b5c0254d052f820",
}


def test_the_request_fingerprint_never_changes(db):
    """Stored idempotency keys are compared with it: a key taken before an upgrade must still match after."""
    for (reference, codes, amounts), digest in PINNED_FINGERPRINTS.items():
        assert db.execute("SELECT encode(ledger_private.transfer_fingerprint('TRANSFER', %s, %s, %s::numeric[]), 'hex')",
                          (reference, list(codes), list(amounts))).fetchone()[0] == digest


def test_a_batch_stores_the_same_fingerprint_as_a_single_posting(app, db):
    """The batch computes fingerprints in its own query (revision 0017); the bytes are the pinned ones."""
    app.create_wallet("a", "EXTERNAL", "USD", True)
    app.create_wallet("b", "USER", "USD")
    (reference, codes, amounts), digest = list(PINNED_FINGERPRINTS.items())[1]
    legs = [{"wallet": code, "amount": amount} for code, amount in reversed(list(zip(codes, amounts)))]
    post(app, [{"idempotency_key": "pinned", "kind": "TRANSFER", "legs": legs}])
    assert db.execute("SELECT encode(request_fingerprint, 'hex') FROM ledger.idempotency_keys WHERE idempotency_key = 'pinned'"
                      ).fetchone()[0] == digest


def test_a_reused_key_with_another_request_fails_the_batch(world):
    post(world, transfers("k", 3))
    changed = transfers("k", 3, amount="2.00")
    with pytest.raises(IdempotencyConflict):
        post(world, changed)


def test_a_batch_respects_a_freeze_and_writes_nothing(world, connect, db):
    post(world, transfers("f", 1))
    connect("lg_oncall").execute("SELECT ledger_ops.freeze_wallet('alice', 'hold', 'INC-1')")
    before = db.execute("SELECT (SELECT count(*) FROM ledger.entries), sum(entry_count), sum(balance) FROM ledger.wallet_buckets").fetchone()
    with pytest.raises(WalletFrozen) as refused:
        post(world, transfers("g", 5))
    assert 'wallet "alice" is FROZEN (FULL)' in str(refused.value)
    assert db.execute("SELECT (SELECT count(*) FROM ledger.entries), sum(entry_count), sum(balance) FROM ledger.wallet_buckets").fetchone() == before


def test_concurrent_batches_and_single_postings_keep_every_chain(world, connect, db):
    def work(i: int, barrier: threading.Barrier) -> int:
        ledger = Ledger(connect("lg_app"))
        barrier.wait()
        if i % 2:
            return len(post(ledger, transfers(f"c{i}", 200, target="bob" if i % 4 == 1 else "alice")))
        for n in range(100):
            ledger.post_transaction(f"s{i}-{n}", "TRANSFER", [("world", "-1.10"), ("alice", "1.00"), ("PLATFORM_MAIN", "0.10")])
        return 100

    assert sum(run_parallel(6, work)) == 3 * 200 + 3 * 100
    assert violations(db) == []
    assert db.execute("SELECT count(*) FROM ledger_check.run_all(NULL)").fetchone()[0] == 0


def test_an_entry_written_after_the_engine_still_answers_to_the_zero_sum(world, owner):
    """A later leg on a transaction the batch engine wrote is checked at COMMIT with the whole transaction."""
    owner.execute("BEGIN")
    owner.execute("SET ROLE ledger_owner")
    [txn] = owner.execute("SELECT ledger.post_transactions(%s)", [Jsonb(transfers("late", 1))]).fetchone()[0]
    owner.execute("INSERT INTO ledger.entries (transaction_id, wallet_id, amount) SELECT %s, id, 1 FROM ledger.wallets WHERE code = 'bob'",
                  [txn])  # a valid entry, but it unbalances the transaction
    with pytest.raises(psycopg.Error) as refused:
        owner.execute("COMMIT")
    assert refused.value.sqlstate == "LG011"
    assert owner.execute("SELECT count(*) FROM ledger.transactions WHERE id = %s", [txn]).fetchone()[0] == 0


def test_row_by_row_batches_and_debits_of_a_hot_wallet_never_deadlock(app, connect, db):
    """A batch that debits a multi-bucket wallet that may not go negative goes row by row: its
    credits to that wallet take the transaction's bucket k, its debit then bucket 0 and all the
    others. Concurrent batches and single debits (which lock all of the wallet's buckets in bucket
    order) must never wait on each other in a cycle."""
    app.create_wallet("world", "EXTERNAL", "USD", True)
    app.create_wallet("hot", "PLATFORM", "USD")  # 16 buckets, may not go negative
    app.create_wallet("sink", "USER", "USD")
    app.post_transaction("seed", "TRANSFER", [("world", "-1000.00"), ("hot", "1000.00")])

    def batch(i: int, round_: int) -> list[dict]:
        # Credits first, the debit last: the row path takes the credits' buckets, then bucket 0.
        items = [{"idempotency_key": f"in-{i}-{round_}-{n}", "kind": "TRANSFER",
                  "legs": [{"wallet": "world", "amount": "-1.00"}, {"wallet": "hot", "amount": "1.00"}]}
                 for n in range(60)]
        items.append({"idempotency_key": f"out-{i}-{round_}", "kind": "TRANSFER",
                      "legs": [{"wallet": "hot", "amount": "-5.00"}, {"wallet": "sink", "amount": "5.00"}]})
        return items

    def work(i: int, barrier: threading.Barrier) -> tuple[int, int]:
        conn = connect("lg_app")
        barrier.wait()
        posted = deadlocks = 0
        for round_ in range(15):
            try:
                if i % 2 == 0:
                    conn.execute("SELECT ledger.post_transactions(%s)", [Jsonb(batch(i, round_))])
                else:
                    for n in range(5):
                        conn.execute("SELECT ledger.post_transaction(%s, 'TRANSFER', %s)",
                                     [f"debit-{i}-{round_}-{n}", Jsonb([{"wallet": "hot", "amount": "-1.00"},
                                                                      {"wallet": "sink", "amount": "1.00"}])])
                posted += 1
            except psycopg.errors.DeadlockDetected:
                deadlocks += 1
        return posted, deadlocks

    outcomes = run_parallel(4, work)
    assert outcomes == [(15, 0)] * 4  # every round posted, none deadlocked
    assert app.wallet_balance("hot") == Decimal("1000.00") + 2 * 15 * (60 - 5) - 2 * 15 * 5
    assert violations(db) == []


def _refused(conn: psycopg.Connection, body: str, cast: str = "text") -> psycopg.Error:
    with pytest.raises(psycopg.Error) as refused:
        conn.execute(f"SELECT ledger.post_transactions(%s::{cast})", (body,))
    return refused.value


def test_a_batch_larger_than_max_bytes_is_refused_before_it_is_parsed(world, connect, db):
    """Issue 17, item 4: 50,000 items of 100 legs (193 MB) took 4.9 GB of backend memory before they were refused.
    A call may send at most batches.max_bytes: more is LG019, before a byte of it is parsed (a body that is not
    even JSON says so), and nothing is written. A jsonb argument meets the same bound."""
    db.execute("UPDATE ledger.settings SET value = '20000' WHERE name = 'batches.max_bytes'")
    db.commit()
    app = connect("lg_app")
    fits = json.dumps(transfers("fits", 50))
    assert 10000 < len(fits) < 20000
    assert len(app.execute("SELECT ledger.post_transactions(%s::text)", (fits,)).fetchone()[0]) == 50
    entries = db.execute("SELECT count(*) FROM ledger.entries").fetchone()[0]
    too_big = json.dumps(transfers("big", 120))
    for body, cast in ((too_big, "text"), (too_big, "jsonb"), ("[" + "x" * 30000, "text")):
        error = _refused(app, body, cast)
        assert error.sqlstate == "LG019" and "batches.max_bytes" in str(error), (cast, str(error)[:200])
        assert error.diag.message_detail and error.diag.message_hint
    assert db.execute("SELECT count(*) FROM ledger.entries").fetchone()[0] == entries
    assert violations(db) == []


def test_a_batch_of_more_transfers_than_max_items_is_refused(world, connect, db):
    db.execute("UPDATE ledger.settings SET value = '10' WHERE name = 'batches.max_items'")
    db.commit()
    app = connect("lg_app")
    assert len(app.execute("SELECT ledger.post_transactions(%s::text)", (json.dumps(transfers("ten", 10)),)).fetchone()[0]) == 10
    error = _refused(app, json.dumps(transfers("eleven", 11)))
    assert error.sqlstate == "LG019" and "batches.max_items (10)" in str(error)
    assert _refused(app, "[]").sqlstate == "LG014"
    assert world.wallet_balance("alice") == Decimal("10.00")


@pytest.mark.parametrize("body", ['{"idempotency_key": "x"}', "not json", '[{"idempotency_key": ', "null", "42"])
def test_a_batch_that_is_not_a_json_array_is_refused_with_lg014(body, world, connect):
    error = _refused(connect("lg_app"), body)
    assert error.sqlstate == "LG014" and error.diag.message_hint


def test_an_item_of_more_legs_than_max_legs_fails_the_batch(world, connect, db):
    legs = [{"wallet": "world", "amount": "-101.00"}] + [{"wallet": f"w{n}", "amount": "1.00"} for n in range(101)]
    error = _refused(connect("lg_app"), json.dumps([{"idempotency_key": "wide", "kind": "TRANSFER", "legs": legs}]))
    assert error.sqlstate == "LG014" and "2 to 100 legs" in str(error)


KEY = '"idempotency_key": "k", "kind": "TRANSFER", "reference": null'


@pytest.mark.parametrize("body", [
    "[" * 20000 + "]" * 20000,                                              # too deep for the JSON parser
    "[" * 5000 + "]" * 5000,                                                # deep, but parsed: not an object
    '[{"idempotency_key": "k\\u0000", "kind": "TRANSFER", "legs": [], "reference": null}]',  # json takes it, jsonb not
    '[{' + KEY + ', "legs": [{"wallet": "alice", "amount": 1e1000000}]}]',  # beyond numeric
], ids=["nested-20000", "nested-5000", "nul-escape", "huge-number"])
def test_json_the_ledger_cannot_read_is_refused_with_lg014(body, world, connect):
    """Found by the review of revision 0021: these gave 54001, 22P05, 22003 and LG001."""
    # The jsonb form only where jsonb takes the body: otherwise the caller's own cast refuses it, before the call.
    for cast in ("text", "jsonb") if body.startswith("[" * 5000 + "]") else ("text",):
        error = _refused(connect("lg_app"), body, cast)
        assert error.sqlstate == "LG014", (cast, error.sqlstate, str(error)[:200])
        assert error.diag.message_hint


@pytest.mark.parametrize("legs", [200_000, 100_000 // 3], ids=["larger-than-an-item", "more-than-max-legs"])
def test_an_item_of_too_many_legs_is_refused_without_expanding_them(legs, world, connect, db):
    """Found by the review of revision 0021: one item of a million bare legs (2 MB) took 675 MB of backend memory
    before LG014, its legs expanded and aggregated first. An item of more than max_legs legs is never expanded,
    and an item larger than any well-formed one (256 kB) is never parsed: each is LG014 before anything else."""
    body = "[{" + KEY + ', "legs": [' + ", ".join(["1"] * legs) + "]}]"
    error = _refused(connect("lg_app"), body)
    assert error.sqlstate == "LG014"
    assert ("larger than 262144 bytes" in str(error)) == (len(body) > 262144), str(error)[:200]
    assert db.execute("SELECT count(*) FROM ledger.transactions").fetchone()[0] == 0
