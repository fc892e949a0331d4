"""The benchmark harness itself: pgbench through it, and a generated ledger the checks find healthy."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

import bench
from ledgerguard import migrate
from releases import CHAIN_BEFORE_THE_BASELINE


def test_pgbench_runs_through_the_harness_with_percentiles(dsn, db):
    db.execute(bench.SETUP_SQL.read_text())
    db.commit()
    tps, p50, p99, failed = bench.Bench(dsn).pgbench("SELECT bench.bare_posting();", clients=2, seconds=1)
    assert tps > 0 and 0 < p50 <= p99 and failed == 0
    assert db.execute("SELECT count(*) FROM bench.bare").fetchone()[0] >= 3


def test_the_generated_ledger_is_one_every_check_finds_healthy(dsn, db):
    db.execute(bench.SETUP_SQL.read_text())
    db.execute("SELECT bench.generate_ledger(30000)")
    db.commit()
    assert db.execute("SELECT count(*) FROM ledger.entries").fetchone()[0] == 30000
    assert db.execute("SELECT * FROM ledger_check.run_all(NULL)").fetchall() == []
    assert db.execute("SELECT count(*) FROM ledger_check.run_all('24 hours')").fetchone()[0] == 0


def test_the_incremental_scenario_posts_new_work_and_checks_only_that(dsn, db):
    db.execute(bench.SETUP_SQL.read_text())
    db.execute("SELECT bench.generate_ledger(30000)")
    db.commit()  # in flight during a run, the generated ledger (dated back 30 days) would be rechecked
    first = db.execute("SELECT since, findings FROM ledger_ops.record_incremental_check_run()").fetchone()
    db.commit()
    db.execute("SELECT bench.post_new(50)")
    db.commit()
    since, findings = db.execute("SELECT since, findings FROM ledger_ops.record_incremental_check_run()").fetchone()
    assert first == (None, 0) and findings == 0
    assert since is not None and since.total_seconds() < 60, "only what the 50 postings wrote"
    assert db.execute("SELECT count(*) FROM ledger.transactions WHERE reference IS NULL AND created_xid IS NOT NULL"
                      ).fetchone()[0] >= 50


def test_the_table_marks_missed_targets():
    rows = [bench.Row("bare", 8, tps=100.0), bench.Row("guarded", 8, tps=30.0, ratio=0.3, target=0.5, baseline="bare"),
            bench.Row("bulk", 1, seconds=2.0, ratio=4.0, target=-5, baseline="bare bulk")]
    text = bench.table(rows)
    assert "MISS" in text.splitlines()[3] and text.splitlines()[4].rstrip().endswith("ok")


def test_the_bulk_scenario_commits_each_batch(dsn, db, connect):
    """A loader's batches are database transactions of their own (2,500 transfers in batches of 1,000: three)."""
    for _ in range(2):  # the setup runs again on a database it set up before (`bench --dsn`)
        db.execute(bench.SETUP_SQL.read_text())
    db.execute("SELECT bench.prepare(1000, 1000, ARRAY[]::text[])")
    db.commit()
    loader = connect()  # the application role, autocommit, as the benchmark's loader
    before = db.execute("SELECT count(*) FROM ledger.transactions").fetchone()[0]
    assert bench.post_batches(loader, bench.bulk_batches("test", 2500, 1000)) > 0
    db.commit()
    assert db.execute("SELECT count(*) FROM ledger.transactions").fetchone()[0] == before + 2500
    assert db.execute("SELECT count(DISTINCT created_xid) FROM ledger.transactions WHERE idempotency_key LIKE 'bulk:%'"
                      ).fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM ledger_check.run_all(NULL)").fetchone()[0] == 0


def test_the_bulk_scenario_prices_each_form_against_the_bare_insert_and_its_floor(dsn, db):
    """One call and batches of 1,000, each beside the floor of the same form: the rows alone, committed the same way."""
    db.execute(bench.SETUP_SQL.read_text())
    db.execute("SELECT bench.prepare(1000, 1000, ARRAY[]::text[])")
    db.commit()
    harness = bench.Bench(dsn, echo=lambda line: None)
    harness.bulk(sizes=[3000])
    rows = {row.scenario: row for row in harness.rows}
    for form in ("one call", "batches of 1,000"):
        floor, guarded = rows[f"bulk floor, {form} (3,000)"], rows[f"bulk, {form} (3,000)"]
        assert floor.ratio > 0 and floor.baseline == guarded.baseline == "bulk bare insert"
        assert guarded.target == -5 and "of the floor" in guarded.note
    assert db.execute("SELECT count(*) FROM ledger.transactions WHERE idempotency_key LIKE 'bulk:%'").fetchone()[0] == 6000
    assert db.execute("SELECT count(*) FROM bench.floor_transactions").fetchone()[0] == 6000
    assert db.execute("SELECT count(*) FROM ledger_check.run_all(NULL)").fetchone()[0] == 0


