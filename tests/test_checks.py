"""The check catalog: healthy ledger -> no row; each runbook incident -> exactly its finding.

Incidents are made the way the runbooks saw them happen: as the owner with
triggers bypassed (session_replication_role = replica, superuser only) or a
guard index missing, which is what the checks exist to catch.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import psycopg
import pytest

from ledgerguard.client import Ledger, Ops

from ledger_state import bypassing_triggers


@pytest.fixture
def ledger(app: Ledger, db: psycopg.Connection) -> Ledger:
    """A healthy ledger that went through every flow once."""
    app.create_wallet("card", "EXTERNAL", "USD", True)
    for code in ("buyer", "buyer:2"):
        app.create_wallet(code, "USER", "USD")
        app.post_transaction(f"fund-{code}", "TRANSFER", [("card", "-1000.00"), (code, "1000.00")])
    for code in ("vendor:1", "vendor:2"):
        app.create_wallet(code, "VENDOR", "USD")
    app.post_transaction("vendor-2-sales", "TRANSFER", [("card", "-100.00"), ("vendor:2", "100.00")])
    paid = app.create_payment("p1", "order:1", "buyer", "vendor:1", "100.00", "USD", "10.00", "PREPAID")
    app.capture_payment(paid)
    app.process_refund(app.approve_refund(app.request_refund("r1", paid, "20.00", True), "ops"))
    app.capture_payment(app.create_payment("p2", "order:2", "buyer:2", "vendor:2", "50.00", "USD", "5.00", "COD"))
    db.execute("SELECT ledger.run_settlement_batch(current_date)")
    db.commit()
    payout = db.execute("SELECT id FROM ledger.payouts WHERE order_ref = 'order:1'").fetchone()[0]
    app.record_provider_event("acme", "vendor:1", "ev-1", 1, payout, "acme-1", "succeeded", "72.00", "USD")
    failed = app.payout_once("order:3", "vendor:2", "1.00")[0]
    app.fail_payout(failed, "bank rejected")
    return app


def findings(db: psycopg.Connection, check: str, since: str | None = "24 hours") -> list[tuple]:
    return db.execute(f"SELECT severity, subject, amount FROM ledger_check.{check}(%s::interval) ORDER BY subject",
                      (since,)).fetchall()


def test_a_healthy_ledger_has_no_finding_in_the_window_or_over_all_history(ledger, db):
    assert db.execute("SELECT * FROM ledger_check.run_all()").fetchall() == []
    assert db.execute("SELECT * FROM ledger_check.run_all(NULL)").fetchall() == []


def test_the_catalog_lists_exactly_the_check_functions(db):
    listed = {r[0] for r in db.execute("SELECT name FROM ledger_check.catalog")}
    functions = {r[0] for r in db.execute(
        """SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'ledger_check'::regnamespace
            AND p.prorettype = 'ledger_check.finding'::regtype AND p.proname <> 'run_all'""")}
    assert listed == functions and len(listed) == 22


def _copy_payout(db: psycopg.Connection, order: str, **changes: str) -> None:
    sets = ", ".join(f"{column} = {value}" for column, value in changes.items())
    db.execute("""INSERT INTO ledger.payouts (order_ref, payout_account_id, beneficiary_wallet_id, merchant_ref, currency,
                       amount, provider_amount, source, idempotency_key, transaction_id, status, completion_transaction_id)
                   SELECT order_ref, payout_account_id, beneficiary_wallet_id, merchant_ref, currency, amount, provider_amount,
                          source, idempotency_key || ':copy', transaction_id, status, completion_transaction_id
                     FROM ledger.payouts WHERE order_ref = %s RETURNING id""", (order,))
    if sets:
        db.execute(f"UPDATE ledger.payouts SET {sets} WHERE id = currval('ledger.payouts_id_seq')")


def test_duplicate_payouts_when_the_guard_index_is_missing(ledger, db):
    db.execute("DROP INDEX ledger.payouts_one_live_per_order")
    with bypassing_triggers(db):
        _copy_payout(db, "order:2")
    assert findings(db, "duplicate_payouts") == [("CRITICAL", "order:2", Decimal("45.00"))]


def test_payout_keys_per_order_sees_a_second_payout_posting_under_another_key(ledger, owner, db):
    owner.execute("""
        WITH t AS (INSERT INTO ledger.transactions (kind, idempotency_key, reference) VALUES ('PAYOUT', 'manual-retry-7', 'order:2')
                   RETURNING id)
        INSERT INTO ledger.entries (transaction_id, wallet_id, amount)
        SELECT t.id, w.id, CASE w.code WHEN 'vendor:2' THEN -45.00 ELSE 45.00 END
          FROM t, ledger.wallets w WHERE w.code IN ('vendor:2', 'PAYOUTS_IN_TRANSIT') ORDER BY w.id""")
    found = db.execute("SELECT severity, subject, amount, detail FROM ledger_check.payout_keys_per_order()").fetchall()
    assert [(s, sub, a) for s, sub, a, _ in found] == [("CRITICAL", "order:2", Decimal("45.00"))]
    assert "manual-retry-7" in found[0][3]["idempotency_keys"]


def test_batch_and_manual_payout_of_one_order(ledger, db):
    db.execute("DROP INDEX ledger.payouts_one_live_per_order")
    with bypassing_triggers(db):
        db.execute("UPDATE ledger.payouts SET status = 'COMPLETED' WHERE order_ref = 'order:2'")
        _copy_payout(db, "order:2", source="'MANUAL'", settlement_batch_id="NULL")
    assert findings(db, "batch_and_manual_payout") == [("CRITICAL", "order:2", Decimal("45.00"))]


def test_unbalanced_transactions(ledger, db):
    with bypassing_triggers(db):
        db.execute("""INSERT INTO ledger.entries (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after)
                      SELECT 1, id, 'USD', 5, 0, 999, 0 FROM ledger.wallets WHERE code = 'buyer'""")
    assert findings(db, "unbalanced_transactions") == [("CRITICAL", "transaction 1", Decimal("5"))]


def test_orphaned_entries_and_transactions_without_entries(ledger, db):
    with bypassing_triggers(db):
        db.execute("""INSERT INTO ledger.entries (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after)
                      SELECT 987654, id, 'USD', 5, 0, 999, 0 FROM ledger.wallets WHERE code = 'buyer'""")
        header = db.execute("INSERT INTO ledger.transactions (kind) VALUES ('TRANSFER') RETURNING id").fetchone()[0]
    assert findings(db, "orphaned_entries") == [("CRITICAL", db.execute("SELECT 'entry ' || max(id) FROM ledger.entries").fetchone()[0], Decimal("5")),
                                                ("HIGH", f"transaction {header}", None)]


def test_captured_payments_without_entries(ledger, db):
    with bypassing_triggers(db):
        header = db.execute("INSERT INTO ledger.transactions (kind) VALUES ('PAYMENT_CAPTURE') RETURNING id").fetchone()[0]
        payment = db.execute("INSERT INTO ledger.payments (idempotency_key, order_ref, payer_wallet_id, payee_wallet_id, currency,"
                             " amount, platform_fee, method, status, capture_transaction_id, captured_at)"
                             " SELECT 'imported', 'order:9', payer_wallet_id, payee_wallet_id, 'USD', 30, 0, 'COD', 'CAPTURED', %s, now()"
                             " FROM ledger.payments LIMIT 1 RETURNING id", (header,)).fetchone()[0]
    assert findings(db, "captured_without_entries") == [("HIGH", f"payment {payment}", Decimal("30"))]


@pytest.mark.parametrize("wallets,delta,severity", [
    (["buyer"], "5", "LOW"),
    (["buyer"], "50", "MEDIUM"),
    (["buyer", "buyer:2"], "1", "HIGH"),
    (["buyer", "buyer:2", "vendor:1", "vendor:2", "card"], "1", "CRITICAL"),
], ids=["one-wallet-under-10", "one-wallet-over-10", "several-wallets", "a-pattern"])
def test_balance_mismatch_follows_the_runbook_severity_matrix(wallets, delta, severity, ledger, db):
    with bypassing_triggers(db):
        db.execute("""UPDATE ledger.wallet_buckets b SET balance = balance + %s::numeric
                       FROM ledger.wallets w WHERE w.id = b.wallet_id AND w.code = ANY(%s) AND b.bucket = 0""", (delta, wallets))
    for since in ("24 hours", None):
        found = findings(db, "balance_mismatch", since)
        assert sorted(subject for _, subject, _ in found) == sorted(wallets)
        assert {s for s, _, _ in found} == {severity} and {a for _, _, a in found} == {Decimal(delta)}


def test_balance_mismatch_over_all_history_finds_an_idle_wallet(ledger, db):
    """A wallet untouched in the window is only checked by the full run (p_since NULL)."""
    with bypassing_triggers(db):
        db.execute("UPDATE ledger.entries SET created_at = now() - interval '3 days' WHERE wallet_id = "
                   "(SELECT id FROM ledger.wallets WHERE code = 'buyer:2')")
        db.execute("UPDATE ledger.wallet_buckets SET balance = balance + 1 WHERE wallet_id = "
                   "(SELECT id FROM ledger.wallets WHERE code = 'buyer:2')")
    assert findings(db, "balance_mismatch") == []
    assert findings(db, "balance_mismatch", None) == [("LOW", "buyer:2", Decimal("1"))]


def test_broken_balance_chains(ledger, db):
    with bypassing_triggers(db):
        db.execute("""UPDATE ledger.entries SET balance_after = balance_after + 1
                       WHERE id = (SELECT min(e.id) FROM ledger.entries e JOIN ledger.wallets w ON w.id = e.wallet_id
                                    WHERE w.code = 'buyer')""")
    found = findings(db, "broken_balance_chains")
    # the altered entry, and the next one whose predecessor now disagrees
    assert [(s, sub) for s, sub, _ in found] == [("CRITICAL", "buyer bucket 0 #1"), ("CRITICAL", "buyer bucket 0 #2")]


@pytest.mark.parametrize("since", ["24 hours", None], ids=["window", "all-history"])
def test_duplicate_references_per_wallet(since, ledger, db):
    for n in (1, 2):
        ledger.post_transaction(f"tip-{n}", "TRANSFER", [("buyer", "-3.00"), ("vendor:1", "3.00")], "order:1-tip")
    assert findings(db, "duplicate_references", since) == [("MEDIUM", "buyer order:1-tip", Decimal("-3.00")),
                                                           ("MEDIUM", "vendor:1 order:1-tip", Decimal("3.00"))]


def test_a_reference_repeated_across_the_window_edge_is_found_by_the_window(ledger, db):
    """The window probes each of its references against all history: a repeat of an old posting counts."""
    ledger.post_transaction("tip-old", "TRANSFER", [("buyer", "-3.00"), ("vendor:1", "3.00")], "order:1-tip")
    with bypassing_triggers(db):
        db.execute("UPDATE ledger.transactions SET created_at = now() - interval '3 days' WHERE idempotency_key = 'tip-old'")
    db.commit()
    assert findings(db, "duplicate_references") == []
    ledger.post_transaction("tip-new", "TRANSFER", [("buyer", "-3.00"), ("vendor:1", "3.00")], "order:1-tip")
    assert [s for _, s, _ in findings(db, "duplicate_references")] == ["buyer order:1-tip", "vendor:1 order:1-tip"]


def test_duplicate_provider_refs_when_the_unique_index_is_missing(ledger, db):
    db.execute("DROP INDEX ledger.payouts_provider_ref_per_merchant")
    with bypassing_triggers(db):
        db.execute("UPDATE ledger.payouts SET provider_ref = 'acme-1', merchant_ref = 'vendor:1' WHERE order_ref = 'order:2'")
    assert [(s, sub) for s, sub, _ in findings(db, "duplicate_provider_refs")] == [("HIGH", "vendor:1 acme-1")]


def test_provider_vs_internal_states_and_totals(ledger, db):
    failed = db.execute("SELECT id FROM ledger.payouts WHERE order_ref = 'order:3'").fetchone()[0]
    ledger.record_provider_event("acme", "vendor:2", "ev-late", 1, failed, "acme-3", "succeeded", "1.00", "USD")
    assert findings(db, "provider_vs_internal") == [("HIGH", f"payout {failed}", Decimal("1.00")),
                                                    ("MEDIUM", "payouts USD", Decimal("1.00"))]
    big = ledger.payout_once("order:4", "vendor:2", "40.00")[0]
    ledger.fail_payout(big, "bank rejected")
    ledger.record_provider_event("acme", "vendor:2", "ev-big", 1, big, "acme-4", "succeeded", "40.00", "USD")
    totals = [f for f in findings(db, "provider_vs_internal") if f[1] == "payouts USD"]
    assert totals == [("MEDIUM", "payouts USD", Decimal("41.00"))]
    db.execute("UPDATE ledger.settings SET value = '41' WHERE name = 'check.provider_delta_high'")
    assert [f for f in findings(db, "provider_vs_internal") if f[1] == "payouts USD"] == [("HIGH", "payouts USD", Decimal("41.00"))]


def test_refunds_over_captured(ledger, db):
    with bypassing_triggers(db):
        db.execute("INSERT INTO ledger.refunds (idempotency_key, payment_id, amount, status) "
                   "SELECT 'dup', id, 90, 'APPROVED' FROM ledger.payments WHERE order_ref = 'order:1'")
    payment = db.execute("SELECT id FROM ledger.payments WHERE order_ref = 'order:1'").fetchone()[0]
    assert findings(db, "refunds_over_captured") == [("CRITICAL", f"payment {payment}", Decimal("10.00"))]


def test_stuck_payments_become_high_past_the_alert_count(ledger, db):
    def stuck(n: int) -> None:
        for i in range(n):
            ledger.create_payment(f"stuck-{i}", f"order:s{i}", "buyer", "vendor:1", "1.00", "USD", "0", "COD")
        with bypassing_triggers(db):
            db.execute("UPDATE ledger.payments SET initiated_at = now() - interval '25 hours' WHERE status = 'INITIATED'")

    stuck(3)
    assert {s for s, _, _ in findings(db, "stuck_payments")} == {"MEDIUM"} and len(findings(db, "stuck_payments")) == 3
    db.commit()
    ledger.conn.execute("SELECT 1")
    for i in range(3, 11):
        ledger.create_payment(f"stuck-{i}", f"order:s{i}", "buyer", "vendor:1", "1.00", "USD", "0", "COD")
    with bypassing_triggers(db):
        db.execute("UPDATE ledger.payments SET initiated_at = now() - interval '25 hours' WHERE status = 'INITIATED'")
    assert {s for s, _, _ in findings(db, "stuck_payments")} == {"HIGH"} and len(findings(db, "stuck_payments")) == 11


def test_stuck_refunds(ledger, owner, db):
    payment = db.execute("SELECT id FROM ledger.payments WHERE order_ref = 'order:1'").fetchone()[0]
    refund = ledger.approve_refund(ledger.request_refund("r2", payment, "5.00"), "ops")
    owner.execute("UPDATE ledger.refunds SET status = 'PROCESSING', processing_started_at = now() - interval '6 minutes'"
                  " WHERE id = %s", (refund,))
    assert findings(db, "stuck_refunds") == [("HIGH", f"refund {refund}", Decimal("5.00"))]


def test_failure_spike(ledger, db):
    for i in range(5):
        ledger.fail_payment(ledger.create_payment(f"f{i}", f"order:f{i}", "buyer", "vendor:1", "2.00", "USD", "0", "COD"),
                            "gateway timeout")
    assert findings(db, "failure_spike") == [("MEDIUM", "payments COD", Decimal("10.00"))]


def test_negative_balances(ledger, db):
    with bypassing_triggers(db):
        db.execute("UPDATE ledger.wallet_buckets SET balance = -1 WHERE wallet_id = (SELECT id FROM ledger.wallets WHERE code = 'buyer:2')")
    assert findings(db, "negative_balances") == [("CRITICAL", "buyer:2", Decimal("-1"))]


def test_invalid_indexes_left_by_a_failed_concurrent_build(ledger, dsn, db):
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("CREATE UNIQUE INDEX CONCURRENTLY wallets_one_per_kind ON ledger.wallets (kind)")
        # IF NOT EXISTS now "succeeds": the trap the check exists for
        conn.execute("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS wallets_one_per_kind ON ledger.wallets (kind)")
    assert findings(db, "invalid_indexes") == [("CRITICAL", "ledger.wallets_one_per_kind", None)]


def test_disabled_triggers(ledger, db):
    db.execute("ALTER TABLE ledger.entries DISABLE TRIGGER _900_zero_sum")
    db.execute("ALTER TABLE ledger.payouts ENABLE REPLICA TRIGGER _100_lifecycle")
    assert [s for _, s, _ in findings(db, "disabled_triggers")] == ["_100_lifecycle on ledger.payouts",
                                                                     "_900_zero_sum on ledger.entries"]


def test_stale_payouts(ledger, db):
    with bypassing_triggers(db):
        db.execute("UPDATE ledger.payouts SET created_at = now() - interval '25 hours' WHERE order_ref = 'order:2'")
    payout = db.execute("SELECT id FROM ledger.payouts WHERE order_ref = 'order:2'").fetchone()[0]
    assert findings(db, "stale_payouts") == [("MEDIUM", f"payout {payout}", Decimal("45.00"))]


def test_processing_disabled(ledger, connect, db):
    Ops(connect("lg_oncall")).set_kill_switch("refunds", False, "gateway incident", "INC-9")
    assert findings(db, "processing_disabled") == [("LOW", "refunds", None)]


def test_the_checks_run_in_a_read_only_transaction_as_the_auditor(ledger, connect, db):
    with bypassing_triggers(db):
        db.execute("UPDATE ledger.wallet_buckets SET balance = balance + 3 WHERE wallet_id = (SELECT id FROM ledger.wallets WHERE code = 'buyer')")
    db.commit()
    auditor = connect("lg_auditor", autocommit=False)
    auditor.read_only = True
    rows = auditor.execute("SELECT check_name, severity, subject FROM ledger_check.run_all() ORDER BY 1, 3").fetchall()
    assert rows == db.execute("SELECT check_name, severity, subject FROM ledger_check.run_all() ORDER BY 1, 3").fetchall()
    assert ("balance_mismatch", "LOW", "buyer") in rows
    auditor.rollback()


def test_recorded_runs_keep_history_and_first_appearance(ledger, connect, db):
    ops = Ops(connect("lg_oncall"))
    first = ops.audited("ledger_ops.record_check_run", "24 hours")
    assert first["findings"] == 0 and first["worst_severity"] is None
    with bypassing_triggers(db):
        db.execute("UPDATE ledger.wallet_buckets SET balance = balance + 3 WHERE wallet_id = (SELECT id FROM ledger.wallets WHERE code = 'buyer')")
    db.commit()
    second = ops.audited("ledger_ops.record_check_run", "24 hours")
    third = ops.audited("ledger_ops.record_check_run", "24 hours")
    assert (second["findings"], second["worst_severity"]) == (1, "LOW")
    history = db.execute("SELECT run_id, first_seen_at FROM ledger_check.finding_history WHERE subject = 'buyer' ORDER BY run_id").fetchall()
    assert [run for run, _ in history] == [second["id"], third["id"]]
    assert {seen for _, seen in history} == {second["started_at"]}
    with pytest.raises(psycopg.Error) as refused:
        db.execute("DELETE FROM ledger.check_findings")
    assert refused.value.sqlstate == "LG012"


def test_the_lock_contention_view_decodes_wallets_and_orders(ledger, connect, db):
    """Two waits on-call sees during an incident: a wallet row and a payout's advisory lock."""
    ledger.fail_payout(ledger.payout_once("order:5", "vendor:2", "1.00")[0], "bank rejected")  # the order has its lock key
    holder = connect("lg_app", autocommit=False)
    holder.execute("SELECT ledger.post_transaction('hold', 'TRANSFER', '[{\"wallet\":\"buyer\",\"amount\":\"-1.00\"},"
                   "{\"wallet\":\"vendor:1\",\"amount\":\"1.00\"}]')")
    holder.execute("SELECT * FROM ledger.payout_once('order:5', 'vendor:2', 1.00)")
    waiters = [threading.Thread(target=lambda sql=sql: connect("lg_app").execute(sql)) for sql in (
        "SELECT ledger.post_transaction('wait', 'TRANSFER', '[{\"wallet\":\"buyer\",\"amount\":\"-1.00\"},{\"wallet\":\"vendor:1\",\"amount\":\"1.00\"}]')",
        "SELECT * FROM ledger.payout_once('order:5', 'vendor:2', 1.00)")]
    for waiter in waiters:
        waiter.start()
    deadline = time.monotonic() + 10
    seen: set[str] = set()
    while time.monotonic() < deadline and len(seen) < 2:
        seen = {r[0] for r in connect("lg_oncall").execute("SELECT waiting_on FROM ledger_check.lock_waits")}
        time.sleep(0.1)
    holder.commit()
    for waiter in waiters:
        waiter.join(timeout=30)
    assert {"wallet buyer", "payout of order:5"} <= seen


