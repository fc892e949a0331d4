"""The request fingerprint planned once per session, and batches whose keys are all new skip the conflict passes.

ledger_private.transfer_fingerprint becomes PL/pgSQL, with the same
bytes (tests/test_batch.py pins two of them). PL/pgSQL keeps the plan of
its query for the session, while an SQL function called from PL/pgSQL is
planned again in every transaction. post_transaction at 8 clients, A/B
in one cluster, three rounds each: 1,507 -> 1,626 tps (+8 %).

ledger.post_transactions: when the INSERT ... ON CONFLICT DO NOTHING of
the keys claims one key per item, every item is new, so the conflict
check, the new-item join and the result join are skipped (1.6 s of a
100k batch). Bulk 100k in one call: 17.8 -> 13.5-15.0 x the bare insert
in the same run.

Revision ID: 0015
Revises: 0014
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# Frozen copies in 0015_fingerprint_planned_once_and_batches_of_new_keys/, in build order.
UPGRADE = [
    'functions/ledger_private.transfer_fingerprint.sql',
    'functions/ledger.post_transactions.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger_private.transfer_fingerprint.sql': '0008_one_fingerprint_and_one_retry_matrix',
    'functions/ledger.post_transactions.sql': '0011_batch_legs_as_strict_as_a_single_posting',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = []


def upgrade() -> None:
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    execute_batches(['SET ROLE ledger_owner;', *DROP, 'RESET ROLE;'])
    restore_frozen(__file__, RESTORE)
