CREATE TABLE ledger.payouts (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_ref            text NOT NULL REFERENCES ledger.payout_orders (order_ref),
    payout_account_id    bigint NOT NULL REFERENCES ledger.payout_accounts (id),
    beneficiary_wallet_id bigint NOT NULL REFERENCES ledger.wallets (id),
    merchant_ref         text NOT NULL,
    currency             text NOT NULL REFERENCES ledger.currencies (code),
    amount               numeric NOT NULL CHECK (amount > 0 AND amount <> 'NaN' AND amount <> 'Infinity'),
    provider_amount      numeric NOT NULL CHECK (provider_amount >= 0 AND provider_amount <> 'NaN' AND provider_amount <> 'Infinity'),
    source               text NOT NULL CHECK (source IN ('MANUAL', 'BATCH', 'RETRY')),
    idempotency_key      text NOT NULL,
    status               text NOT NULL DEFAULT 'PENDING'
                         CHECK (status IN ('PENDING', 'SUBMITTED', 'COMPLETED', 'FAILED', 'CANCELLED')),
    provider_ref         text,
    provider_state       text,
    provider_event_seq   bigint,
    transaction_id       bigint NOT NULL REFERENCES ledger.transactions (id),
    completion_transaction_id bigint REFERENCES ledger.transactions (id),
    return_transaction_id bigint REFERENCES ledger.transactions (id),
    settlement_batch_id  bigint,
    failure_reason       text,
    created_by           text NOT NULL DEFAULT session_user,
    created_at           timestamptz NOT NULL DEFAULT now(),
    completed_at         timestamptz,
    failed_at            timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
-- The real guard against a double payout, at every isolation level.
CREATE UNIQUE INDEX payouts_one_live_per_order ON ledger.payouts (order_ref) WHERE status NOT IN ('FAILED', 'CANCELLED');
-- One provider ref per merchant (the ledger-desync postmortem's AI-01).
CREATE UNIQUE INDEX payouts_provider_ref_per_merchant ON ledger.payouts (provider_ref, merchant_ref) WHERE provider_ref IS NOT NULL;
CREATE INDEX payouts_beneficiary_created_at ON ledger.payouts (beneficiary_wallet_id, created_at);
-- The payouts of an order the ledger failed or cancelled: payout_once locks them before a new payout of the
-- order (LG208 when the provider reports one of them paid).
CREATE INDEX payouts_failed_per_order ON ledger.payouts (order_ref) WHERE status IN ('FAILED', 'CANCELLED');
CREATE INDEX payouts_created_at_brin ON ledger.payouts USING brin (created_at) WITH (autosummarize = on);
COMMENT ON TABLE ledger.payouts IS 'Payouts: at most one live (not FAILED/CANCELLED) payout per order; status moves PENDING -> SUBMITTED -> COMPLETED, or to FAILED / CANCELLED; every money step is a balanced ledger transaction.';
COMMENT ON COLUMN ledger.payouts.id IS 'Payout id; providers echo it back in their callbacks.';
COMMENT ON COLUMN ledger.payouts.order_ref IS 'The order paid out; unique among live payouts.';
COMMENT ON COLUMN ledger.payouts.payout_account_id IS 'Payout account of the beneficiary.';
COMMENT ON COLUMN ledger.payouts.beneficiary_wallet_id IS 'Wallet debited when the payout is made.';
COMMENT ON COLUMN ledger.payouts.merchant_ref IS 'The beneficiary as the provider knows it (its wallet code).';
COMMENT ON COLUMN ledger.payouts.currency IS 'Currency of the beneficiary wallet.';
COMMENT ON COLUMN ledger.payouts.amount IS 'Amount requested and debited when the payout was made; never changes.';
COMMENT ON COLUMN ledger.payouts.provider_amount IS 'Amount per the provider''s latest event; a correction posts the difference as a PAYOUT_CORRECTION transaction.';
COMMENT ON COLUMN ledger.payouts.source IS 'MANUAL, BATCH (settlement batch) or RETRY.';
COMMENT ON COLUMN ledger.payouts.idempotency_key IS 'payout:<order_ref>:<n>, the key of its ledger transaction.';
COMMENT ON COLUMN ledger.payouts.status IS 'PENDING, SUBMITTED, COMPLETED, FAILED or CANCELLED; transitions checked by trigger (LG202).';
COMMENT ON COLUMN ledger.payouts.provider_ref IS 'The provider''s reference; unique per merchant; a NULL never overwrites a known one.';
COMMENT ON COLUMN ledger.payouts.provider_state IS 'Latest provider state applied (created, submitted, succeeded, failed).';
COMMENT ON COLUMN ledger.payouts.provider_event_seq IS 'Sequence of the latest provider event applied; a lower one never overwrites it.';
COMMENT ON COLUMN ledger.payouts.transaction_id IS 'The PAYOUT ledger transaction that debited the beneficiary.';
COMMENT ON COLUMN ledger.payouts.completion_transaction_id IS 'The PAYOUT_COMPLETION transaction (in transit -> provider), once completed.';
COMMENT ON COLUMN ledger.payouts.return_transaction_id IS 'The PAYOUT_RETURN transaction (back to the beneficiary), once failed.';
COMMENT ON COLUMN ledger.payouts.settlement_batch_id IS 'Settlement batch that created it, if any.';
COMMENT ON COLUMN ledger.payouts.failure_reason IS 'Why it failed.';
COMMENT ON COLUMN ledger.payouts.created_by IS 'Session user that created it.';
COMMENT ON COLUMN ledger.payouts.created_at IS 'When it was created.';
COMMENT ON COLUMN ledger.payouts.completed_at IS 'When it completed.';
COMMENT ON COLUMN ledger.payouts.failed_at IS 'When it failed.';
COMMENT ON COLUMN ledger.payouts.updated_at IS 'Last change.';
GRANT SELECT ON ledger.payouts TO ledger_oncall, ledger_auditor;