def _correlated_subplans(node: dict) -> list[str]:
    found = []
    if node.get("Parent Relationship") == "SubPlan" and not node.get("Subplan Name", "").startswith("hashed"):
        found.append(f"{node.get('Subplan Name')}: {node.get('Node Type')} on {node.get('Relation Name', '?')}")
    for child in node.get("Plans", []):
        found += _correlated_subplans(child)
    return found


def test_no_check_runs_a_correlated_subquery_per_row(ledger, db):
    """Each SQL check's plan: set-based joins, hashed subplans and bounded index probes, never a SubPlan per row."""
    bodies = db.execute("""SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                            WHERE p.pronamespace = 'ledger_check'::regnamespace AND l.lanname = 'sql'
                              AND p.prorettype = 'ledger_check.finding'::regtype""").fetchall()
    assert len(bodies) == 22
    offenders = {}
    for name, body in bodies:
        for since in ("'24 hours'::interval", "NULL::interval"):
            plan = db.execute(f"EXPLAIN (FORMAT JSON) {body.replace('p_since', since)}").fetchone()[0][0]["Plan"]
            if _correlated_subplans(plan):
                offenders[name] = _correlated_subplans(plan)
    assert offenders == {}


def test_an_incremental_run_checks_what_is_new_and_its_watermark_never_passes_a_transaction_in_flight(ledger, connect, db):
    """A broken posting is written by a transaction that stays open across an incremental run: that run
    cannot see it, and the next run must still check it, although it started before the run that missed it."""
    ops = Ops(connect("lg_oncall"))

    def incremental() -> tuple[dict, set[tuple[str, str]]]:
        run = ops.audited("ledger_ops.record_incremental_check_run")
        found = {(c, s) for c, s in db.execute("SELECT check_name, subject FROM ledger.check_findings WHERE run_id = %s",
                                               (run["id"],))}
        db.commit()
        return run, found

    first, found = incremental()
    assert first["since"] is None and found == set()  # the first one checks all history
    writer = connect(None, autocommit=False)
    with bypassing_triggers(writer):
        txn = writer.execute("INSERT INTO ledger.transactions (kind, reference) VALUES ('TRANSFER', 'in flight') RETURNING id"
                             ).fetchone()[0]
        writer.execute("""INSERT INTO ledger.entries (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after)
                          SELECT %s, id, 'USD', 5, 0, 999, 0 FROM ledger.wallets WHERE code = 'buyer'""", (txn,))
    writer_xid = int(writer.execute("SELECT pg_current_xact_id()::text").fetchone()[0])
    ledger.post_transaction("meanwhile", "TRANSFER", [("card", "-1.00"), ("buyer", "1.00")])

    second, found = incremental()
    assert found == set() and int(str(second["watermark"])) <= writer_xid
    writer.commit()
    started = db.execute("SELECT created_at FROM ledger.transactions WHERE id = %s", (txn,)).fetchone()[0]
    assert started < second["started_at"], "a watermark of time would have skipped it"

    third, found = incremental()
    assert ("unbalanced_transactions", f"transaction {txn}") in found
    assert third["started_at"] - third["since"] == started, "an incremental run from the writer's start, not all history"
    fourth, found = incremental()
    assert found == set(), "nothing new: nothing again"
    assert fourth["started_at"] - fourth["since"] == third["started_at"], "nothing new: the window starts at the last run"


