"""Payments and refunds with database-enforced lifecycles, retry advice and kill switches.

Hand-written parts: ledger_private.post gains p_payment_id / p_refund_id (a
new signature, so the old one is dropped first), and ledger.transactions
gains the payment_id / refund_id links with the unique partial indexes that
make capture and refund postings exactly-once.

Revision ID: 0002
Revises: 0001
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Frozen copies in 0002_payments_and_refunds/, in build order.
UPGRADE = [
    'functions/ledger_private.post.sql',
    'tables/ledger.audit_log.sql',
    'triggers/ledger.audit_log__append_only.sql',
    'tables/ledger.processing_switches.sql',
    'data/ledger.processing_switches.sql',
    'tables/ledger.payments.sql',
    'tables/ledger.refunds.sql',
    'functions/ledger_private.require_enabled.sql',
    'functions/ledger_private.check_positive_amount.sql',
    'functions/ledger_private.system_wallet.sql',
    'functions/ledger_private.audit.sql',
    'functions/ledger_private.lock_payment.sql',
    'functions/ledger_private.lock_refund.sql',
    'triggers/ledger.payments__lifecycle.sql',
    'triggers/ledger.refunds__lifecycle.sql',
    'functions/ledger.create_payment.sql',
    'functions/ledger.authorize_payment.sql',
    'functions/ledger.capture_payment.sql',
    'functions/ledger.fail_payment.sql',
    'functions/ledger.request_refund.sql',
    'functions/ledger.approve_refund.sql',
    'functions/ledger.process_refund.sql',
    'functions/ledger.fail_refund.sql',
    'functions/ledger.retry_advice.sql',
    'functions/ledger_ops.set_kill_switch.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger_private.post.sql': '0001_ledger_core',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = [
    'DROP FUNCTION IF EXISTS ledger_ops.set_kill_switch;',
    'DROP FUNCTION IF EXISTS ledger.retry_advice;',
    'DROP FUNCTION IF EXISTS ledger.fail_refund;',
    'DROP FUNCTION IF EXISTS ledger.process_refund;',
    'DROP FUNCTION IF EXISTS ledger.approve_refund;',
    'DROP FUNCTION IF EXISTS ledger.request_refund;',
    'DROP FUNCTION IF EXISTS ledger.fail_payment;',
    'DROP FUNCTION IF EXISTS ledger.capture_payment;',
    'DROP FUNCTION IF EXISTS ledger.authorize_payment;',
    'DROP FUNCTION IF EXISTS ledger.create_payment;',
    'DROP TRIGGER IF EXISTS _010_no_delete ON ledger.refunds;',
    'DROP TRIGGER IF EXISTS _100_lifecycle ON ledger.refunds;',
    'DROP FUNCTION IF EXISTS ledger_private.tg_refunds__lifecycle;',
    'DROP TRIGGER IF EXISTS _010_no_delete ON ledger.payments;',
    'DROP TRIGGER IF EXISTS _100_lifecycle ON ledger.payments;',
    'DROP FUNCTION IF EXISTS ledger_private.tg_payments__lifecycle;',
    'DROP FUNCTION IF EXISTS ledger_private.lock_refund;',
    'DROP FUNCTION IF EXISTS ledger_private.lock_payment;',
    'DROP FUNCTION IF EXISTS ledger_private.audit;',
    'DROP FUNCTION IF EXISTS ledger_private.system_wallet;',
    'DROP FUNCTION IF EXISTS ledger_private.check_positive_amount;',
    'DROP FUNCTION IF EXISTS ledger_private.require_enabled;',
    'DROP TABLE IF EXISTS ledger.refunds;',
    'DROP TABLE IF EXISTS ledger.payments;',
    'DROP TABLE IF EXISTS ledger.processing_switches;',
    'DROP TRIGGER IF EXISTS _010_no_truncate ON ledger.audit_log;',
    'DROP TRIGGER IF EXISTS _010_append_only ON ledger.audit_log;',
    'DROP TABLE IF EXISTS ledger.audit_log;',
]


TRANSACTIONS_UP = [
    "DROP FUNCTION ledger_private.post(bigint, text, text, text, bigint[], numeric[]);",
    "ALTER TABLE ledger.transactions ADD COLUMN payment_id bigint, ADD COLUMN refund_id bigint;",
    "CREATE UNIQUE INDEX transactions_one_capture_per_payment ON ledger.transactions (payment_id)"
    " WHERE kind = 'PAYMENT_CAPTURE';",
    "CREATE UNIQUE INDEX transactions_one_posting_per_refund ON ledger.transactions (refund_id) WHERE kind = 'REFUND';",
    "COMMENT ON COLUMN ledger.transactions.payment_id IS 'Payment that caused it (capture, refund);"
    " at most one PAYMENT_CAPTURE per payment (unique index).';",
    "COMMENT ON COLUMN ledger.transactions.refund_id IS 'Refund that caused it;"
    " at most one REFUND posting per refund (unique index).';",
]

TRANSACTIONS_DOWN = [
    "DROP FUNCTION ledger_private.post(bigint, text, text, text, bigint[], numeric[], bigint, bigint);",
    "ALTER TABLE ledger.transactions DROP COLUMN payment_id, DROP COLUMN refund_id;",
]


def upgrade() -> None:
    execute_batches(["SET ROLE ledger_owner;", *TRANSACTIONS_UP, "RESET ROLE;"])
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    execute_batches(["SET ROLE ledger_owner;", *DROP, *TRANSACTIONS_DOWN, "RESET ROLE;"])
    restore_frozen(__file__, RESTORE)
