"""On-call procedures that are safe by construction: SECURITY DEFINER, ticketed, audited, maker-checker.

Hand-written parts: freezes get an optional expiry (wallets and their bucket
mirror gain frozen_until); transactions gain reverses_transaction_id (unique:
reversed at most once); ledger_private.post gains p_reverses_transaction_id
(a new signature, so the old one is dropped first).

Revision ID: 0005
Revises: 0004
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Frozen copies in 0005_on_call_procedures/, in build order.
UPGRADE = [
    'functions/ledger_private.post.sql',
    'triggers/ledger.entries__apply.sql',
    'triggers/ledger.wallets__sync_buckets.sql',
    'triggers/ledger.wallet_buckets__guard.sql',
    'functions/ledger_private.audit.sql',
    'tables/ledger.adjustment_requests.sql',
    'data/ledger.settings.ops.sql',
    'functions/ledger_private.require_ticket.sql',
    'functions/ledger_private.lock_wallet.sql',
    'functions/ledger_private.adjust.sql',
    'functions/ledger_private.set_payout_account.sql',
    'functions/ledger_ops.freeze_wallet.sql',
    'functions/ledger_ops.unfreeze_wallet.sql',
    'functions/ledger_ops.suspend_payouts.sql',
    'functions/ledger_ops.resume_payouts.sql',
    'functions/ledger_ops.post_adjustment.sql',
    'functions/ledger_ops.reverse_transaction.sql',
    'functions/ledger_ops.recover_duplicate_payout.sql',
    'functions/ledger_ops.repair_wallet_balance.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger_private.post.sql': '0003_payouts_settlement_and_provider_events',
    'triggers/ledger.entries__apply.sql': '0003_payouts_settlement_and_provider_events',
    'triggers/ledger.wallets__sync_buckets.sql': '0001_ledger_core',
    'triggers/ledger.wallet_buckets__guard.sql': '0001_ledger_core',
    'functions/ledger_private.audit.sql': '0002_payments_and_refunds',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = [
    'DROP FUNCTION IF EXISTS ledger_ops.repair_wallet_balance;',
    'DROP FUNCTION IF EXISTS ledger_ops.recover_duplicate_payout;',
    'DROP FUNCTION IF EXISTS ledger_ops.reverse_transaction;',
    'DROP FUNCTION IF EXISTS ledger_ops.post_adjustment;',
    'DROP FUNCTION IF EXISTS ledger_ops.resume_payouts;',
    'DROP FUNCTION IF EXISTS ledger_ops.suspend_payouts;',
    'DROP FUNCTION IF EXISTS ledger_ops.unfreeze_wallet;',
    'DROP FUNCTION IF EXISTS ledger_ops.freeze_wallet;',
    'DROP FUNCTION IF EXISTS ledger_private.set_payout_account;',
    'DROP FUNCTION IF EXISTS ledger_private.adjust;',
    'DROP FUNCTION IF EXISTS ledger_private.lock_wallet;',
    'DROP FUNCTION IF EXISTS ledger_private.require_ticket;',
    'DROP TABLE IF EXISTS ledger.adjustment_requests;',
]


TABLES_UP = [
    "DROP FUNCTION ledger_private.post(bigint, text, text, text, bigint[], numeric[], bigint, bigint, bigint);",
    "ALTER TABLE ledger.wallets ADD COLUMN frozen_until timestamptz,"
    " ADD CONSTRAINT wallets_frozen_until_only_when_frozen CHECK (frozen_until IS NULL OR status = 'FROZEN');",
    "COMMENT ON COLUMN ledger.wallets.frozen_until IS 'When a freeze ends by itself (NULL: until ledger_ops.unfreeze_wallet);"
    " after it the wallet takes entries again.';",
    "ALTER TABLE ledger.wallet_buckets ADD COLUMN frozen_until timestamptz;",
    "COMMENT ON COLUMN ledger.wallet_buckets.frozen_until IS 'Copy of the wallet frozen_until, kept by trigger.';",
    "ALTER TABLE ledger.transactions ADD COLUMN reverses_transaction_id bigint UNIQUE REFERENCES ledger.transactions (id);",
    "COMMENT ON COLUMN ledger.transactions.reverses_transaction_id IS 'The transaction this REVERSAL mirrors;"
    " unique, so a transaction is reversed at most once.';",
]

TABLES_DOWN = [
    "DROP FUNCTION ledger_private.post(bigint, text, text, text, bigint[], numeric[], bigint, bigint, bigint, bigint);",
    "ALTER TABLE ledger.transactions DROP COLUMN reverses_transaction_id;",
    "ALTER TABLE ledger.wallet_buckets DROP COLUMN frozen_until;",
    "ALTER TABLE ledger.wallets DROP COLUMN frozen_until;",
    "DELETE FROM ledger.settings WHERE name LIKE 'ops.%';",
]


def upgrade() -> None:
    execute_batches(["SET ROLE ledger_owner;", *TABLES_UP, "RESET ROLE;"])
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    # Restore the old trigger definitions before dropping the columns they no longer name.
    execute_batches(["SET ROLE ledger_owner;", *DROP, "RESET ROLE;"])
    restore_frozen(__file__, RESTORE)
    execute_batches(["SET ROLE ledger_owner;", *TABLES_DOWN, "RESET ROLE;"])