def test_a_recorded_run_summarizes_the_time_indexes_so_a_window_reads_only_the_window(ledger, connect, db):
    """A BRIN index returns every block range it has not summarized: until a vacuum, a window of one second
    would read every row inserted since the last one. A recorded run summarizes first (as ledger_oncall)."""
    batch = [{"idempotency_key": f"bulk-{n}", "kind": "TRANSFER", "legs": [{"wallet": "card", "amount": "-1.00"},
                                                                          {"wallet": "buyer", "amount": "1.00"}]}
             for n in range(7000)]  # past the first block range of 128 pages (which the index creation summarized)
    connect("lg_app").execute("SELECT ledger.post_transactions(%s)", (psycopg.types.json.Jsonb(batch),))
    time.sleep(1.1)

    def read_for_an_empty_window() -> int:
        db.commit()  # a transaction, and a now(), that start after the postings
        plan = db.execute("EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM ledger.entries"
                          " WHERE created_at >= now() - interval '1 second'").fetchone()[0][0]["Plan"]
        scans = [plan]
        while scans and scans[-1].get("Plans"):
            scans += scans[-1]["Plans"]
        heap = next(s for s in scans if s["Node Type"] == "Bitmap Heap Scan")
        return heap.get("Rows Removed by Index Recheck", 0) + heap["Actual Rows"]

    db.execute("SET enable_seqscan = off")  # the plan a large table gets
    assert read_for_an_empty_window() > 2000
    Ops(connect("lg_oncall")).audited("ledger_ops.record_check_run", "1 second")
    assert read_for_an_empty_window() == 0
    autosummarized = db.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'ledger'::regnamespace AND relam ="
                                " (SELECT oid FROM pg_am WHERE amname = 'brin') AND 'autosummarize=on' = ANY(reloptions)"
                                ).fetchone()[0]
    assert autosummarized == 5, "and autovacuum summarizes each range as it fills"
