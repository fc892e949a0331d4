"""Schema changes on a live database that already holds data.

A revision that adds an index to a busy table calls ``build_index(...)``
inside its ``upgrade()``. Guarantees:

- for a unique index, the duplicate pre-flight reads the table in id
  ranges, reports how many rows it has scanned, and stops the revision
  with ``DuplicatesFound`` (the first duplicates, what to do) before any DDL;
- a session that would hold the build up (a transaction older than
  lock_timeout that writes the table or holds an old snapshot) stops it
  before the index exists (``MigrationBlocked``, naming the session);
- the index is built with CREATE [UNIQUE] INDEX CONCURRENTLY outside a
  transaction block, so reads and writes go on; its phase and blocks done
  are reported from pg_stat_progress_create_index while it runs;
- a build that fails (a duplicate written meanwhile, lock_timeout, a
  cancel) drops its INVALID index before it raises: an INVALID index
  enforces nothing, and ``IF NOT EXISTS`` would report it as success;
- a rerun after the clean-up builds the index; a valid index of that name
  is kept as it is.

Offline (``migrate --sql``) the same steps are printed as SQL for a DBA.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable

import psycopg

from ledgerguard.deploy import OWNER_ROLE, execute_batches

Report = Callable[[str], None]


class DuplicatesFound(RuntimeError):
    """The table already breaks the uniqueness the revision adds."""


class MigrationBlocked(RuntimeError):
    """A long transaction would hold the change up; nothing was changed."""


@dataclass(frozen=True)
class OnlineIndex:
    name: str            # schema-less index name
    table: str           # schema.table, with an bigint "id" key
    columns: str         # the key, as SQL: "gateway_txn_id"
    where: str           # the partial-index predicate, as SQL
    remedy: str = ""     # unique: what a DBA does with duplicates
    unique: bool = True
    using: str = "btree"

    @property
    def schema(self) -> str:
        return self.table.split(".")[0]

    def create_sql(self) -> str:
        # IF NOT EXISTS only ever follows the drop of an INVALID leftover:
        # on its own it would report an INVALID index as success.
        unique = "UNIQUE " if self.unique else ""
        return (f"CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {self.name} ON {self.table}"
                f"{'' if self.using == 'btree' else ' USING ' + self.using} ({self.columns}) WHERE {self.where}")

    @classmethod
    def parse(cls, statement: str) -> OnlineIndex | None:
        """The index of a `CREATE [UNIQUE] INDEX CONCURRENTLY name ON schema.table [USING m] (key) [WHERE p];`
        line of a revision's changes/ file, else None."""
        match = _CREATE_ONLINE.fullmatch(statement.strip())
        if not match:
            return None
        unique, name, table, using, columns, where = match.groups()
        return cls(name=name, table=table, columns=columns, where=where or "true", unique=bool(unique),
                   using=(using or "btree").lower(),
                   remedy="Remove the duplicates the pre-flight lists, then run the migration again.")

    def duplicates_sql(self) -> str:
        return (f"SELECT {self.columns}, count(*) FROM {self.table} WHERE {self.where}"
                f" GROUP BY {self.columns} HAVING count(*) > 1")

    def drop_sql(self) -> str:
        return f"DROP INDEX CONCURRENTLY IF EXISTS {self.schema}.{self.name}"


_CREATE_ONLINE = re.compile(r"CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(\w+)\s+ON\s+([\w.]+)(?:\s+USING\s+(\w+))?"
                            r"\s*\((.+?)\)(?:\s+WHERE\s+(.+?))?\s*;", re.I | re.S)
_DROP_ONLINE = re.compile(r"DROP\s+INDEX\s+CONCURRENTLY\s+(?:IF\s+EXISTS\s+)?[\w.]+\s*;", re.I)


def apply_changes(text: str) -> None:
    """Inside a revision: run a hand-written changes/ file of table changes as ledger_owner. A statement on a line
    of its own that builds an index CONCURRENTLY is built as build_index builds it (pre-flight, no INVALID
    leftover, progress); one that drops an index CONCURRENTLY is dropped as drop_index does; the statements
    between them run as they are, in the revision's transaction."""
    pending: list[str] = []

    def flush() -> None:
        if any(line.strip() and not line.strip().startswith("--") for line in pending):
            execute_batches([f"SET ROLE {OWNER_ROLE};", "\n".join(pending), "RESET ROLE;"])
        pending.clear()

    for line in text.splitlines():
        index = OnlineIndex.parse(line)
        dropped = _DROP_ONLINE.fullmatch(line.strip())
        if index:
            flush()
            build_index(index)
        elif dropped:
            flush()
            _outside_the_transaction(line.strip())
        else:
            pending.append(line)
    flush()


