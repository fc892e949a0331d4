CREATE TABLE ledger.entries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id bigint NOT NULL,
    wallet_id      bigint NOT NULL,
    currency       text NOT NULL,
    amount         numeric NOT NULL CHECK (amount <> 0 AND amount NOT IN ('NaN', 'Infinity', '-Infinity')),
    bucket         smallint NOT NULL,
    bucket_seq     bigint NOT NULL,
    balance_after  numeric NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT entries_one_position_per_bucket UNIQUE (wallet_id, bucket, bucket_seq)
);
CREATE INDEX entries_transaction_id ON ledger.entries (transaction_id);
CREATE INDEX entries_created_at_brin ON ledger.entries USING brin (created_at) WITH (autosummarize = on);
COMMENT ON TABLE ledger.entries IS 'Ledger entries (legs): append-only; each balance_after = the previous one in its wallet bucket + amount.';
COMMENT ON COLUMN ledger.entries.id IS 'Entry id.';
COMMENT ON COLUMN ledger.entries.transaction_id IS 'The transaction this leg belongs to (checked by _150_verify: no foreign key, so postings take no share lock on the header).';
COMMENT ON COLUMN ledger.entries.wallet_id IS 'Wallet credited (amount > 0) or debited (amount < 0); checked by _150_verify, not a foreign key, so the hot wallet''s row takes no share lock per posting. Wallets are never deleted.';
COMMENT ON COLUMN ledger.entries.currency IS 'Always the wallet''s currency (checked).';
COMMENT ON COLUMN ledger.entries.amount IS 'Signed amount: credit > 0, debit < 0; never 0, NaN or infinite; never more decimals than the currency has.';
COMMENT ON COLUMN ledger.entries.bucket IS 'Wallet balance bucket the entry was posted to (assigned by the ledger).';
COMMENT ON COLUMN ledger.entries.bucket_seq IS 'Position of the entry in its bucket''s chain, 1, 2, 3 … (assigned under the bucket lock).';
COMMENT ON COLUMN ledger.entries.balance_after IS 'Bucket balance after this entry = previous balance_after in the bucket + amount (assigned by the ledger).';
COMMENT ON COLUMN ledger.entries.created_at IS 'Time of the database transaction that posted it.';
GRANT SELECT ON ledger.entries TO ledger_oncall, ledger_auditor;
