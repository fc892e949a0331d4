"""Alembic environment of ledgerguard.

Guarantees:
- online, a session-level advisory lock in ledgerguard's own key space is
  taken before Alembic reads the current revision, so two concurrent
  `migrate` runs serialize: the second sees what the first applied;
- lock_timeout and statement_timeout are set after that lock is held: a DDL
  step that would queue behind a long transaction fails fast instead of
  blocking every query behind it;
- each revision runs in its own transaction (a revision that builds an
  index CONCURRENTLY steps out of it, see ledgerguard.online); a revision
  that times out on a lock is retried by ledgerguard.migrate.upgrade.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace

from alembic import context
from sqlalchemy import create_engine, pool, text

from ledgerguard.db import (MIGRATION_LOCK, PoolerRefused, cause_and_message, direct_connection_only, libpq_dsn,
                            sqlalchemy_url)
from ledgerguard.migrate import require_a_migrating_login
from ledgerguard.settings import Settings

config = context.config
VIA_LEDGERGUARD = "settings" in config.attributes  # ledgerguard.migrate drives this run, with its Settings
settings: Settings = config.attributes.get("settings") or Settings.from_environment(config.get_main_option("sqlalchemy.url"))
if settings.dsn:  # sqlalchemy.url may name the driver (postgresql+psycopg://); ledgerguard.online connects with libpq
    settings = replace(settings, dsn=libpq_dsn(settings.dsn))
config.attributes["settings"] = settings
dsn = settings.dsn

SESSION_SETUP = [
    f"SET lock_timeout = '{settings.lock_timeout}'",
    f"SET statement_timeout = '{settings.statement_timeout}'",
]


def run_migrations_offline() -> None:
    moved = replaced_start()  # before configure, which reads the starting revision
    context.configure(
        url=sqlalchemy_url(dsn) if dsn else "postgresql+psycopg://",
        literal_binds=True,
        transaction_per_migration=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        for statement in SESSION_SETUP:
            context.execute(statement)
        if moved:  # the move checks it found the database where it must be: nothing after it runs otherwise
            context.execute(f"""DO $move$
BEGIN
    UPDATE public.alembic_version SET version_num = '{moved[1]}' WHERE version_num = '{moved[0]}';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this database is not at revision {moved[0]}: this script moves only a database at {moved[0]}'
              USING HINT = 'ledgerguard migrate (online) says what a database at another revision needs.';
    END IF;
END
$move$""")
        context.run_migrations()


def run_migrations_online() -> None:
    if not dsn:
        raise SystemExit("ledgerguard: no database: set LEDGERGUARD_DSN, or sqlalchemy.url in alembic.ini")
    try:
        direct_connection_only(dsn)
    except PoolerRefused as refused:
        raise SystemExit(f"ledgerguard: {refused}") from None
    if getattr(context._proxy.context_opts.get("fn"), "__name__", "") in ("upgrade", "downgrade"):
        require_a_migrating_login(dsn)  # even with nothing pending: a deploy job run as the wrong login fails today
    engine = create_engine(sqlalchemy_url(dsn), poolclass=pool.NullPool)
    with engine.connect() as connection:
        # Poll, not wait: a session blocked in pg_advisory_lock holds a
        # snapshot, and a CREATE INDEX CONCURRENTLY of the run holding the
        # lock would wait for that snapshot (a deadlock).
        while not connection.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"), MIGRATION_LOCK).scalar():
            connection.commit()
            time.sleep(0.2)
        connection.commit()
        try:
            for statement in SESSION_SETUP:
                connection.execute(text(statement))
            connection.commit()
            # Read under the lock: what this run started from, before a replaced revision moves (a retry of
            # the same upgrade keeps what the first attempt found).
            config.attributes.setdefault("heads_before", tuple(sorted(stored_versions(connection))))
            move_replaced_revisions(connection)
            connection.commit()
            context.configure(connection=connection, transaction_per_migration=True)
            keep_the_ledger_unless_told(connection)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), MIGRATION_LOCK)
            connection.commit()


def stored_versions(connection) -> set[str]:
    """The rows of Alembic's version table, none before the first migration."""
    if not connection.execute(text("SELECT to_regclass('public.alembic_version') IS NOT NULL")).scalar():
        return set()
    return set(connection.execute(text("SELECT version_num FROM public.alembic_version")).scalars())


def keep_the_ledger_unless_told(connection) -> None:
    """A downgrade that would go below the baseline removes the ledger: while it holds transactions that is
    refused before the first step of the downgrade runs (a refusal at the baseline's own step would come after
    the revisions above it were already undone), unless -x drop_data=yes (`migrate --drop-data`)."""
    opts = context._proxy.context_opts
    if getattr(opts.get("fn"), "__name__", "") != "downgrade" or context.get_x_argument(as_dictionary=True).get("drop_data") == "yes":
        return
    bases = {rev.revision for rev in context.script.walk_revisions() if getattr(rev.module, "REPLACES", ())}
    steps = opts["fn"](context.get_context().get_current_heads(), context.get_context())
    if not any(not step.is_upgrade and step.revision.revision in bases for step in steps):
        return
    if connection.execute(text("SELECT to_regclass('ledger.transactions') IS NOT NULL AND EXISTS (SELECT FROM ledger.transactions)")).scalar():
        raise SystemExit(f"ledgerguard: refusing to remove the ledger of database {connection.engine.url.database!r}: "
                         "it holds transactions, and a downgrade below the baseline drops them. Dump it first "
                         "(pg_dump -Fc), then downgrade with --drop-data (alembic: -x drop_data=yes). Nothing was changed.")
    connection.commit()


