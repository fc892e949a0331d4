"""faster duplicate references check

Revision ID: 0007
Revises: 0006
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Frozen copies in 0007_faster_duplicate_references_check/, in build order.
UPGRADE = [
    'checks/ledger_check.duplicate_references.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'checks/ledger_check.duplicate_references.sql': '0004_check_catalog',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = []


def upgrade() -> None:
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    execute_batches(['SET ROLE ledger_owner;', *DROP, 'RESET ROLE;'])
    restore_frozen(__file__, RESTORE)
