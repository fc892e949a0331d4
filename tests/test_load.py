"""The bank test: the invariants hold at every moment of a busy ledger, also while backends are killed.

8 workers and an on-call session run the seeded workload of ``workload.py``
for a bounded time (15 s; 5 minutes with --soak). Meanwhile a REPEATABLE READ
reader takes snapshot after snapshot; in each one every currency sums to
zero, every stored balance equals its entries, every balance-after chain is
unbroken and no wallet that may not go negative is negative. In the faults
variant a killer terminates a random busy application backend every 50-250 ms
(pg_terminate_backend); the worker reconnects and repeats its request with
the same key. Afterwards every acknowledged result is in the database, each
repeated request took effect once, no advisory lock is left and the check
catalog finds nothing.
"""

from __future__ import annotations

import random
import time

import psycopg
import pytest

from ledger_state import violations
from workload import Workload, aftermath, open_books

SEED = 20261121
WORKERS = 9  # 8 application workers and worker 0, on-call


def snapshot_violations(reader: psycopg.Connection) -> list[str]:
    """The invariants in one REPEATABLE READ snapshot."""
    with reader.transaction():
        return violations(reader)


@pytest.mark.timeout(1200)  # the --soak variant runs for minutes
@pytest.mark.parametrize("faults", ["none", "killed backends"])
def test_the_books_balance_in_every_snapshot_of_a_busy_ledger(faults, app, connect, db, pytestconfig):
    seconds = 300 if pytestconfig.getoption("--soak") else 15
    open_books(app)
    workload = Workload(lambda login: connect(login), seed=SEED)
    reader = connect(None, autocommit=False)
    reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    killer = connect(None)
    rng = random.Random(SEED)
    samples, kills, broken = 0, 0, []

    def watch() -> None:
        nonlocal samples, kills
        deadline = time.monotonic() + seconds
        next_kill = time.monotonic()
        while time.monotonic() < deadline and not workload.stop.is_set():
            broken.extend(snapshot_violations(reader))
            samples += 1
            if faults == "killed backends" and time.monotonic() >= next_kill:
                kills += killer.execute(
                    """SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM (
                           SELECT pid FROM pg_stat_activity
                            WHERE datname = current_database() AND usename = 'lg_app' AND state = 'active'
                            ORDER BY random() LIMIT 1) AS victim""").fetchone()[0]
                next_kill = time.monotonic() + rng.uniform(0.05, 0.25)
            time.sleep(0.05)

    tally = workload.run(WORKERS, seconds, during=watch)
    print(f"\nbank ({faults}): {tally.operations} operations {dict(tally.counts)}, {samples} snapshots, "
          f"{kills} backends killed, violations: {len(broken)}")

    assert broken == []
    assert samples >= 10 and tally.counts["transfer"] > 100 and tally.counts["payout"] > 0
    assert tally.counts["refund"] > 0 and tally.counts["freeze"] > 0
    if faults == "killed backends":
        assert kills > 0 and tally.counts["lost replies"] > 0, "the killer should have interrupted requests"
    assert aftermath(db, tally) == []
    transfers = tally.acknowledged["transfer"]
    assert len(set(transfers)) == len(transfers), "a repeated key posted twice"
