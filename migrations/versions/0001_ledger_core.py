"""The ledger core: roles, schemas, wallets, transactions, entries and their invariants.

Revision ID: 0001
Revises:
"""

from ledgerguard.deploy import apply_frozen

revision = "0001"
down_revision = None
branch_labels = ("ledger",)  # the main line; "schedule" is the opt-in pg_cron branch
depends_on = None

# Frozen copies in 0001_ledger_core/, in build order.
UPGRADE = [
    "roles/ledger_roles.sql",
    "roles/ledger_owner.default_privileges.sql",
    "schemas/ledger.sql",
    "schemas/ledger_private.sql",
    "schemas/ledger_check.sql",
    "schemas/ledger_ops.sql",
    "tables/ledger.settings.sql",
    "data/ledger.settings.sql",
    "tables/ledger.currencies.sql",
    "data/ledger.currencies.sql",
    "tables/ledger.transaction_kinds.sql",
    "data/ledger.transaction_kinds.sql",
    "tables/ledger.wallets.sql",
    "tables/ledger.wallet_buckets.sql",
    "tables/ledger.transactions.sql",
    "tables/ledger.entries.sql",
    "tables/ledger.idempotency_keys.sql",
    "functions/ledger_private.setting.sql",
    "functions/ledger_private.require_arguments.sql",
    "functions/ledger_private.check_amount.sql",
    "functions/ledger_private.parse_amount.sql",
    "functions/ledger_private.wallet_id.sql",
    "functions/ledger_private.claim_idempotency_key.sql",
    "functions/ledger_private.tg_refuse_change.sql",
    "functions/ledger_private.post.sql",
    "triggers/ledger.entries__apply.sql",
    "triggers/ledger.entries__zero_sum.sql",
    "triggers/ledger.entries__append_only.sql",
    "triggers/ledger.transactions__append_only.sql",
    "triggers/ledger.wallets__guard.sql",
    "triggers/ledger.wallets__sync_buckets.sql",
    "triggers/ledger.wallets__no_delete.sql",
    "triggers/ledger.wallet_buckets__guard.sql",
    "views/ledger.wallet_balances.sql",
    "functions/ledger.create_wallet.sql",
    "functions/ledger.wallet_balance.sql",
    "functions/ledger.post_transaction.sql",
    "data/ledger.platform_wallets.sql",
]


def upgrade() -> None:
    apply_frozen(__file__, UPGRADE)


def downgrade() -> None:
    # Drops the schemas, the grants and, unless another database of the
    # cluster still uses them, the roles (runs as the migrating role).
    apply_frozen(__file__, ["roles/downgrade.sql"])
