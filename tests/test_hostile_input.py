"""Hostile input, table-driven: every API and on-call function, every argument.

Each bad value gets a registered SQLSTATE with a message, DETAIL and HINT,
and nothing is written (the row counts of every ledger table and every
stored balance are the same before and after the call).
"""

from __future__ import annotations

from collections import Counter

import psycopg
import pytest

from ledgerguard import errors

# The SQLSTATE of every refused call of this module, printed at the end of the run (conftest.py).
REFUSED: Counter[str] = Counter()

# function -> (login, arguments as SQL literals that reach the function's work).
# Objects named here are made by the `world` fixture.
CALLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ledger.create_wallet": ("lg_app", ("'new:1'", "'USER'", "'USD'", "false")),
    "ledger.wallet_balance": ("lg_app", ("'alice'",)),
    "ledger.post_transaction": ("lg_app", ("'k1'", "'TRANSFER'", """'[{"wallet": "alice", "amount": "-1.00"}, {"wallet": "bob", "amount": "1.00"}]'""", "'ref'")),
    "ledger.post_transactions": ("lg_app", ("""'[{"idempotency_key": "b1", "kind": "TRANSFER", "legs": [{"wallet": "alice", "amount": "-1.00"}, {"wallet": "bob", "amount": "1.00"}]}]'""",)),
    "ledger.create_payment": ("lg_app", ("'pay-2'", "'order:2'", "'alice'", "'shop'", "10.00", "'USD'", "1.00", "'COD'")),
    "ledger.authorize_payment": ("lg_app", ("{payment}", "'gw-a'")),
    "ledger.capture_payment": ("lg_app", ("{payment}", "'gw-c'")),
    "ledger.fail_payment": ("lg_app", ("{payment}", "'declined'")),
    "ledger.request_refund": ("lg_app", ("'ref-2'", "{captured}", "1.00", "false")),
    "ledger.approve_refund": ("lg_app", ("{refund}", "'ops@example.com'")),
    "ledger.process_refund": ("lg_app", ("{refund}",)),
    "ledger.fail_refund": ("lg_app", ("{refund}", "'gateway said no'")),
    "ledger.retry_advice": ("lg_app", ("'payment'", "{payment}")),
    "ledger.payout_once": ("lg_app", ("'order:p2'", "'shop'", "1.00", "'MANUAL'")),
    "ledger.complete_payout": ("lg_app", ("{payout}", "'prov-1'")),
    "ledger.fail_payout": ("lg_app", ("{payout}", "'bank rejected'")),
    "ledger.run_settlement_batch": ("lg_app", ("current_date",)),
    "ledger.record_provider_event": ("lg_app", ("'acme'", "'shop'", "'ev-1'", "1", "{payout}", "'prov-1'", "'submitted'", "1.00", "'USD'", "'{}'")),
    "ledger_ops.freeze_wallet": ("lg_oncall", ("'bob'", "'fraud review'", "'INC-1'", "'FULL'", "now() + interval '1 day'")),
    "ledger_ops.unfreeze_wallet": ("lg_oncall", ("'bob'", "'cleared'", "'INC-1'")),
    "ledger_ops.suspend_payouts": ("lg_oncall", ("'shop'", "'review'", "'INC-1'")),
    "ledger_ops.resume_payouts": ("lg_oncall", ("'shop'", "'cleared'", "'INC-1'")),
    "ledger_ops.post_adjustment": ("lg_oncall", ("'bob'", "1.00", "'goodwill'", "'INC-1'")),
    "ledger_ops.reverse_transaction": ("lg_oncall", ("{transfer}", "'posted in error'", "'INC-1'")),
    "ledger_ops.recover_duplicate_payout": ("lg_oncall", ("'order:p1'", "'paid twice'", "'INC-1'")),
    "ledger_ops.repair_wallet_balance": ("lg_oncall", ("'bob'", "'drift'", "'INC-1'")),
    "ledger_ops.set_kill_switch": ("lg_oncall", ("'payouts'", "false", "'provider outage'", "'INC-1'", "now() + interval '1 hour'")),
    "ledger_ops.record_check_run": ("lg_oncall", ("interval '24 hours'",)),
}

