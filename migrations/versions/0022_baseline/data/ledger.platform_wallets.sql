-- The platform's own wallets in the default currency. Other currencies get
-- PLATFORM_MAIN:<CUR> and SUSPENSE:<CUR> on first use.
SELECT ledger_private.system_wallet('PLATFORM_MAIN', 'USD');
SELECT ledger_private.system_wallet('SUSPENSE', 'USD');
