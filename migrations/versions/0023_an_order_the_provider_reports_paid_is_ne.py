"""An order the provider reports paid is never paid again.

The ledger failed a payout (bank rejected), the provider then reported it
succeeded, and a retry of payout_once paid the order a second time. A new
payout of an order is now refused (LG208) while an earlier payout of it that
the ledger failed or cancelled has "succeeded" as the provider's latest
word; the settlement batch records such an order as a refusal and pays the
rest; ledger_check.provider_vs_internal calls that payout HIGH (whatever its
window). payout_once locks the order's failed payouts FOR SHARE, so a
provider report in flight is waited for or fails the call to serialize; the
partial index payouts_failed_per_order (built online: changes/) finds them.

Revision ID: 0023
Revises: 0022
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None
RELEASED = None  # the release that freezes this revision; until then new-revision regenerates it

# Frozen copies and hand-written table changes in 0023_an_order_the_provider_reports_paid_is_ne/, in build order.
UPGRADE = [
    'changes/ledger.payouts.sql',
    'functions/ledger.payout_once.sql',
    'functions/ledger.run_settlement_batch.sql',
    'checks/ledger_check.provider_vs_internal.sql',
    'checks/ledger_check.settlement_refusals.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger.payout_once.sql': '0022_baseline',
    'functions/ledger.run_settlement_batch.sql': '0022_baseline',
    'checks/ledger_check.provider_vs_internal.sql': '0022_baseline',
    'checks/ledger_check.settlement_refusals.sql': '0022_baseline',
}

# The table changes undone, last first (hand-written, in changes/).
UNDO = [
    'changes/ledger.payouts.down.sql',
]

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = []


def upgrade() -> None:
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    execute_batches(['SET ROLE ledger_owner;', *DROP, 'RESET ROLE;'])
    restore_frozen(__file__, RESTORE)
    apply_frozen(__file__, UNDO)