# Arguments with a default: NULL is refused like any other (LG001), or means
# "no value" where the function documents it.
NULL_MEANS_NONE = {("ledger.post_transaction", 3), ("ledger.authorize_payment", 1), ("ledger.capture_payment", 1),
                   ("ledger_ops.freeze_wallet", 4), ("ledger_ops.set_kill_switch", 4), ("ledger.record_provider_event", 5),
                   ("ledger_ops.record_check_run", 0)}

AMOUNTS = ["'NaN'", "'Infinity'", "'-Infinity'", "0", "-5", "10.005", "1e15", "1e300", "0.000000000000000000001"]
AMOUNT_ARGS = [("ledger.create_payment", 4), ("ledger.create_payment", 6), ("ledger.request_refund", 2),
               ("ledger.payout_once", 2), ("ledger_ops.post_adjustment", 1), ("ledger.record_provider_event", 7)]
# Valid where they are: no fee, a provider's report of 0, an adjustment that debits.
VALID_HERE = {("ledger.create_payment", 6, "0"), ("ledger.record_provider_event", 7, "0"), ("ledger_ops.post_adjustment", 1, "-5")}

TEXTS = ["'x''); DROP TABLE ledger.entries; --'", "repeat('x', 100000)", "repeat('é', 70000)", "''", "E'\\\\x00'", "'nobody'"]
TEXT_ARGS = [(name, i) for name, (_, args) in CALLS.items() for i, a in enumerate(args)
             if a.startswith("'") and not a.startswith("'[") and not a.startswith("'{")]

LEGS = ["'{}'", "'[]'", "'[1, 2]'", "'null'", """'[{"wallet": "alice", "amount": "-1.00"}]'""",
        """'[{"wallet": "alice", "amount": {"x": 1}}, {"wallet": "bob", "amount": "1.00"}]'""",
        """'[{"wallet": "alice", "amount": "-1e2"}, {"wallet": "bob", "amount": "1e2"}]'""",
        """'[{"wallet": "alice", "amount": "-1.00", "extra": 1}, {"wallet": "bob", "amount": "1.00"}]'""",
        """'[{"wallet": "alice", "amount": "-1.00"}, {"wallet": "alice", "amount": "1.00"}]'""",
        """'[{"wallet": "alice", "amount": "-1.00"}, {"wallet": "euro", "amount": "1.00"}]'""",
        """(SELECT jsonb_agg(jsonb_build_object('wallet', 'bob', 'amount', '0.01')) FROM generate_series(1, 5000))"""]


@pytest.fixture
def world(app, connect, db):
    app.create_wallet("world", "EXTERNAL", "USD", True)
    app.create_wallet("euro", "EXTERNAL", "EUR", True)
    for code, kind in (("alice", "USER"), ("bob", "USER"), ("shop", "MERCHANT")):
        app.create_wallet(code, kind, "USD")
        app.post_transaction(f"fund:{code}", "TRANSFER", [("world", "-1000.00"), (code, "1000.00")])
    transfer = app.post_transaction("t1", "TRANSFER", [("alice", "-5.00"), ("bob", "5.00")])
    captured = app.create_payment("pay-c", "order:c", "alice", "shop", "50.00", "USD", "1.00", "COD")
    app.capture_payment(captured)
    payment = app.create_payment("pay-1", "order:1", "alice", "shop", "10.00", "USD", "1.00", "PREPAID")
    refund = app.request_refund("ref-1", captured, "5.00")
    payout = app.payout_once("order:p1", "shop", "10.00")[0]
    return {"payment": payment, "captured": captured, "refund": refund, "payout": payout, "transfer": transfer}


