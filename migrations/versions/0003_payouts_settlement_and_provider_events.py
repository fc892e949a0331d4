"""Payouts exactly once per order, the settlement batch, and the provider-callback importer.

Hand-written parts: ledger_private.post gains p_payout_id (a new signature,
so the old one is dropped first); ledger.transactions gains payout_id;
ledger.payments gains the index the settlement batch reads by.
Fix: the entry trigger refused a credit landing in a bucket that was below
zero on a multi-bucket wallet that may not go negative; only debits are
checked now, against the whole balance.

Revision ID: 0003
Revises: 0002
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# Frozen copies in 0003_payouts_settlement_and_provider_events/, in build order.
UPGRADE = [
    'triggers/ledger.entries__apply.sql',
    'functions/ledger_private.post.sql',
    'functions/ledger_private.system_wallet.sql',
    'data/ledger.transaction_kinds.payouts.sql',
    'tables/ledger.payout_accounts.sql',
    'tables/ledger.payout_orders.sql',
    'tables/ledger.payouts.sql',
    'tables/ledger.settlement_batches.sql',
    'tables/ledger.settlement_batch_items.sql',
    'tables/ledger.provider_events.sql',
    'triggers/ledger.provider_events__append_only.sql',
    'triggers/ledger.payouts__lifecycle.sql',
    'functions/ledger_private.lock_payout.sql',
    'functions/ledger_private.claim_provider_ref.sql',
    'functions/ledger_private.move_payout.sql',
    'functions/ledger.payout_once.sql',
    'functions/ledger.complete_payout.sql',
    'functions/ledger.fail_payout.sql',
    'functions/ledger.record_provider_event.sql',
    'functions/ledger.run_settlement_batch.sql',
    'data/ledger.payout_wallets.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'triggers/ledger.entries__apply.sql': '0001_ledger_core',
    'functions/ledger_private.post.sql': '0002_payments_and_refunds',
    'functions/ledger_private.system_wallet.sql': '0002_payments_and_refunds',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = [
    'DROP FUNCTION IF EXISTS ledger.run_settlement_batch;',
    'DROP FUNCTION IF EXISTS ledger.record_provider_event;',
    'DROP FUNCTION IF EXISTS ledger.fail_payout;',
    'DROP FUNCTION IF EXISTS ledger.complete_payout;',
    'DROP FUNCTION IF EXISTS ledger.payout_once;',
    'DROP FUNCTION IF EXISTS ledger_private.move_payout;',
    'DROP FUNCTION IF EXISTS ledger_private.claim_provider_ref;',
    'DROP FUNCTION IF EXISTS ledger_private.lock_payout;',
    'DROP TRIGGER IF EXISTS _010_no_delete ON ledger.payouts;',
    'DROP TRIGGER IF EXISTS _100_lifecycle ON ledger.payouts;',
    'DROP FUNCTION IF EXISTS ledger_private.tg_payouts__lifecycle;',
    'DROP TRIGGER IF EXISTS _010_append_only ON ledger.provider_events;',
    'DROP TABLE IF EXISTS ledger.provider_events;',
    'DROP TABLE IF EXISTS ledger.settlement_batch_items;',
    'DROP TABLE IF EXISTS ledger.settlement_batches;',
    'DROP TABLE IF EXISTS ledger.payouts;',
    'DROP TABLE IF EXISTS ledger.payout_orders;',
    'DROP TABLE IF EXISTS ledger.payout_accounts;',
]


TABLES_UP = [
    "DROP FUNCTION ledger_private.post(bigint, text, text, text, bigint[], numeric[], bigint, bigint);",
    "ALTER TABLE ledger.transactions ADD COLUMN payout_id bigint;",
    "CREATE INDEX transactions_payout_id ON ledger.transactions (payout_id) WHERE payout_id IS NOT NULL;",
    "COMMENT ON COLUMN ledger.transactions.payout_id IS 'Payout that caused it (payout, completion, return, correction).';",
    "CREATE INDEX payments_captured_at ON ledger.payments (captured_at) WHERE status IN ('CAPTURED', 'PARTIALLY_REFUNDED');",
]

TABLES_DOWN = [
    "DROP FUNCTION ledger_private.post(bigint, text, text, text, bigint[], numeric[], bigint, bigint, bigint);",
    "DROP INDEX ledger.payments_captured_at;",
    "ALTER TABLE ledger.transactions DROP COLUMN payout_id;",
    "DELETE FROM ledger.transaction_kinds WHERE kind = 'PAYOUT_CORRECTION';",
]


def upgrade() -> None:
    execute_batches(["SET ROLE ledger_owner;", *TABLES_UP, "RESET ROLE;"])
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    execute_batches(["SET ROLE ledger_owner;", *DROP, *TABLES_DOWN, "RESET ROLE;"])
    restore_frozen(__file__, RESTORE)