def to_stderr(line: str) -> None:
    """Progress of a migration: stderr, so stdout stays the command's result."""
    print(line, file=sys.stderr, flush=True)


def build_index(index: OnlineIndex, chunk_rows: int = 100_000) -> None:
    """Inside a revision's upgrade(): pre-flight, then build ``index`` online (see the module docstring).

    Progress goes to the ``report`` callable ledgerguard.migrate puts in the
    Alembic config (stderr by default).
    """
    from alembic import context, op

    migration = op.get_context()
    report: Report = context.config.attributes.get("report") or to_stderr
    if context.is_offline_mode():
        # For a DBA's review and psql -f: the same steps, the pre-flight as a DO block.
        preflight = [] if not index.unique else [
            f"DO $$\nBEGIN\n    IF EXISTS ({index.duplicates_sql()}) THEN\n"
            f"        RAISE EXCEPTION 'duplicate ({index.columns}) values in {index.table}: {index.name} cannot be built'\n"
            f"            USING HINT = '{index.remedy.replace(chr(39), chr(39) * 2)}';\n    END IF;\nEND\n$$;"]
        execute_batches([f"SET ROLE {OWNER_ROLE};", *preflight])
        with migration.autocommit_block():
            execute_batches([f"{index.drop_sql()};  -- an INVALID leftover of a failed build, if any",
                             f"{index.create_sql()};", "RESET ROLE;"])
        return

    conn = op.get_bind().connection.driver_connection
    if _state(conn, index) == "valid":
        report(f"index {index.schema}.{index.name} exists and is valid: kept")
        return
    conn.execute(f"SET ROLE {OWNER_ROLE}")  # the table's owner reads it and builds its index
    try:
        if index.unique:
            _preflight(conn, index, report, chunk_rows)
        with migration.autocommit_block():
            if _state(conn, index) == "invalid":
                report(f"index {index.schema}.{index.name} is INVALID (an earlier build failed): dropping it")
                conn.execute(index.drop_sql())
            _refuse_blockers(conn, index, report)
            _build(conn, index, report, context.config.attributes["settings"].dsn)
    finally:
        conn.execute("RESET ROLE")


# The names revision 0010 was written with.
UniqueIndex = OnlineIndex
unique_index = build_index


def drop_index(index: OnlineIndex) -> None:
    """Inside a revision's downgrade(): drop the index without blocking writes (DROP INDEX CONCURRENTLY)."""
    _outside_the_transaction(f"{index.drop_sql()};")


def _outside_the_transaction(statement: str) -> None:
    """A statement that may not run in a transaction block (… CONCURRENTLY), as ledger_owner."""
    from alembic import op

    with op.get_context().autocommit_block():
        execute_batches([f"SET ROLE {OWNER_ROLE};", statement, "RESET ROLE;"])


def _state(conn: psycopg.Connection, index: OnlineIndex) -> str | None:
    row = conn.execute("SELECT i.indisvalid FROM pg_index AS i WHERE i.indexrelid = to_regclass(%s)",
                       [f"{index.schema}.{index.name}"]).fetchone()
    return None if row is None else ("valid" if row[0] else "invalid")


def _preflight(conn: psycopg.Connection, index: OnlineIndex, report: Report, chunk_rows: int) -> None:
    """Collect the keys in id ranges (progress per range), then group them once."""
    conn.execute("CREATE TEMP TABLE lg_preflight_keys (key text, id bigint) ON COMMIT DROP")
    last = conn.execute(f"SELECT coalesce(max(id), 0) FROM {index.table}").fetchone()[0]
    scanned, start = 0, 0
    report(f"pre-flight {index.table}: looking for duplicate ({index.columns}) in ids 1..{last}")
    while start < last:
        end = start + chunk_rows
        cur = conn.execute(f"INSERT INTO lg_preflight_keys SELECT ({index.columns})::text, id FROM {index.table}"
                           f" WHERE id > %s AND id <= %s AND ({index.where})", [start, end])
        scanned += cur.rowcount
        start = end
        report(f"pre-flight {index.table}: {min(start, last)}/{last} ids read, {scanned} keyed rows")
    duplicates = conn.execute(
        "SELECT key, count(*), array_agg(id ORDER BY id) FROM lg_preflight_keys"
        " GROUP BY key HAVING count(*) > 1 ORDER BY min(id)").fetchall()
    conn.execute("DROP TABLE lg_preflight_keys")
    if duplicates:
        first = "; ".join(f"{key!r} on ids {ids[:5]}" for key, _, ids in duplicates[:5])
        raise DuplicatesFound(
            f"{len(duplicates)} duplicate ({index.columns}) value(s) in {index.table}: the unique index"
            f" {index.name} cannot be built.\nDETAIL: {first}.\nHINT: {index.remedy} Then run"
            f" `ledgerguard migrate` again; nothing was changed.")
    report(f"pre-flight {index.table}: {scanned} keyed rows, no duplicates")


