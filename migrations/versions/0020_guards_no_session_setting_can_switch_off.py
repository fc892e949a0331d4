"""Guards no session setting can switch off; payout locks no stranger can hold; payout returns bounded by the debit.

- The posting engines no longer mark their writes with a session setting
  (ledger.posting, ledger.zero_sum_checked, ledger.repairing_wallet): every
  entry passes the statement verifier and the zero-sum check, a single
  posting writes through the entry trigger, and the bucket guard accepts a
  top-level write only when the bucket is what its entries say.
- payout_once locks a key no login can compute (ledger_private.lock_secret),
  waits at most payouts.lock_wait and then refuses with LG206; only the
  ledger roles may connect to the database (when the migrating role owns it).
- A failed payout gives back exactly what each side put in; a downward
  correction returns SUSPENSE's advance first; the payout_overreturns check.
- payout_once refuses system and may-go-negative beneficiaries (LG207); the
  ledger's own wallet codes are reserved; gateway ids and provider refs are
  never silently replaced and are bounded; LG013 tells another login only
  that a key is taken; the settlement batch refuses a non-finite day, and
  skips an order it cannot pay with its reason (settlement_refusals).

Revision ID: 0020
Revises: 0019
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

# Frozen copies in 0020_guards_no_session_setting_can_switch_off/, in build order.
UPGRADE = [
    'roles/ledger_database.connect.sql',
    'functions/ledger_private.require_text.sql',
    'functions/ledger_private.check_amount.sql',
    'functions/ledger_private.wallet_id.sql',
    'functions/ledger_private.claim_idempotency_key.sql',
    'functions/ledger_private.post_one_transaction.sql',
    'functions/ledger_private.post_legs.sql',
    'triggers/ledger.entries__apply.sql',
    'triggers/ledger.entries__zero_sum.sql',
    'triggers/ledger.wallet_buckets__guard.sql',
    'alter/ledger.payout_orders.sql',
    'functions/ledger_private.is_system_wallet_code.sql',
    'functions/ledger_private.open_wallet.sql',
    'functions/ledger.create_wallet.sql',
    'functions/ledger_private.check_positive_amount.sql',
    'functions/ledger_private.system_wallet.sql',
    'data/ledger.platform_wallets.sql',
    'functions/ledger_private.record_gateway_txn.sql',
    'functions/ledger.authorize_payment.sql',
    'functions/ledger.capture_payment.sql',
    'functions/ledger.fail_payment.sql',
    'functions/ledger.fail_refund.sql',
    'tables/ledger_private.lock_secret.sql',
    'data/ledger_private.lock_secret.sql',
    'functions/ledger_private.payout_lock_key.sql',
    'alter/ledger.settlement_batches.sql',
    'tables/ledger.settlement_batch_refusals.sql',
    'functions/ledger_private.claim_provider_ref.sql',
    'functions/ledger_private.return_payout_funds.sql',
    'functions/ledger_private.move_payout.sql',
    'functions/ledger.payout_once.sql',
    'functions/ledger.complete_payout.sql',
    'functions/ledger.fail_payout.sql',
    'functions/ledger.record_provider_event.sql',
    'functions/ledger.run_settlement_batch.sql',
    'checks/ledger_check.payout_overreturns.sql',
    'checks/ledger_check.settlement_refusals.sql',
    'views/ledger_check.catalog.sql',
    'views/ledger_check.lock_waits.sql',
    'data/ledger.settings.limits.sql',
    'functions/ledger_private.require_ticket.sql',
    'functions/ledger_private.lock_wallet.sql',
    'functions/ledger_ops.post_adjustment.sql',
    'functions/ledger_ops.recover_duplicate_payout.sql',
    'functions/ledger_ops.repair_wallet_balance.sql',
    'triggers/ledger.entries__verify.sql',
    'functions/ledger.post_transactions.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger_private.check_positive_amount.sql': '0002_payments_and_refunds',
    'functions/ledger_private.check_amount.sql': '0001_ledger_core',
    'functions/ledger.post_transactions.sql': '0019_batches_as_plain_arrays',
    'functions/ledger_ops.post_adjustment.sql': '0005_on_call_procedures',
    'functions/ledger.fail_payment.sql': '0002_payments_and_refunds',
    'functions/ledger_private.lock_wallet.sql': '0005_on_call_procedures',
    'functions/ledger_private.require_ticket.sql': '0005_on_call_procedures',
    'functions/ledger.fail_payout.sql': '0003_payouts_settlement_and_provider_events',
    'functions/ledger.fail_refund.sql': '0002_payments_and_refunds',
    'functions/ledger_private.wallet_id.sql': '0001_ledger_core',
    'functions/ledger_private.claim_idempotency_key.sql': '0001_ledger_core',
    'functions/ledger_private.post_one_transaction.sql': '0016_single_postings_in_a_few_statements',
    'functions/ledger_private.post_legs.sql': '0018_row_by_row_batches_lock_buckets_first',
    'triggers/ledger.entries__apply.sql': '0016_single_postings_in_a_few_statements',
    'triggers/ledger.entries__zero_sum.sql': '0009_engine_mark_replaces_the_zero_sum_window',
    'triggers/ledger.wallet_buckets__guard.sql': '0016_single_postings_in_a_few_statements',
    'functions/ledger.create_wallet.sql': '0001_ledger_core',
    'functions/ledger_private.system_wallet.sql': '0003_payouts_settlement_and_provider_events',
    'functions/ledger.authorize_payment.sql': '0002_payments_and_refunds',
    'functions/ledger.capture_payment.sql': '0010_one_payment_per_gateway_transaction',
    'functions/ledger_private.claim_provider_ref.sql': '0003_payouts_settlement_and_provider_events',
    'functions/ledger_private.move_payout.sql': '0003_payouts_settlement_and_provider_events',
    'functions/ledger.payout_once.sql': '0003_payouts_settlement_and_provider_events',
    'functions/ledger.complete_payout.sql': '0003_payouts_settlement_and_provider_events',
    'functions/ledger.record_provider_event.sql': '0003_payouts_settlement_and_provider_events',
    'functions/ledger.run_settlement_batch.sql': '0003_payouts_settlement_and_provider_events',
    'views/ledger_check.catalog.sql': '0004_check_catalog',
    'views/ledger_check.lock_waits.sql': '0004_check_catalog',
    'functions/ledger_ops.recover_duplicate_payout.sql': '0005_on_call_procedures',
    'functions/ledger_ops.repair_wallet_balance.sql': '0005_on_call_procedures',
    'triggers/ledger.entries__verify.sql': '0009_engine_mark_replaces_the_zero_sum_window',
}

# New objects, dropped by the downgrade after the objects that use them are restored (run as ledger_owner).
DROP = [
    "DELETE FROM ledger.settings WHERE name IN ('payouts.lock_wait', 'ops.adjustment_approval_window');",
    'DROP FUNCTION IF EXISTS ledger_check.payout_overreturns;',
    'DROP FUNCTION IF EXISTS ledger_check.settlement_refusals;',
    'DROP TABLE IF EXISTS ledger.settlement_batch_refusals;',
    'ALTER TABLE ledger.settlement_batches DROP COLUMN payouts_refused;',
    'DROP FUNCTION IF EXISTS ledger_private.return_payout_funds;',
    'DROP FUNCTION IF EXISTS ledger_private.payout_lock_key;',
    'DROP TABLE IF EXISTS ledger_private.lock_secret;',
    'DROP FUNCTION IF EXISTS ledger_private.record_gateway_txn;',
    'DROP FUNCTION IF EXISTS ledger_private.open_wallet;',
    'DROP FUNCTION IF EXISTS ledger_private.is_system_wallet_code;',
    'DROP FUNCTION IF EXISTS ledger_private.require_text;',
    "COMMENT ON TABLE ledger.payout_orders IS 'Dense advisory-lock keys for orders: payout_once locks (namespace 0x4C470001, lock_key), so two orders never share a lock the way a 32-bit hash of their refs could.';",
    "COMMENT ON COLUMN ledger.payout_orders.lock_key IS 'Second key of the two-int advisory lock that orders payout_once callers for this order.';",
]

# The database opens to every login again, as PostgreSQL creates it (run as the migrating role).
REOPEN = """DO $reopen$
BEGIN
    IF pg_catalog.pg_has_role(current_user, (SELECT d.datdba FROM pg_catalog.pg_database AS d
                                              WHERE d.datname = pg_catalog.current_database()), 'USAGE') THEN
        EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO PUBLIC', pg_catalog.current_database());
        EXECUTE pg_catalog.format('REVOKE CONNECT ON DATABASE %I FROM ledger_migrator, ledger_app, ledger_oncall, ledger_auditor',
                                  pg_catalog.current_database());
    END IF;
END
$reopen$;"""


def upgrade() -> None:
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    restore_frozen(__file__, RESTORE)
    execute_batches(['SET ROLE ledger_owner;', *DROP, 'RESET ROLE;', REOPEN])
