"""The posting engine: row by row for single postings, set-based for batches (ledger.post_transactions), verified by a statement trigger.

Hand-written parts: the foreign keys from entries to wallets and
transactions, and from transactions to kinds, are replaced by the
statement verifier and a CHECK: they share-locked the hot wallet's row and
the kind row on every posting (multixacts).

Revision ID: 0006
Revises: 0005
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# Frozen copies in 0006_fast_posting_engine/, in build order.
UPGRADE = [
    'functions/ledger_private.post_legs.sql',
    'functions/ledger_private.post.sql',
    'triggers/ledger.entries__apply.sql',
    'triggers/ledger.entries__zero_sum.sql',
    'triggers/ledger.wallet_buckets__guard.sql',
    'functions/ledger.post_transaction.sql',
    'triggers/ledger.entries__verify.sql',
    'types/ledger_private.batch_leg.sql',
    'functions/ledger.post_transactions.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger_private.post.sql': '0005_on_call_procedures',
    'triggers/ledger.entries__apply.sql': '0005_on_call_procedures',
    'triggers/ledger.entries__zero_sum.sql': '0001_ledger_core',
    'triggers/ledger.wallet_buckets__guard.sql': '0005_on_call_procedures',
    'functions/ledger.post_transaction.sql': '0001_ledger_core',
}

# New objects, dropped by the downgrade (run as ledger_owner).
DROP = [
    'DROP FUNCTION IF EXISTS ledger.post_transactions;',
    'DROP TRIGGER IF EXISTS _150_verify ON ledger.entries;',
    'DROP FUNCTION IF EXISTS ledger_private.tg_entries__verify;',
    'DROP FUNCTION IF EXISTS ledger_private.post_legs;',
]


TABLES_UP = [
    "ALTER TABLE ledger.entries DROP CONSTRAINT entries_transaction_id_fkey, DROP CONSTRAINT entries_wallet_id_fkey;",
    "ALTER TABLE ledger.transactions DROP CONSTRAINT transactions_kind_fkey,"
    " ADD CONSTRAINT transactions_kind_check CHECK (kind IN ('TRANSFER', 'PAYMENT_CAPTURE', 'REFUND', 'PAYOUT',"
    " 'PAYOUT_COMPLETION', 'PAYOUT_RETURN', 'ADJUSTMENT', 'REVERSAL', 'PAYOUT_CORRECTION'));",
    "COMMENT ON COLUMN ledger.entries.transaction_id IS 'The transaction this leg belongs to (checked by _150_verify:"
    " no foreign key, so postings take no share lock on the header).';",
    "COMMENT ON COLUMN ledger.entries.wallet_id IS 'Wallet credited (amount > 0) or debited (amount < 0); checked by"
    " _150_verify, not a foreign key, so the hot wallet''s row takes no share lock per posting. Wallets are never deleted.';",
    "COMMENT ON COLUMN ledger.transactions.kind IS 'What the transaction records; one of ledger.transaction_kinds (a CHECK,"
    " kept equal to that table by a test: a foreign key would share-lock the kind row on every posting).';",
]

TABLES_DOWN = [
    "DROP TYPE ledger_private.batch_leg;",
    "ALTER TABLE ledger.transactions DROP CONSTRAINT transactions_kind_check,"
    " ADD CONSTRAINT transactions_kind_fkey FOREIGN KEY (kind) REFERENCES ledger.transaction_kinds (kind);",
    "ALTER TABLE ledger.entries ADD CONSTRAINT entries_transaction_id_fkey FOREIGN KEY (transaction_id)"
    " REFERENCES ledger.transactions (id), ADD CONSTRAINT entries_wallet_id_fkey FOREIGN KEY (wallet_id)"
    " REFERENCES ledger.wallets (id);",
    "COMMENT ON COLUMN ledger.entries.transaction_id IS 'The transaction this leg belongs to.';",
    "COMMENT ON COLUMN ledger.entries.wallet_id IS 'Wallet credited (amount > 0) or debited (amount < 0).';",
    "COMMENT ON COLUMN ledger.transactions.kind IS 'What the transaction records; see ledger.transaction_kinds.';",
]


def upgrade() -> None:
    execute_batches(["SET ROLE ledger_owner;", *TABLES_UP, "RESET ROLE;"])
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    # 0001's copy creates the constraint trigger without dropping it first.
    execute_batches(["SET ROLE ledger_owner;", *DROP, "DROP TRIGGER _900_zero_sum ON ledger.entries;", "RESET ROLE;"])
    restore_frozen(__file__, RESTORE)
    execute_batches(["SET ROLE ledger_owner;", *TABLES_DOWN, "RESET ROLE;"])