def state(db: psycopg.Connection) -> tuple:
    """Row counts of every ledger table and every stored balance: what 'nothing is written' compares."""
    tables = [r[0] for r in db.execute("SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables"
                                       " WHERE schemaname = 'ledger' ORDER BY 1")]
    counts = tuple(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
    balances = db.execute("SELECT array_agg(balance ORDER BY wallet_id, bucket) FROM ledger.wallet_buckets").fetchone()
    db.commit()
    return counts, balances


def call_sql(world: dict, name: str, args: list[str]) -> str:
    """SELECT name(args), the world's ids put in for {payment}, {refund}, …"""
    sql = f"SELECT {name}({', '.join(args)})"
    for key, value in world.items():
        sql = sql.replace("{" + key + "}", str(value))
    return sql


def refused(connect, db, world, name: str, args: list[str]) -> psycopg.Error:
    login = CALLS[name][0]
    sql = call_sql(world, name, args)
    before = state(db)
    conn = connect(login)
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(sql)
    error = caught.value
    assert error.sqlstate in errors.BY_SQLSTATE, f"{sql[:200]} -> unregistered {error.sqlstate}: {error}"
    assert error.diag.message_primary and error.diag.message_detail and error.diag.message_hint, sql[:200]
    assert state(db) == before, f"{sql[:200]} wrote something"
    REFUSED[error.sqlstate] += 1
    return error


@pytest.mark.parametrize("name,position", [(n, i) for n, (_, a) in CALLS.items() for i in range(len(a))
                                           if (n, i) not in NULL_MEANS_NONE])
def test_null_in_each_argument_is_lg001_naming_it(name, position, connect, db, world):
    args = list(CALLS[name][1])
    args[position] = "NULL"
    error = refused(connect, db, world, name, args)
    assert error.sqlstate == "LG001" and "must not be NULL" in error.diag.message_primary


@pytest.mark.parametrize("name,position,value", [(n, i, v) for n, i in AMOUNT_ARGS for v in AMOUNTS
                                                 if (n, i, v) not in VALID_HERE])
def test_hostile_amounts_are_refused(name, position, value, connect, db, world):
    args = list(CALLS[name][1])
    args[position] = value
    error = refused(connect, db, world, name, args)
    assert error.sqlstate in {"LG002", "LG003"}, f"{name} {value}: {error.sqlstate} {error}"


@pytest.mark.parametrize("value", TEXTS)
@pytest.mark.parametrize("name,position", TEXT_ARGS)
def test_hostile_strings_are_refused_or_taken_as_plain_text(name, position, value, connect, db, world):
    """A SQL-looking, empty or NUL-bearing string is data, never SQL: a registered error or plain text. An oversized
    one is refused, and the error quotes only a short prefix of it."""
    args = list(CALLS[name][1])
    args[position] = value
    login = CALLS[name][0]
    sql = call_sql(world, name, args)
    try:
        with connect(login) as conn:
            conn.execute(sql)
        REFUSED["accepted as plain text"] += 1
        assert "repeat(" not in value, f"{sql[:160]}: an oversized text was taken"
    except psycopg.Error as error:
        REFUSED[error.sqlstate] += 1
        if error.sqlstate == "22021" and "\\x00" in value:
            pass  # PostgreSQL itself refuses NUL in text, before any function runs
        else:
            assert error.sqlstate in errors.BY_SQLSTATE, f"{sql[:160]} -> unregistered {error.sqlstate}: {error}"
            assert error.diag.message_detail and error.diag.message_hint
            assert len(str(error)) < 1500, f"{sql[:160]}: the error quotes {len(str(error))} characters"
    assert db.execute("SELECT to_regclass('ledger.entries') IS NOT NULL").fetchone()[0]
    assert db.execute("SELECT count(*) FROM ledger_check.run_all(NULL) WHERE severity IN ('HIGH', 'CRITICAL')"
                      " AND check_name NOT IN ('processing_disabled')").fetchone()[0] == 0
    db.commit()


@pytest.mark.parametrize("legs", LEGS)
def test_malformed_legs_are_refused(legs, connect, db, world):
    error = refused(connect, db, world, "ledger.post_transaction", ["'k-bad'", "'TRANSFER'", legs, "NULL"])
    assert error.sqlstate in {"LG002", "LG005", "LG006", "LG011", "LG014"}, error


@pytest.mark.parametrize("item", [
    """'[{"idempotency_key": "b-r", "kind": "TRANSFER", "reference": {"a": 1}, "legs": [{"wallet": "alice", "amount": "-1.00"}, {"wallet": "bob", "amount": "1.00"}]}]'""",
    """'[{"idempotency_key": "b-r", "kind": "TRANSFER", "reference": 7, "legs": [{"wallet": "alice", "amount": "-1.00"}, {"wallet": "bob", "amount": "1.00"}]}]'""",
    """'[{"idempotency_key": 42, "kind": "TRANSFER", "legs": [{"wallet": "alice", "amount": "-1.00"}, {"wallet": "bob", "amount": "1.00"}]}]'""",
    """'[{"idempotency_key": "b-w", "kind": "TRANSFER", "legs": [{"wallet": true, "amount": "-1.00"}, {"wallet": "bob", "amount": "1.00"}]}]'""",
], ids=["object-reference", "number-reference", "number-key", "boolean-wallet"])
def test_a_batch_item_is_as_strict_as_a_single_posting(item, connect, db, world):
    """Issue 17, item 10: what ledger.post_transaction refuses as LG014, the batch refuses too."""
    error = refused(connect, db, world, "ledger.post_transactions", [item])
    assert error.sqlstate == "LG014", error


@pytest.mark.parametrize("legs", LEGS)
def test_malformed_batch_items_are_refused(legs, connect, db, world):
    item = f"jsonb_build_array(jsonb_build_object('idempotency_key', 'b-bad', 'kind', 'TRANSFER', 'legs', {legs}::jsonb))"
    error = refused(connect, db, world, "ledger.post_transactions", [item])
    assert error.sqlstate in {"LG002", "LG005", "LG006", "LG011", "LG014"}, error


def _legs(*legs: tuple[str, str]) -> str:
    return "'[" + ", ".join(f'{{"wallet": "{w}", "amount": "{a}"}}' for w, a in legs) + "]'"


# Wallets in a state that refuses the entry, and currencies that do not fit:
# (function, arguments, the SQLSTATE PRODUCT.md documents). `frozen` is frozen
# FULL, `debits` frozen DEBITS (credits still land), `closed` is CLOSED.
STATES = [
    ("ledger.post_transaction", ["'s1'", "'TRANSFER'", _legs(("alice", "-1.00"), ("frozen", "1.00")), "NULL"], "LG008"),
    ("ledger.post_transaction", ["'s2'", "'TRANSFER'", _legs(("debits", "-1.00"), ("bob", "1.00")), "NULL"], "LG008"),
    ("ledger.post_transaction", ["'s3'", "'TRANSFER'", _legs(("alice", "-1.00"), ("closed", "1.00")), "NULL"], "LG009"),
    ("ledger.post_transaction", ["'s4'", "'TRANSFER'", _legs(("alice", "-5000.00"), ("bob", "5000.00")), "NULL"], "LG010"),
    ("ledger.post_transactions", ["""'[{"idempotency_key": "s5", "kind": "TRANSFER", "legs": [{"wallet": "alice", "amount": "-1.00"}, {"wallet": "closed", "amount": "1.00"}]}]'"""], "LG009"),
    ("ledger.create_wallet", ["'new:2'", "'USER'", "'XXX'", "false"], "LG004"),
    ("ledger.create_payment", ["'pay-s1'", "'order:s1'", "'euro'", "'shop'", "10.00", "'USD'", "1.00", "'COD'"], "LG005"),
    ("ledger.create_payment", ["'pay-s2'", "'order:s2'", "'alice'", "'shop'", "10.00", "'XXX'", "1.00", "'COD'"], "LG004"),
    ("ledger.capture_payment", ["{from_frozen}", "NULL"], "LG008"),
    ("ledger.payout_once", ["'order:s3'", "'frozen'", "1.00", "'MANUAL'"], "LG008"),
    ("ledger.payout_once", ["'order:s4'", "'closed'", "1.00", "'MANUAL'"], "LG009"),
    ("ledger_ops.post_adjustment", ["'closed'", "1.00", "'goodwill'", "'INC-1'"], "LG009"),
    ("ledger_ops.post_adjustment", ["'frozen'", "1.00", "'goodwill'", "'INC-1'"], "LG008"),
    # Money leaves only to a beneficiary that holds its own money (issue 17, item 6).
    *[("ledger.payout_once", [f"'order:b{i}'", f"'{code}'", "1.00", "'MANUAL'"], "LG207")
      for i, code in enumerate(["PAYOUTS_IN_TRANSIT", "PAYOUT_PROVIDER", "SUSPENSE", "PLATFORM_MAIN", "world", "euro"])],
    # The ledger's own wallet codes are reserved (item 7).
    *[("ledger.create_wallet", [f"'{code}'", f"'{kind}'", f"'{cur}'", neg], "LG015")
      for code, kind, cur, neg in [("PLATFORM_MAIN:GBP", "USER", "USD", "false"), ("PLATFORM_MAIN:GBP", "PLATFORM", "GBP", "false"),
                                   ("SUSPENSE:EUR", "SUSPENSE", "EUR", "true"), ("PAYOUTS_IN_TRANSIT:JPY", "PLATFORM", "JPY", "false"),
                                   ("PAYOUT_PROVIDER:x", "PROVIDER", "USD", "true")]],
    # Gateway ids: another payment's (LG109, at authorization as at capture), one other than authorized (LG101), too long.
    ("ledger.authorize_payment", ["{payment}", "'gw-taken'"], "LG109"),
    ("ledger.capture_payment", ["{payment}", "'gw-taken'"], "LG109"),
    ("ledger.capture_payment", ["{authorized}", "'gw-other'"], "LG101"),
    ("ledger.authorize_payment", ["{payment}", "repeat('g', 10000)"], "LG015"),
    ("ledger.capture_payment", ["{payment}", "repeat('g', 10000)"], "LG015"),
    # A pending payout's provider ref is never replaced (item 12); refs and payloads are bounded (item 10).
    ("ledger.complete_payout", ["{with_ref}", "'prov-other'"], "LG202"),
    ("ledger.complete_payout", ["{payout}", "repeat('r', 10000)"], "LG015"),
    ("ledger.record_provider_event", ["'acme'", "'shop'", "'ev-9'", "9", "{payout}", "repeat('r', 10000)", "'submitted'",
                                      "1.00", "'USD'", "'{}'"], "LG015"),
    ("ledger.record_provider_event", ["'acme'", "'shop'", "'ev-9'", "9", "{payout}", "'prov-9'", "'submitted'", "1.00", "'USD'",
                                      "jsonb_build_object('blob', repeat(md5(random()::text), 10000))"], "LG015"),
    ("ledger.run_settlement_batch", ["'infinity'::date"], "LG015"),
    ("ledger.run_settlement_batch", ["'-infinity'::date"], "LG015"),
]


@pytest.fixture
def states(world, app, connect, owner):
    app.create_wallet("frozen", "USER", "USD")
    app.create_wallet("debits", "USER", "USD")
    app.create_wallet("closed", "USER", "USD")
    app.post_transaction("fund:frozen", "TRANSFER", [("world", "-100.00"), ("frozen", "100.00")])
    app.post_transaction("fund:debits", "TRANSFER", [("world", "-100.00"), ("debits", "100.00")])
    from_frozen = app.create_payment("pay-f", "order:f", "frozen", "shop", "10.00", "USD", "1.00", "COD")
    oncall = connect("lg_oncall")
    oncall.execute("SELECT ledger_ops.freeze_wallet('frozen', 'fraud review', 'INC-2')")
    oncall.execute("SELECT ledger_ops.freeze_wallet('debits', 'chargeback review', 'INC-3', 'DEBITS')")
    owner.execute("UPDATE ledger.wallets SET status = 'CLOSED' WHERE code = 'closed'")
    taken = app.create_payment("pay-g", "order:g", "alice", "shop", "10.00", "USD", "1.00", "COD")
    app.capture_payment(taken, "gw-taken")
    authorized = app.create_payment("pay-a", "order:a", "alice", "shop", "10.00", "USD", "1.00", "PREPAID")
    app.authorize_payment(authorized, "gw-auth")
    with_ref = app.payout_once("order:r", "shop", "1.00")[0]
    app.record_provider_event("acme", "shop", "ev-r", 1, with_ref, "prov-r", "submitted", "1.00", "USD")
    return {**world, "from_frozen": from_frozen, "authorized": authorized, "with_ref": with_ref}


@pytest.mark.parametrize("name,args,code", STATES, ids=[f"{n}-{c}-{i}" for i, (n, _, c) in enumerate(STATES)])
def test_frozen_closed_and_foreign_wallets_get_their_sqlstate(name, args, code, connect, db, states):
    error = refused(connect, db, states, name, args)
    assert error.sqlstate == code, f"{name}: {error.sqlstate} {error}"


def test_the_suite_makes_at_least_500_distinct_hostile_calls():
    """Issue 17: at least 500 distinct bad calls across the public API, each in its own transaction."""
    nulls = sum(1 for n, (_, a) in CALLS.items() for i in range(len(a)) if (n, i) not in NULL_MEANS_NONE)
    amounts = sum(1 for n, i in AMOUNT_ARGS for v in AMOUNTS if (n, i, v) not in VALID_HERE)
    total = nulls + amounts + len(TEXT_ARGS) * len(TEXTS) + 2 * len(LEGS) + len(STATES) + 4
    assert total >= 500, total
