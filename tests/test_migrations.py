"""Deployment: frozen SQL, catalog equality, downgrade, offline SQL, serialization."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from devtools import revisions
from ledgerguard import deploy, migrate, resources
from ledgerguard.cli import main
from ledgerguard.cluster import EmbeddedCluster, find_bindir
from ledgerguard.db import MIGRATION_LOCK
from releases import this_tree_with


def test_every_sql_file_is_in_the_manifest_once():
    on_disk = sorted(p.relative_to(resources.sql_dir()).as_posix() for p in resources.sql_dir().rglob("*.sql"))
    assert sorted(resources.manifest()) == on_disk


def test_sql_equals_its_newest_frozen_copy():
    assert revisions.changed_files() == [], "sql/ changed: run scripts/new-revision \"what changed\""


def test_the_head_revision_is_linear():
    ordered = revisions.ordered_revisions()
    assert [r.revision for r in ordered] == sorted(r.revision for r in ordered)
    assert ordered[-1].revision == migrate.head()


def _schema_dump(dsn: str) -> str:
    out = subprocess.run([str(find_bindir() / "pg_dump"), "--schema-only", "--exclude-table=public.alembic_version",
                          dsn], capture_output=True, text=True, check=True).stdout
    return "\n".join(line for line in out.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def test_migrations_build_the_same_catalog_as_sql(empty_database):
    migrated, built = empty_database(), empty_database()
    migrate.upgrade(migrated)
    deploy.build_from_sql(built)
    assert _schema_dump(migrated) == _schema_dump(built)


def _our_leftovers(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [row[0] for row in conn.execute(
            """SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname LIKE 'ledger%'
               UNION ALL SELECT 'relation ' || oid::regclass FROM pg_class WHERE relnamespace = 'public'::regnamespace
               UNION ALL SELECT 'default acl of ' || defaclrole::regrole FROM pg_default_acl
               UNION ALL SELECT 'database acl ' || datacl::text FROM pg_database
                          WHERE datname = current_database() AND datacl::text LIKE '%ledger%'""")]


ALEMBIC_ONLY = ["relation alembic_version", "relation alembic_version_pkc"]  # plain Alembic keeps its table


def _roles(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [r[0] for r in conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'ledger%' ORDER BY 1")]


def test_downgrade_to_base_empties_the_database_and_keeps_roles_another_database_uses():
    """Its own cluster: dropping roles must be observable."""
    with EmbeddedCluster("roles") as cluster:
        staging, testing = cluster.create_database("staging"), cluster.create_database("testing")
        migrate.upgrade(staging)
        migrate.upgrade(testing)  # reuses the cluster-wide roles
        migrate.downgrade(testing, "base")
        assert _our_leftovers(testing) == []
        assert _roles(testing) == ["ledger_app", "ledger_auditor", "ledger_migrator", "ledger_oncall", "ledger_owner"]
        with psycopg.connect(staging, autocommit=True) as conn:
            conn.execute("SET ROLE ledger_app")
            assert conn.execute("SELECT ledger.create_wallet('still-works', 'USER', 'USD')").fetchone()[0] > 0
        migrate.downgrade(staging, "base")
        assert _our_leftovers(staging) == [] and _roles(staging) == []
        migrate.upgrade(staging)  # and back up again
        assert migrate.current(staging) == migrate.head()


def test_upgrade_downgrade_upgrade_round_trip_in_a_shared_cluster(empty_database):
    dsn = empty_database()
    migrate.upgrade(dsn)
    migrate.downgrade(dsn, "base")
    assert _our_leftovers(dsn) == []
    migrate.upgrade(dsn)
    assert migrate.current(dsn) == migrate.head()


def test_offline_sql_is_what_a_dba_can_review_and_apply_with_psql(empty_database, tmp_path):
    sql = migrate.offline_sql()
    for expected in ("SET lock_timeout", "SET statement_timeout", "SET ROLE ledger_owner;",
                     "CREATE TABLE ledger.entries", "CREATE CONSTRAINT TRIGGER _900_zero_sum"):
        assert expected in sql
    script = tmp_path / "upgrade.sql"
    script.write_text(sql)
    dsn = empty_database()
    subprocess.run([str(find_bindir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script), dsn],
                   check=True, capture_output=True, text=True)
    assert migrate.current(dsn) == migrate.head()


def test_a_migration_waits_for_the_migration_lock(empty_database):
    dsn = empty_database()
    with psycopg.connect(dsn, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%(ns)s, %(key)s)", MIGRATION_LOCK)
        thread = threading.Thread(target=migrate.upgrade, args=(dsn,))
        thread.start()
        time.sleep(1.5)
        assert thread.is_alive() and migrate.current(dsn) is None, "migrate must wait for the lock"
        holder.execute("SELECT pg_advisory_unlock(%(ns)s, %(key)s)", MIGRATION_LOCK)
    thread.join(timeout=120)
    assert migrate.current(dsn) == migrate.head()


def test_two_concurrent_migrate_runs_serialize(empty_database):
    """Two `ledgerguard migrate` processes at once: both succeed, one applies."""
    dsn = empty_database()
    runs = [subprocess.Popen([sys.executable, "-m", "ledgerguard", "--dsn", dsn, "migrate"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    reports = sorted(out.strip() for out, _err in outputs)
    assert reports == [f"revision {migrate.head()} -> {migrate.head()}", f"revision base -> {migrate.head()}"]


def test_new_revision_refuses_when_nothing_changed(tmp_path, monkeypatch):
    tree = this_tree_with(tmp_path / "tree", {})  # never the checkout's own revisions
    monkeypatch.setattr(resources, "sql_dir", lambda: tree / "sql")
    monkeypatch.setattr(resources, "migrations_dir", lambda: tree / "migrations")
    with pytest.raises(SystemExit, match="nothing to freeze"):
        revisions.new_revision("a change")


def test_new_revision_drops_new_objects_on_downgrade():
    text = """CREATE OR REPLACE FUNCTION ledger.f(p int) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE OR REPLACE TRIGGER _100_x
    BEFORE INSERT ON ledger.entries FOR EACH ROW EXECUTE FUNCTION ledger.f();"""
    assert revisions.drops_for(text) == ["DROP TRIGGER IF EXISTS _100_x ON ledger.entries;",
                                         "DROP FUNCTION IF EXISTS ledger.f;"]


def test_the_opt_in_schedule_puts_the_runbook_jobs_in_pg_cron():
    if not Path("/usr/share/postgresql/15/extension/pg_cron.control").exists():
        pytest.skip("pg_cron is not installed (Debian postgresql-15-cron; scripts/bootstrap installs it)")
    settings = {"shared_preload_libraries": "'pg_cron'", "cron.database_name": "'payments'"}
    with EmbeddedCluster("cron", settings=settings) as cluster:
        dsn = cluster.create_database("payments")
        migrate.upgrade(dsn)
        assert migrate.current(dsn, migrate.SCHEDULE) is None, "scheduling is opt-in"
        migrate.upgrade(dsn, migrate.SCHEDULE)
        with psycopg.connect(dsn) as conn:
            jobs = conn.execute("SELECT jobname, schedule, command FROM cron.job ORDER BY jobname").fetchall()
        assert [(name, schedule) for name, schedule, _ in jobs] == [("ledgerguard-reconciliation", "0 2 * * *"),
                                                                     ("ledgerguard-settlement", "0 0 * * *")]
        assert "ledger_ops.record_check_run(NULL)" in jobs[0][2] and "ledger.run_settlement_batch" in jobs[1][2]
        assert migrate.current(dsn) == migrate.head()
        # Both lines applied: plain `alembic downgrade -1` steps down the ledger's line (Alembic alone calls it
        # ambiguous), plain `upgrade head` comes back, and the schedule line is left by its name.
        # Plain Alembic with both lines: `upgrade head` is the ledger's (not the schedule, which depends on it),
        # the schedule goes by its name, and `downgrade -1` below the baseline takes the schedule along first.
        unscheduled = _alembic("downgrade", "schedule@base", dsn=dsn)
        assert unscheduled.returncode == 0 and _version(dsn) == [migrate.head()], unscheduled.stderr[-2000:]
        assert _alembic("upgrade", "head", dsn=dsn).returncode == 0 and migrate.current(dsn, migrate.SCHEDULE) is None
        assert _alembic("upgrade", "schedule@head", dsn=dsn).returncode == 0
        assert migrate.current(dsn, migrate.SCHEDULE) == "s002" and migrate.current(dsn) == migrate.head()
        if _previous() is not None:  # a plain -1 steps down the ledger's line, the schedule stays
            down = _alembic("downgrade", "-1", dsn=dsn)
            assert down.returncode == 0 and "ambiguous" not in down.stderr, down.stderr[-2000:]
            assert migrate.current(dsn) == _previous() and migrate.current(dsn, migrate.SCHEDULE) == "s002"
        removed = _alembic("downgrade", "base", dsn=dsn)  # the schedule first: it depends on the baseline
        assert removed.returncode == 0 and "ambiguous" not in removed.stderr, removed.stderr[-2000:]
        assert _version(dsn) == [] and sorted(_our_leftovers(dsn)) == ALEMBIC_ONLY
        migrate.upgrade(dsn)
        migrate.upgrade(dsn, migrate.SCHEDULE)
        migrate.downgrade(dsn, "base")
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT count(*) FROM cron.job").fetchone()[0] == 0


def test_the_schedule_refuses_a_server_without_pg_cron(empty_database):
    dsn = empty_database()
    migrate.upgrade(dsn)
    with pytest.raises(Exception, match="pg_cron"):
        migrate.upgrade(dsn, migrate.SCHEDULE)
    assert migrate.current(dsn) == migrate.head()


ROOT = Path(__file__).resolve().parents[1]


def _alembic(*args: str, dsn: str | None = None, ini: Path = ROOT / "alembic.ini", cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Plain `alembic`, as a DBA runs it: its own process, the top-level alembic.ini, the DSN from the environment."""
    env = {k: v for k, v in os.environ.items() if k != "LEDGERGUARD_DSN"}
    if dsn:
        env["LEDGERGUARD_DSN"] = dsn
    return subprocess.run([sys.executable, "-m", "alembic", "-c", str(ini), *args], env=env, cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=600)


