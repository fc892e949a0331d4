-- The payout system wallets of the default currency exist before the first
-- payout, so concurrent first payouts never queue on creating them.
SELECT ledger_private.system_wallet('PAYOUTS_IN_TRANSIT', ledger_private.setting('default_currency'));
SELECT ledger_private.system_wallet('PAYOUT_PROVIDER', ledger_private.setting('default_currency'));
