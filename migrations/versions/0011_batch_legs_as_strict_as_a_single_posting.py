"""Batch legs are as strict as a single posting: a leg with a key besides wallet and amount fails the batch (LG014).

Revision ID: 0011
Revises: 0010
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# Frozen copies in 0011_batch_legs_as_strict_as_a_single_posting/, in build order.
UPGRADE = [
    'functions/ledger.post_transactions.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger.post_transactions.sql': '0008_one_fingerprint_and_one_retry_matrix',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = []


def upgrade() -> None:
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    execute_batches(['SET ROLE ledger_owner;', *DROP, 'RESET ROLE;'])
    restore_frozen(__file__, RESTORE)