def _version(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [v for (v,) in conn.execute("SELECT version_num FROM alembic_version ORDER BY 1")]


def test_plain_alembic_upgrades_head_downgrades_one_and_upgrades_again(empty_database, tmp_path):
    """Issue 18, item 4: `alembic upgrade head` failed with "Multiple head revisions" (the opt-in pg_cron line
    is a second head), and `alembic upgrade ledger@head` died at 0010 with KeyError 'dsn', leaving 0009. Plain
    "head" now means the ledger's, from any directory, and the online index builds find the DSN Alembic was given.
    Below the baseline, `downgrade -1` removes the ledger: refused while it holds a transaction, done with
    -x drop_data=yes."""
    dsn = empty_database()
    up = _alembic("upgrade", "head", dsn=dsn, cwd=tmp_path)
    assert up.returncode == 0, up.stderr[-2000:]
    assert _version(dsn) == [migrate.head()]
    with psycopg.connect(dsn) as conn:
        conn.execute("SELECT ledger.create_wallet('card', 'EXTERNAL', 'USD', true), ledger.create_wallet('alice', 'USER', 'USD')")
        conn.execute("""SELECT ledger.post_transaction('fund', 'TRANSFER',
                        '[{"wallet": "card", "amount": "-5.00"}, {"wallet": "alice", "amount": "5.00"}]')""")
    down = _alembic("downgrade", "-1", dsn=dsn)  # one step down the ledger's line (to nothing from the baseline)
    if _previous() is None:
        assert down.returncode != 0 and 'refusing to remove the ledger of database' in down.stderr, down.stderr[-2000:]
    else:
        assert down.returncode == 0 and _version(dsn) == [_previous()], down.stderr[-2000:]
        assert _alembic("upgrade", "head", dsn=dsn).returncode == 0
    kept = _alembic("downgrade", "base", dsn=dsn)
    assert kept.returncode != 0 and 'refusing to remove the ledger of database' in kept.stderr, kept.stderr[-2000:]
    assert _version(dsn) in ([migrate.head()], [_previous()]) and _balance(dsn, "alice") == Decimal("5.00")
    removed = _alembic("-x", "drop_data=yes", "downgrade", "base", dsn=dsn)
    assert removed.returncode == 0, removed.stderr[-2000:]
    assert _version(dsn) == [] and sorted(_our_leftovers(dsn)) == ALEMBIC_ONLY
    again = _alembic("upgrade", "head", dsn=dsn)
    assert again.returncode == 0 and _version(dsn) == [migrate.head()], again.stderr[-2000:]
    heads = _alembic("heads")
    assert f"{migrate.head()} (ledger)" in heads.stdout and "s002 (schedule) (head)" in heads.stdout, heads.stdout


def _previous() -> str | None:
    """The ledger revision before the head; None when the head is the baseline."""
    ordered = revisions.ordered_revisions()
    return ordered[-2].revision if len(ordered) > 1 else None


def _balance(dsn: str, wallet: str) -> Decimal:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT ledger.wallet_balance(%s)", (wallet,)).fetchone()[0]


def test_plain_alembic_offline_sql_builds_a_ledger_doctor_accepts(empty_database, tmp_path):
    """`alembic upgrade head --sql`, the README's review command, piped to psql; and the DSN from sqlalchemy.url."""
    offline = _alembic("upgrade", "head", "--sql")
    assert offline.returncode == 0, offline.stderr[-2000:]
    dsn = empty_database()
    script = tmp_path / "ledger.sql"
    script.write_text(offline.stdout)
    psql = subprocess.run([str(find_bindir() / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(script)],
                          capture_output=True, text=True, timeout=600)
    assert psql.returncode == 0, psql.stderr[-2000:]
    assert _version(dsn) == [migrate.head()]
    doctor = subprocess.run([sys.executable, "-m", "ledgerguard", "--dsn", dsn, "doctor"], capture_output=True, text=True, timeout=300)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr

    ini = tmp_path / "alembic.ini"  # a DBA's own ini: the DSN in sqlalchemy.url, no environment
    url = dsn.replace("postgresql://", "postgresql+psycopg://", 1)  # as SQLAlchemy spells it, with its driver
    ini.write_text(f"[alembic]\nscript_location = {ROOT / 'migrations'}\nsqlalchemy.url = {url}\n")
    down = _alembic("downgrade", "-1", ini=ini)  # an empty ledger: from the baseline, to nothing
    assert down.returncode == 0 and _version(dsn) == ([_previous()] if _previous() else []), down.stderr[-2000:]
    up = _alembic("upgrade", "head", ini=ini)
    assert up.returncode == 0 and _version(dsn) == [migrate.head()], up.stderr[-2000:]


def test_the_release_revision_is_regenerated_while_unreleased_and_keeps_its_hand_written_table_changes(
        tmp_path, monkeypatch, empty_database):
    """One revision per release: after a released head a change makes the next revision; the next change
    regenerates that one (never one more) with both; a changed table gets changes/ files written by hand, which survive regeneration;
    the regenerated revision migrates a database to what sql/ builds."""
    tree = this_tree_with(tmp_path / "tree", {})
    monkeypatch.setattr(resources, "sql_dir", lambda: tree / "sql")
    monkeypatch.setattr(resources, "migrations_dir", lambda: tree / "migrations")
    released = revisions.ordered_revisions()[-1]  # in the copy, the head is released: the change starts the next
    released.path.write_text(released.path.read_text().replace("RELEASED = None", 'RELEASED = "9.9.9"'))
    released, following = released.revision, f"{int(released.revision) + 1:04d}"
    balance = tree / "sql" / "functions" / "ledger.wallet_balance.sql"
    balance.write_text(balance.read_text().replace("Stored balance of a wallet", "The stored balance of a wallet"))
    first = revisions.new_revision("the release after the baseline")
    assert first.name.startswith(f"{following}_") and revisions.changed_files() == []

    requests = tree / "sql" / "tables" / "ledger.reversal_requests.sql"
    last_column = "    reversal_transaction_id bigint REFERENCES ledger.transactions (id),\n"  # ADD COLUMN appends
    requests.write_text(requests.read_text().replace(last_column, last_column + "    note text,\n"))
    second = revisions.new_revision("the release after the baseline")
    assert second == first and [r.revision for r in revisions.ordered_revisions()][-2:] == [released, following]
    changes = second.with_suffix("") / "changes"
    assert sorted(p.name for p in changes.iterdir()) == ["ledger.reversal_requests.down.sql", "ledger.reversal_requests.sql"]
    (changes / "ledger.reversal_requests.sql").write_text("ALTER TABLE ledger.reversal_requests ADD COLUMN note text;\n")
    (changes / "ledger.reversal_requests.down.sql").write_text("ALTER TABLE ledger.reversal_requests DROP COLUMN note;\n")

    balance.write_text(balance.read_text().replace("The stored balance", "The stored total balance"))
    third = revisions.new_revision("the release after the baseline")
    assert third == first and "ADD COLUMN note" in (changes / "ledger.reversal_requests.sql").read_text()
    assert "functions/ledger.wallet_balance.sql" in third.read_text() and revisions.changed_files() == []

    migrated, built = empty_database(), empty_database()
    migrate.upgrade(migrated)
    deploy.build_from_sql(built)
    assert migrate.current(migrated) == following and _schema_dump(migrated) == _schema_dump(built)
    migrate.downgrade(migrated, released)
    with psycopg.connect(migrated) as conn:
        assert conn.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'reversal_requests'"
                            " AND column_name = 'note'").fetchone()[0] == 0


def test_plain_alembic_says_why_it_could_not_run_in_one_line(dsn):
    unreachable = _alembic("current", dsn="postgresql://nobody@127.0.0.1:1/ledger")
    assert unreachable.returncode == 1 and "Traceback" not in unreachable.stderr, unreachable.stderr[-2000:]
    assert unreachable.stderr.strip().splitlines()[-1].startswith("ledgerguard: connection"), unreachable.stderr
    denied = _alembic("upgrade", "head", dsn=psycopg.conninfo.make_conninfo(dsn, user="lg_auditor"))
    assert denied.returncode == 1 and "Traceback" not in denied.stderr, denied.stderr[-2000:]
    assert "permission denied" in denied.stderr.strip().splitlines()[-1], denied.stderr


def test_a_released_revision_is_never_edited():
    """Every revision a release froze (RELEASED set) still has the fingerprint recorded in migrations/released.txt
    when it was released: its .py file and every frozen file. A change after a release is a new revision."""
    recorded = revisions.released_fingerprints()
    released = {r.revision: Path(r.path) for r in migrate._script().walk_revisions() if getattr(r.module, "RELEASED", None)}
    assert set(released) == set(recorded), "record a released revision in migrations/released.txt when its release is tagged"
    for revision, path in released.items():
        assert revisions.fingerprint(path) == recorded[revision], f"released revision {revision} was edited: make a new one"


def test_a_refused_removal_of_the_ledger_undoes_nothing_above_the_baseline(dsn, db):
    """Review: `downgrade base` of a ledger with transactions was refused at the baseline's step, after the
    revisions above it (0023, the LG208 guard) were already undone. The refusal now comes first."""
    db.execute("SELECT ledger.create_wallet('card', 'EXTERNAL', 'USD', true), ledger.create_wallet('alice', 'USER', 'USD')")
    db.execute("""SELECT ledger.post_transaction('fund', 'TRANSFER',
                  '[{"wallet": "card", "amount": "-5.00"}, {"wallet": "alice", "amount": "5.00"}]')""")
    db.commit()
    schema = _schema_dump(dsn)
    result = CliRunner().invoke(main, ["--dsn", dsn, "migrate", "--downgrade", "base"], catch_exceptions=False)
    assert result.exit_code == 3 and "refusing to remove the ledger" in result.output and "--drop-data" in result.output
    plain = _alembic("downgrade", "base", dsn=dsn)
    assert plain.returncode != 0 and "-x drop_data=yes" in plain.stderr, plain.stderr[-2000:]
    assert migrate.current(dsn) == migrate.head() and _schema_dump(dsn) == schema
