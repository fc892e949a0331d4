ALTER TABLE ledger.settlement_batches ADD COLUMN payouts_refused bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN ledger.settlement_batches.payouts_refused IS 'Orders this run could not pay (ledger_check.settlement_refusals lists them).';
