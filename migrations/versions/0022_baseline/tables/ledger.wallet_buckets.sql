CREATE TABLE ledger.wallet_buckets (
    wallet_id   bigint NOT NULL REFERENCES ledger.wallets (id),
    bucket      smallint NOT NULL CHECK (bucket >= 0),
    balance     numeric NOT NULL DEFAULT 0,
    entry_count bigint NOT NULL DEFAULT 0,
    status      text NOT NULL,
    freeze_mode text,
    frozen_until timestamptz,
    PRIMARY KEY (wallet_id, bucket)
) WITH (fillfactor = 50);
COMMENT ON TABLE ledger.wallet_buckets IS 'The stored balance of each wallet, split in buckets: balance(wallet) = sum of its buckets = sum of its entries. Written only by the entry trigger.';
COMMENT ON COLUMN ledger.wallet_buckets.wallet_id IS 'Wallet the bucket belongs to.';
COMMENT ON COLUMN ledger.wallet_buckets.bucket IS 'Bucket number, 0 .. bucket_count - 1.';
COMMENT ON COLUMN ledger.wallet_buckets.balance IS 'Sum of the entries posted to this bucket; the bucket''s last entry has it as balance_after.';
COMMENT ON COLUMN ledger.wallet_buckets.entry_count IS 'Entries posted to this bucket; the last one has bucket_seq = entry_count.';
COMMENT ON COLUMN ledger.wallet_buckets.status IS 'Copy of the wallet status, kept by trigger, so a posting reads it under the bucket row lock it takes anyway.';
COMMENT ON COLUMN ledger.wallet_buckets.freeze_mode IS 'Copy of the wallet freeze_mode, kept by trigger.';
COMMENT ON COLUMN ledger.wallet_buckets.frozen_until IS 'Copy of the wallet frozen_until, kept by trigger.';
GRANT SELECT ON ledger.wallet_buckets TO ledger_oncall, ledger_auditor;
