"""One bucket of a wallet per transaction; row-by-row batches lock their buckets first.

A batch that debits a multi-bucket wallet that may not go negative is posted
row by row by ledger_private.post_legs: the entry trigger picks a random
bucket for each credit of a multi-bucket wallet, in row order. Two such rows
of one wallet locked its buckets out of order, so two of these batches, or one
and a debit that locks all of the wallet's buckets in bucket order, could
deadlock (40P01; tests/test_batch.py reproduced it, 1 to 19 deadlocks in
each of four runs of 4 connections x 15 rounds). The row path now locks
every bucket of every wallet the batch touches first, in (wallet, bucket)
order, the order of every posting. Such a batch holds those buckets until
it commits. One bucket per transaction (below) does not make this lock
needless: a credit to the transaction's bucket k > 0, then a debit that
takes bucket 0 and locks the others, still comes out of order.

ledger.post_transactions and ledger.post_transaction check that an item or
a leg has no key beyond the allowed ones with one `jsonb - text[]` instead
of one `-` per key: each `-` copied the object (for an item, its legs too),
and the four per item cost 0.45 s of a batch of 100,000 transfers.

The bucket a posting moves when it credits a multi-bucket wallet (or debits
one that may go negative) was random for each posting. A database
transaction that posts several times to a hot wallet therefore locked its
buckets in random order, and two such transactions deadlocked: 4
connections x 40 transactions of 4 postings each met 54 deadlocks. It is now
ledger_private.transaction_bucket: one bucket per wallet for the whole
database transaction, by transaction id, so consecutive transactions spread
over the buckets and one transaction never locks two buckets of a wallet
for its credits (tests/test_concurrency.py: none). The batch engine picks
its buckets the same way, so a batch holds one bucket of a hot wallet
instead of up to all of them.

Revision ID: 0018
Revises: 0017
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# Frozen copies in 0018_row_by_row_batches_lock_buckets_first/, in build order.
UPGRADE = [
    'functions/ledger_private.transaction_bucket.sql',
    'functions/ledger_private.move_bucket.sql',
    'functions/ledger_private.post_legs.sql',
    'functions/ledger.post_transaction.sql',
    'functions/ledger.post_transactions.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger_private.move_bucket.sql': '0016_single_postings_in_a_few_statements',
    'functions/ledger_private.post_legs.sql': '0017_one_pass_batch_checks',
    'functions/ledger.post_transaction.sql': '0016_single_postings_in_a_few_statements',
    'functions/ledger.post_transactions.sql': '0017_one_pass_batch_checks',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = [
    'DROP FUNCTION IF EXISTS ledger_private.transaction_bucket;',
]


def upgrade() -> None:
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    execute_batches(['SET ROLE ledger_owner;', *DROP, 'RESET ROLE;'])
    restore_frozen(__file__, RESTORE)
