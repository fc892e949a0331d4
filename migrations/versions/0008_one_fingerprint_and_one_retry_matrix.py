"""One request fingerprint for post_transaction and post_transactions; retry_advice decides action and reason together.

Revision ID: 0008
Revises: 0007
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Frozen copies in 0008_one_fingerprint_and_one_retry_matrix/, in build order.
UPGRADE = [
    'functions/ledger_private.transfer_fingerprint.sql',
    'functions/ledger.post_transaction.sql',
    'functions/ledger.retry_advice.sql',
    'functions/ledger.post_transactions.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger.post_transaction.sql': '0006_fast_posting_engine',
    'functions/ledger.retry_advice.sql': '0002_payments_and_refunds',
    'functions/ledger.post_transactions.sql': '0006_fast_posting_engine',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = [
    'DROP FUNCTION IF EXISTS ledger_private.transfer_fingerprint;',
]


def upgrade() -> None:
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    execute_batches(['SET ROLE ledger_owner;', *DROP, 'RESET ROLE;'])
    restore_frozen(__file__, RESTORE)
