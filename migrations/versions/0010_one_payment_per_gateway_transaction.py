"""One payment per gateway transaction: a unique index built online on a table that holds data.

ledger.payments.gateway_txn_id is an external id (the gateway's charge),
so it gets the unique partial index the postmortem prescribes for provider
refs. A live database may already hold duplicates: the pre-flight reports
them and stops before any DDL; the index is built CONCURRENTLY and a failed
build never leaves an INVALID index (ledgerguard.online).
capture_payment refuses a gateway id another payment holds (LG109).

Revision ID: 0010
Revises: 0009
"""

from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen
from ledgerguard.online import UniqueIndex, drop_index, unique_index

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# Frozen copies in 0010_one_payment_per_gateway_transaction/, in build order.
UPGRADE = [
    'functions/ledger.capture_payment.sql',
]

# Replaced objects: the revision folder that holds the copy a downgrade restores.
RESTORE = {
    'functions/ledger.capture_payment.sql': '0002_payments_and_refunds',
}

ONE_PAYMENT_PER_GATEWAY_TXN = UniqueIndex(
    name="payments_one_gateway_txn", table="ledger.payments", columns="gateway_txn_id",
    where="gateway_txn_id IS NOT NULL",
    remedy="Ask the gateway which payment each charge belongs to; on the others set gateway_txn_id to NULL and"
           " record the correction (ledger.payments.gateway_txn_id is the only column involved).")


TABLES_UP = [
    "COMMENT ON COLUMN ledger.payments.gateway_txn_id IS 'Gateway transaction id given at capture, if any; one payment"
    " per gateway transaction (LG109).';",
]

TABLES_DOWN = [
    "COMMENT ON COLUMN ledger.payments.gateway_txn_id IS 'Gateway transaction id given at capture, if any.';",
]


def upgrade() -> None:
    unique_index(ONE_PAYMENT_PER_GATEWAY_TXN)
    execute_batches(["SET ROLE ledger_owner;", *TABLES_UP, "RESET ROLE;"])
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    restore_frozen(__file__, RESTORE)
    execute_batches(["SET ROLE ledger_owner;", *TABLES_DOWN, "RESET ROLE;"])
    drop_index(ONE_PAYMENT_PER_GATEWAY_TXN)
