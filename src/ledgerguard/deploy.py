"""Running the project's SQL files: from a migration's frozen copy, or from sql/.

Guarantees:
- files under ``roles/`` run as the migrating role: the privileged,
  cluster-level steps (roles, database grants, extensions such as pg_cron);
  every other file runs under
  ``SET ROLE ledger_owner``, so ledger_owner owns every object;
- a migration runs only the frozen copies stored beside its revision file,
  never the live ``sql/`` file, so an old revision always replays the SQL it
  was written with;
- online, a file is sent as one simple-protocol batch on the migration's own
  connection and transaction; offline (``--sql``), it is printed verbatim.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path

import psycopg

from ledgerguard import resources

OWNER_ROLE = "ledger_owner"


def runs_as_owner(relpath: str) -> bool:
    return not relpath.startswith("roles/")


# Before the migrating role first acts as the owner. A managed service's master user (CREATEROLE, not a
# superuser) creates the ledger roles but, in PostgreSQL 15, is not their member: it could neither
# ALTER DEFAULT PRIVILEGES FOR ROLE ledger_owner nor SET ROLE ledger_owner. It becomes a ledger_migrator, as
# the README asks of every migrating login; a superuser, or a login that is a member already, is left as is.
BECOME_MIGRATOR = """-- ledgerguard: the migrating role acts as ledger_owner
DO $member$
BEGIN
    IF pg_catalog.to_regrole('ledger_migrator') IS NOT NULL
       AND NOT pg_catalog.pg_has_role(current_user, 'ledger_owner', 'MEMBER') THEN
        GRANT ledger_migrator TO CURRENT_USER;
    END IF;
END
$member$;
"""


def acts_as_owner(relpath: str) -> bool:
    return runs_as_owner(relpath) or relpath == "roles/ledger_owner.default_privileges.sql"


def script(files: Iterable[tuple[str, str]]) -> list[str]:
    """Batches for (relative path, SQL text) pairs, with the role switches."""
    batches: list[str] = []
    as_owner = member = False
    for relpath, text in files:
        if acts_as_owner(relpath) and not member:
            batches.append(BECOME_MIGRATOR)
            member = True
        wanted = runs_as_owner(relpath)
        if wanted != as_owner:
            batches.append(f"SET ROLE {OWNER_ROLE};" if wanted else "RESET ROLE;")
            as_owner = wanted
        batches.append(f"-- ledgerguard: {relpath}\n{text.strip()}\n")
    if as_owner:
        batches.append("RESET ROLE;")
    return batches


def frozen_dir(revision_file: str) -> Path:
    """The folder of frozen SQL that belongs to a revision file."""
    return Path(revision_file).with_suffix("")


def apply_frozen(revision_file: str, files: list[str]) -> None:
    """Run frozen copies stored beside a revision (inside Alembic's op context); a hand-written changes/ file of
    table changes runs through ledgerguard.online.apply_changes, which builds its indexes online."""
    from ledgerguard.online import apply_changes

    folder = frozen_dir(revision_file)
    for is_change, group in itertools.groupby(files, key=lambda rel: rel.startswith("changes/")):
        if is_change:
            for rel in group:
                apply_changes((folder / rel).read_text())
        else:
            execute_batches(script((rel, (folder / rel).read_text()) for rel in group))


def restore_frozen(revision_file: str, restore: dict[str, str]) -> None:
    """Downgrade: run each file's copy from the revision folder that froze it before."""
    versions = Path(revision_file).parent
    execute_batches(script((rel, (versions / folder / rel).read_text()) for rel, folder in restore.items()))


def execute_batches(batches: list[str]) -> None:
    from alembic import context, op

    if context.is_offline_mode():
        impl = op.get_context().impl
        for batch in batches:
            impl.static_output(batch)
        return
    driver = op.get_bind().connection.driver_connection
    for batch in batches:
        # No parameters: psycopg sends the text as is (no % or :name parsing).
        driver.execute(batch)


def build_from_sql(dsn: str) -> None:
    """Build the schema straight from sql/ (what the migrations must equal)."""
    root = resources.sql_dir()
    batches = script((rel, (root / rel).read_text()) for rel in resources.manifest())
    with psycopg.connect(dsn) as conn:
        for batch in batches:
            conn.execute(batch)