def replaced_by() -> dict[str, str]:
    """Revision of the chain a baseline replaces -> the baseline (REPLACES in the baseline's module)."""
    return {gone: rev.revision for rev in context.script.walk_revisions() for gone in getattr(rev.module, "REPLACES", ())}


def replaced_start() -> tuple[str, str] | None:
    """Offline, from a revision a baseline replaces (`--sql 0021:head`): (that revision, the baseline), and the
    SQL starts from the baseline with the UPDATE of the version row that moves the database to it."""
    opts = context._proxy.context_opts
    start = opts.get("starting_rev")
    if start not in replaced_by():
        return None
    opts["starting_rev"] = replaced_by()[start]
    return start, opts["starting_rev"]


def move_replaced_revisions(connection) -> None:
    """A database at the end of the chain a baseline replaces (0021, and s001 on the pg_cron line) moves to the
    baseline by its version rows alone, under the migration lock: chain and baseline build the same catalog
    (tests/test_baseline.py). Only an upgrade moves a database; a database at an older revision, which this
    release no longer carries, is refused before anything runs."""
    rows = stored_versions(connection)
    revisions = list(context.script.walk_revisions())
    old = rows - {rev.revision for rev in revisions}
    if not old:
        return
    replaced = replaced_by()
    baseline = next(rev for rev in revisions if LEDGER in rev.branch_labels and getattr(rev.module, "REPLACES", ()))
    at = f"this database is at revision {', '.join(sorted(rows))}, which this release no longer carries"
    if old - replaced.keys() or not old & set(baseline.module.REPLACES):
        raise SystemExit(
            f"ledgerguard: {at}. Its migrations start at the baseline {baseline.revision}, which an upgrade reaches "
            f"from revision {', '.join(baseline.module.REPLACES)} only: upgrade to that revision first with the "
            "release before the baseline (ledgerguard 0.1, in git history), then run this upgrade again.")
    if getattr(context._proxy.context_opts.get("fn"), "__name__", "") != "upgrade":
        raise SystemExit(f"ledgerguard: {at}: `ledgerguard migrate` (or `alembic upgrade head`) moves it to the "
                         f"baseline {baseline.revision} by its version row alone, with no other change.")
    for revision in sorted(old):
        connection.execute(text("UPDATE public.alembic_version SET version_num = :new WHERE version_num = :old"),
                           {"new": replaced[revision], "old": revision})
    # Alembic stores heads only: a row another row depends on (0022 beside s002, which depends on it) goes.
    moved = {replaced.get(row, row) for row in rows}
    for row in moved:
        if any(row in {r.revision for r in context.script.iterate_revisions(other, "base")} for other in moved - {row}):
            connection.execute(text("DELETE FROM public.alembic_version WHERE version_num = :row"), {"row": row})


def plain_targets_mean_the_ledger() -> None:
    """`alembic upgrade head` and `alembic downgrade -1`, as DBAs type them, move the ledger. The tree has two
    lines: the ledger's and the opt-in pg_cron line (schedule@head, applied only by `ledgerguard migrate
    --schedule` or by its name). Alembic's own "head" would be the schedule when it depends on the ledger's head
    (and ambiguous when it does not), and it calls a plain "-1" from two applied heads ambiguous. Here plain "head" is the ledger's head (ledger@head) and a plain "-N" is
    N steps down the ledger's line (ledger@-N); every other target, `heads` and `schedule@…` included, is
    Alembic's own."""
    environment = context._proxy  # the EnvironmentContext of this command: its target and its step function
    opts, script = environment.context_opts, environment.script
    step, target = getattr(opts.get("fn"), "__name__", ""), opts.get("destination_rev")
    if step == "upgrade" and target == "head":
        def upgrade(rev, _context):  # named as Alembic's own: what this run does is read from the name
            return script._upgrade_revs(LEDGER_HEAD, rev)
        opts["destination_rev"], opts["fn"] = LEDGER_HEAD, upgrade
    elif step == "downgrade" and isinstance(target, str) and re.fullmatch(r"-\d+", target):
        ledger_target = f"{LEDGER}@{target}"

        def downgrade(rev, _context):
            return script._downgrade_revs(ledger_target, rev)
        opts["destination_rev"], opts["fn"] = ledger_target, downgrade


def in_one_line(run) -> None:
    """Plain `alembic`, as a DBA runs it: a database error (no connection, a login without the role) is one line
    and exit 1, not Alembic's traceback. Under `ledgerguard migrate` (VIA_LEDGERGUARD) errors pass through: it
    retries a lock timeout and words the rest itself."""
    if VIA_LEDGERGUARD:
        run()
        return
    import psycopg
    from sqlalchemy.exc import DBAPIError

    try:
        run()
    except (DBAPIError, psycopg.Error) as error:
        raise SystemExit(f"ledgerguard: {cause_and_message(error)[1]}") from None


LEDGER = "ledger"
LEDGER_HEAD = f"{LEDGER}@head"
plain_targets_mean_the_ledger()
in_one_line(run_migrations_offline if context.is_offline_mode() else run_migrations_online)
