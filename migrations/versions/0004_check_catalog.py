"""The check catalog on-call runs from psql, its recorded history and the lock-contention view.

Hand-written part: ledger.transactions gains the reference index the
duplicate-reference and payout-key checks read by.

Revision ID: 0004
Revises: 0003
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Frozen copies in 0004_check_catalog/, in build order.
UPGRADE = [
    'types/ledger_check.finding.sql',
    'data/ledger.settings.checks.sql',
    'functions/ledger_check.threshold.sql',
    'checks/ledger_check.balance_mismatch.sql',
    'checks/ledger_check.batch_and_manual_payout.sql',
    'checks/ledger_check.broken_balance_chains.sql',
    'checks/ledger_check.captured_without_entries.sql',
    'checks/ledger_check.disabled_triggers.sql',
    'checks/ledger_check.duplicate_payouts.sql',
    'checks/ledger_check.duplicate_provider_refs.sql',
    'checks/ledger_check.duplicate_references.sql',
    'checks/ledger_check.failure_spike.sql',
    'checks/ledger_check.invalid_indexes.sql',
    'checks/ledger_check.negative_balances.sql',
    'checks/ledger_check.orphaned_entries.sql',
    'checks/ledger_check.payout_keys_per_order.sql',
    'checks/ledger_check.processing_disabled.sql',
    'checks/ledger_check.provider_vs_internal.sql',
    'checks/ledger_check.refunds_over_captured.sql',
    'checks/ledger_check.stale_payouts.sql',
    'checks/ledger_check.stuck_payments.sql',
    'checks/ledger_check.stuck_refunds.sql',
    'checks/ledger_check.unbalanced_transactions.sql',
    'views/ledger_check.catalog.sql',
    'functions/ledger_check.run_all.sql',
    'tables/ledger.check_runs.sql',
    'tables/ledger.check_findings.sql',
    'triggers/ledger.check_history__append_only.sql',
    'views/ledger_check.finding_history.sql',
    'functions/ledger_ops.record_check_run.sql',
    'views/ledger_check.lock_waits.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = [
    'DROP VIEW IF EXISTS ledger_check.lock_waits;',
    'DROP FUNCTION IF EXISTS ledger_ops.record_check_run;',
    'DROP VIEW IF EXISTS ledger_check.finding_history;',
    'DROP TRIGGER IF EXISTS _010_append_only ON ledger.check_findings;',
    'DROP TRIGGER IF EXISTS _010_append_only ON ledger.check_runs;',
    'DROP TABLE IF EXISTS ledger.check_findings;',
    'DROP TABLE IF EXISTS ledger.check_runs;',
    'DROP FUNCTION IF EXISTS ledger_check.run_all;',
    'DROP VIEW IF EXISTS ledger_check.catalog;',
    'DROP FUNCTION IF EXISTS ledger_check.unbalanced_transactions;',
    'DROP FUNCTION IF EXISTS ledger_check.stuck_refunds;',
    'DROP FUNCTION IF EXISTS ledger_check.stuck_payments;',
    'DROP FUNCTION IF EXISTS ledger_check.stale_payouts;',
    'DROP FUNCTION IF EXISTS ledger_check.refunds_over_captured;',
    'DROP FUNCTION IF EXISTS ledger_check.provider_vs_internal;',
    'DROP FUNCTION IF EXISTS ledger_check.processing_disabled;',
    'DROP FUNCTION IF EXISTS ledger_check.payout_keys_per_order;',
    'DROP FUNCTION IF EXISTS ledger_check.orphaned_entries;',
    'DROP FUNCTION IF EXISTS ledger_check.negative_balances;',
    'DROP FUNCTION IF EXISTS ledger_check.invalid_indexes;',
    'DROP FUNCTION IF EXISTS ledger_check.failure_spike;',
    'DROP FUNCTION IF EXISTS ledger_check.duplicate_references;',
    'DROP FUNCTION IF EXISTS ledger_check.duplicate_provider_refs;',
    'DROP FUNCTION IF EXISTS ledger_check.duplicate_payouts;',
    'DROP FUNCTION IF EXISTS ledger_check.disabled_triggers;',
    'DROP FUNCTION IF EXISTS ledger_check.captured_without_entries;',
    'DROP FUNCTION IF EXISTS ledger_check.broken_balance_chains;',
    'DROP FUNCTION IF EXISTS ledger_check.batch_and_manual_payout;',
    'DROP FUNCTION IF EXISTS ledger_check.balance_mismatch;',
    'DROP FUNCTION IF EXISTS ledger_check.threshold;',
]


TABLES_UP = [
    "CREATE INDEX transactions_reference ON ledger.transactions (reference) WHERE reference IS NOT NULL;",
]

TABLES_DOWN = [
    "DROP INDEX ledger.transactions_reference;",
    "DROP TYPE ledger_check.finding;",
    "DELETE FROM ledger.settings WHERE name LIKE 'check.%';",
]


def upgrade() -> None:
    execute_batches(["SET ROLE ledger_owner;", *TABLES_UP, "RESET ROLE;"])
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    execute_batches(["SET ROLE ledger_owner;", *DROP, *TABLES_DOWN, "RESET ROLE;"])
    restore_frozen(__file__, RESTORE)
