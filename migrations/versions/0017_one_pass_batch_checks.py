"""A batch is read, fingerprinted and checked in one pass.

ledger.post_transactions computed each transfer's request fingerprint by
calling a PL/pgSQL function per item (100,000 calls, each with its own
query), then read the whole batch a second time to find the first bad item.
Now one query resolves the legs, computes every fingerprint with the same
two helpers ledger_private.transfer_fingerprint uses (fingerprint_leg and
fingerprint_of, inlined: the bytes stay those pinned by tests/test_batch.py),
and finds the first bad item. The function also runs with work_mem 64MB:
at 4MB the sorts of 300,000 legs spilled to disk.

ledger_private.post_legs, the batch engine: its six arrays of legs were each
sorted (six sorts of the batch) though every later statement orders what it
needs; they are now built in one pass. Before it writes, a cheap proof per
bucket (its most negative leg, all its debits before any credit) shows that
no entry is refused; only when it fails is the chain of every leg computed
to name the first refused entry.

Revision ID: 0017
Revises: 0016
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# Frozen copies in 0017_one_pass_batch_checks/, in build order.
UPGRADE = [
    'functions/ledger_private.fingerprint_leg.sql',
    'functions/ledger_private.fingerprint_of.sql',
    'functions/ledger_private.transfer_fingerprint.sql',
    'functions/ledger_private.post_legs.sql',
    'functions/ledger.post_transactions.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger_private.post_legs.sql': '0016_single_postings_in_a_few_statements',
    'functions/ledger_private.transfer_fingerprint.sql': '0015_fingerprint_planned_once_and_batches_of_new_keys',
    'functions/ledger.post_transactions.sql': '0015_fingerprint_planned_once_and_batches_of_new_keys',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = [
    'DROP FUNCTION IF EXISTS ledger_private.fingerprint_of;',
    'DROP FUNCTION IF EXISTS ledger_private.fingerprint_leg;',
]


def upgrade() -> None:
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    restore_frozen(__file__, RESTORE)
    execute_batches(['SET ROLE ledger_owner;', *DROP, 'RESET ROLE;'])
