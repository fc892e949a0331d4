"""Single postings in a few statements, and fewer WAL records per posting.

Every API's posting (post_transaction, capture, refunds, payouts,
adjustments, reversals) goes through ledger_private.post_one_transaction.
Each leg passes ledger_private.move_bucket, which finds the wallet, checks
the amount, picks the bucket, moves it under the row lock and refuses what
the wallet's state refuses; one statement then writes the entries with
their position and balance after, once the zero sum is proven. move_bucket
holds the rules of one entry in one place: the entry trigger, which guards
every other write, calls it too. The per-row trigger, its queued deferred
zero-sum events and array statements planned on every call are off the
API path. ledger.post_transaction reads its legs and finds their wallets in
one statement. ledger_private.setting and the NULL-argument check no longer
plan or run a query per call.

Fewer WAL records per posting: the bucket guard becomes an AFTER trigger (a
BEFORE row trigger locks each row before the UPDATE, one more WAL record per
bucket), and the unique constraint on transactions.reverses_transaction_id
becomes a partial unique index (every posting wrote a NULL entry into it).
The partial index is built online while the old constraint still guards;
then the constraint goes.

Revision ID: 0016
Revises: 0015
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen
from ledgerguard.online import OnlineIndex, build_index, drop_index

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# Frozen copies in 0016_single_postings_in_a_few_statements/, in build order.
UPGRADE = [
    'functions/ledger_private.setting.sql',
    'functions/ledger_private.require_arguments.sql',
    'functions/ledger_private.move_bucket.sql',
    'functions/ledger_private.post_one_transaction.sql',
    'functions/ledger_private.post_legs.sql',
    'functions/ledger_private.post.sql',
    'triggers/ledger.entries__apply.sql',
    'triggers/ledger.wallet_buckets__guard.sql',
    'functions/ledger.post_transaction.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger_private.setting.sql': '0001_ledger_core',
    'functions/ledger_private.require_arguments.sql': '0001_ledger_core',
    'functions/ledger_private.post_legs.sql': '0009_engine_mark_replaces_the_zero_sum_window',
    'functions/ledger_private.post.sql': '0009_engine_mark_replaces_the_zero_sum_window',
    'triggers/ledger.entries__apply.sql': '0009_engine_mark_replaces_the_zero_sum_window',
    'triggers/ledger.wallet_buckets__guard.sql': '0009_engine_mark_replaces_the_zero_sum_window',
    'functions/ledger.post_transaction.sql': '0008_one_fingerprint_and_one_retry_matrix',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = [
    'DROP FUNCTION IF EXISTS ledger_private.post_one_transaction;',
    'DROP FUNCTION IF EXISTS ledger_private.move_bucket;',
]


ONE_REVERSAL_PER_TRANSACTION = OnlineIndex(
    name="transactions_one_reversal_per_transaction", table="ledger.transactions", columns="reverses_transaction_id",
    where="reverses_transaction_id IS NOT NULL",
    remedy="The unique constraint transactions_reverses_transaction_id_key guarded this until now: a duplicate means"
           " it was dropped by hand. Keep the first REVERSAL and reverse the others with ledger_ops.post_adjustment.")

TABLES_UP = [
    # The rule stays: transactions_one_reversal_per_transaction, built above, enforces it.
    "-- squawk-ignore ban-drop-constraint\n"
    "ALTER TABLE ledger.transactions DROP CONSTRAINT transactions_reverses_transaction_id_key;",
    "COMMENT ON COLUMN ledger.transactions.reverses_transaction_id IS 'The transaction this REVERSAL mirrors; unique (a"
    " partial index, so the other postings write no index entry for it), so a transaction is reversed at most once.';",
]
TABLES_DOWN = [
    "ALTER TABLE ledger.transactions ADD CONSTRAINT transactions_reverses_transaction_id_key UNIQUE (reverses_transaction_id);",
    "COMMENT ON COLUMN ledger.transactions.reverses_transaction_id IS 'The transaction this REVERSAL mirrors; unique, so"
    " a transaction is reversed at most once.';",
]


def upgrade() -> None:
    build_index(ONE_REVERSAL_PER_TRANSACTION)
    execute_batches(["SET ROLE ledger_owner;", *TABLES_UP, "RESET ROLE;"])
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    restore_frozen(__file__, RESTORE)
    execute_batches(['SET ROLE ledger_owner;', *DROP, *TABLES_DOWN, 'RESET ROLE;'])
    drop_index(ONE_REVERSAL_PER_TRANSACTION)
