INSERT INTO ledger.settings (name, value, description) VALUES
    ('default_currency', 'USD', 'Currency of the PLATFORM_MAIN and SUSPENSE wallets; other currencies use PLATFORM_MAIN:<CUR> and SUSPENSE:<CUR>.'),
    ('hot_wallet_buckets', '16', 'Balance buckets of a new PLATFORM, SUSPENSE, PROVIDER or EXTERNAL wallet, so concurrent postings to one hot wallet do not queue on one row.'),
    ('max_legs', '100', 'Most legs one ledger transaction may have.');
