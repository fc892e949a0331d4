"""Debits of a hot wallet hold one bucket, reversals need four eyes, batches bounded and read an item at a time.

- A debit of a multi-bucket wallet that may not go negative moves bucket 0
  and reads the other buckets unlocked (they only take credits; the verifier
  refuses a debit anywhere else): an open debit of PLATFORM_MAIN no longer
  holds all 16 buckets, and the batch row-by-row path locks only the buckets
  its legs move.
- reverse_transaction needs a second on-call user as post_adjustment does
  (ledger.reversal_requests); one rule for both, ledger_private.four_eyes_needed,
  counts what one user moved alone in a wallet within the window.
- ledger.post_transactions(text) refuses more than batches.max_bytes before
  parsing (LG019) and more than batches.max_items, validates the batch as
  json and parses one item at a time; the jsonb form hands over to it.
- The version table belongs to the migrating side: ledger_migrator writes
  it, on-call and auditors read it (doctor).

Revision ID: 0021
Revises: 0020
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

# Frozen copies in 0021_debits_of_a_hot_wallet_hold_one_bucket_r/, in build order.
UPGRADE = [
    'roles/alembic_version.grants.sql',
    'functions/ledger_private.move_bucket.sql',
    'functions/ledger_private.post_legs.sql',
    'tables/ledger.reversal_requests.sql',
    'data/ledger.settings.four_eyes.sql',
    'data/ledger.settings.batches.sql',
    'functions/ledger_private.four_eyes_needed.sql',
    'functions/ledger_ops.post_adjustment.sql',
    'functions/ledger_ops.reverse_transaction.sql',
    'triggers/ledger.entries__verify.sql',
    'functions/ledger_private.require_batch_size.sql',
    'functions/ledger.post_transactions.text.sql',
    'functions/ledger.post_transactions.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger_private.move_bucket.sql': '0018_row_by_row_batches_lock_buckets_first',
    'functions/ledger_private.post_legs.sql': '0020_guards_no_session_setting_can_switch_off',
    'functions/ledger_ops.post_adjustment.sql': '0020_guards_no_session_setting_can_switch_off',
    'functions/ledger_ops.reverse_transaction.sql': '0005_on_call_procedures',
    'triggers/ledger.entries__verify.sql': '0020_guards_no_session_setting_can_switch_off',
    'functions/ledger.post_transactions.sql': '0020_guards_no_session_setting_can_switch_off',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = [
    'DROP FUNCTION IF EXISTS ledger.post_transactions(text);',
    'DROP FUNCTION IF EXISTS ledger_private.require_batch_size(bigint, bigint);',
    'DROP FUNCTION IF EXISTS ledger_private.four_eyes_needed(bigint[], numeric[]);',
    'DROP TABLE IF EXISTS ledger.reversal_requests;',
    "DELETE FROM ledger.settings WHERE name IN ('batches.max_bytes', 'batches.max_items');",
    "UPDATE ledger.settings SET description = 'Adjustments of at least this many units (any currency) need a second on-call user (maker-checker).' WHERE name = 'ops.adjustment_approval_threshold';",
    "UPDATE ledger.settings SET description = 'Window over which one on-call user''s own adjustments of one wallet add up towards ops.adjustment_approval_threshold (an interval).' WHERE name = 'ops.adjustment_approval_window';",
]


def upgrade() -> None:
    apply_frozen(__file__, UPGRADE)


# As the migrating role: the version table's grants (roles/alembic_version.grants.sql), which would keep the
# roles from being dropped by a downgrade to base.
REVOKE_VERSION_TABLE = """DO $version$
BEGIN
    IF pg_catalog.to_regclass('public.alembic_version') IS NOT NULL AND pg_catalog.pg_has_role(current_user,
           (SELECT c.relowner FROM pg_catalog.pg_class AS c WHERE c.oid = 'public.alembic_version'::regclass), 'USAGE') THEN
        REVOKE ALL ON public.alembic_version FROM ledger_migrator, ledger_oncall, ledger_auditor;
    END IF;
END
$version$;"""


def downgrade() -> None:
    execute_batches(['SET ROLE ledger_owner;', *DROP, 'RESET ROLE;', REVOKE_VERSION_TABLE])
    restore_frozen(__file__, RESTORE)
