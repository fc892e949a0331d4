"""All-history checks near ten seconds at 10M entries, and windows that read only the window.

broken_balance_chains, unbalanced_transactions and orphaned_entries first
prove the healthy part of the ledger in one parallel pass with a few
thousand groups in memory, then read row by row only what failed that
proof, so their findings are unchanged:
- chains: a seeded hash of every link, per bucket;
- zero sums: amounts weighted by a seeded hash of their transaction id, per
  range of 4,096 transactions;
- orphans: bitmaps of transaction ids, per block of 64.
A window's chain is read across postings that began before the window and
committed inside it; the sorted window reported those as broken.
duplicate_references streams repeated references from the reference index
(over all history, the hash of every reference spilled) and probes the
index once per reference of a window. run_all runs without JIT.

The ledger's BRIN indexes summarize new block ranges as they fill
(autosummarize), and recorded check runs summarize what is left first: an
unsummarized range is read by every window.

Over a generated 10M-entry ledger:
- run_all(NULL): 25.9 s -> 7.6 s;
- run_all('24 hours'): 2.4 s -> 0.65 s.

Revision ID: 0014
Revises: 0013
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# Frozen copies in 0014_checks_over_ten_million_entries/, in build order.
UPGRADE = [
    'checks/ledger_check.broken_balance_chains.sql',
    'checks/ledger_check.duplicate_references.sql',
    'checks/ledger_check.orphaned_entries.sql',
    'checks/ledger_check.unbalanced_transactions.sql',
    'functions/ledger_check.run_all.sql',
    'functions/ledger_private.summarize_time_indexes.sql',
    'functions/ledger_ops.record_check_run.sql',
    'functions/ledger_ops.record_incremental_check_run.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'checks/ledger_check.broken_balance_chains.sql': '0013_checks_in_parallel_and_chains_by_join',
    'checks/ledger_check.duplicate_references.sql': '0013_checks_in_parallel_and_chains_by_join',
    'checks/ledger_check.orphaned_entries.sql': '0013_checks_in_parallel_and_chains_by_join',
    'checks/ledger_check.unbalanced_transactions.sql': '0013_checks_in_parallel_and_chains_by_join',
    'functions/ledger_check.run_all.sql': '0004_check_catalog',
    'functions/ledger_ops.record_check_run.sql': '0012_incremental_check_runs',
    'functions/ledger_ops.record_incremental_check_run.sql': '0012_incremental_check_runs',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = [
    'DROP FUNCTION IF EXISTS ledger_private.summarize_time_indexes;',
]


# The time indexes every window reads (tables/*.sql): summarized as each block range fills.
BRIN = ["entries_created_at_brin", "payouts_created_at_brin", "provider_events_received_at_brin",
        "transactions_created_at_brin", "transactions_created_xid_brin"]
TABLES_UP = [f"ALTER INDEX ledger.{index} SET (autosummarize = on);" for index in BRIN]
TABLES_DOWN = [f"ALTER INDEX ledger.{index} RESET (autosummarize);" for index in BRIN]


def upgrade() -> None:
    execute_batches(["SET ROLE ledger_owner;", *TABLES_UP, "RESET ROLE;"])
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    restore_frozen(__file__, RESTORE)
    execute_batches(['SET ROLE ledger_owner;', *DROP, *TABLES_DOWN, 'RESET ROLE;'])
