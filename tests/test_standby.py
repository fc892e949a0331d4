"""The checks on a real hot standby: streaming replication on loopback, started by the test."""

from __future__ import annotations

import time

import psycopg
import pytest

import conftest
from ledger_state import bypassing_triggers


@pytest.fixture
def standby():
    if conftest._cluster is None:
        pytest.skip("needs the embedded test cluster (LEDGERGUARD_TEST_PORT points elsewhere)")
    replica = conftest._cluster.start_replica()
    yield replica
    replica.stop()


def test_run_all_on_a_streaming_standby_finds_what_the_primary_finds(db, dsn, pytestconfig, standby):
    with bypassing_triggers(db):
        db.execute("UPDATE ledger.wallet_buckets SET balance = balance + 12 WHERE wallet_id = "
                   "(SELECT id FROM ledger.wallets WHERE code = 'PLATFORM_MAIN') AND bucket = 3")
    db.commit()
    full, windowed = ("SELECT check_name, severity, subject, amount FROM ledger_check.run_all(%s::interval) ORDER BY 1, 3"
                      for _ in range(2))
    on_primary = db.execute(full, (None,)).fetchall()
    assert on_primary == [("balance_mismatch", "MEDIUM", "PLATFORM_MAIN", 12)]
    windowed_on_primary = db.execute(windowed, ("24 hours",)).fetchall()
    lsn = db.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    db.commit()

    dbname = db.info.dbname
    with psycopg.connect(standby.dsn(dbname, user="lg_auditor"), autocommit=True) as replica:
        assert replica.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        deadline = time.monotonic() + 60
        while replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()[0] is not True:
            assert time.monotonic() < deadline, "the standby did not catch up"
            time.sleep(0.1)
        assert replica.execute(full, (None,)).fetchall() == on_primary
        assert replica.execute(windowed, ("24 hours",)).fetchall() == windowed_on_primary
    with psycopg.connect(standby.dsn(dbname, user="lg_oncall"), autocommit=True) as replica:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):  # recording history is for the primary
            replica.execute("SELECT ledger_ops.record_check_run()")
