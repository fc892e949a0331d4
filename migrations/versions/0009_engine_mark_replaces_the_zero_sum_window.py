"""The engine mark replaces the zero-sum window; one refusal rule for every path.

The posting engine (ledger_private.post_legs) proves each batch
transaction's zero sum and checks wallet state before it writes, and marks
its own statement ('engine') so the entry triggers skip work it did. The
old window GUCs, set by the statement verifier after the rows were queued,
never spared the deferred trigger; every batch row queued a zero-sum event.
One transaction (every API's posting) still goes row by row, measured faster.

Revision ID: 0009
Revises: 0008
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Frozen copies in 0009_engine_mark_replaces_the_zero_sum_window/, in build order.
UPGRADE = [
    'functions/ledger_private.entry_refusal.sql',
    'functions/ledger_private.refuse_entry.sql',
    'functions/ledger_private.post_legs.sql',
    'functions/ledger_private.post.sql',
    'triggers/ledger.entries__apply.sql',
    'triggers/ledger.entries__zero_sum.sql',
    'triggers/ledger.wallet_buckets__guard.sql',
    'triggers/ledger.entries__verify.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger_private.post_legs.sql': '0006_fast_posting_engine',
    'functions/ledger_private.post.sql': '0006_fast_posting_engine',
    'triggers/ledger.entries__apply.sql': '0006_fast_posting_engine',
    'triggers/ledger.entries__zero_sum.sql': '0006_fast_posting_engine',
    'triggers/ledger.wallet_buckets__guard.sql': '0006_fast_posting_engine',
    'triggers/ledger.entries__verify.sql': '0006_fast_posting_engine',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = [
    'DROP FUNCTION IF EXISTS ledger_private.post_legs(bigint[], bigint[], numeric[]);',
    'DROP FUNCTION IF EXISTS ledger_private.refuse_entry;',
    'DROP FUNCTION IF EXISTS ledger_private.entry_refusal;',
]


# The engine lost its row-by-row flag (single postings no longer call it).
SUPERSEDED = ['DROP FUNCTION ledger_private.post_legs(bigint[], bigint[], numeric[], boolean);']


def upgrade() -> None:
    apply_frozen(__file__, UPGRADE)
    execute_batches(['SET ROLE ledger_owner;', *SUPERSEDED, 'RESET ROLE;'])


def downgrade() -> None:
    execute_batches(['SET ROLE ledger_owner;', *DROP, 'RESET ROLE;'])
    restore_frozen(__file__, RESTORE)