def test_the_floor_writes_the_rows_of_a_guarded_posting_into_tables_of_the_same_shape(dsn, db):
    """The floor calibration prices the data model: the same indexes and CHECKs, the same rows, no guard."""
    db.execute(bench.SETUP_SQL.read_text())
    db.execute("SELECT bench.prepare(1000, 1000, ARRAY[]::text[])")
    shape = """SELECT array_agg(regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '')
                                ORDER BY regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '')),
                      (SELECT array_agg(pg_get_constraintdef(c.oid) ORDER BY pg_get_constraintdef(c.oid)) FROM pg_constraint AS c
                        WHERE c.conrelid = %s::regclass AND c.contype = 'c')
                 FROM pg_index AS i WHERE i.indrelid = %s::regclass"""
    for ledger_table, floor_table in (("ledger.idempotency_keys", "bench.floor_keys"),
                                      ("ledger.transactions", "bench.floor_transactions"),
                                      ("ledger.wallet_buckets", "bench.floor_buckets"),
                                      ("ledger.entries", "bench.floor_entries")):
        assert db.execute(shape, (ledger_table, ledger_table)).fetchone() == \
            db.execute(shape, (floor_table, floor_table)).fetchone(), floor_table
    txn = db.execute("SELECT bench.floor_post('floor-1', 7, 9)").fetchone()[0]
    entries = db.execute("""SELECT w.code, e.amount, e.balance_after = b.balance AND e.bucket_seq = b.entry_count
                              FROM bench.floor_entries AS e JOIN ledger.wallets AS w ON w.id = e.wallet_id
                              JOIN bench.floor_buckets AS b ON (b.wallet_id, b.bucket) = (e.wallet_id, e.bucket)
                             WHERE e.transaction_id = %s ORDER BY e.amount""", (txn,)).fetchall()
    assert [(code, str(amount), chained) for code, amount, chained in entries] == \
        [("p7", "-10.00", True), ("PLATFORM_MAIN", "1.00", True), ("m9", "9.00", True)]
    assert db.execute("SELECT result_id FROM bench.floor_keys WHERE idempotency_key = 'floor-1'").fetchone() == (txn,)
    db.execute("SELECT bench.floor_bulk(1000)")  # the bulk floor: the rows of 1,000 transfers, set-based
    assert db.execute("""SELECT (SELECT count(*) FROM bench.floor_transactions), (SELECT count(*) FROM bench.floor_keys),
                                (SELECT count(*) FROM bench.floor_entries),
                                (SELECT count(*) FROM (SELECT FROM bench.floor_entries GROUP BY transaction_id
                                                        HAVING sum(amount) <> 0) AS u)""").fetchone() == (1001, 1001, 3003, 0)
    assert db.execute("""SELECT count(*) FROM bench.floor_buckets AS b
                          JOIN LATERAL (SELECT e.bucket_seq, e.balance_after FROM bench.floor_entries AS e
                                         WHERE (e.wallet_id, e.bucket) = (b.wallet_id, b.bucket)
                                         ORDER BY e.bucket_seq DESC LIMIT 1) AS last ON true
                         WHERE (last.bucket_seq, last.balance_after) <> (b.entry_count, b.balance)""").fetchone() == (0,)


@pytest.fixture
def ab_harness(dsn: str) -> Iterator[bench.Bench]:
    """A benchmark for `--ab` runs on this test's server; the two databases it makes are dropped afterwards."""
    yield bench.Bench(dsn, echo=lambda line: None)
    with psycopg.connect(psycopg.conninfo.make_conninfo(dsn, dbname="postgres"), autocommit=True) as conn:
        for arm in "ab":
            conn.execute(f"DROP DATABASE IF EXISTS bench_ab_{arm} WITH (FORCE)")


def test_the_ab_harness_pairs_rounds_of_two_git_refs_in_one_cluster(dsn, ab_harness):
    """`bench --ab REF_A REF_B`: two databases of the same cluster, each migrated by ledgerguard at its git ref (here
    the chain before the baseline against this tree), judged round by round."""
    ab_harness.ab((CHAIN_BEFORE_THE_BASELINE, bench.THIS_TREE), rounds=2, seconds=1)
    for arm, revision in (("a", "0021"), ("b", migrate.head())):
        with psycopg.connect(psycopg.conninfo.make_conninfo(dsn, dbname=f"bench_ab_{arm}")) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (revision,)
            assert conn.execute("SELECT count(*) FROM ledger.payments WHERE status = 'CAPTURED'").fetchone()[0] > 0
            assert conn.execute("SELECT count(*) FROM ledger.transactions WHERE idempotency_key LIKE 'bulk:ab:%'"
                                ).fetchone()[0] == 2 * 5000
    rows = {row.scenario: row for row in ab_harness.rows}
    for scenario in ("post_transaction 3 legs", "capture (fee to PLATFORM_MAIN)", "bulk, batches of 1,000"):
        assert rows[f"{scenario}, A = {CHAIN_BEFORE_THE_BASELINE}"].tps > 0 and rows[f"{scenario}, B = ."].tps > 0
        assert rows[f"{scenario}, B / A"].ratio > 0 and "ranged" in rows[f"{scenario}, B / A"].note


BEFORE_THE_BATCH_ENTRY_POINT = "b6a02abe820ebcc6a1b70aa0e3c352eacc80c10e^"  # head 0005: before ledger.post_transactions


def test_the_ab_harness_leaves_out_the_bulk_loader_where_a_ref_has_no_batch_entry_point(ab_harness):
    """Revision 0005 came before ledger.post_transactions: the A/B still judges posting and capture."""
    ab_harness.ab((BEFORE_THE_BATCH_ENTRY_POINT, bench.THIS_TREE), rounds=1, seconds=1)
    scenarios = {row.scenario for row in ab_harness.rows}
    assert "post_transaction 3 legs, B / A" in scenarios and "capture (fee to PLATFORM_MAIN), B / A" in scenarios
    assert not any(scenario.startswith("bulk") for scenario in scenarios)