def _refuse_blockers(conn: psycopg.Connection, index: OnlineIndex, report: Report) -> None:
    """Stop before CREATE when a session older than lock_timeout would make the build wait."""
    conn.execute("RESET ROLE")  # the migrating login sees other sessions (superuser or pg_read_all_stats)
    rows = conn.execute(
        """SELECT a.pid, a.usename, now() - a.xact_start AS age, left(a.query, 120)
             FROM pg_stat_activity AS a
            WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
              AND a.xact_start < now() - current_setting('lock_timeout')::interval
              AND (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL
                   OR EXISTS (SELECT FROM pg_locks AS l WHERE l.pid = a.pid AND l.relation = %s::regclass))
            ORDER BY a.xact_start""", [index.table]).fetchall()
    hidden = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                          " AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND xact_start IS NULL"
                          " AND state IS NULL").fetchone()[0]
    conn.execute(f"SET ROLE {OWNER_ROLE}")
    if hidden:
        # Not fatal: lock_timeout still bounds the build's wait, and a failed
        # build drops its INVALID index.
        report(f"WARNING: {hidden} other session(s) of this database are invisible to this role; a long"
               f" transaction among them would only show as a lock_timeout. Grant pg_read_all_stats to the"
               f" migrating role to have them named before the build.")
    if rows:
        who = "; ".join(f"pid {pid} ({user}, transaction open for {age}): {query!r}" for pid, user, age, query in rows)
        raise MigrationBlocked(
            f"building {index.name} would wait for {len(rows)} long transaction(s) and hold the migration"
            f" up.\nDETAIL: {who}.\nHINT: Let them finish (or end them with pg_terminate_backend), then run"
            f" `ledgerguard migrate` again; nothing was changed.")


def _build(conn: psycopg.Connection, index: OnlineIndex, report: Report, dsn: str) -> None:
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    done = threading.Event()
    watcher = threading.Thread(target=_watch, args=(dsn, pid, index, report, done), daemon=True)
    watcher.start()
    started = time.monotonic()
    try:
        conn.execute(index.create_sql())
    except psycopg.Error as error:
        done.set()
        watcher.join()
        _drop_invalid(conn, index, report)
        raise MigrationBlocked(
            f"building {index.name} failed ({error.sqlstate}): {str(error).strip()}\nHINT: The INVALID index was"
            f" dropped; a duplicate written during the build is resolved like the pre-flight's, a timeout by"
            f" letting long transactions finish. Then run `ledgerguard migrate` again.") from error
    done.set()
    watcher.join()
    report(f"index {index.schema}.{index.name} built and valid in {time.monotonic() - started:.1f} s")


def _drop_invalid(conn: psycopg.Connection, index: OnlineIndex, report: Report) -> None:
    """The failed build's INVALID index goes, however long that takes.

    DROP INDEX CONCURRENTLY waits for the transactions that use the table
    but blocks none of them (it takes SHARE UPDATE EXCLUSIVE), so it may
    wait past lock_timeout without queueing the application.
    """
    report(f"dropping the INVALID index {index.schema}.{index.name} of the failed build"
           f" (waits for open transactions on {index.table}, blocks none)")
    timeout = conn.execute("SELECT current_setting('lock_timeout')").fetchone()[0]
    conn.execute("SET lock_timeout = 0")
    try:
        conn.execute(index.drop_sql())
    finally:
        conn.execute("SELECT set_config('lock_timeout', %s, false)", [timeout])
    report(f"dropped the INVALID index {index.schema}.{index.name}")


def _watch(dsn: str, pid: int, index: OnlineIndex, report: Report, done: threading.Event) -> None:
    """Report the build's phase and blocks done as they change (pg_stat_progress_create_index)."""
    last = None
    with psycopg.connect(dsn, autocommit=True) as conn:
        while not done.wait(0.5):
            row = conn.execute(
                "SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total, lockers_done, lockers_total"
                " FROM pg_stat_progress_create_index WHERE pid = %s", [pid]).fetchone()
            if row is None or row == last:
                continue
            last = row
            phase, blocks_done, blocks_total, tuples_done, tuples_total, lockers_done, lockers_total = row
            line = f"building {index.name}: {phase}"
            if blocks_total:
                line += f", blocks {blocks_done}/{blocks_total}"
            if tuples_total:
                line += f", tuples {tuples_done}/{tuples_total}"
            if lockers_total:
                line += f", waited for {lockers_done}/{lockers_total} transactions"
            report(line)
