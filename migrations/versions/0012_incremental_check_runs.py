"""Incremental check runs: a watermark that never passes a transaction still in flight.

ledger.transactions records the posting database transaction's id
(created_xid, xid8 as bigint, BRIN-indexed: nearly free on the hot path);
ledger.check_runs records each incremental run's watermark,
pg_snapshot_xmin at its start. ledger_ops.record_incremental_check_run
checks only what is new since the last watermark (`ledgerguard check
--incremental`). The column is added without a rewrite (NULL on old rows,
the default applies to new ones); the index is built CONCURRENTLY.

Revision ID: 0012
Revises: 0011
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen
from ledgerguard.online import OnlineIndex, build_index, drop_index

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# Frozen copies in 0012_incremental_check_runs/, in build order.
UPGRADE = [
    'functions/ledger_private.record_check_run.sql',
    'functions/ledger_ops.record_check_run.sql',
    'functions/ledger_ops.record_incremental_check_run.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger_ops.record_check_run.sql': '0004_check_catalog',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = [
    'DROP FUNCTION IF EXISTS ledger_ops.record_incremental_check_run;',
    'DROP FUNCTION IF EXISTS ledger_private.record_check_run;',
]


CREATED_XID = OnlineIndex(
    name="transactions_created_xid_brin", table="ledger.transactions", columns="created_xid",
    where="created_xid IS NOT NULL", unique=False, using="brin")

TABLES_UP = [
    # No rewrite: the column is added NULL, the default only applies to new rows.
    "ALTER TABLE ledger.transactions ADD COLUMN IF NOT EXISTS created_xid bigint;",
    "ALTER TABLE ledger.transactions ALTER COLUMN created_xid SET DEFAULT (pg_current_xact_id()::text::bigint);",
    "COMMENT ON COLUMN ledger.transactions.created_xid IS 'The posting database transaction''s id (xid8 as bigint), for"
    " incremental check runs: every transaction still running has an id at or past pg_snapshot_xmin of any snapshot"
    " taken while it runs. NULL on rows posted before revision 0012.';",
    "ALTER TABLE ledger.check_runs ADD COLUMN IF NOT EXISTS watermark xid8;",
    "COMMENT ON COLUMN ledger.check_runs.watermark IS 'Incremental runs: pg_snapshot_xmin when the run began. Every"
    " ledger transaction not yet committed then has created_xid at or past it, so the next incremental run starts"
    " there.';",
    "COMMENT ON COLUMN ledger.check_runs.started_at IS 'When the run''s database transaction started (its now(), the"
    " reference of its windows).';",
]

TABLES_DOWN = [
    "ALTER TABLE ledger.check_runs DROP COLUMN watermark;",
    "ALTER TABLE ledger.transactions DROP COLUMN created_xid;",
    "COMMENT ON COLUMN ledger.check_runs.started_at IS 'When the run started.';",
]


def upgrade() -> None:
    execute_batches(["SET ROLE ledger_owner;", *TABLES_UP, "RESET ROLE;"])
    build_index(CREATED_XID)
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    restore_frozen(__file__, RESTORE)
    execute_batches(['SET ROLE ledger_owner;', *DROP, 'RESET ROLE;'])
    drop_index(CREATED_XID)
    execute_batches(["SET ROLE ledger_owner;", *TABLES_DOWN, "RESET ROLE;"])
