"""The baseline (issue 19): a fresh install runs one revision; a database at the end of the chain it replaces
(0021) moves to it with no change to its data or catalog; a database at an older revision is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from click.testing import CliRunner

from devtools import revisions
from ledgerguard import migrate
from ledgerguard.cli import main
from ledgerguard.cluster import find_bindir
from releases import CHAIN_BEFORE_THE_BASELINE, ROOT, run_cli_at, tree_at
from test_migrations import _schema_dump


BASELINE = revisions.ordered_revisions()[0].revision


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Path:
    """ledgerguard at the last commit of the migration chain 0001 … 0021."""
    return tree_at(CHAIN_BEFORE_THE_BASELINE, tmp_path_factory.mktemp("chain"))


def _data_dump(dsn: str) -> str:
    out = subprocess.run([str(find_bindir() / "pg_dump"), "--data-only", "--exclude-table=public.alembic_version",
                          dsn], capture_output=True, text=True, check=True).stdout
    return "\n".join(line for line in out.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def _versions(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [v for (v,) in conn.execute("SELECT version_num FROM public.alembic_version ORDER BY 1")]


LEDGER_IN_USE = """
SELECT ledger.create_wallet('card', 'EXTERNAL', 'USD', true);
SELECT ledger.create_wallet('buyer', 'USER', 'USD');
SELECT ledger.create_wallet('seller', 'VENDOR', 'USD');
SELECT ledger.post_transaction('fund', 'TRANSFER',
       '[{"wallet": "card", "amount": "-500.00"}, {"wallet": "buyer", "amount": "500.00"}]', 'card:1');
SELECT ledger.capture_payment(ledger.create_payment('p1', 'order:1', 'buyer', 'seller', 100.00, 'USD', 10.00, 'PREPAID'));
SELECT ledger.run_settlement_batch(current_date);
SELECT ledger_ops.freeze_wallet('buyer', 'fraud review', 'INC-1', 'DEBITS');
SELECT ledger_ops.record_check_run(NULL);
"""


def test_a_ledger_at_the_end_of_the_chain_moves_to_the_baseline_with_nothing_changed_but_its_version(
        chain, empty_database):
    old, fresh = empty_database(), empty_database()
    built = run_cli_at(chain, old, "migrate")
    assert built.returncode == 0 and built.stdout.strip() == "revision base -> 0021", built.stdout + built.stderr[-2000:]
    with psycopg.connect(old) as conn:
        conn.execute(LEDGER_IN_USE)
    schema, data = _schema_dump(old), _data_dump(old)

    lines: list[str] = []
    assert migrate.gated_upgrade(old, BASELINE, report=lines.append) == "0021"  # found there, under the lock
    assert _versions(old) == [BASELINE]
    assert _schema_dump(old) == schema and _data_dump(old) == data

    migrate.upgrade(fresh, BASELINE)  # a fresh install: the baseline alone
    assert _schema_dump(fresh) == schema
    assert [line for line in lines if line.startswith("invariant gate")] == [
        "invariant gate: 0 finding(s) before the migration", "invariant gate: no new finding"]

    migrate.upgrade(old)  # and on to the head, as a fresh install gets there
    migrate.upgrade(fresh)
    assert _versions(old) == [migrate.head()] and _schema_dump(old) == _schema_dump(fresh)


def test_plain_alembic_upgrade_head_moves_a_ledger_at_the_end_of_the_chain(chain, empty_database):
    old = empty_database()
    assert run_cli_at(chain, old, "migrate").returncode == 0
    moved = subprocess.run([sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "upgrade", "head"],
                           env={**os.environ, "LEDGERGUARD_DSN": old}, capture_output=True, text=True, timeout=600)
    assert moved.returncode == 0, moved.stderr[-2000:]
    assert _versions(old) == [migrate.head()]


def test_a_ledger_at_an_older_revision_is_refused_before_anything_runs(chain, empty_database):
    old = empty_database()
    assert run_cli_at(chain, old, "migrate", "--revision", "0015").returncode == 0
    schema = _schema_dump(old)
    with pytest.raises(SystemExit, match=r"at revision 0015, which this release no longer carries.*"
                                         r"reaches from revision 0021 only"):
        migrate.upgrade(old)
    assert _versions(old) == ["0015"] and _schema_dump(old) == schema
    moved = run_cli_at(chain, old, "migrate")  # the release before the baseline takes it to 0021 ...
    assert moved.returncode == 0, moved.stderr[-2000:]
    migrate.upgrade(old)  # ... and this one from there
    assert _versions(old) == [migrate.head()]


def test_offline_sql_moves_a_ledger_at_the_end_of_the_chain_by_its_version_row(chain, empty_database, tmp_path):
    """`ledgerguard migrate --sql --from 0021`: what a DBA reviews and applies with psql is one UPDATE."""
    old = empty_database()
    assert run_cli_at(chain, old, "migrate").returncode == 0
    schema = _schema_dump(old)
    sql = migrate.offline_sql(BASELINE, start="0021")
    assert f"UPDATE public.alembic_version SET version_num = '{BASELINE}' WHERE version_num = '0021';" in sql
    assert "CREATE" not in sql
    script = tmp_path / "move.sql"
    script.write_text(sql)
    subprocess.run([str(find_bindir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script), old],
                   check=True, capture_output=True, text=True)
    assert _versions(old) == [BASELINE] and _schema_dump(old) == schema


def test_the_offline_move_stops_on_a_database_at_another_revision(chain, empty_database, tmp_path):
    """Found by review: the script of `--sql --from 0021` applied to a database at 0015 moved nothing, said
    nothing, and replaced its functions with 0023's. Its first statement now stops psql there."""
    old = empty_database()
    assert run_cli_at(chain, old, "migrate", "--revision", "0015").returncode == 0
    schema = _schema_dump(old)
    script = tmp_path / "move.sql"
    script.write_text(migrate.offline_sql(start="0021"))
    applied = subprocess.run([str(find_bindir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script), old],
                             capture_output=True, text=True)
    assert applied.returncode != 0 and "this database is not at revision 0021" in applied.stderr, applied.stderr
    assert _versions(old) == ["0015"] and _schema_dump(old) == schema


def test_a_ledger_with_the_schedule_at_the_end_of_the_chain_moves_too_and_doctor_says_what_it_is(chain, empty_database):
    """Review: a 0021 ledger with the opt-in schedule (version rows 0021 and s001, as the chain's Alembic writes
    them) could not be upgraded (s002 "overlaps" 0022), and doctor on a 0021 ledger ended in a traceback."""
    old = empty_database()
    assert run_cli_at(chain, old, "migrate").returncode == 0
    with psycopg.connect(old) as conn:  # pg_cron is not preloaded here: the rows the schedule line leaves
        conn.execute("INSERT INTO public.alembic_version VALUES ('s001')")
    doctor = CliRunner().invoke(main, ["--dsn", old, "doctor"], catch_exceptions=False)
    assert doctor.exit_code == 1 and "FAIL  revision 0021 deployed" in doctor.output, doctor.output
    moved = CliRunner().invoke(main, ["--dsn", old, "migrate"], catch_exceptions=False)
    assert moved.exit_code == 0 and moved.stdout.strip().endswith(f"revision 0021 -> {migrate.head()}"), moved.output
    assert _versions(old) == sorted([migrate.head(), "s002"])
