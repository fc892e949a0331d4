CREATE TABLE ledger.transaction_kinds (
    kind        text PRIMARY KEY CHECK (kind ~ '^[A-Z][A-Z_]*$'),
    posted_by   text NOT NULL,
    description text NOT NULL
);
COMMENT ON TABLE ledger.transaction_kinds IS 'Kinds of ledger transaction and the one entry point that posts each.';
COMMENT ON COLUMN ledger.transaction_kinds.kind IS 'Kind name, e.g. TRANSFER.';
COMMENT ON COLUMN ledger.transaction_kinds.posted_by IS 'The function that posts this kind; only TRANSFER is open to ledger.post_transaction.';
COMMENT ON COLUMN ledger.transaction_kinds.description IS 'What a transaction of this kind records.';
GRANT SELECT ON ledger.transaction_kinds TO ledger_app, ledger_oncall, ledger_auditor;
