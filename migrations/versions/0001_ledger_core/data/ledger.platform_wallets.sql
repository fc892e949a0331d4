-- The platform's own wallets in the default currency. Other currencies get
-- PLATFORM_MAIN:<CUR> and SUSPENSE:<CUR> on first use.
SELECT ledger.create_wallet('PLATFORM_MAIN', 'PLATFORM', 'USD', false);
SELECT ledger.create_wallet('SUSPENSE', 'SUSPENSE', 'USD', true);
