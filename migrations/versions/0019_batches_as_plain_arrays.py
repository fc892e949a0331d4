"""Batches as plain arrays, one set per item and one per leg.

ledger.post_transactions resolved a batch into one array of composite legs
(ledger_private.batch_leg, ten fields each) sorted by item and wallet, and
every later statement unnested all of it again: the key claim and the
headers sorted every leg to find each item once, and the engine's arguments
were aggregated out of it once more. It now keeps aligned plain arrays: per
item its position, key, reference, fingerprint and transaction id, and per
leg its transaction, wallet and amount, which go to the engine as they are.
The type is dropped.

Revision ID: 0019
Revises: 0018
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

# Frozen copies in 0019_batches_as_plain_arrays/, in build order.
UPGRADE = [
    'functions/ledger.post_transactions.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores
# (the type first: the function it restores declares it).
RESTORE = {
    'types/ledger_private.batch_leg.sql': '0006_fast_posting_engine',
    'functions/ledger.post_transactions.sql': '0018_row_by_row_batches_lock_buckets_first',
}

# Objects this revision removes, after the function that used them is replaced.
REMOVE = [
    'DROP TYPE ledger_private.batch_leg;',
]


def upgrade() -> None:
    apply_frozen(__file__, UPGRADE)
    execute_batches(['SET ROLE ledger_owner;', *REMOVE, 'RESET ROLE;'])


def downgrade() -> None:
    restore_frozen(__file__, RESTORE)
