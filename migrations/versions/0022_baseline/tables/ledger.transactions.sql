CREATE TABLE ledger.transactions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL,
    idempotency_key text,
    reference       text CHECK (length(reference) <= 200),
    created_by      text NOT NULL DEFAULT session_user,
    created_at      timestamptz NOT NULL DEFAULT now(),
    payment_id      bigint,
    refund_id       bigint,
    payout_id       bigint,
    reverses_transaction_id bigint REFERENCES ledger.transactions (id),
    created_xid     bigint DEFAULT (pg_current_xact_id()::text::bigint),
    CONSTRAINT transactions_kind_check CHECK (kind IN ('TRANSFER', 'PAYMENT_CAPTURE', 'REFUND', 'PAYOUT', 'PAYOUT_COMPLETION',
                                                       'PAYOUT_RETURN', 'ADJUSTMENT', 'REVERSAL', 'PAYOUT_CORRECTION'))
);
CREATE UNIQUE INDEX transactions_one_capture_per_payment ON ledger.transactions (payment_id) WHERE kind = 'PAYMENT_CAPTURE';
CREATE UNIQUE INDEX transactions_one_posting_per_refund ON ledger.transactions (refund_id) WHERE kind = 'REFUND';
CREATE UNIQUE INDEX transactions_one_reversal_per_transaction ON ledger.transactions (reverses_transaction_id)
    WHERE reverses_transaction_id IS NOT NULL;
CREATE INDEX transactions_payout_id ON ledger.transactions (payout_id) WHERE payout_id IS NOT NULL;
CREATE INDEX transactions_reference ON ledger.transactions (reference) WHERE reference IS NOT NULL;
CREATE INDEX transactions_created_at_brin ON ledger.transactions USING brin (created_at) WITH (autosummarize = on);
CREATE INDEX transactions_created_xid_brin ON ledger.transactions USING brin (created_xid) WITH (autosummarize = on) WHERE created_xid IS NOT NULL;
COMMENT ON TABLE ledger.transactions IS 'Ledger transactions: append-only headers whose entries sum to zero per currency (checked at COMMIT).';
COMMENT ON COLUMN ledger.transactions.id IS 'Transaction id returned by the API.';
COMMENT ON COLUMN ledger.transactions.kind IS 'What the transaction records; one of ledger.transaction_kinds (a CHECK, kept equal to that table by a test: a foreign key would share-lock the kind row on every posting).';
COMMENT ON COLUMN ledger.transactions.idempotency_key IS 'Key of the request that created it, when the request carried one (unique in ledger.idempotency_keys).';
COMMENT ON COLUMN ledger.transactions.reference IS 'Caller''s reference (order, invoice, ticket); checked for duplicates per wallet by ledger_check.';
COMMENT ON COLUMN ledger.transactions.created_by IS 'Session user that posted it (the caller, not the function owner).';
COMMENT ON COLUMN ledger.transactions.created_at IS 'Time of the database transaction that posted it.';
COMMENT ON COLUMN ledger.transactions.payment_id IS 'Payment that caused it (capture, refund); at most one PAYMENT_CAPTURE per payment (unique index).';
COMMENT ON COLUMN ledger.transactions.refund_id IS 'Refund that caused it; at most one REFUND posting per refund (unique index).';
COMMENT ON COLUMN ledger.transactions.reverses_transaction_id IS 'The transaction this REVERSAL mirrors; unique (a partial index, so the other postings write no index entry for it), so a transaction is reversed at most once.';
COMMENT ON COLUMN ledger.transactions.created_xid IS 'The posting database transaction''s id (xid8 as bigint), for incremental check runs: every transaction still running has an id at or past pg_snapshot_xmin of any snapshot taken while it runs. NULL on rows posted before revision 0012.';
COMMENT ON COLUMN ledger.transactions.payout_id IS 'Payout that caused it (payout, completion, return, correction).';
GRANT SELECT ON ledger.transactions TO ledger_oncall, ledger_auditor;
